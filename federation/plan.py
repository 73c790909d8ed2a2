"""Which stacks form the federation and in which order they run.

The exchange stack's own config file is the source of truth: its ``exchange.parties[].stack`` list names the
party stacks, so adding a party to the exchange config is also what adds it to this command (Day 2).
A variant (``--variant local``) selects ``Pulumi.local-exchange.yaml`` and whatever parties that file lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components import contracts
from models.node_ports import shared_cluster_clashes

PROJECT_NAMESPACE = "kubefate-tanzu"


class PlanError(Exception):
    """The federation cannot be assembled from the stack files; the message says which file and what to do."""


@dataclass(frozen=True)
class Federation:
    exchange: str
    parties: tuple[str, ...]

    @property
    def all_stacks(self) -> tuple[str, ...]:
        return (self.exchange, *self.parties)


def stack_file(root: Path, stack: str) -> Path:
    return root / f"Pulumi.{short_name(stack)}.yaml"


def short_name(stack: str) -> str:
    """``org/project/party-30000`` -> ``party-30000`` (the stack file is named after the last part)."""
    return stack.rsplit("/", 1)[-1]


def exchange_stack_name(exchange: str, variant: str | None) -> str:
    return f"{variant}-{exchange}" if variant else exchange


def parties_from_config(config: dict[str, Any], source: str) -> list[str]:
    """Party stack names from a ``Pulumi.<exchange>.yaml`` document's ``config`` block."""
    settings = (config or {}).get("config") or {}
    exchange = settings.get(f"{PROJECT_NAMESPACE}:exchange")
    role = settings.get(f"{PROJECT_NAMESPACE}:role")
    if role not in (None, "exchange"):
        raise PlanError(
            f"{source}: role is {role!r}, not 'exchange'. Fix: point --exchange-stack at the exchange's stack"
        )
    if not isinstance(exchange, dict):
        raise PlanError(
            f"{source}: no {PROJECT_NAMESPACE}:exchange object. Fix: add the exchange config (docs/config-exchange.md)"
        )
    parties = exchange.get("parties") or []
    names = []
    for i, entry in enumerate(parties):
        if not isinstance(entry, dict) or not isinstance(entry.get("stack"), str):
            raise PlanError(
                f"{source}: exchange.parties[{i}] has no stack name. Fix: give each party {{partyId, stack}}"
            )
        names.append(entry["stack"])
    return names


def resolve(
    root: Path, exchange: str = "exchange", variant: str | None = None, stacks: list[str] | None = None
) -> Federation:
    """The federation to run; ``stacks`` (from --stacks) overrides the party list of the exchange file."""
    exchange_name = exchange_stack_name(exchange, variant)
    path = stack_file(root, exchange_name)
    if not path.is_file():
        raise PlanError(
            f"{path}: no such stack file. Fix: create it (see docs/federation.md) or pass --exchange-stack/--variant"
        )
    if stacks:
        parties = [s for s in stacks if short_name(s) != short_name(exchange_name)]
    else:
        parties = parties_from_config(yaml.safe_load(path.read_text()), str(path))
    missing = [str(stack_file(root, s)) for s in parties if not stack_file(root, s).is_file()]
    if missing:
        raise PlanError(
            f"party stack files missing: {', '.join(missing)}. Fix: add them, or remove the "
            "parties from exchange.parties"
        )
    duplicates = sorted({s for s in parties if parties.count(s) > 1})
    if duplicates:
        raise PlanError(f"stacks listed twice: {duplicates}. Fix: list each party once")
    fed = Federation(exchange=exchange_name, parties=tuple(parties))
    _refuse_shared_node_ports(root, fed)
    return fed


def _refuse_shared_node_ports(root: Path, fed: Federation) -> None:
    """Stacks on one control plane cannot see each other's node ports; judged here before any stack runs."""
    clashes = shared_cluster_clashes({stack: _settings(root, stack) for stack in fed.all_stacks}, root)
    if clashes:
        raise PlanError("node ports clash on a shared cluster:\n" + "\n".join(f"  - {p}" for p in clashes))


def up_phases(fed: Federation) -> list[list[str]]:
    """Parties first (their key, certificate request and endpoints), then the exchange (CA, a signature per
    request, routes), then the parties again (their certificate and the exchange's endpoint). Each party has to
    run before the exchange signs its request and after, the exchange at least once: 2N+1 runs from empty,
    the fewest possible."""
    if not fed.parties:
        return [[fed.exchange]]
    return [list(fed.parties), [fed.exchange], list(fed.parties)]


def preview_phases(fed: Federation) -> list[list[str]]:
    return [[fed.exchange], list(fed.parties)] if fed.parties else [[fed.exchange]]


def destroy_phases(fed: Federation) -> list[list[str]]:
    """Parties before the exchange: a party reading a destroyed exchange would only warn, but
    destroying the exchange first would cut the federation's traffic while parties still run."""
    return [list(fed.parties), [fed.exchange]] if fed.parties else [[fed.exchange]]


def _settings(root: Path, stack: str) -> dict[str, Any]:
    path = stack_file(root, stack)
    doc = yaml.safe_load(path.read_text()) if path.is_file() else None
    return ((doc or {}).get("config") or {}) if isinstance(doc, dict) else {}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def reads(root: Path, fed: Federation) -> dict[str, dict[str, tuple[str, ...] | None]]:
    """Which outputs of which stack each stack's program reads (stacks/federation_links.py): the exchange
    reads each listed party's endpoints and certificate request, a party reads the exchange endpoint, the CA
    and its own certificate. ``None`` (every output) when a party's id is not in its file: reading too much
    only costs runs, too little would miss a change."""
    by_short = {short_name(s): s for s in fed.all_stacks}
    party_outputs = (contracts.PARTY_ID, contracts.NGINX_ENDPOINT, contracts.PULSAR_ENDPOINT, contracts.PULSAR_CSR)
    exchange = _mapping(_settings(root, fed.exchange).get(f"{PROJECT_NAMESPACE}:exchange"))
    listed = [e["stack"] for e in exchange.get("parties") or [] if isinstance(e, dict) and "stack" in e]
    result: dict[str, dict[str, tuple[str, ...] | None]] = {
        fed.exchange: {str(by_short.get(short_name(s), s)): party_outputs for s in listed}
    }
    for party in fed.parties:
        settings = _settings(root, party)
        ref = _mapping(settings.get(f"{PROJECT_NAMESPACE}:exchange")).get("stack") or fed.exchange
        party_id = settings.get(f"{PROJECT_NAMESPACE}:partyId")
        names = None
        if party_id:
            names = (contracts.EXCHANGE_ENDPOINT, contracts.CA_CERT, contracts.party_cert_output(party_id))
        result[party] = {by_short.get(short_name(ref), ref): names}
    return result
