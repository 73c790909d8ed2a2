"""One network probe per hop of ``federation check``: DNS, TCP, TLS, certificate, protocol.

Each probe opens its own connection, takes everything it needs as arguments (host, port, SNI, CA, timeout)
and returns a ProbeResult instead of raising, so the caller decides what a failure means and which hop comes
next. Separate connections per hop keep every probe usable alone and make "which hop broke" unambiguous; the
cost is three TLS handshakes per party, which is nothing next to a 5-second timeout.

The TLS hop deliberately does not verify: it proves the tunnel completes a handshake, and hands the presented
certificate to ``verify_chain``, which says *why* a certificate is wrong (other CA, other name, expired) where
ssl's verification would only say "failed". The protocol hop then connects the way a Pulsar client does, with
the federation CA and hostname checking on.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from federation import pulsar_wire

CLIENT_VERSION = "kubefate-tanzu-check"
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
H2_SETTINGS, H2_GOAWAY = 4, 7
HTTP_STATUS_LINE = re.compile(rb"^HTTP/\d(?:\.\d)? [1-5]\d\d(?: [^\r\n]*)?$")


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    detail: str  # what was seen, for the report
    peer_chain: tuple[bytes, ...] = ()  # DER certificates presented, leaf first (tls_handshake only)


def hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def describe_error(exc: BaseException, timeout: float) -> str:
    """An exception as a person reads it; the most specific classes first (SSL errors are OSErrors)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verification failed: {exc.verify_message or exc}"
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return "connection closed by the peer during the TLS handshake"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by peer"
    if isinstance(exc, socket.gaierror):
        return f"name does not resolve: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


# --- DNS and TCP -----------------------------------------------------------------------------------------------


