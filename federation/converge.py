"""The convergence loop: run a stack only when something it reads changed, until no stack's inputs changed.

A stack is run when it has no record of a successful update, when its inputs (program, stack file, the outputs
it reads from other stacks) or its state differ from that record (federation/fingerprint.py), or when
``full`` forces one run of it. Each phase looks at the inputs as they are when it starts, so an output a stack
just changed reaches its readers later in the same pass; the loop ends when every stack's inputs and state
match its record. From empty that is five runs for two parties (parties, exchange, parties: 2N+1); Day 2
runs only the new party, the exchange and the new party again. ``max_passes`` bounds the loop: an output that changes on
every run (e.g. a non-deterministic rendering) keeps its readers running, which must be fixed rather than
looped over, hence the loud failure naming them.

With ``verify`` (``--refresh``) a stack whose inputs did not change is still previewed once (with refresh),
and run when the preview shows changes: that is how a stack edited outside Pulumi is converged back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from federation.fingerprint import Inputs, MemoryRecords, Record, Snapshot, digest
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
    def snapshot(self, stack: str) -> Snapshot: ...


class Records(Protocol):
    def get(self, stack: str) -> Record | None: ...
    def put(self, stack: str, record: Record) -> None: ...


class Progress(Protocol):
    """federation/progress.py; converge reports every stack operation and pass to it."""

    def pass_started(self, pass_no: int) -> None: ...
    def pass_finished(self, pass_no: int) -> None: ...
    def started(self, stack: str, operation: str) -> None: ...
    def finished(self, stack: str, operation: str, result: StackResult | None, error: str | None = None) -> None: ...


class PhaseFailed(Exception):
    def __init__(self, errors: dict[str, BaseException], results: list[StackResult]):
        self.errors = errors
        self.results = results
        lines = "\n".join(f"  - {stack}: {err}" for stack, err in errors.items())
        super().__init__(f"{len(errors)} stack(s) failed:\n{lines}")


class NotConverged(Exception):
    def __init__(self, history: list[list[StackResult]], still: list[str] | None = None):
        self.history = history
        if still is None:
            still = sorted({r.stack for r in history[-1] if r.changed}) if history else []
        self.still = still
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

    @property
    def runs(self) -> int:
        """Stack updates the command ran (previews and skipped stacks not counted)."""
        return sum(1 for results in self.history for r in results if r.operation == "up")


T = TypeVar("T")


def run_phase(operation: Callable[[str], T], stacks: list[str], parallel: int, cancel: Cancel | None = None) -> list[T]:
    """All stacks of a phase, concurrently; every stack finishes before failures are raised together.
    Once ``cancel`` is set no further stack starts, and the phase ends with Interrupted."""
    if not stacks:
        return []
    results: dict[str, T] = {}
    errors: dict[str, BaseException] = {}
    not_started: list[str] = []

    def guarded(stack: str) -> T:
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
    done: list[Any] = list(ordered)  # StackResults, except for the snapshot phase (whose caller re-raises)
    if _cancelled(cancel):
        raise Interrupted(done, {s: str(e) for s, e in errors.items()}, not_started)
    if errors:
        raise PhaseFailed(errors, done)
    return ordered


def run_once(
    operation: Callable[[str], StackResult], phases: list[list[str]], parallel: int, cancel: Cancel | None = None
) -> list[StackResult]:
    return _each_phase(lambda phase: run_phase(operation, phase, parallel, cancel), phases, cancel)


def _each_phase(
    run: Callable[[list[str]], list[StackResult]], phases: list[list[str]], cancel: Cancel | None
) -> list[StackResult]:
    """The phases in order; an interruption reports what the earlier phases completed and what never ran."""
    results: list[StackResult] = []
    for i, phase in enumerate(phases):
        if _cancelled(cancel):
            raise Interrupted(results, {}, [s for later in phases[i:] for s in later])
        try:
            results += run(phase)
        except Interrupted as exc:
            raise Interrupted(
                results + exc.completed,
                exc.interrupted,
                exc.not_started + [s for later in phases[i + 1 :] for s in later],
            ) from None
    return results


def ensure_all(runner: StackRunner, phases: list[list[str]], cancel: Cancel | None = None, parallel: int = 4) -> None:
    """Create every stack before the first run, all at once (each is a CLI start before the first update): a
    stack must exist before it is updated or previewed. (A stack that reads one not created yet only warns.)"""
    seen = list(dict.fromkeys(s for phase in phases for s in phase))
    try:
        run_phase(runner.ensure, seen, parallel, cancel)
    except Interrupted as exc:
        raise Interrupted([], exc.interrupted, exc.not_started) from None


def skipped(stack: str) -> StackResult:
    return StackResult(stack, "skip")


@dataclass
class _Loop:
    runner: StackRunner
    inputs: Inputs
    records: Records
    parallel: int
    cancel: Cancel | None
    progress: Progress | None
    verify: bool
    forced: set[str]
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    verified: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, operation: str, call: Callable[[str], StackResult]) -> Callable[[str], StackResult]:
        def run(stack: str) -> StackResult:
            if self.progress is not None:
                self.progress.started(stack, operation)
            try:
                result = call(stack)
            except Exception as exc:
                if self.progress is not None:
                    self.progress.finished(stack, operation, None, str(exc).splitlines()[0] if str(exc) else "")
                raise
            if self.progress is not None:
                self.progress.finished(stack, operation, result)
            return result

        return run

    def current(self, stack: str) -> bool:
        if stack in self.forced:
            return False
        record = self.records.get(stack)
        snap = self.snapshots.get(stack)
        return (
            record is not None
            and snap is not None
            and record.state == snap.state
            and record.inputs == self.inputs.of(stack, self.snapshots)
        )

    def up(self, stack: str) -> StackResult:
        """Inputs are taken before the run: the stacks it reads do not run while it does (phases)."""
        inputs = self.inputs.of(stack, self.snapshots)
        result = self.runner.up(stack)
        snap = self.snapshot(stack, result)
        self.records.put(stack, Record(inputs=inputs, state=snap.state))
        with self._lock:
            self.snapshots[stack] = snap
            self.forced.discard(stack)
        return result

    def snapshot(self, stack: str, result: StackResult | None = None) -> Snapshot:
        """The runner's snapshot taken with the result, else a fresh one; a runner that cannot export state
        (the fakes of other tests) is known by its up results only."""
        if result is not None and result.snapshot is not None:
            return result.snapshot
        if hasattr(self.runner, "snapshot"):
            return self.runner.snapshot(stack)
        outputs = result.outputs if result is not None else {}
        return Snapshot(state="", outputs={k: digest(v) for k, v in outputs.items()})

    def preview(self, stack: str) -> StackResult:
        return self.runner.preview(stack)

    def phase(self, stacks: list[str]) -> list[StackResult]:
        stale = [s for s in stacks if not self.current(s)]
        to_verify = [s for s in stacks if self.verify and s not in stale and s not in self.verified]
        self.verified.update(to_verify)
        checks = run_phase(self.timed("preview", self.preview), to_verify, self.parallel, self.cancel)
        drifted = {r.stack for r in checks if r.changed}
        todo = [s for s in stacks if s in stale or s in drifted]
        ran = {r.stack: r for r in run_phase(self.timed("up", self.up), todo, self.parallel, self.cancel)}
        checked = {r.stack: r for r in checks}
        return [ran.get(s) or checked.get(s) or skipped(s) for s in stacks]


def converge(
    runner: StackRunner,
    phases: list[list[str]],
    inputs: Inputs | None = None,
    records: Records | None = None,
    max_passes: int = 4,
    parallel: int = 4,
    report: Callable[[int, list[StackResult]], None] = lambda _n, _r: None,
    cancel: Cancel | None = None,
    full: bool = False,
    verify: bool = False,
    progress: Progress | None = None,
) -> Report:
    """``inputs`` None: every stack is read by nobody and reads nothing but its own files (tests of the loop's
    mechanics); the command passes the federation's real reads (plan.reads)."""
    if max_passes < 1:
        raise ValueError("max_passes must be at least 1")
    ensure_all(runner, phases, cancel, parallel)
    inputs = inputs or Inputs(local=lambda _s: "")
    stacks = list(dict.fromkeys([s for phase in phases for s in phase]))
    observed = list(dict.fromkeys([*stacks, *sorted(inputs.referenced())]))
    forced = set(stacks) if full else set()
    loop = _Loop(runner, inputs, records or MemoryRecords(), parallel, cancel, progress, verify, forced)
    try:
        loop.snapshots = dict(zip(observed, run_phase(loop.snapshot, observed, parallel, cancel), strict=True))
    except Interrupted as exc:
        raise Interrupted([], exc.interrupted, stacks) from None
    history: list[list[StackResult]] = []
    still: list[str] = list(stacks)
    for pass_no in range(1, max_passes + 1):
        if progress is not None:
            progress.pass_started(pass_no)
        results = _each_phase(loop.phase, phases, cancel)
        if progress is not None:
            progress.pass_finished(pass_no)
        history.append(results)
        report(pass_no, results)
        still = [s for s in stacks if not loop.current(s)]
        if not still:
            return Report(passes=pass_no, history=history)
    raise NotConverged(history, still)
