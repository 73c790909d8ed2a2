"""Federation PKI under mocks: subjects, usages, that every certificate is signed by the federation CA, and
that a party's certificate is a signature on the request the party made (the exchange holds no party key)."""

from __future__ import annotations

import pytest

from components.exchange.tls import FederationPki, FederationPkiArgs
from models.exchange import CertificatesConfig
from tests import x509_fixtures as x5

KEY = "tls:index/privateKey:PrivateKey"
CA = "tls:index/selfSignedCert:SelfSignedCert"
CSR = "tls:index/certRequest:CertRequest"
CERT = "tls:index/locallySignedCert:LocallySignedCert"


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # how serialized inputs mark a secret (pulumi/runtime/rpc.py)


def secret_value(value):
    """The value inside a secret input; fails when the input was not secret."""
    assert isinstance(value, dict) and SECRET_SIG in value, f"not secret: {value!r}"
    return value["value"]


def mock_pki(harness) -> None:
    harness.mocks.on_new[KEY] = lambda a: {"privateKeyPem": f"KEY:{a.name}", "privateKeyPemPkcs8": f"PK8:{a.name}"}
    harness.mocks.on_new[CA] = lambda a: {"certPem": f"CA:{a.name}"}
    harness.mocks.on_new[CSR] = lambda a: {"certRequestPem": f"CSR:{a.name}"}
    harness.mocks.on_new[CERT] = lambda a: {"certPem": f"CERT:{a.name}"}


def requests_for(party_ids) -> dict:
    return {p: x5.request(str(p), f"{p}.fate.org") for p in party_ids}


def build(harness, party_ids=(30000, 40000), requests=None, **cert_cfg) -> FederationPki:
    cfg = CertificatesConfig.model_validate(cert_cfg)
    reqs = requests_for(party_ids) if requests is None else requests
    return harness.run(lambda: FederationPki("fed", FederationPkiArgs("fate.org", reqs, cfg)))


def test_one_ca_per_federation(harness):
    mock_pki(harness)
    build(harness)
    ca = harness.mocks.one(CA)
    assert ca.inputs["isCaCertificate"] is True
    assert ca.inputs["setSubjectKeyId"] is True
    assert set(ca.inputs["allowedUses"]) >= {"cert_signing", "crl_signing"}
    assert ca.inputs["subject"]["commonName"] == "fate.org federation CA"
    assert secret_value(ca.inputs["privateKeyPem"]) == "KEY:fed-ca-key"
    ca_key = harness.mocks.one(KEY, "fed-ca-key")
    assert ca_key.inputs["algorithm"] == "RSA" and ca_key.inputs["rsaBits"] == 4096


def test_party_certificates_sign_the_partys_own_request_and_are_server_certs(harness):
    mock_pki(harness)
    build(harness)
    for party in (30000, 40000):
        cert = harness.mocks.one(CERT, f"fed-party-{party}-cert")
        assert cert.inputs["certRequestPem"] == x5.request(str(party), f"{party}.fate.org")
        assert "server_auth" in cert.inputs["allowedUses"]
        assert not cert.inputs.get("isCaCertificate")
    assert {k.name for k in harness.mocks.of_type(KEY)} == {"fed-ca-key", "fed-ats-key"}
    assert {c.name for c in harness.mocks.of_type(CSR)} == {"fed-ats-csr"}


def test_every_certificate_is_signed_by_the_federation_ca(harness):
    mock_pki(harness)
    build(harness)
    certs = harness.mocks.of_type(CERT)
    assert {c.name for c in certs} == {"fed-ats-cert", "fed-party-30000-cert", "fed-party-40000-cert"}
    for cert in certs:
        assert cert.inputs["caCertPem"] == "CA:fed-ca"
        assert secret_value(cert.inputs["caPrivateKeyPem"]) == "KEY:fed-ca-key"
    assert harness.mocks.one(CERT, "fed-ats-cert").inputs["certRequestPem"] == "CSR:fed-ats-csr"


def test_ats_certificate_is_proxy_domain(harness):
    mock_pki(harness)
    pki = build(harness)
    csr = harness.mocks.one(CSR, "fed-ats-csr")
    assert csr.inputs["subject"]["commonName"] == "proxy.fate.org"
    assert csr.inputs["dnsNames"] == ["proxy.fate.org"]
    assert harness.value(pki.ats.cert_pem) == "CERT:fed-ats-cert"
    assert harness.is_secret(pki.ats.key_pem)


def test_party_certificate_outputs_are_public_pem(harness):
    mock_pki(harness)
    pki = build(harness)
    for party in (30000, 40000):
        assert not harness.is_secret(pki.party_certs[party])
        assert harness.value(pki.party_certs[party]) == f"CERT:fed-party-{party}-cert"


@pytest.mark.parametrize(
    ("request_pem", "why"),
    [
        (None, None),  # the party has not exported a request yet
        (x5.request("30000", "40000.fate.org"), "its subject CN is ['40000.fate.org']"),
        (x5.request("30000", "30000.fate.org", ("30000.fate.org", "40000.fate.org")), "subject alternative names"),
        (x5.request("30000", "30000.other.org"), "its subject CN is ['30000.other.org']"),
        ("-----BEGIN CERTIFICATE REQUEST-----\ngarbage\n-----END CERTIFICATE REQUEST-----\n", "not a PEM"),
    ],
)
def test_a_missing_or_foreign_request_is_not_signed(harness, caplog, request_pem, why):
    mock_pki(harness)
    pki = build(harness, requests={30000: request_pem, 40000: x5.request("40000", "40000.fate.org")})
    assert harness.value(pki.party_certs[30000]) is None
    assert {c.name for c in harness.mocks.of_type(CERT)} == {"fed-ats-cert", "fed-party-40000-cert"}
    if why:
        assert why in caplog.text and "Fix: the party's stack must request 30000.fate.org" in caplog.text


def test_validity_and_renewal_are_the_exchanges_key_policy_the_partys(harness):
    mock_pki(harness)
    build(harness, (30000,), validityHours=2000, earlyRenewalHours=100, keyAlgorithm="ECDSA", ecdsaCurve="P384")
    cert = harness.mocks.one(CERT, "fed-party-30000-cert")
    assert cert.inputs["validityPeriodHours"] == 2000 and cert.inputs["earlyRenewalHours"] == 100
    key = harness.mocks.one(KEY, "fed-ats-key")
    assert key.inputs["algorithm"] == "ECDSA" and key.inputs["ecdsaCurve"] == "P384"
    assert "rsaBits" not in key.inputs


def test_no_parties_still_issues_ca_and_ats(harness):
    mock_pki(harness)
    pki = build(harness, ())
    assert pki.party_certs == {}
    assert {c.name for c in harness.mocks.of_type(CERT)} == {"fed-ats-cert"}


def test_resources_are_children_of_the_pki(harness):
    mock_pki(harness)
    build(harness)
    for r in harness.mocks.registered:
        if r.typ.startswith("tls:"):
            assert r.parent_type == "kubefate:index:FederationPki", r.name
