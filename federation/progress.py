"""What a running ``federation up`` prints while users wait: each stack's start and end with the elapsed
time since the command started, a line every ``interval`` seconds naming what is still running, and at the
end the time per stack and per pass."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from federation.summary import StackResult, describe


def clock_label(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


@dataclass
class Progress:
    out: Callable[[str], None]
    clock: Callable[[], float] = time.monotonic
    interval: float = 15.0
    _start: float = field(default=0.0, init=False)
    _running: dict[tuple[str, str], float] = field(default_factory=dict, init=False)
    _spent: dict[str, dict[str, list[float]]] = field(default_factory=dict, init=False)  # stack -> op -> runs
    _passes: list[tuple[int, float, int]] = field(default_factory=list, init=False)  # (pass, seconds, runs)
    _pass_start: float = field(default=0.0, init=False)
    _pass_runs: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _ticker: threading.Thread | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._start = self._pass_start = self.clock()

    def _say(self, text: str) -> None:
        self.out(f"[{clock_label(self.clock() - self._start)}] {text}")

    def pass_started(self, pass_no: int) -> None:
        with self._lock:
            self._pass_start, self._pass_runs = self.clock(), 0
        self._say(f"pass {pass_no}")

    def pass_finished(self, pass_no: int) -> None:
        with self._lock:
            self._passes.append((pass_no, self.clock() - self._pass_start, self._pass_runs))

    def started(self, stack: str, operation: str) -> None:
        with self._lock:
            self._running[(stack, operation)] = self.clock()
        self._say(f"{stack}: {operation} started")

    def finished(self, stack: str, operation: str, result: StackResult | None, error: str | None = None) -> None:
        with self._lock:
            began = self._running.pop((stack, operation), self.clock())
            seconds = self.clock() - began
            self._spent.setdefault(stack, {}).setdefault(operation, []).append(seconds)
            self._pass_runs += 1
        what = f"failed: {error}" if error is not None else describe(result.changes if result else {})
        self._say(f"{stack}: {operation} {'failed' if error is not None else 'done'} in {seconds:.1f}s, {what}")

    def tick(self) -> None:
        now = self.clock()
        with self._lock:
            running = sorted(self._running.items(), key=lambda item: item[1])
        if running:
            self._say("running: " + ", ".join(f"{s} {op} {now - t:.0f}s" for (s, op), t in running))

    def __enter__(self) -> Progress:
        def loop() -> None:
            while not self._stop.wait(self.interval):
                self.tick()

        self._ticker = threading.Thread(target=loop, name="federation-progress", daemon=True)
        self._ticker.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()

    def summary(self) -> str:
        """Time per stack (each operation, how often) and per pass, and the command's total."""
        width = max((len(s) for s in self._spent), default=0)
        lines = ["== time per stack"]
        for stack, ops in self._spent.items():
            parts = [f"{op} {len(runs)}x {sum(runs):.1f}s" for op, runs in ops.items()]
            lines.append(f"   {stack.ljust(width)}  {', '.join(parts)}")
        if not self._spent:
            lines.append("   (no stack ran)")
        lines.append("== time per pass")
        lines += [f"   pass {n}  {seconds:.1f}s, {runs} run(s)" for n, seconds, runs in self._passes]
        lines.append(f"total {self.clock() - self._start:.1f}s")
        return "\n".join(lines)
