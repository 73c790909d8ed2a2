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


class Cancel(Protocol):
    """Set once the run was interrupted (federation/interrupt.py); no stack is started after that."""

    def is_set(self) -> bool: ...


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
        super().__init__(
            f"no convergence after {len(history)} passes; still changing: {still}. "
            "Fix: run `python -m federation preview` and look for a resource that changes on "
            "every run"
        )


class Interrupted(Exception):
    """The run was interrupted: what completed, what was stopped midway (with its error), what never ran."""

    def __init__(self, completed: list[StackResult], interrupted: dict[str, str], not_started: list[str]):
        self.completed = completed
        self.interrupted = interrupted
        self.not_started = not_started
        super().__init__(
            f"interrupted; completed {[r.stack for r in completed]}, interrupted "
            f"{sorted(interrupted)}, not started {not_started}"
        )


class _NotStarted(Exception):
    pass


def _cancelled(cancel: Cancel | None) -> bool:
    return cancel is not None and cancel.is_set()


@dataclass
class Report:
    passes: int
    history: list[list[StackResult]] = field(default_factory=list)


def run_phase(
    operation: Callable[[str], StackResult], stacks: list[str], parallel: int, cancel: Cancel | None = None
) -> list[StackResult]:
    """All stacks of a phase, concurrently; every stack finishes before failures are raised together.
    Once ``cancel`` is set no further stack starts, and the phase ends with Interrupted."""
    if not stacks:
        return []
    results: dict[str, StackResult] = {}
    errors: dict[str, BaseException] = {}
    not_started: list[str] = []

    def guarded(stack: str) -> StackResult:
        if _cancelled(cancel):
            raise _NotStarted
        return operation(stack)

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(stacks)))) as pool:
        futures = {stack: pool.submit(guarded, stack) for stack in stacks}
        for stack, future in futures.items():
            try:
                results[stack] = future.result()
            except _NotStarted:
                not_started.append(stack)
            except Exception as exc:  # reported with the stack's name once the phase is done
                errors[stack] = exc
    ordered = [results[s] for s in stacks if s in results]
    if _cancelled(cancel):
        raise Interrupted(ordered, {s: str(e) for s, e in errors.items()}, not_started)
    if errors:
        raise PhaseFailed(errors, ordered)
    return ordered


def run_once(
    operation: Callable[[str], StackResult], phases: list[list[str]], parallel: int, cancel: Cancel | None = None
) -> list[StackResult]:
    results: list[StackResult] = []
    for i, phase in enumerate(phases):
        if _cancelled(cancel):
            raise Interrupted(results, {}, [s for later in phases[i:] for s in later])
        try:
            results += run_phase(operation, phase, parallel, cancel)
        except Interrupted as exc:
            raise Interrupted(
                results + exc.completed,
                exc.interrupted,
                exc.not_started + [s for later in phases[i + 1 :] for s in later],
            ) from None
    return results


def ensure_all(runner: StackRunner, phases: list[list[str]], cancel: Cancel | None = None) -> None:
    """Create every stack before the first run: a StackReference to a stack that does not exist yet is an
    error in the engine ("unknown stack"), while an existing stack without outputs reads as None."""
    seen: list[str] = []
    for phase in phases:
        seen += [s for s in phase if s not in seen]
    for i, stack in enumerate(seen):
        if _cancelled(cancel):
            raise Interrupted([], {}, seen[i:])
        try:
            runner.ensure(stack)
        except Exception as exc:
            if _cancelled(cancel):
                raise Interrupted([], {stack: str(exc)}, seen[i + 1 :]) from None
            raise


def converge(
    runner: StackRunner,
    phases: list[list[str]],
    max_passes: int = 4,
    parallel: int = 4,
    report: Callable[[int, list[StackResult]], None] = lambda _n, _r: None,
    cancel: Cancel | None = None,
) -> Report:
    if max_passes < 1:
        raise ValueError("max_passes must be at least 1")
    ensure_all(runner, phases, cancel)
    history: list[list[StackResult]] = []
    for pass_no in range(1, max_passes + 1):
        results = run_once(runner.up, phases, parallel, cancel)
        history.append(results)
        report(pass_no, results)
        if not any(r.changed for r in results):
            return Report(passes=pass_no, history=history)
    raise NotConverged(history)