def resolve(host: str, port: int, timeout: float) -> ProbeResult:
    """IP literals pass without a lookup (still reported, so the matrix has no hole); getaddrinfo has no
    timeout of its own, so it runs in a daemon thread that is abandoned when it takes too long."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return ProbeResult(True, f"{host} is an IP address (no lookup)")
    except ValueError:
        pass
    box: dict[str, object] = {}

    def lookup() -> None:
        try:
            box["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except Exception as exc:  # reported below
            box["error"] = exc

    worker = threading.Thread(target=lookup, daemon=True, name=f"dns-{host}")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return ProbeResult(False, f"{host}: no DNS answer within {timeout:g} s")
    if "error" in box:
        return ProbeResult(False, f"{host}: {describe_error(box['error'], timeout)}")  # type: ignore[arg-type]
    addresses = sorted({info[4][0] for info in box["addresses"]})  # type: ignore[union-attr]
    return ProbeResult(True, f"{host} -> {', '.join(addresses)}")


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((host.strip("[]"), port), timeout=timeout)


def tcp_connect(host: str, port: int, timeout: float) -> ProbeResult:
    try:
        with _connect(host, port, timeout) as sock:
            peer = sock.getpeername()
        return ProbeResult(True, f"connected to {hostport(str(peer[0]), peer[1])}")
    except Exception as exc:
        return ProbeResult(False, describe_error(exc, timeout))


def _recv_until(sock: socket.socket, done: Callable[[bytes], bool], limit: int = 65536) -> bytes:
    """Read until ``done(buffer)``, the peer closes, or ``limit`` bytes; timeouts propagate."""
    buffer = b""
    while not done(buffer) and len(buffer) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buffer += chunk
    return buffer


# --- TLS and certificates --------------------------------------------------------------------------------------


def _unverified_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _presented_chain(tls: ssl.SSLSocket) -> tuple[bytes, ...]:
    # Python 3.13 exposes the whole chain; before that only the leaf, which is all the federation PKI
    # (CA -> leaf, no intermediates) presents anyway.
    unverified = getattr(tls, "get_unverified_chain", None)
    if unverified is not None:
        return tuple(unverified() or ())
    leaf = tls.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()


def tls_handshake(host: str, port: int, server_name: str, timeout: float) -> ProbeResult:
    """A handshake with ``server_name`` as SNI, certificate accepted as presented (verify_chain judges it)."""
    try:
        with (
            _connect(host, port, timeout) as raw,
            _unverified_context().wrap_socket(raw, server_hostname=server_name) as tls,
        ):
            chain = _presented_chain(tls)
            detail = f"{tls.version()} {(tls.cipher() or ('unknown cipher',))[0]}"
        if not chain:
            return ProbeResult(False, f"{detail}, but the server presented no certificate")
        return ProbeResult(True, detail, chain)
    except Exception as exc:
        return ProbeResult(False, describe_error(exc, timeout))


def name_of(cert: x509.Certificate, which: str = "subject") -> str:
    return getattr(cert, which).rfc4514_string() or "(empty)"


def _san(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(v) for v in ext.get_values_for_type(x509.DNSName) + ext.get_values_for_type(x509.IPAddress)]


def _subject_name(name: str) -> x509.DNSName | x509.IPAddress:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def verify_chain(chain: Sequence[bytes], ca_pem: str, name: str, now: dt.datetime | None = None) -> ProbeResult:
    """The presented chain against the federation CA and ``name``, as a TLS client verifies it.

    Pure (no network): cryptography's verifier decides, and on failure the detail names the presented
    subject and issuer next to the expected CA, so "a certificate from another federation" and "the right CA
    but another party's name" read differently.
    """
    now = now or dt.datetime.now(dt.UTC)
    try:
        cas = x509.load_pem_x509_certificates(ca_pem.encode())
    except ValueError as exc:
        return ProbeResult(False, f"the exchange's caCert is not a PEM certificate: {exc}")
    if not chain:
        return ProbeResult(False, "no certificate presented")
    try:
        leaf = x509.load_der_x509_certificate(chain[0])
        intermediates = [x509.load_der_x509_certificate(c) for c in chain[1:]]
    except ValueError as exc:
        return ProbeResult(False, f"the presented certificate does not parse: {exc}")
    seen = f"presented subject {name_of(leaf)}, issuer {name_of(leaf, 'issuer')}"
    expected_ca = " or ".join(name_of(ca) for ca in cas)
    verifier = PolicyBuilder().store(Store(cas)).time(now).build_server_verifier(_subject_name(name))
    try:
        verifier.verify(leaf, intermediates)
    except VerificationError as exc:
        issuers = {ca.subject for ca in cas} | {c.subject for c in intermediates}
        if leaf.issuer not in issuers:
            why = f"not issued by the federation CA {expected_ca}"
        elif name.lower() not in [s.lower() for s in _san(leaf)]:
            why = f"the certificate does not name {name} (SAN: {', '.join(_san(leaf)) or 'none'})"
        elif leaf.not_valid_after_utc < now:
            why = f"expired {leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
        elif leaf.not_valid_before_utc > now:
            why = f"not valid before {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        else:
            why = f"rejected by the verifier: {exc} (expected CA {expected_ca})"
        return ProbeResult(False, f"{seen}; {why}")
    return ProbeResult(True, f"{seen}, valid until {leaf.not_valid_after_utc:%Y-%m-%d}")


# --- protocols -------------------------------------------------------------------------------------------------


def pulsar_connect(host: str, port: int, server_name: str, timeout: float, ca_pem: str | None = None) -> ProbeResult:
    """CONNECT over TLS (verified against ``ca_pem`` when given, as a Pulsar client does), expect CONNECTED."""
    try:
        ctx = ssl.create_default_context(cadata=ca_pem) if ca_pem else _unverified_context()
        with _connect(host, port, timeout) as raw, ctx.wrap_socket(raw, server_hostname=server_name) as tls:
            tls.sendall(pulsar_wire.encode_connect(CLIENT_VERSION))
            buffer = _recv_until(tls, _has_frame, limit=pulsar_wire.MAX_FRAME + 8)
    except Exception as exc:
        return ProbeResult(False, describe_error(exc, timeout))
    try:
        split = pulsar_wire.split_frame(buffer)
        if split is None:
            return ProbeResult(False, f"connection closed before CONNECTED ({len(buffer)} bytes received)")
        answer = pulsar_wire.decode_command(split[0])
    except pulsar_wire.WireError as exc:
        return ProbeResult(False, f"the server does not speak Pulsar: {exc}")
    if isinstance(answer, pulsar_wire.Connected):
        return ProbeResult(True, f"CONNECTED from {answer.server_version} (protocol v{answer.protocol_version})")
    if isinstance(answer, pulsar_wire.Error):
        code = pulsar_wire.SERVER_ERRORS.get(answer.error, str(answer.error))
        return ProbeResult(False, f"the broker refused CONNECT: ERROR {code}: {answer.message}")
    kind = answer.type if isinstance(answer, pulsar_wire.Other) else type(answer).__name__.upper()
    return ProbeResult(False, f"answered command type {kind} instead of CONNECTED")


def _has_frame(buffer: bytes) -> bool:
    try:
        return pulsar_wire.split_frame(buffer) is not None
    except pulsar_wire.WireError:
        return True  # stop reading; the caller reports what arrived


def http_status(host: str, port: int, timeout: float) -> ProbeResult:
    """An HTTP/1.1 request; any well-formed status line passes (nginx answering 404 is still nginx)."""
    request = (
        f"GET / HTTP/1.1\r\nHost: {hostport(host, port)}\r\nUser-Agent: {CLIENT_VERSION}\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        with _connect(host, port, timeout) as sock:
            sock.sendall(request)
            buffer = _recv_until(sock, lambda b: b"\r\n" in b, limit=8192)
    except Exception as exc:
        return ProbeResult(False, describe_error(exc, timeout))
    if not buffer:
        return ProbeResult(False, "connection closed without an answer")
    line = buffer.split(b"\r\n", 1)[0]
    if not HTTP_STATUS_LINE.match(line):
        return ProbeResult(False, f"not an HTTP status line: {line[:60]!r}")
    return ProbeResult(True, line.decode("latin-1"))


def h2_settings(host: str, port: int, timeout: float) -> ProbeResult:
    """HTTP/2 with prior knowledge (what gRPC clients do): preface + empty SETTINGS, expect SETTINGS back."""
    try:
        with _connect(host, port, timeout) as sock:
            sock.sendall(H2_PREFACE + b"\x00\x00\x00" + bytes([H2_SETTINGS]) + b"\x00" + b"\x00\x00\x00\x00")
            header = _recv_until(sock, lambda b: len(b) >= 9, limit=9)
    except Exception as exc:
        return ProbeResult(False, describe_error(exc, timeout))
    if header.startswith(b"HTTP/"):
        return ProbeResult(False, f"answered HTTP/1.x, not HTTP/2: {header!r}")
    if len(header) < 9:
        return ProbeResult(False, f"connection closed after {len(header)} bytes, no HTTP/2 frame")
    length, kind, flags = int.from_bytes(header[:3], "big"), header[3], header[4]
    if kind == H2_SETTINGS:
        ack = ", ACK" if flags & 1 else ""
        return ProbeResult(True, f"HTTP/2 SETTINGS frame ({length // 6} settings{ack})")
    if kind == H2_GOAWAY:
        return ProbeResult(False, "the server answered GOAWAY")
    return ProbeResult(False, f"HTTP/2 frame of type {kind} where SETTINGS was expected")
