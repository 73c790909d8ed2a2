"""The exchange nginx route table (``route_table.yaml``), rendered from the parties' live endpoints.

FATE's OpenResty Lua picks ``route[dest-party-id][service]`` and falls back to ``default``. The exchange has
no fateflow of its own, so both services of a party point at that party's nginx, which forwards to its
fateflow (the hop upstream's examples rely on, facts §12.13).

No ``default`` entry. Upstream's exchange chart points ``default`` at the exchange's own nginx Service by name:
FATE's balancer refuses names ("no host allowed"), and the Service's address would send the message back into
the same nginx with the same headers, a loop. Without it a message for a party the exchange does not route
fails at once (FATE's Lua finds no route: 500), which is what the name did by accident.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from components.contracts import NginxEndpoint, PartyKey


def nginx_route_entry(endpoint: NginxEndpoint) -> dict[str, list[dict[str, object]]]:
    hop = {"host": endpoint["host"], "http_port": endpoint["httpPort"], "grpc_port": endpoint["grpcPort"]}
    return {"proxy": [dict(hop)], "fateflow": [dict(hop)]}


def nginx_route_table(
    parties: Mapping[PartyKey, NginxEndpoint | None],
) -> dict[str | int, object]:
    """One entry per party with an nginx endpoint, in party-id order (stable diffs)."""
    table: dict[str | int, object] = {}
    for party_id in sorted(parties, key=int):
        endpoint = parties[party_id]
        if endpoint is not None:
            table[int(party_id)] = nginx_route_entry(endpoint)  # unquoted, as FATE's own charts render it
    return table


# libyaml's emitter when PyYAML was built with it (its wheels are): the same text as the pure-Python one for
# these tables (tests/test_route_tables.py compares them), several times faster at hundreds of parties.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_yaml(data: object) -> str:
    """One YAML style for every rendered file: block style, keys in the order given."""
    return yaml.dump(data, Dumper=_DUMPER, default_flow_style=False, sort_keys=False)


def nginx_route_table_yaml(parties: Mapping[PartyKey, NginxEndpoint | None]) -> str:
    return dump_yaml(nginx_route_table(parties))
