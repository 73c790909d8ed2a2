"""The convergence loop: run the phases until a whole pass changes nothing, or fail after ``max_passes``.

A federation converges in two passes from scratch (pass 1 creates everything, pass 2 confirms), one when it
is already in shape. More means something keeps changing on every run (e.g. a non-deterministic rendering),
which must be fixed rather than looped over, hence the bound and the loud failure.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from federation.summary import StackResult


class StackRunner(Protocol):
    """What the orchestrator needs from Pulumi; automation.py implements it, tests fake it."""

    def ensure(self, stack: str) -> None: ...
    def up(self, stack: str) -> StackResult: ...
    def preview(self, stack: str) -> StackResult: ...
    def destroy(self, stack: str) -> StackResult: ...
    def outputs(self, stack: str) -> dict[str, object] | None: ...


class PhaseFailed(Exception):
    def __init__(self, errors: dict[str, BaseException], results: list[StackResult]):
        self.errors = errors
        self.results = results
        lines = "\n".join(f"  - {stack}: {err}" for stack, err in errors.items())
        super().__init__(f"{len(errors)} stack(s) failed:\n{lines}")


class NotConverged(Exception):
    def __init__(self, history: list[list[StackResult]]):
        self.history = history
        still = sorted({r.stack for r in history[-1] if r.changed}) if history else []
        super().__init__(f"no convergence after {len(history)} passes; still changing: {still}. "
                         "Fix: run `python -m federation preview` and look for a resource that changes on "
                         "every run")


@dataclass
class Report:
    passes: int
    history: list[list[StackResult]] = field(default_factory=list)


def run_phase(operation: Callable[[str], StackResult], stacks: list[str], parallel: int) -> list[StackResult]:
    """All stacks of a phase, concurrently; every stack finishes before failures are raised together."""
    if not stacks:
        return []
    results: dict[str, StackResult] = {}
    errors: dict[str, BaseException] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(stacks)))) as pool:
        futures = {stack: pool.submit(operation, stack) for stack in stacks}
        for stack, future in futures.items():
            try:
                results[stack] = future.result()
            except Exception as exc:  # reported with the stack's name once the phase is done
                errors[stack] = exc
    ordered = [results[s] for s in stacks if s in results]
    if errors:
        raise PhaseFailed(errors, ordered)
    return ordered


def run_once(operation: Callable[[str], StackResult], phases: list[list[str]], parallel: int
             ) -> list[StackResult]:
    results: list[StackResult] = []
    for phase in phases:
        results += run_phase(operation, phase, parallel)
    return results


def ensure_all(runner: StackRunner, phases: list[list[str]]) -> None:
    """Create every stack before the first run: a StackReference to a stack that does not exist yet is an
    error in the engine ("unknown stack"), while an existing stack without outputs reads as None."""
    seen: list[str] = []
    for phase in phases:
        seen += [s for s in phase if s not in seen]
    for stack in seen:
        runner.ensure(stack)


def converge(runner: StackRunner, phases: list[list[str]], max_passes: int = 4, parallel: int = 4,
             report: Callable[[int, list[StackResult]], None] = lambda _n, _r: None) -> Report:
    if max_passes < 1:
        raise ValueError("max_passes must be at least 1")
    ensure_all(runner, phases)
    history: list[list[StackResult]] = []
    for pass_no in range(1, max_passes + 1):
        results = run_once(runner.up, phases, parallel)
        history.append(results)
        report(pass_no, results)
        if not any(r.changed for r in results):
            return Report(passes=pass_no, history=history)
    raise NotConverged(history)
