"""What crosses stack boundaries: output names and the shapes behind them.

Party and exchange stacks are deployed separately and read each other's outputs (stacks/federation_links.py),
so the names and dict shapes here are a wire contract. Plain dicts (not classes) because they travel through
Pulumi state.
"""

from __future__ import annotations

from typing import TypedDict, TypeVar

PartyKey = TypeVar("PartyKey", bound=int | str)
"""A party id as a mapping key: stack outputs give strings, configuration gives ints; route code takes both."""

# --- party stack outputs (read by the exchange stack) ---------------------------------------------------------
PARTY_ID = "partyId"
NGINX_ENDPOINT = "nginxEndpoint"  # NginxEndpoint
PULSAR_ENDPOINT = "pulsarEndpoint"  # PulsarEndpoint
FATEBOARD_URL = "fateboardUrl"
NOTEBOOK_URL = "notebookUrl"
FEDERATION_STATUS = "federation"  # {"exchange": "connected" | "pending", ...}
PULSAR_CSR = "pulsarCsr"  # PEM certificate request for <partyId>.<domain>; public (the key stays in the party)

# --- exchange stack outputs (read by party stacks) ------------------------------------------------------------
EXCHANGE_ENDPOINT = "exchangeEndpoint"  # ExchangeEndpoint
CA_CERT = "caCert"  # PEM, public
FEDERATED_PARTIES = "federatedParties"  # list[int]: parties whose endpoints are in the route tables
PENDING_PARTIES = "pendingParties"  # list[int]: configured but no endpoints yet


def party_cert_output(party_id: int | str) -> str:
    """Output of the exchange stack holding the certificate (PEM, public) its CA signed for one party's
    ``pulsarCsr``; null while there is no request to sign. One name per party."""
    return f"pulsarCert{party_id}"


class NginxEndpoint(TypedDict):
    host: str  # load-balancer address (IP or DNS name) of the party's nginx
    httpPort: int  # 9300 unless overridden
    grpcPort: int  # 9310 unless overridden


class PulsarEndpoint(TypedDict):
    """Only what the public Service ``pulsar-public-tls`` offers: the plain port 6650 never leaves the cluster."""

    host: str  # load-balancer address of the party's pulsar
    sslPort: int  # 6651 (TLS, what the exchange's SNI proxy tunnels to)


class ExchangeEndpoint(TypedDict):
    host: str  # address of the exchange nginx (nginx.exchange.ip on the party side)
    nginxHttpPort: int
    nginxGrpcPort: int
    atsHost: str  # address of the exchange ATS (pulsar.exchange.ip); its own LB, may differ
    atsPort: int  # SNI proxy (TLS) port, 443 by default
    domain: str  # parties are <partyId>.<domain>


class IssuedCert(TypedDict):
    """What a party reads back from the exchange: its certificate (``pulsarCert<partyId>``) and ``caCert``."""

    certPem: str
    caPem: str


class PulsarTls(TypedDict):
    """What a party installs as Secret ``pulsar-cert`` (keys as Pulsar's standalone.conf expects them): the
    exchange's certificate and CA with the party's own key."""

    certPem: str  # broker.cert.pem
    keyPkcs8Pem: str  # broker.key-pk8.pem
    caPem: str  # ca.cert.pem
