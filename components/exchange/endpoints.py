"""What the exchange knows about one party: the endpoints its stack exported, checked before they are routed.

A party stack's outputs arrive as untyped JSON (stacks/federation_links.py); a malformed or half-exported endpoint
must not end up in a route table, so each one is parsed here into the contract shape or dropped with a reason.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from components.contracts import NginxEndpoint, PartyKey, PulsarEndpoint


class PartyEndpoints(TypedDict):
    """One party's routable endpoints; a missing one is None (that party is still pending)."""

    nginx: NginxEndpoint | None
    pulsar: PulsarEndpoint | None


def _port(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON numbers from state may come back as floats
    if isinstance(value, int) and 1 <= value <= 65535:
        return value
    return None


def _host(value: Any) -> str | None:
    if isinstance(value, str) and value.strip() and not any(c.isspace() for c in value.strip()):
        return value.strip()
    return None


def parse_nginx_endpoint(value: Any) -> NginxEndpoint | None:
    if not isinstance(value, dict):
        return None
    host, http, grpc = _host(value.get("host")), _port(value.get("httpPort")), _port(value.get("grpcPort"))
    if host is None or http is None or grpc is None:
        return None
    return NginxEndpoint(host=host, httpPort=http, grpcPort=grpc)


def parse_pulsar_endpoint(value: Any) -> PulsarEndpoint | None:
    """Host and TLS port; a ``port`` (plain, exported by earlier versions) is ignored, nothing outside the party
    can reach it."""
    if not isinstance(value, dict):
        return None
    host, ssl = _host(value.get("host")), _port(value.get("sslPort"))
    if host is None or ssl is None:
        return None
    return PulsarEndpoint(host=host, sslPort=ssl)


def party_endpoints(nginx: Any, pulsar: Any) -> PartyEndpoints | None:
    """Both endpoints parsed; None when the party exported neither (not deployed yet)."""
    parsed = PartyEndpoints(nginx=parse_nginx_endpoint(nginx), pulsar=parse_pulsar_endpoint(pulsar))
    if parsed["nginx"] is None and parsed["pulsar"] is None:
        return None
    return parsed


@dataclass(frozen=True)
class Membership:
    """Which configured parties are fully routed and certified, and which are waiting for their endpoints or
    for a certificate (their request not exported yet, or refused)."""

    federated: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)


def membership(parties: Mapping[PartyKey, PartyEndpoints | None], certified: Collection[str]) -> Membership:
    """``certified``: ids (as strings) of the parties whose request the exchange signed."""
    federated = sorted(
        int(p) for p, e in parties.items() if e and e.get("nginx") and e.get("pulsar") and str(p) in certified
    )
    pending = sorted(int(p) for p in parties if int(p) not in federated)
    return Membership(federated=federated, pending=pending)
