"""The federation's PKI (pulumi-tls): one CA, the ATS certificate, and a signature on each party's request.

Each party makes its own Pulsar key and exports only its certificate request (components/party_tls.py); the
exchange's state holds no party key, only the certificates it signed. A request is signed when it names the
party as the exchange lists it (components/x509_checks.py); a party without one (not deployed yet, or a
request for another name) stays pending with a warning, never a failed run. Requests arrive as plain values
(the stack reads them before registering anything, stacks/federation_links.py), so every signature is
registered while the component is built, never inside an ``apply``: a preview shows exactly the signatures
the update will make.

Certificates are keyed by party id with stable names, so adding or removing a party creates or deletes only
that party's certificate. The exchange's own private keys (CA, ATS) leave this component wrapped in
``Output.secret``: the provider marks them secret in real runs, but being explicit keeps them secret whatever
produced them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from components.exchange.cert_plan import (
    CertSpec,
    SigningSpec,
    ca_spec,
    party_fqdn,
    party_signing,
    request_of,
    server_spec,
    signing_of,
)
from components.tls_request import key_and_request, private_key, subject
from components.x509_checks import csr_problem
from models.exchange import CertificatesConfig


@dataclass
class FederationPkiArgs:
    domain: str
    # Party id -> its certificate request as read from its stack (a plain value); None = pending.
    requests: dict[int, str | None]
    certificates: CertificatesConfig
    provider: tls.Provider | None = None  # the stack passes its own; None = the default tls provider


@dataclass
class IssuedCert:
    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]  # secret


class FederationPki(pulumi.ComponentResource):
    """Outputs: ``ca_cert_pem``, ``ats`` (proxy.<domain>), ``party_certs`` (party id -> certificate PEM, None
    while the party's request is missing or refused)."""

    def __init__(self, name: str, args: FederationPkiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubefate:index:FederationPki", name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        cfg = args.certificates
        ca = ca_spec(args.domain, cfg)
        self._ca_key = private_key(f"{name}-ca-key", ca.key, self._child)
        self._ca_cert = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=self._ca_key.private_key_pem,
            is_ca_certificate=True,
            set_subject_key_id=ca.subject_key_id,
            subject=subject(ca.common_name, ca.organization),
            allowed_uses=list(ca.allowed_uses),
            validity_period_hours=ca.validity_hours,
            early_renewal_hours=ca.early_renewal_hours,
            opts=self._child,
        )
        self.ca_cert_pem: pulumi.Output[str] = self._ca_cert.cert_pem
        self.ats = self._issue(f"{name}-ats", server_spec(f"proxy.{args.domain}", cfg))
        self.party_certs: dict[int, pulumi.Output[str | None]] = {
            party_id: pulumi.Output.from_input(
                self._sign(f"{name}-party-{party_id}-cert", party_id, args.domain, cfg, args.requests[party_id])
            )
            for party_id in sorted(args.requests)
        }
        self.register_outputs(
            {
                "caCertPem": self.ca_cert_pem,
                "atsCertPem": self.ats.cert_pem,
                "partyCerts": {str(p): cert for p, cert in self.party_certs.items()},
            }
        )

    def _sign(
        self, name: str, party_id: int, domain: str, cfg: CertificatesConfig, csr: str | None
    ) -> pulumi.Output[str] | None:
        """The signature of a request the exchange accepts, or None (pending): judged on the plain request, so
        the decision and the registration happen before any Output resolves, in previews as in updates."""
        if not csr:
            return None
        fqdn = party_fqdn(party_id, domain)
        problem = csr_problem(csr, fqdn)
        if problem:
            pulumi.log.warn(
                f"party {party_id}: not signing its certificate request ({problem}); the party stays pending. "
                f"Fix: the party's stack must request {fqdn} with an RSA (2048 bits or more) or ECDSA key: set "
                f"its exchange.domain to {domain!r}, run it, then this stack"
            )
            return None
        return self._signed(name, csr, party_signing(cfg)).cert_pem

    def _signed(self, name: str, csr: pulumi.Input[str], signing: SigningSpec) -> tls.LocallySignedCert:
        return tls.LocallySignedCert(
            name,
            cert_request_pem=csr,
            ca_cert_pem=self._ca_cert.cert_pem,
            ca_private_key_pem=self._ca_key.private_key_pem,
            allowed_uses=list(signing.allowed_uses),
            validity_period_hours=signing.validity_hours,
            early_renewal_hours=signing.early_renewal_hours,
            opts=self._child,
        )

    def _issue(self, name: str, spec: CertSpec) -> IssuedCert:
        """A certificate for a key the exchange itself holds (ATS)."""
        key, csr = key_and_request(name, request_of(spec), self._child)
        cert = self._signed(f"{name}-cert", csr.cert_request_pem, signing_of(spec))
        return IssuedCert(cert_pem=cert.cert_pem, key_pem=pulumi.Output.secret(key.private_key_pem))
