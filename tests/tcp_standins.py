"""Loopback servers standing in for the federation's endpoints in tests/test_federation_check.py.

``TcpServer`` runs a handler per connection in daemon threads; the stand-ins on top of it answer the way the
real programs do at the byte level the check looks at: a Pulsar broker behind TLS (CONNECT -> CONNECTED),
nginx's HTTP port (a status line) and its gRPC port (an HTTP/2 SETTINGS frame), and a server that accepts
and never answers (for timeouts). ``stop()`` closes the listening socket, so later connects are refused,
which is what a stopped pod behind a load balancer looks like from the tunnel.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from federation import pulsar_wire

HOST = "127.0.0.1"


class TcpServer:
    def __init__(self, handle: Callable[[socket.socket], None]):
        self._handle = handle
        self._sock = socket.create_server((HOST, 0))
        self._sock.settimeout(0.1)  # the accept loop notices stop() within this
        self.port: int = self._sock.getsockname()[1]
        self._stopped = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"standin-{self.port}")
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(10)
            self._conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ValueError), conn:
            self._handle(conn)

    def stop(self) -> None:
        """Stops listening at once (shutdown wakes the accept loop), then drops open connections."""
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._thread.join(2)
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()


def pulsar_tls_broker(cert_file: Path, key_file: Path, version: str = "Pulsar-Broker-stand-in") -> TcpServer:
    """TLS with the given certificate, then CONNECTED for every CONNECT (the handshake Pulsar clients make)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert_file), str(key_file))

    def handle(conn: socket.socket) -> None:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            buffer = b""
            while True:
                split = pulsar_wire.split_frame(buffer)
                if split is None:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    buffer += chunk
                    continue
                command, buffer = split
                request = pulsar_wire.decode_command(command)
                if isinstance(request, pulsar_wire.Connect):
                    tls.sendall(pulsar_wire.encode_connected(version, min(request.protocol_version, 19)))

    return TcpServer(handle)


def http_server(status: bytes = b"HTTP/1.1 404 Not Found") -> TcpServer:
    """nginx's answer to ``GET /`` on a port without a matching location: a status line is all that counts."""

    def handle(conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        conn.sendall(status + b"\r\nServer: nginx\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    return TcpServer(handle)


def h2_server() -> TcpServer:
    """An HTTP/2 server's side of the connection preface: its SETTINGS (one setting), then the ACK of ours."""

    def handle(conn: socket.socket) -> None:
        received = b""
        while len(received) < 24 + 9:
            chunk = conn.recv(4096)
            if not chunk:
                return
            received += chunk
        if not received.startswith(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"):
            return
        settings = b"\x00\x00\x06\x04\x00\x00\x00\x00\x00" + b"\x00\x03\x00\x00\x00\x80"  # MAX_CONCURRENT=128
        conn.sendall(settings + b"\x00\x00\x00\x04\x01\x00\x00\x00\x00")

    return TcpServer(handle)


def silent_server() -> TcpServer:
    """Accepts and reads, never answers: a hop that hangs until the check's timeout."""

    def handle(conn: socket.socket) -> None:
        while conn.recv(4096):
            pass

    return TcpServer(handle)
