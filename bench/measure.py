"""Measure a callable's wall time and peak Python memory, repeated, reported against a baseline.

Absolute seconds on a shared 2-core machine mean little; a ratio against a baseline measured in the same
invocation (same machine, same load) is what a reviewer can compare across runs.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    label: str
    seconds: float  # median of the repeats
    peak_bytes: int  # peak traced allocation of one run

    def ratio_to(self, base: Sample) -> tuple[float, float]:
        return self.seconds / base.seconds, self.peak_bytes / max(base.peak_bytes, 1)


def measure(label: str, fn: Callable[[], object], repeats: int = 5) -> Sample:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Sample(label, statistics.median(times), peak)


def report(title: str, baseline: Sample, samples: list[Sample]) -> str:
    lines = [title, f"{'case':<34}{'median s':>10}{'peak MiB':>10}{'time x':>9}{'mem x':>8}"]
    for s in [baseline, *samples]:
        tr, mr = s.ratio_to(baseline)
        lines.append(f"{s.label:<34}{s.seconds:>10.4f}{s.peak_bytes / 2**20:>10.2f}{tr:>9.2f}{mr:>8.2f}")
    return "\n".join(lines)
