"""What the federation's certificates hold, as plain data: the components turn it into pulumi-tls resources
and tests turn it into real X.509 certificates to check the chain (tests/test_tls_chain.py).

A party's request (``party_request``) is made by the party stack with its own key; the exchange only decides
how it signs it (``party_signing``) and checks the request names the party (components/x509_checks.py).

Key usages follow what Pulsar's and ATS's TLS stacks need from a server certificate; the CA carries a subject
key id so issued certificates get an authority key id, which strict verifiers require for path building.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.exchange import CertificatesConfig
from models.key_policy import KeyPolicy

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


@dataclass(frozen=True)
class RequestSpec:
    """What the key's owner puts into its certificate request; the signed certificate carries exactly this
    subject and these names (pulumi-tls copies them from the request)."""

    common_name: str
    dns_names: tuple[str, ...]
    organization: str
    key: KeySpec


@dataclass(frozen=True)
class SigningSpec:
    """What the signer adds: usages and lifetime are the CA's decision, never the requester's."""

    allowed_uses: tuple[str, ...]
    validity_hours: int
    early_renewal_hours: int


def key_spec(policy: KeyPolicy, rsa_bits: int | None = None) -> KeySpec:
    if policy.key_algorithm == "ECDSA":
        return KeySpec("ECDSA", None, policy.ecdsa_curve)
    return KeySpec("RSA", rsa_bits or policy.rsa_bits, None)


def party_fqdn(party_id: int, domain: str) -> str:
    """The SNI name ATS tunnels to the party's Pulsar, and its certificate's CN and only DNS name."""
    return f"{party_id}.{domain}"


def party_request(party_id: int, domain: str, policy: KeyPolicy) -> RequestSpec:
    fqdn = party_fqdn(party_id, domain)
    return RequestSpec(common_name=fqdn, dns_names=(fqdn,), organization=policy.organization, key=key_spec(policy))


def party_signing(cfg: CertificatesConfig) -> SigningSpec:
    return SigningSpec(SERVER_USES, cfg.validity_hours, cfg.early_renewal_hours)


def ca_spec(domain: str, cfg: CertificatesConfig) -> CertSpec:
    return CertSpec(
        common_name=f"{domain} federation CA",
        dns_names=(),
        allowed_uses=CA_USES,
        is_ca=True,
        validity_hours=cfg.ca_validity_hours,
        early_renewal_hours=0,  # a renewed CA invalidates every issued certificate: rotate it deliberately
        organization=cfg.organization,
        key=key_spec(cfg, cfg.ca_rsa_bits),
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
        key=key_spec(cfg),
    )


def request_of(spec: CertSpec) -> RequestSpec:
    return RequestSpec(spec.common_name, spec.dns_names, spec.organization, spec.key)


def signing_of(spec: CertSpec) -> SigningSpec:
    return SigningSpec(spec.allowed_uses, spec.validity_hours, spec.early_renewal_hours)
