"""A real X.509 chain built from the certificate plan, checked with ``cryptography``'s path validator.

Under mocks pulumi-tls returns only its inputs, so the mock tests cannot show the chain is valid. Here each
CertSpec becomes a certificate the way the tls provider builds one (Go's x509: basic constraints always, key
usages from ``allowed_uses``, authority key id copied from the issuer's subject key id), then is verified as
a TLS client verifies ``<partyId>.<domain>``: the check Pulsar clients and ATS make against ``ca.cert.pem``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from components.exchange.cert_plan import CertSpec, ca_spec, server_spec
from models.exchange import CertificatesConfig

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY_USAGES = {
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "cert_signing",
    "crl_signing",
    "encipher_only",
    "decipher_only",
}
EKU = {"server_auth": ExtendedKeyUsageOID.SERVER_AUTH, "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH}


def make_key(spec: CertSpec):
    if spec.key.algorithm == "ECDSA":
        return ec.generate_private_key({"P256": ec.SECP256R1(), "P384": ec.SECP384R1()}[str(spec.key.ecdsa_curve)])
    # A small key keeps the test fast; the size policy itself is asserted separately.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def build_cert(spec: CertSpec, key, issuer_cert=None, issuer_key=None):
    uses = set(spec.allowed_uses)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, spec.common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, spec.organization),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.subject if issuer_cert else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(hours=1))
        .not_valid_after(NOW + dt.timedelta(hours=spec.validity_hours))
        .add_extension(x509.BasicConstraints(ca=spec.is_ca, path_length=None), critical=True)
    )
    ku = {u: (u in uses) for u in KEY_USAGES}
    if any(ku.values()):
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=ku["digital_signature"],
                content_commitment=ku["content_commitment"],
                key_encipherment=ku["key_encipherment"],
                data_encipherment=ku["data_encipherment"],
                key_agreement=ku["key_agreement"],
                key_cert_sign=ku["cert_signing"],
                crl_sign=ku["crl_signing"],
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    ekus = [EKU[u] for u in uses if u in EKU]
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    if spec.dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in spec.dns_names]), critical=False
        )
    if spec.subject_key_id:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    if issuer_cert is not None:
        try:
            ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
            )
        except x509.ExtensionNotFound:
            pass  # Go copies the issuer's SKI only when it has one
    return builder.sign(issuer_key or key, hashes.SHA256())


def federation(cfg: CertificatesConfig, ca_ski: bool = True):
    ca = ca_spec("fate.org", cfg)
    if not ca_ski:
        ca = dataclasses.replace(ca, subject_key_id=False)
    ca_key = make_key(ca)
    ca_cert = build_cert(ca, ca_key)
    leaves = {}
    for fqdn in ("30000.fate.org", "40000.fate.org", "proxy.fate.org"):
        spec = server_spec(fqdn, cfg)
        key = make_key(spec)
        leaves[fqdn] = (build_cert(spec, key, ca_cert, ca_key), key)
    return ca_cert, leaves


def verify(ca_cert, leaf, fqdn: str):
    verifier = PolicyBuilder().store(Store([ca_cert])).time(NOW).build_server_verifier(x509.DNSName(fqdn))
    return verifier.verify(leaf, [])


@pytest.mark.parametrize("algorithm", ["RSA", "ECDSA"])
def test_every_server_certificate_chains_to_the_federation_ca(algorithm):
    ca_cert, leaves = federation(CertificatesConfig.model_validate({"keyAlgorithm": algorithm}))
    for fqdn, (leaf, _) in leaves.items():
        chain = verify(ca_cert, leaf, fqdn)
        assert chain[-1] == ca_cert


def test_a_party_certificate_does_not_answer_for_another_party():
    ca_cert, leaves = federation(CertificatesConfig.model_validate({}))
    with pytest.raises(VerificationError):
        verify(ca_cert, leaves["30000.fate.org"][0], "40000.fate.org")


def test_a_certificate_from_another_federation_is_refused():
    ca_a, _ = federation(CertificatesConfig.model_validate({}))
    _, leaves_b = federation(CertificatesConfig.model_validate({}))
    with pytest.raises(VerificationError):
        verify(ca_a, leaves_b["30000.fate.org"][0], "30000.fate.org")


def test_the_ca_subject_key_id_is_what_makes_the_chain_buildable():
    assert ca_spec("fate.org", CertificatesConfig.model_validate({})).subject_key_id
    ca_cert, leaves = federation(CertificatesConfig.model_validate({}), ca_ski=False)
    with pytest.raises(VerificationError):
        verify(ca_cert, leaves["30000.fate.org"][0], "30000.fate.org")


def test_pkcs8_form_of_the_party_key_is_what_pulsar_loads():
    _, leaves = federation(CertificatesConfig.model_validate({}))
    leaf, key = leaves["30000.fate.org"]
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = load_pem_private_key(pem, password=None)
    leaf_key = leaf.public_key()
    assert isinstance(loaded, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    assert isinstance(leaf_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey)
    assert loaded.public_key().public_numbers() == leaf_key.public_numbers()


def test_plan_key_sizes_and_lifetimes():
    cfg = CertificatesConfig.model_validate({})
    assert ca_spec("fate.org", cfg).key.rsa_bits == 4096
    assert server_spec("1.fate.org", cfg).key.rsa_bits == 2048
    assert ca_spec("fate.org", cfg).validity_hours >= server_spec("1.fate.org", cfg).validity_hours
    assert ca_spec("fate.org", cfg).early_renewal_hours == 0


def test_a_partys_own_request_signed_by_the_plan_chains_for_its_name():
    """The party's request (party_request) signed as the exchange signs it (party_signing): what pulumi-tls
    copies from the request (subject, names) and adds (usages, lifetime) chains like the certificates before."""
    from components.exchange.cert_plan import party_request, party_signing
    from components.x509_checks import csr_problem
    from models.party import PartyCertificate

    cfg = CertificatesConfig.model_validate({})
    ca = ca_spec("fate.org", cfg)
    ca_key = make_key(ca)
    ca_cert = build_cert(ca, ca_key)
    request = party_request(30000, "fate.org", PartyCertificate.model_validate({}))
    signing = party_signing(cfg)
    spec = CertSpec(
        common_name=request.common_name,
        dns_names=request.dns_names,
        allowed_uses=signing.allowed_uses,
        is_ca=False,
        validity_hours=signing.validity_hours,
        early_renewal_hours=signing.early_renewal_hours,
        organization=request.organization,
        key=request.key,
    )
    key = make_key(spec)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, request.common_name)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in request.dns_names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    assert csr_problem(csr.public_bytes(Encoding.PEM).decode(), "30000.fate.org") is None
    leaf = build_cert(spec, key, ca_cert, ca_key)
    assert verify(ca_cert, leaf, "30000.fate.org")[-1] == ca_cert
    with pytest.raises(VerificationError):
        verify(ca_cert, leaf, "40000.fate.org")
