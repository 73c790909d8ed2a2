"""What the federation CA issues, as plain data: the component turns it into pulumi-tls resources and a test
turns it into real X.509 certificates to check the chain (tests/test_tls_chain.py).

Key usages follow what Pulsar's and ATS's TLS stacks need from a server certificate; the CA carries a subject
key id so issued certificates get an authority key id, which strict verifiers require for path building.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.exchange import CertificatesConfig

CA_USES = ("cert_signing", "crl_signing", "digital_signature")
SERVER_USES = ("digital_signature", "key_encipherment", "server_auth")


@dataclass(frozen=True)
class KeySpec:
    algorithm: str  # RSA | ECDSA
    rsa_bits: int | None
    ecdsa_curve: str | None


@dataclass(frozen=True)
class CertSpec:
    common_name: str
    dns_names: tuple[str, ...]
    allowed_uses: tuple[str, ...]
    is_ca: bool
    validity_hours: int
    early_renewal_hours: int
    organization: str
    key: KeySpec
    subject_key_id: bool = False


def _key(cfg: CertificatesConfig, ca: bool) -> KeySpec:
    if cfg.key_algorithm == "ECDSA":
        return KeySpec("ECDSA", None, cfg.ecdsa_curve)
    return KeySpec("RSA", cfg.ca_rsa_bits if ca else cfg.rsa_bits, None)


def ca_spec(domain: str, cfg: CertificatesConfig) -> CertSpec:
    return CertSpec(
        common_name=f"{domain} federation CA",
        dns_names=(),
        allowed_uses=CA_USES,
        is_ca=True,
        validity_hours=cfg.ca_validity_hours,
        early_renewal_hours=0,  # a renewed CA invalidates every issued certificate: rotate it deliberately
        organization=cfg.organization,
        key=_key(cfg, ca=True),
        subject_key_id=True,
    )


def server_spec(fqdn: str, cfg: CertificatesConfig) -> CertSpec:
    return CertSpec(
        common_name=fqdn,
        dns_names=(fqdn,),
        allowed_uses=SERVER_USES,
        is_ca=False,
        validity_hours=cfg.validity_hours,
        early_renewal_hours=cfg.early_renewal_hours,
        organization=cfg.organization,
        key=_key(cfg, ca=False),
    )
