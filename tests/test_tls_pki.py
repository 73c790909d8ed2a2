"""Federation PKI under mocks: subjects, usages, and that every certificate is signed by the federation CA."""

from __future__ import annotations

from components.exchange.tls import FederationPki, FederationPkiArgs
from models.exchange import CertificatesConfig

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


def build(harness, party_ids=(30000, 40000), **cert_cfg) -> FederationPki:
    cfg = CertificatesConfig.model_validate(cert_cfg)
    return harness.run(lambda: FederationPki("fed", FederationPkiArgs("fate.org", list(party_ids), cfg)))


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


def test_party_certificates_name_the_party_and_are_server_certs(harness):
    mock_pki(harness)
    build(harness)
    for party in (30000, 40000):
        csr = harness.mocks.one(CSR, f"fed-party-{party}-csr")
        assert csr.inputs["subject"]["commonName"] == f"{party}.fate.org"
        assert csr.inputs["dnsNames"] == [f"{party}.fate.org"]
        assert secret_value(csr.inputs["privateKeyPem"]) == f"KEY:fed-party-{party}-key"
        cert = harness.mocks.one(CERT, f"fed-party-{party}-cert")
        assert "server_auth" in cert.inputs["allowedUses"]
        assert not cert.inputs.get("isCaCertificate")
        assert harness.mocks.one(KEY, f"fed-party-{party}-key").inputs["rsaBits"] == 2048


def test_every_certificate_is_signed_by_the_federation_ca(harness):
    mock_pki(harness)
    build(harness)
    certs = harness.mocks.of_type(CERT)
    assert {c.name for c in certs} == {"fed-ats-cert", "fed-party-30000-cert", "fed-party-40000-cert"}
    for cert in certs:
        prefix = cert.name.removesuffix("-cert")
        assert cert.inputs["caCertPem"] == "CA:fed-ca"
        assert secret_value(cert.inputs["caPrivateKeyPem"]) == "KEY:fed-ca-key"
        assert cert.inputs["certRequestPem"] == f"CSR:{prefix}-csr"


def test_ats_certificate_is_proxy_domain(harness):
    mock_pki(harness)
    pki = build(harness)
    csr = harness.mocks.one(CSR, "fed-ats-csr")
    assert csr.inputs["subject"]["commonName"] == "proxy.fate.org"
    assert csr.inputs["dnsNames"] == ["proxy.fate.org"]
    assert harness.value(pki.ats.cert_pem) == "CERT:fed-ats-cert"
    assert harness.is_secret(pki.ats.key_pem)


def test_party_bundle_is_secret_pkcs8_with_ca(harness):
    mock_pki(harness)
    pki = build(harness)
    for party in (30000, 40000):
        bundle = pki.party_tls[party]
        assert harness.is_secret(bundle)
        assert harness.value(bundle) == {
            "certPem": f"CERT:fed-party-{party}-cert",
            "keyPkcs8Pem": f"PK8:fed-party-{party}-key",
            "caPem": "CA:fed-ca",
        }


def test_validity_renewal_and_ecdsa_policy(harness):
    mock_pki(harness)
    build(harness, (30000,), validityHours=2000, earlyRenewalHours=100, keyAlgorithm="ECDSA", ecdsaCurve="P384")
    cert = harness.mocks.one(CERT, "fed-party-30000-cert")
    assert cert.inputs["validityPeriodHours"] == 2000 and cert.inputs["earlyRenewalHours"] == 100
    key = harness.mocks.one(KEY, "fed-party-30000-key")
    assert key.inputs["algorithm"] == "ECDSA" and key.inputs["ecdsaCurve"] == "P384"
    assert "rsaBits" not in key.inputs


def test_no_parties_still_issues_ca_and_ats(harness):
    mock_pki(harness)
    pki = build(harness, ())
    assert pki.party_tls == {}
    assert {c.name for c in harness.mocks.of_type(CERT)} == {"fed-ats-cert"}


def test_resources_are_children_of_the_pki(harness):
    mock_pki(harness)
    build(harness)
    for r in harness.mocks.registered:
        if r.typ.startswith("tls:"):
            assert r.parent_type == "kubefate:index:FederationPki", r.name
