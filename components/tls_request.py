"""A private key and the certificate request made with it (pulumi-tls), for whoever owns the key: the exchange
for its ATS certificate, each party for its Pulsar broker (components/party_tls.py)."""

from __future__ import annotations

import pulumi
import pulumi_tls as tls

from components.exchange.cert_plan import KeySpec, RequestSpec
from components.provider_input import ProviderInput


def subject(common_name: str, organization: str) -> ProviderInput:
    return {"common_name": common_name, "organization": organization}


def private_key(name: str, key: KeySpec, opts: pulumi.ResourceOptions) -> tls.PrivateKey:
    return tls.PrivateKey(name, algorithm=key.algorithm, rsa_bits=key.rsa_bits, ecdsa_curve=key.ecdsa_curve, opts=opts)


def key_and_request(
    name: str, spec: RequestSpec, opts: pulumi.ResourceOptions
) -> tuple[tls.PrivateKey, tls.CertRequest]:
    """Resources ``<name>-key`` and ``<name>-csr``."""
    key = private_key(f"{name}-key", spec.key, opts)
    csr = tls.CertRequest(
        f"{name}-csr",
        private_key_pem=key.private_key_pem,
        subject=subject(spec.common_name, spec.organization),
        dns_names=list(spec.dns_names),
        opts=opts,
    )
    return key, csr
