"""PartyTls: the party's own Pulsar broker key and its certificate request; the key never leaves this stack.

The party exports the request (public); the exchange's CA signs it and exports the certificate, which comes
back here when the party reads the exchange's outputs (stacks/federation_links.py). The bundle for Secret
``pulsar-cert`` is the party's key with that certificate and the CA, and only when the certificate is for this
very key: after the key was replaced, the exchange still exports the old key's certificate until it has run
again, and a broker given a certificate that does not match its key cannot start its TLS listener.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from components.contracts import IssuedCert, PulsarTls
from components.exchange.cert_plan import party_request
from components.tls_request import key_and_request
from components.x509_checks import certificate_matches_key
from models.key_policy import KeyPolicy

TYPE = "kubefate:index:PartyTls"


@dataclass
class PartyTlsArgs:
    party_id: int
    domain: str  # the exchange's: the request names <partyId>.<domain>
    policy: KeyPolicy
    issued: pulumi.Input[IssuedCert | None]
    """Read back from the exchange stack: None (or an Output resolving to None) until it signed a request."""
    provider: tls.Provider | None = None  # the stack passes its own; None = the default tls provider


def pulsar_bundle(issued: IssuedCert | None, key_pkcs8_pem: str, public_key_pem: str) -> PulsarTls | None:
    """The ``pulsar-cert`` contents, or None while the exchange has no certificate for this key."""
    if not issued or not certificate_matches_key(issued["certPem"], public_key_pem):
        return None
    return PulsarTls(certPem=issued["certPem"], keyPkcs8Pem=key_pkcs8_pem, caPem=issued["caPem"])


def _report(party_id: int, issued: IssuedCert | None, bundle: PulsarTls | None) -> None:
    if issued and bundle is None:
        pulumi.log.warn(
            f"party {party_id}: the exchange's certificate is for another key (this party's key was replaced "
            "since it signed): Pulsar TLS stays off until the exchange stack has run again and this one after "
            "it (python -m federation up does both)"
        )


class PartyTls(pulumi.ComponentResource):
    """Outputs: ``csr_pem`` (public, exported as ``pulsarCsr``), ``bundle`` (secret PulsarTls, None until the
    exchange signed this key's request)."""

    csr_pem: pulumi.Output[str]
    bundle: pulumi.Output[PulsarTls | None]

    def __init__(self, name: str, args: PartyTlsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        spec = party_request(args.party_id, args.domain, args.policy)
        key, csr = key_and_request(name, spec, child)
        self.csr_pem = csr.cert_request_pem
        issued = pulumi.Output.from_input(args.issued)
        bundle = pulumi.Output.all(issued, key.private_key_pem_pkcs8, key.public_key_pem).apply(
            lambda v: pulsar_bundle(v[0], v[1], v[2])
        )
        pulumi.Output.all(issued, bundle).apply(lambda v: _report(args.party_id, v[0], v[1]))
        self.bundle = pulumi.Output.secret(bundle)
        self.register_outputs({"csr_pem": self.csr_pem, "bundle": self.bundle})
