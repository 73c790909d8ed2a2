"""The federation's PKI (pulumi-tls): one CA, the ATS certificate, one Pulsar broker certificate per party.

Resources are keyed by party id with stable names, so adding or removing a party creates or deletes only
that party's key and certificate. Every private key leaves this component wrapped in ``Output.secret``: the
provider marks them secret in real runs, but being explicit keeps them secret whatever produced them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from components.contracts import PulsarTls
from components.exchange.cert_plan import CertSpec, ca_spec, server_spec
from components.provider_input import ProviderInput
from models.exchange import CertificatesConfig


@dataclass
class FederationPkiArgs:
    domain: str
    party_ids: list[int]
    certificates: CertificatesConfig
    provider: tls.Provider | None = None  # the stack passes its own; None = the default tls provider


@dataclass
class IssuedCert:
    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]  # secret
    key_pkcs8_pem: pulumi.Output[str]  # secret


class FederationPki(pulumi.ComponentResource):
    """Outputs: ``ca_cert_pem``, ``ats`` (proxy.<domain>), ``party_tls`` (party id -> secret PulsarTls)."""

    def __init__(self, name: str, args: FederationPkiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubefate:index:FederationPki", name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        cfg = args.certificates
        ca = ca_spec(args.domain, cfg)
        self._ca_key = self._private_key(f"{name}-ca-key", ca)
        self._ca_cert = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=self._ca_key.private_key_pem,
            is_ca_certificate=True,
            set_subject_key_id=ca.subject_key_id,
            subject=_subject(ca),
            allowed_uses=list(ca.allowed_uses),
            validity_period_hours=ca.validity_hours,
            early_renewal_hours=ca.early_renewal_hours,
            opts=self._child,
        )
        self.ca_cert_pem: pulumi.Output[str] = self._ca_cert.cert_pem
        self.ats = self._issue(f"{name}-ats", server_spec(f"proxy.{args.domain}", cfg))
        self.party_tls: dict[int, pulumi.Output[PulsarTls]] = {}
        for party_id in sorted(args.party_ids):
            issued = self._issue(f"{name}-party-{party_id}", server_spec(f"{party_id}.{args.domain}", cfg))
            self.party_tls[party_id] = pulumi.Output.secret(
                pulumi.Output.all(
                    issued.cert_pem,
                    issued.key_pkcs8_pem,
                    self.ca_cert_pem,
                ).apply(lambda v: PulsarTls(certPem=v[0], keyPkcs8Pem=v[1], caPem=v[2]))
            )
        self.register_outputs(
            {
                "caCertPem": self.ca_cert_pem,
                "atsCertPem": self.ats.cert_pem,
                "partyTls": {str(p): tls_out for p, tls_out in self.party_tls.items()},
            }
        )

    def _private_key(self, name: str, spec: CertSpec) -> tls.PrivateKey:
        return tls.PrivateKey(
            name,
            algorithm=spec.key.algorithm,
            rsa_bits=spec.key.rsa_bits,
            ecdsa_curve=spec.key.ecdsa_curve,
            opts=self._child,
        )

    def _issue(self, name: str, spec: CertSpec) -> IssuedCert:
        key = self._private_key(f"{name}-key", spec)
        csr = tls.CertRequest(
            f"{name}-csr",
            private_key_pem=key.private_key_pem,
            subject=_subject(spec),
            dns_names=list(spec.dns_names),
            opts=self._child,
        )
        cert = tls.LocallySignedCert(
            f"{name}-cert",
            cert_request_pem=csr.cert_request_pem,
            ca_cert_pem=self._ca_cert.cert_pem,
            ca_private_key_pem=self._ca_key.private_key_pem,
            allowed_uses=list(spec.allowed_uses),
            validity_period_hours=spec.validity_hours,
            early_renewal_hours=spec.early_renewal_hours,
            opts=self._child,
        )
        return IssuedCert(
            cert_pem=cert.cert_pem,
            key_pem=pulumi.Output.secret(key.private_key_pem),
            key_pkcs8_pem=pulumi.Output.secret(key.private_key_pem_pkcs8),
        )


def _subject(spec: CertSpec) -> ProviderInput:
    return {"common_name": spec.common_name, "organization": spec.organization}
