"""Keys stay with their party: what the exchange accepts to sign, and what the party installs.

Real requests and certificates (``cryptography``): the checks parse PEM, so placeholders would prove nothing.
"""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from components.contracts import IssuedCert
from components.exchange.cert_plan import party_request, party_signing
from components.party_tls import PartyTls, PartyTlsArgs, pulsar_bundle
from components.x509_checks import certificate_matches_key, csr_problem
from models.exchange import CertificatesConfig
from models.party import PartyCertificate
from tests import x509_fixtures as x5

FQDN = "30000.fate.org"


def test_the_request_the_exchange_used_to_make_is_what_the_party_makes():
    spec = party_request(30000, "fate.org", PartyCertificate.model_validate({}))
    assert (spec.common_name, spec.dns_names, spec.organization) == (FQDN, (FQDN,), "kubefate-tanzu federation")
    assert (spec.key.algorithm, spec.key.rsa_bits) == ("RSA", 2048)
    signing = party_signing(CertificatesConfig.model_validate({}))
    assert signing.allowed_uses == ("digital_signature", "key_encipherment", "server_auth")
    assert (signing.validity_hours, signing.early_renewal_hours) == (8760, 720)


def test_a_request_for_exactly_the_partys_name_may_be_signed():
    assert csr_problem(x5.request("30000", FQDN), FQDN) is None


@pytest.mark.parametrize(
    ("pem", "why"),
    [
        (x5.request("30000", "40000.fate.org"), "subject CN"),
        (x5.request("30000", FQDN, ("40000.fate.org",)), "subject alternative names"),
        (x5.request("30000", FQDN, (FQDN, "proxy.fate.org")), "subject alternative names"),
        (x5.request("30000", FQDN, ()), "subject alternative names"),
        ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "not a PEM"),
        (x5.certificate("30000", FQDN), "not a PEM certificate request"),
    ],
)
def test_a_request_naming_anything_else_is_refused(pem, why):
    problem = csr_problem(pem, FQDN)
    assert problem is not None and why in problem


def _request_with(private_key, cn: str = FQDN) -> str:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)])
    )
    builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
    return builder.sign(private_key, hashes.SHA256()).public_bytes(Encoding.PEM).decode()


def test_weak_keys_are_refused():
    weak_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert "RSA key of 1024 bits" in str(csr_problem(_request_with(weak_rsa), FQDN))
    odd_curve = ec.generate_private_key(ec.SECP256K1())
    assert "secp256k1" in str(csr_problem(_request_with(odd_curve), FQDN))


def test_a_certificate_matches_only_the_key_it_was_issued_for():
    cert = x5.certificate("30000", FQDN)
    assert certificate_matches_key(cert, x5.public_pem("30000"))
    assert not certificate_matches_key(cert, x5.public_pem("40000"))
    assert not certificate_matches_key("not pem", x5.public_pem("30000"))


def test_the_bundle_is_the_partys_key_with_the_exchanges_certificate_for_it():
    issued = IssuedCert(certPem=x5.certificate("30000", FQDN), caPem=x5.ca_certificate())
    bundle = pulsar_bundle(issued, x5.pkcs8_pem("30000"), x5.public_pem("30000"))
    assert bundle == {"certPem": issued["certPem"], "keyPkcs8Pem": x5.pkcs8_pem("30000"), "caPem": issued["caPem"]}
    assert pulsar_bundle(None, x5.pkcs8_pem("30000"), x5.public_pem("30000")) is None
    stale = IssuedCert(certPem=x5.certificate("old", FQDN), caPem=x5.ca_certificate())
    assert pulsar_bundle(stale, x5.pkcs8_pem("30000"), x5.public_pem("30000")) is None


def test_component_outputs_the_request_in_clear_and_the_bundle_as_a_secret(harness):
    harness.mocks.on_new["tls:index/privateKey:PrivateKey"] = lambda a: {
        "privateKeyPemPkcs8": x5.pkcs8_pem("30000"),
        "publicKeyPem": x5.public_pem("30000"),
    }
    issued = IssuedCert(certPem=x5.certificate("30000", FQDN), caPem=x5.ca_certificate())
    policy = PartyCertificate.model_validate({})
    own = harness.run(lambda: PartyTls("pulsar-tls", PartyTlsArgs(30000, "fate.org", policy, issued)))
    assert not harness.is_secret(own.csr_pem)
    assert harness.is_secret(own.bundle)
    assert harness.value(own.bundle)["keyPkcs8Pem"] == x5.pkcs8_pem("30000")
    assert {r.name for r in harness.mocks.registered if r.typ.startswith("tls:")} == {
        "pulsar-tls-key",
        "pulsar-tls-csr",
    }
