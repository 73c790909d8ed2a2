"""What a stack operation changed, from Pulumi's per-operation counts, and how it is printed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from federation.fingerprint import Snapshot

# Operations that alter state. "same" and "read" (StackReferences are read on every run) do not.
CHANGE_OPS = (
    "create",
    "update",
    "delete",
    "replace",
    "create-replacement",
    "delete-replaced",
    "import",
    "import-replacement",
    "discard",
    "discard-replaced",
    "remove-pending-replace",
)
SYMBOLS = {"create": "+", "update": "~", "delete": "-", "replace": "+-"}


@dataclass(frozen=True)
class StackResult:
    stack: str
    operation: str  # up | preview | destroy | skip (the convergence loop did not need to run it)
    changes: Mapping[str, int] = field(default_factory=dict)
    outputs: Mapping[str, object] = field(default_factory=dict)
    snapshot: Snapshot | None = None  # the state right after the operation, when the runner read it

    @property
    def changed(self) -> bool:
        return any(self.changes.get(op, 0) for op in CHANGE_OPS)


def describe(changes: Mapping[str, int]) -> str:
    parts = [f"{SYMBOLS.get(op, op + ' ')}{changes[op]}" for op in CHANGE_OPS if changes.get(op)]
    same = changes.get("same", 0)
    return (" ".join(parts) or "no changes") + (f" ({same} unchanged)" if same else "")


def _outcome(result: StackResult) -> str:
    if result.operation == "skip":
        return "not run: inputs and state unchanged since its last update"
    return describe(result.changes)


def format_results(pass_no: int | None, results: list[StackResult]) -> str:
    head = f"pass {pass_no}" if pass_no is not None else (results[0].operation if results else "")
    width = max((len(r.stack) for r in results), default=0)
    lines = [f"== {head}"]
    lines += [f"   {r.stack.ljust(width)}  {r.operation:<7} {_outcome(r)}" for r in results]
    return "\n".join(lines)


def format_status(stack: str, outputs: Mapping[str, object] | None) -> str:
    """One line per stack from the outputs the contract defines; secret outputs are never printed."""
    if outputs is None:
        return f"   {stack}: not deployed"
    shown = []
    for key in (
        "federatedParties",
        "pendingParties",
        "exchangeEndpoint",
        "partyId",
        "federation",
        "nginxEndpoint",
        "pulsarEndpoint",
    ):
        if key in outputs:
            shown.append(f"{key}={outputs[key]}")
    return f"   {stack}: " + ("; ".join(shown) or "deployed, no federation outputs")
