"""Route tables: nginx (``route_table.yaml``, control messages) and pulsar (``pulsar_route_table.yaml``,
data).

``exchange`` is the ExchangeEndpoint dict of components/contracts.py or None. With an exchange the default
routes point at it (nginx -> exchange nginx, pulsar -> the exchange's SNI proxy); without one the party is
"pending federation": no default route, so messages to unknown parties fail fast instead of looping back to
the party itself, as upstream's self-pointing default did. ``extra_routes`` are direct routes to other
parties (``{partyId: {"nginx": NginxEndpoint | None, "pulsar": PulsarEndpoint | None}}``, ids as ints or
strings), merged after the user's ``route_table`` entries.

Every nginx entry is an address, never a name: FATE's Lua hands ``host:port`` of the chosen entry unchanged to
``ngx.balancer.set_current_peer``, which parses it without resolving ("no host allowed" for a name). The own
party's entries are the cluster IPs of the party's ``nginx`` and ``fateflow-client`` Services (``SelfAddresses``),
given by the component once the API server has allocated them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import yaml

from models.fate import FateSpec

# The brokers' plain and TLS ports (the pulsar image's); FATE-Flow 2.0.0 needs them on the default entry to
# build a remote party's broker URL (pulsar+ssl://<party>.<domain>:<brokerSslPort>), reached through the proxy.
BROKER_PORT, BROKER_SSL_PORT = 6650, 6651


# The ports of the party's own nginx (http, grpc) and FATE-Flow (http, grpc) Services.
NGINX_PORTS, FATEFLOW_PORTS = (9300, 9310), (9380, 9360)


@dataclass(frozen=True)
class SelfAddresses:
    """Where the party's nginx reaches itself and its FATE-Flow: addresses its balancer accepts (cluster IPs)."""

    nginx: str
    fateflow: str

    def __post_init__(self) -> None:
        for role, value in (("nginx", self.nginx), ("fateflow", self.fateflow)):
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(
                    f"the own {role} route needs an IP address, got {value!r}: FATE's nginx balancer does not "
                    "resolve names; pass the Service's spec.clusterIP"
                ) from None


def _hop(host: str, ports: tuple[int, int]) -> dict[str, Any]:
    return {"host": host, "http_port": ports[0], "grpc_port": ports[1]}


def _by_party(extra_routes: dict[Any, dict[str, Any]] | None) -> list[tuple[int, dict[str, Any]]]:
    """Party ids as ints whatever the keys were: values read back from Pulumi state have string keys."""
    return sorted((int(party), eps) for party, eps in (extra_routes or {}).items())


def _dump(table: dict[Any, Any]) -> str:
    return yaml.safe_dump(table, sort_keys=False)


def nginx_route_table(
    spec: FateSpec,
    exchange: dict[str, Any] | None,
    own: SelfAddresses,
    extra_routes: dict[int, dict[str, Any]] | None = None,
) -> dict[Any, Any]:
    table: dict[Any, Any] = {}
    if exchange:
        table["default"] = {
            "proxy": [
                {
                    "host": exchange["host"],
                    "http_port": int(exchange["nginxHttpPort"]),
                    "grpc_port": int(exchange["nginxGrpcPort"]),
                }
            ]
        }
    table[spec.party_id] = {"proxy": [_hop(own.nginx, NGINX_PORTS)], "fateflow": [_hop(own.fateflow, FATEFLOW_PORTS)]}
    for party, route in ((spec.nginx.route_table if spec.nginx else None) or {}).items():
        table[party] = route.model_dump(by_alias=True, exclude_none=True)
    for party, eps in _by_party(extra_routes):
        ep = (eps or {}).get("nginx")
        if ep and party != spec.party_id and party not in table:
            hop = {"host": ep["host"], "http_port": int(ep["httpPort"]), "grpc_port": int(ep["grpcPort"])}
            table[party] = {"proxy": [hop], "fateflow": [hop]}
    return table


def render_nginx_route_table(
    spec: FateSpec,
    exchange: dict[str, Any] | None,
    own: SelfAddresses,
    extra_routes: dict[int, dict[str, Any]] | None = None,
) -> str:
    return _dump(nginx_route_table(spec, exchange, own, extra_routes))


def pulsar_route_table(
    spec: FateSpec, exchange: dict[str, Any] | None, extra_routes: dict[int, dict[str, Any]] | None = None
) -> dict[Any, Any]:
    """The own party is always present (upstream only added it to an empty table, §12.9)."""
    table: dict[Any, Any] = {
        spec.party_id: {"host": "pulsar", "port": BROKER_PORT, "sslPort": BROKER_SSL_PORT, "proxy": ""}
    }
    for party, route in ((spec.pulsar.route_table if spec.pulsar else None) or {}).items():
        table[party] = route.model_dump(by_alias=True, exclude_none=True)
    for party, eps in _by_party(extra_routes):
        ep = (eps or {}).get("pulsar")
        if ep and party not in table:
            # A party publishes its TLS port only. FATE-Flow's route schema still requires ``port``: the
            # broker's plain port, which the replication client never dials (brokerClientTlsEnabled).
            table[party] = {"host": ep["host"], "port": BROKER_PORT, "sslPort": int(ep["sslPort"]), "proxy": ""}
    if exchange:
        table["default"] = {
            "proxy": f"{exchange.get('atsHost') or exchange['host']}:{int(exchange['atsPort'])}",
            "domain": exchange["domain"],
            "brokerPort": BROKER_PORT,
            "brokerSslPort": BROKER_SSL_PORT,
        }
    return table


def render_pulsar_route_table(
    spec: FateSpec, exchange: dict[str, Any] | None, extra_routes: dict[int, dict[str, Any]] | None = None
) -> str:
    return _dump(pulsar_route_table(spec, exchange, extra_routes))
