"""Real keys, certificate requests and certificates for the tests of the request/sign/install path.

Mocks return only what a test gives them, and the exchange parses the requests it signs and a party checks the
certificate it gets back against its key, so these tests hand real PEM through the mocks. ECDSA P-256 keeps
them fast; every value is cached per name.
"""

from __future__ import annotations

import datetime as dt
import functools

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from cryptography.x509.oid import NameOID

PRIVATE_KEY_MARKERS = ("PRIVATE KEY-----",)  # BEGIN PRIVATE KEY, BEGIN RSA/EC PRIVATE KEY


@functools.cache
def key(label: str) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def pkcs8_pem(label: str) -> str:
    return key(label).private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def public_pem(label: str) -> str:
    return key(label).public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@functools.cache
def request(label: str, cn: str, names: tuple[str, ...] | None = None) -> str:
    """A request signed with ``key(label)`` for CN ``cn`` and DNS names ``names`` (default: just ``cn``)."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(cn))
    builder = builder.add_extension(
        x509.SubjectAlternativeName([x509.DNSName(n) for n in (names if names is not None else (cn,))]),
        critical=False,
    )
    return builder.sign(key(label), hashes.SHA256()).public_bytes(Encoding.PEM).decode()


@functools.cache
def certificate(label: str, cn: str, ca_label: str = "ca") -> str:
    """A certificate for ``key(label)`` signed by ``key(ca_label)`` (issuer = CN of the CA label)."""
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(ca_label))
        .public_key(key(label).public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
        .sign(key(ca_label), hashes.SHA256())
    )
    return cert.public_bytes(Encoding.PEM).decode()


def ca_certificate(label: str = "ca") -> str:
    return certificate(label, label, label)
