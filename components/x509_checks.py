"""Checks on the PEM that crosses stacks in the clear: a party's certificate request, and the certificate the
exchange sends back.

The exchange signs whatever request a party stack exports, and pulumi-tls copies the request's subject and
names into the certificate. So before signing, the exchange makes sure the request names only the party it is
listed as (``<partyId>.<domain>``): otherwise one party could obtain a certificate for another's name and
answer for it behind ATS. The party, in turn, installs a certificate only for its own current key: right after
it replaced its key, the exchange still exports the certificate of the old one until its next run.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

CSR_MARKER = "-----BEGIN CERTIFICATE REQUEST-----"
MIN_RSA_BITS = 2048
CURVES = ("secp256r1", "secp384r1", "secp521r1")


def _key_problem(key: object) -> str | None:
    if isinstance(key, rsa.RSAPublicKey):
        return None if key.key_size >= MIN_RSA_BITS else f"an RSA key of {key.key_size} bits (at least 2048)"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return None if key.curve.name in CURVES else f"an ECDSA key on {key.curve.name} (P256, P384 or P521)"
    return f"a {type(key).__name__} key (RSA or ECDSA only)"


def _names_problem(csr: x509.CertificateSigningRequest, fqdn: str) -> str | None:
    cns = [str(a.value) for a in csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    if cns != [fqdn]:
        return f"its subject CN is {cns}, not [{fqdn!r}]"
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return f"it carries no DNS name (expected exactly {fqdn!r})"
    names = [str(n.value) for n in san]
    if san.get_values_for_type(x509.DNSName) != [fqdn] or len(names) != 1:
        return f"its subject alternative names are {names}, not exactly [{fqdn!r}]"
    return None


def csr_problem(pem: str, fqdn: str) -> str | None:
    """Why the exchange must not sign this request for ``fqdn``; None when it may."""
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
    except ValueError as exc:
        return f"not a PEM certificate request ({exc})"
    try:
        valid = csr.is_signature_valid
        key = csr.public_key()
    except (UnsupportedAlgorithm, ValueError) as exc:
        return f"its key cannot be read ({exc})"
    if not valid:
        return "its signature does not verify (the request was altered or not made with its key)"
    return _key_problem(key) or _names_problem(csr, fqdn)


def _spki(key: object) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)  # type: ignore[attr-defined]


def certificate_matches_key(cert_pem: str, public_key_pem: str) -> bool:
    """The certificate was issued for this public key (compared as DER SubjectPublicKeyInfo)."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        return _spki(cert.public_key()) == _spki(load_pem_public_key(public_key_pem.encode()))
    except (ValueError, UnsupportedAlgorithm):
        return False
