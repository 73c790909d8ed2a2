"""The exchange nginx route table (``route_table.yaml``), rendered from the parties' live endpoints.

FATE's OpenResty Lua picks ``route[dest-party-id][service]`` and falls back to ``default``. The exchange has
no fateflow of its own, so both services of a party point at that party's nginx, which forwards to its
fateflow (the hop upstream's examples rely on, facts §12.13).
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from components.contracts import NginxEndpoint, PartyKey

# The exchange nginx Service: ``default`` points back at it, as upstream's exchange chart does.
SELF_HOST = "nginx"


def nginx_route_entry(endpoint: NginxEndpoint) -> dict[str, list[dict[str, object]]]:
    hop = {"host": endpoint["host"], "http_port": endpoint["httpPort"], "grpc_port": endpoint["grpcPort"]}
    return {"proxy": [dict(hop)], "fateflow": [dict(hop)]}


def nginx_route_table(
    parties: Mapping[PartyKey, NginxEndpoint | None], http_port: int = 9300, grpc_port: int = 9310
) -> dict[str | int, object]:
    """``default`` plus one entry per party with an nginx endpoint, in party-id order (stable diffs)."""
    table: dict[str | int, object] = {
        "default": {"proxy": [{"host": SELF_HOST, "http_port": http_port, "grpc_port": grpc_port}]},
    }
    for party_id in sorted(parties, key=int):
        endpoint = parties[party_id]
        if endpoint is not None:
            table[int(party_id)] = nginx_route_entry(endpoint)  # unquoted, as FATE's own charts render it
    return table


def dump_yaml(data: object) -> str:
    """One YAML style for every rendered file: block style, keys in the order given."""
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False)


def nginx_route_table_yaml(
    parties: Mapping[PartyKey, NginxEndpoint | None], http_port: int = 9300, grpc_port: int = 9310
) -> str:
    return dump_yaml(nginx_route_table(parties, http_port, grpc_port))
