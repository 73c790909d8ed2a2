"""The local helpers the federation's e2e runs depend on, without a cluster or Pulumi: the volume the
provisioner binds a claim to, and the random/tls stand-in provider's outputs (tools/pulumi-resource-local.py).
"""

from __future__ import annotations

import importlib.util
import string

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.e2e.federation_fixtures import REPO
from tests.e2e.local_provisioner import STORAGE_CLASS, storage_class, volume_for


def _standin():
    spec = importlib.util.spec_from_file_location("pulumi_resource_local", REPO / "tools" / "pulumi-resource-local.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_volume_matches_and_is_prebound_to_its_claim():
    claim = {"metadata": {"name": "persistence-mysql-0", "namespace": "fate-30000", "uid": "u-1"},
             "spec": {"storageClassName": STORAGE_CLASS, "accessModes": ["ReadWriteOnce"],
                      "resources": {"requests": {"storage": "1Gi"}}}}
    pv = volume_for(claim)
    assert pv["spec"]["capacity"] == {"storage": "1Gi"}
    assert pv["spec"]["storageClassName"] == STORAGE_CLASS
    assert pv["spec"]["claimRef"] == {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                      "namespace": "fate-30000", "name": "persistence-mysql-0", "uid": "u-1"}
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert storage_class()["volumeBindingMode"] == "Immediate"


def test_standin_password_honours_length_classes_and_minimums():
    out = _standin().random_password({"length": 32, "special": False, "minLower": 2, "minUpper": 2,
                                      "minNumeric": 2})
    result = out["result"]
    assert len(result) == 32
    assert set(result) <= set(string.ascii_letters + string.digits)
    assert sum(c.isdigit() for c in result) >= 2 and sum(c.isupper() for c in result) >= 2


def test_standin_certificates_chain_to_their_ca_with_the_requested_names():
    m = _standin()
    ca_key = m.private_key({"algorithm": "RSA", "rsaBits": 2048})
    ca = m.self_signed_cert({"privateKeyPem": ca_key["privateKeyPem"], "isCaCertificate": True,
                             "subject": {"commonName": "fate.org federation CA", "organization": "fate"},
                             "allowedUses": ["cert_signing", "crl_signing"], "validityPeriodHours": 48})
    key = m.private_key({"algorithm": "ECDSA", "ecdsaCurve": "P256"})
    csr = m.cert_request({"privateKeyPem": key["privateKeyPem"], "subject": {"common_name": "30000.fate.org"},
                          "dnsNames": ["30000.fate.org"]})
    issued = m.locally_signed_cert({"certRequestPem": csr["certRequestPem"], "caCertPem": ca["certPem"],
                                    "caPrivateKeyPem": ca_key["privateKeyPem"], "validityPeriodHours": 24,
                                    "allowedUses": ["digital_signature", "key_encipherment", "server_auth"]})
    ca_cert = x509.load_pem_x509_certificate(ca["certPem"].encode())
    cert = x509.load_pem_x509_certificate(issued["certPem"].encode())
    cert.verify_directly_issued_by(ca_cert)
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["30000.fate.org"]
    assert key["privateKeyPemPkcs8"].startswith("-----BEGIN PRIVATE KEY-----")
    serialization.load_pem_private_key(key["privateKeyPemPkcs8"].encode(), password=None)
