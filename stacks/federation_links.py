"""Every read between the federation's stacks, both directions: exchange -> parties and party -> exchange.

Stacks reference each other in a cycle (parties need the exchange's address and their certificates, the
exchange needs the parties' addresses and certificate requests), broken by phases: an output that is not there
yet resolves to None and the reader deploys what it can. Nothing here raises on a missing or malformed output;
it warns and waits (only a stack that exists but cannot be read stops the run). Only public values cross:
endpoints, requests, certificates; every key stays in the stack that made it.

The exchange reads its parties synchronously (the engine's ``readStackOutputs`` invoke, the read a
StackReference makes) rather than through StackReference Outputs: whether a party has a request decides which
signatures exist, and a resource is never registered inside an ``apply`` (it would be missing from previews
whenever its input is unknown, and its registration order would depend on callbacks). A party reads the
exchange the same way. Read so, a stack that was never created is "not deployed yet" rather than an error (no
stack needs another to exist first), and no state holds a copy of another stack's outputs (a StackReference
would, refreshed and diffed on every drift check).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components import contracts
from components.contracts import ExchangeEndpoint, IssuedCert
from components.exchange.endpoints import PartyEndpoints, party_endpoints

DIY_ORGANIZATION = "organization"  # what file backends call every organisation


def qualify_stack(name: str, organization: str | None = None, project: str | None = None) -> str:
    """``party-30000`` -> ``<org>/<project>/party-30000``; ``org/stack`` gets the project; full names pass."""
    parts = name.split("/")
    org = organization or pulumi.get_organization() or DIY_ORGANIZATION
    proj = project or pulumi.get_project()
    if len(parts) == 3:
        return name
    if len(parts) == 2:
        return f"{parts[0]}/{proj}/{parts[1]}"
    return f"{org}/{proj}/{name}"


def _same_party(exported_id: Any, party_id: int) -> bool:
    """Numbers come back from state as floats (30000.0), strings stay strings."""
    if isinstance(exported_id, float) and exported_id.is_integer():
        exported_id = int(exported_id)
    return str(exported_id) == str(party_id)


def _checked_endpoints(party_id: int, stack: str, exported_id: Any, nginx: Any, pulsar: Any) -> PartyEndpoints | None:
    if exported_id is not None and not _same_party(exported_id, party_id):
        pulumi.log.warn(
            f"stack {stack} exports partyId {exported_id}, but the exchange lists it as party "
            f"{party_id}: not routing it. Fix exchange.parties or the party stack's partyId."
        )
        return None
    found = party_endpoints(nginx, pulsar)
    if found is None:
        pulumi.log.info(f"party {party_id} ({stack}): no endpoints exported yet; pending federation")
    elif found["nginx"] is None or found["pulsar"] is None:
        missing = "nginxEndpoint" if found["nginx"] is None else "pulsarEndpoint"
        pulumi.log.warn(f"party {party_id} ({stack}): {missing} missing or malformed; routing only the rest")
    return found


@dataclass
class PartyView:
    """What the exchange reads from one party stack: its endpoints and its certificate request (plain, read
    before anything is registered)."""

    endpoints: PartyEndpoints | None
    request: str | None


def _pem(value: Any, marker: str) -> str | None:
    return value if isinstance(value, str) and value.lstrip().startswith(marker) else None


def _checked_request(party_id: int, stack: str, exported_id: Any, csr: Any) -> str | None:
    """The request of the party the exchange lists (its content is judged before signing, components/exchange)."""
    if exported_id is not None and not _same_party(exported_id, party_id):
        return None  # _checked_endpoints warns once for both
    request = _pem(csr, "-----BEGIN CERTIFICATE REQUEST-----")
    if request is None and csr is not None:
        pulumi.log.warn(f"party {party_id} ({stack}): {contracts.PULSAR_CSR} is not a PEM certificate request")
    return request


READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"  # served by the engine's builtin provider


UNKNOWN_STACK = "unknown stack"  # the engine's error for a stack that was never created (pkg/backend)


class UnreadableStack(pulumi.RunError):
    """A stack the federation reads exists (or may) but its outputs could not be read: the run stops."""


def _outputs_now(stack: str, what: str, pending: str) -> dict[str, Any] | None:
    """The stack's outputs as the engine has them now (previews included); None for a stack never created
    (``unknown stack``), which callers treat as not deployed yet (``pending`` says what that means here). Any
    other failure (backend access, decryption) stops the run: treating it as "not deployed" would drop
    certificates and routes of a working federation because of a passing backend error."""
    try:
        result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": qualify_stack(stack)})
    except Exception as error:  # the SDK raises a bare Exception for a failed invoke
        if UNKNOWN_STACK not in str(error):
            raise UnreadableStack(
                f"cannot read the outputs of {what} stack {stack}: {error}. The run stops here (a failed "
                "program deletes nothing) rather than drop certificates and routes it holds. Fix: check access "
                "to the backend (and the stack's secrets passphrase), then run this stack again"
            ) from None
        pulumi.log.warn(
            f"cannot read stack {stack} ({error}); {pending}. Create and deploy it "
            "(python -m federation up creates every stack first), then run this stack again"
        )
        return None
    value = result.value if result.is_known else None
    outputs = value.get("outputs") if isinstance(value, dict) else None
    return outputs if isinstance(outputs, dict) else {}


def read_parties(party_stacks: dict[int, str]) -> dict[int, PartyView]:
    """Each party's endpoints and certificate request as plain values, one ``readStackOutputs`` per party before
    any resource is registered. A party stack that does not exist yet is pending with a warning, as one without
    outputs is; a StackReference would fail the whole exchange run on it ("unknown stack")."""
    result: dict[int, PartyView] = {}
    for party_id, stack in sorted(party_stacks.items()):
        outputs = _outputs_now(stack, "party", "its party stays pending")
        if outputs is None:
            result[party_id] = PartyView(endpoints=None, request=None)
            continue
        exported_id = outputs.get(contracts.PARTY_ID)
        endpoints = _checked_endpoints(
            party_id, stack, exported_id, outputs.get(contracts.NGINX_ENDPOINT), outputs.get(contracts.PULSAR_ENDPOINT)
        )
        request = _checked_request(party_id, stack, exported_id, outputs.get(contracts.PULSAR_CSR))
        result[party_id] = PartyView(endpoints=endpoints, request=request)
    return result


def _exchange_endpoint(value: Any) -> ExchangeEndpoint | None:
    if not isinstance(value, dict):
        return None
    needed = ("host", "nginxHttpPort", "nginxGrpcPort", "atsPort", "domain")
    if any(value.get(k) in (None, "") for k in needed):
        return None
    endpoint = {k: value[k] for k in needed}
    endpoint["atsHost"] = value.get("atsHost") or value["host"]  # exchanges exported before atsHost existed
    return ExchangeEndpoint(**endpoint)


def _issued(cert: Any, ca: Any) -> IssuedCert | None:
    cert_pem, ca_pem = _pem(cert, "-----BEGIN CERTIFICATE-----"), _pem(ca, "-----BEGIN CERTIFICATE-----")
    if cert_pem is None or ca_pem is None:
        return None
    return IssuedCert(certPem=cert_pem, caPem=ca_pem)


ExchangeView = tuple[pulumi.Output[ExchangeEndpoint | None], pulumi.Output[IssuedCert | None]]


def read_exchange_for_party(exchange_stack: str, party_id: int) -> ExchangeView:
    """The exchange endpoint and the certificate its CA signed for this party's request (with the CA's); each
    None until the exchange has it. Read before anything is registered, as the exchange reads its parties: an
    exchange stack never created means "standalone for now", not a failed run."""
    outputs = _outputs_now(exchange_stack, "exchange", "this party deploys standalone for now") or {}
    endpoint = pulumi.Output.from_input(_exchange_endpoint(outputs.get(contracts.EXCHANGE_ENDPOINT)))
    issued = pulumi.Output.from_input(
        _issued(outputs.get(contracts.party_cert_output(party_id)), outputs.get(contracts.CA_CERT))
    )

    def report(v: list[Any]) -> None:
        if v[0] is None:
            pulumi.log.info(f"exchange stack {exchange_stack}: no endpoint yet; deploying standalone")
        elif v[1] is None:
            pulumi.log.info(
                f"exchange stack {exchange_stack} has not signed party {party_id}'s certificate request yet: "
                "run the exchange stack after this one (python -m federation up does), and check this party "
                "is in its exchange.parties"
            )

    pulumi.Output.all(endpoint, issued).apply(report)
    return endpoint, issued
