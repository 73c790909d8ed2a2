#!/usr/bin/env python3
"""Stand-ins for the ``random`` and ``tls`` provider plugins, for machines that have neither the official
plugins nor the bridged builds of tools/toolchain.sh (docs/toolchain.md).

Without them the end-to-end tests and ``make demo`` would stop at the first RandomPassword or PrivateKey. This
one file speaks Pulumi's resource-provider gRPC protocol for exactly the resources the program uses
(RandomPassword; PrivateKey, SelfSignedCert, CertRequest, LocallySignedCert), with the same property names as
the real providers, so the program and its state are the same as with them. Every input change replaces the
resource, as with the real providers. Not for production: use the official plugins wherever they install.

Install (registers it as random and tls at the versions of requirements.txt, in $PULUMI_HOME):
    python3 tools/pulumi-resource-local.py --install
The interpreter running ``--install`` is the one the plugin runs with; it needs grpcio, pulumi and
cryptography.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import stat
import string
import subprocess
import sys
from concurrent import futures
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID as EKU
from cryptography.x509.oid import NameOID

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
HERE = Path(__file__).resolve()


# --- random -------------------------------------------------------------------------------------------------


def random_password(inputs: dict[str, Any]) -> dict[str, Any]:
    length = int(inputs.get("length") or 16)
    classes = []
    for flag, minimum, chars in (("lower", "minLower", string.ascii_lowercase),
                                 ("upper", "minUpper", string.ascii_uppercase),
                                 ("numeric", "minNumeric", string.digits),
                                 ("special", "minSpecial", inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?")):
        if inputs.get(flag, True) is not False:
            classes.append((chars, int(inputs.get(minimum) or 0)))
    if not classes:
        raise ValueError("RandomPassword: every character class is disabled")
    chosen = [secrets.choice(chars) for chars, n in classes for _ in range(n)]
    alphabet = "".join(chars for chars, _ in classes)
    chosen += [secrets.choice(alphabet) for _ in range(max(0, length - len(chosen)))]
    for i in range(len(chosen) - 1, 0, -1):  # Fisher-Yates with a CSPRNG
        j = secrets.randbelow(i + 1)
        chosen[i], chosen[j] = chosen[j], chosen[i]
    return {**inputs, "result": "".join(chosen)}


# --- tls ----------------------------------------------------------------------------------------------------


def private_key(inputs: dict[str, Any]) -> dict[str, Any]:
    algorithm = inputs.get("algorithm") or "RSA"
    if algorithm == "RSA":
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(inputs.get("rsaBits") or 2048))
        traditional = ser.PrivateFormat.TraditionalOpenSSL
    elif algorithm == "ECDSA":
        curves = {"P224": ec.SECP224R1, "P256": ec.SECP256R1, "P384": ec.SECP384R1, "P521": ec.SECP521R1}
        key = ec.generate_private_key(curves[inputs.get("ecdsaCurve") or "P224"]())
        traditional = ser.PrivateFormat.TraditionalOpenSSL
    elif algorithm == "ED25519":
        key = ed25519.Ed25519PrivateKey.generate()
        traditional = ser.PrivateFormat.PKCS8
    else:
        raise ValueError(f"PrivateKey: unsupported algorithm {algorithm!r}")
    pem = key.private_bytes(ser.Encoding.PEM, traditional, ser.NoEncryption()).decode()
    pkcs8 = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()).decode()
    public = key.public_key()
    public_pem = public.public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo).decode()
    openssh = public.public_bytes(ser.Encoding.OpenSSH, ser.PublicFormat.OpenSSH).decode() + "\n"
    digest = hashes.Hash(hashes.SHA256())
    digest.update(public.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo))
    return {**inputs, "algorithm": algorithm, "privateKeyPem": pem, "privateKeyPemPkcs8": pkcs8,
            "publicKeyPem": public_pem, "publicKeyOpenssh": openssh, "privateKeyOpenssh": "",
            "publicKeyFingerprintSha256": digest.finalize().hex(), "publicKeyFingerprintMd5": ""}


_SUBJECT_KEYS = {
    "commonName": "COMMON_NAME", "organization": "ORGANIZATION_NAME", "organizationalUnit": "ORGANIZATIONAL_UNIT_NAME",
    "country": "COUNTRY_NAME", "province": "STATE_OR_PROVINCE_NAME", "locality": "LOCALITY_NAME",
    "postalCode": "POSTAL_CODE", "serialNumber": "SERIAL_NUMBER", "streetAddresses": "STREET_ADDRESS",
}


def _camel(key: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)


def _subject(value: Any):
    attrs = []
    for key, item in ((_camel(k), v) for k, v in (value or {}).items()):
        if key not in _SUBJECT_KEYS or item in (None, "", []):
            continue
        for one in item if isinstance(item, list) else [item]:
            attrs.append(x509.NameAttribute(getattr(NameOID, _SUBJECT_KEYS[key]), str(one)))
    return x509.Name(attrs)


def _load_key(pem: str):
    return ser.load_pem_private_key(pem.encode(), password=None)


def _sign_hash(key):
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _key_algorithm(key) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RSA"
    return "ECDSA" if isinstance(key, ec.EllipticCurvePrivateKey) else "ED25519"


def _sans(inputs: dict[str, Any]):
    import ipaddress

    names = [x509.DNSName(n) for n in inputs.get("dnsNames") or []]
    names += [x509.IPAddress(ipaddress.ip_address(n)) for n in inputs.get("ipAddresses") or []]
    names += [x509.UniformResourceIdentifier(n) for n in inputs.get("uris") or []]
    return names


def _certificate(inputs: dict[str, Any], subject, public_key, issuer, issuer_key, sans,
                 issuer_cert=None) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    end = now + dt.timedelta(hours=int(inputs.get("validityPeriodHours") or 0))
    uses = set(inputs.get("allowedUses") or [])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(end))
    is_ca = bool(inputs.get("isCaCertificate"))
    builder = builder.add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    builder = builder.add_extension(x509.KeyUsage(
        digital_signature="digital_signature" in uses, content_commitment="content_commitment" in uses,
        key_encipherment="key_encipherment" in uses, data_encipherment="data_encipherment" in uses,
        key_agreement="key_agreement" in uses, key_cert_sign="cert_signing" in uses,
        crl_sign="crl_signing" in uses, encipher_only=False, decipher_only=False), critical=True)
    eku = {"server_auth": EKU.SERVER_AUTH, "client_auth": EKU.CLIENT_AUTH, "code_signing": EKU.CODE_SIGNING,
           "email_protection": EKU.EMAIL_PROTECTION, "timestamping": EKU.TIME_STAMPING,
           "ocsp_signing": EKU.OCSP_SIGNING}
    wanted = [eku[u] for u in sorted(uses) if u in eku]
    if wanted:
        builder = builder.add_extension(x509.ExtendedKeyUsage(wanted), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if inputs.get("setSubjectKeyId") or is_ca:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False)
    cert = builder.sign(issuer_key, _sign_hash(issuer_key))
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return {**inputs, "certPem": cert.public_bytes(ser.Encoding.PEM).decode(),
            "validityStartTime": now.strftime(fmt), "validityEndTime": end.strftime(fmt),
            "readyForRenewal": False}


def self_signed_cert(inputs: dict[str, Any]) -> dict[str, Any]:
    key = _load_key(inputs["privateKeyPem"])
    subject = _subject(inputs.get("subject"))
    out = _certificate(inputs, subject, key.public_key(), subject, key, _sans(inputs))
    return {**out, "keyAlgorithm": _key_algorithm(key)}


def cert_request(inputs: dict[str, Any]) -> dict[str, Any]:
    key = _load_key(inputs["privateKeyPem"])
    builder = x509.CertificateSigningRequestBuilder().subject_name(_subject(inputs.get("subject")))
    sans = _sans(inputs)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    csr = builder.sign(key, _sign_hash(key))
    return {**inputs, "certRequestPem": csr.public_bytes(ser.Encoding.PEM).decode(),
            "keyAlgorithm": _key_algorithm(key)}


def locally_signed_cert(inputs: dict[str, Any]) -> dict[str, Any]:
    csr = x509.load_pem_x509_csr(inputs["certRequestPem"].encode())
    ca_cert = x509.load_pem_x509_certificate(inputs["caCertPem"].encode())
    ca_key = _load_key(inputs["caPrivateKeyPem"])
    try:
        sans = list(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        sans = []
    out = _certificate(inputs, csr.subject, csr.public_key(), ca_cert.subject, ca_key, sans, ca_cert)
    return {**out, "caKeyAlgorithm": _key_algorithm(ca_key)}


RESOURCES = {
    "random": {"random:index/randomPassword:RandomPassword": random_password},
    "tls": {"tls:index/privateKey:PrivateKey": private_key,
            "tls:index/selfSignedCert:SelfSignedCert": self_signed_cert,
            "tls:index/certRequest:CertRequest": cert_request,
            "tls:index/locallySignedCert:LocallySignedCert": locally_signed_cert},
}


# --- the gRPC provider --------------------------------------------------------------------------------------


def _type_of(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def serve(package: str) -> None:
    import grpc
    from google.protobuf import empty_pb2, struct_pb2
    from google.protobuf.json_format import MessageToDict
    from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

    version = os.environ.get("KFT_LOCAL_PROVIDER_VERSION") or _requirement(package)

    def to_dict(s) -> dict[str, Any]:
        return MessageToDict(s) if s is not None else {}

    def to_struct(d: dict[str, Any]):
        s = struct_pb2.Struct()
        s.update(d)
        return s

    class Provider(provider_pb2_grpc.ResourceProviderServicer):
        def GetPluginInfo(self, request, context):
            return plugin_pb2.PluginInfo(version=version)

        def GetSchema(self, request, context):
            return provider_pb2.GetSchemaResponse(schema="{}")

        def CheckConfig(self, request, context):
            return provider_pb2.CheckResponse(inputs=request.news)

        def DiffConfig(self, request, context):
            return provider_pb2.DiffResponse()

        def Configure(self, request, context):
            return provider_pb2.ConfigureResponse(acceptSecrets=False, supportsPreview=False)

        def Check(self, request, context):
            kind = _type_of(request.urn)
            if kind not in RESOURCES[package]:
                return provider_pb2.CheckResponse(failures=[provider_pb2.CheckFailure(
                    property="", reason=f"{kind} is not implemented by the local {package} provider")])
            return provider_pb2.CheckResponse(inputs=request.news)

        def Diff(self, request, context):
            # Outputs repeat the inputs, so they stand in for old inputs when the engine sends none.
            news = to_dict(request.news)
            olds = to_dict(request.old_inputs)
            keys = set(olds) | set(news) if olds else set(news)
            olds = olds or to_dict(request.olds)
            changed = sorted(k for k in keys if olds.get(k) != news.get(k))
            if not changed:
                return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)
            return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_SOME, replaces=changed,
                                             diffs=changed, deleteBeforeReplace=False)

        def Create(self, request, context):
            kind = _type_of(request.urn)
            inputs = to_dict(request.properties)
            try:
                outputs = RESOURCES[package][kind](inputs)
            except Exception as exc:  # reported to the engine as the operation's error
                context.abort(grpc.StatusCode.UNKNOWN, f"{kind}: {exc}")
            return provider_pb2.CreateResponse(id=secrets.token_hex(8), properties=to_struct(outputs))

        def Read(self, request, context):
            props = to_dict(request.properties)
            return provider_pb2.ReadResponse(id=request.id, properties=request.properties,
                                              inputs=request.inputs if request.inputs.fields else to_struct(props))

        def Update(self, request, context):  # every input change replaces; nothing reaches here but no-ops
            return provider_pb2.UpdateResponse(properties=request.olds)

        def Delete(self, request, context):
            return empty_pb2.Empty()

        def Cancel(self, request, context):
            return empty_pb2.Empty()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                         options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)])
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(Provider(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


# --- registration -------------------------------------------------------------------------------------------


def _requirement(package: str) -> str:
    req = HERE.parents[1] / "requirements.txt"
    for line in req.read_text().splitlines() if req.is_file() else []:
        m = re.match(rf"^pulumi-{package}==(\S+)", line.strip())
        if m:
            return m.group(1)
    raise SystemExit(f"pulumi-{package} is not pinned in {req}")


def install() -> None:
    """Register a wrapper per package under $PULUMI_HOME/plugins, where `pulumi plugin install --file` puts
    plugins; skipped for a package whose plugin is already there (an official one wins)."""
    import grpc  # noqa: F401

    home = Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    for package in RESOURCES:
        version = _requirement(package)
        folder = home / "plugins" / f"resource-{package}-v{version}"
        binary = folder / f"pulumi-resource-{package}"
        if binary.exists() and "pulumi-resource-local.py" not in binary.read_text(errors="ignore")[:400]:
            print(f"plugin {package} {version}: {binary} exists, left as it is")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        binary.write_text(f"#!/bin/sh\nKFT_LOCAL_PROVIDER_VERSION={version} exec '{sys.executable}' '{HERE}' "
                          f"--serve {package} \"$@\"\n")
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        (home / "plugins" / f"resource-{package}-v{version}.lock").touch()
        print(f"plugin {package} {version}: registered {binary} (local stand-in, tools/pulumi-resource-local.py)")
    subprocess.run(["pulumi", "plugin", "ls"], check=False, capture_output=True)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
    elif len(sys.argv) >= 2 and sys.argv[1] == "--install":
        install()
    else:
        raise SystemExit("usage: pulumi-resource-local.py --install | --serve random|tls")
