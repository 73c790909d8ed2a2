"""Where one stack's drift check (``pulumi preview --refresh --expect-no-changes``) spends its time, read from
Pulumi's own OpenTelemetry spans (``--otel-traces file://``): the CLI, the engine and every plugin (language
host, providers) export a span per gRPC call and per plugin launch, with wall-clock start and end, so the
breakdown is measured, not inferred. The Python imports are not in any span: they are measured apart with
``python -X importtime`` on the same interpreter and modules.

Run against a converged project (``make demo`` leaves one in the repository's ``.pulumi-state``)::

    python -m bench.profile_drift --config-dir . --stack local-party-30000

``make bench`` (the drift case) runs the same on its own federation and writes the table into
bench/results-engine.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

DRIFT_CHECK = ("preview", "--refresh", "--expect-no-changes")
# What the program imports, in the order it does (stacks.run imports the models, then one stack's module).
HEAVY_IMPORTS = ("pulumi", "pydantic", "models.config", "stacks.party", "stacks.exchange")


@dataclass(frozen=True)
class Span:
    service: str  # pulumi-cli, pulumi-language-host, pulumi-resource-provider
    name: str
    start: int  # Unix ns
    end: int
    attrs: dict[str, str]

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / 1e9


def load_spans(path: Path) -> list[Span]:
    """The spans of an OTLP/JSON file, one ``resourceSpans`` document a line."""
    spans = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        for res in json.loads(line).get("resourceSpans", []):
            attrs = {a["key"]: a["value"].get("stringValue", "") for a in res.get("resource", {}).get("attributes", [])}
            service = attrs.get("service.name", "")
            for scope in res.get("scopeSpans", []):
                for raw in scope.get("spans", []):
                    span_attrs = {a["key"]: str(next(iter(a["value"].values()), "")) for a in raw.get("attributes", [])}
                    start, end = int(raw["startTimeUnixNano"]), int(raw["endTimeUnixNano"])
                    spans.append(Span(service, raw.get("name", ""), start, end, span_attrs))
    return sorted(spans, key=lambda s: s.start)


def _cli(spans: Iterable[Span], name: str) -> list[Span]:
    return [s for s in spans if s.service == "pulumi-cli" and s.name == name]


def _rpc(spans: Iterable[Span], method: str) -> list[Span]:
    return _cli(spans, f"pulumirpc.{method}")


def milestones(spans: Sequence[Span], started: int, ended: int) -> list[tuple[str, int]]:
    """Points of the run in time order; the time between two consecutive ones is one phase. A milestone
    whose span is missing (a run that failed early) is left out rather than guessed."""
    root = _cli(spans, "pulumi")
    plan = _cli(spans, "pulumi-plan")
    providers = [s for s in _cli(spans, "newPlugin") if s.attrs.get("kind") == "resource"]
    reads = _rpc(spans, "ResourceProvider/Read")
    program = _cli(spans, "run-program")
    points: list[tuple[str, int]] = [("process started", started)]
    if root:
        points.append(("CLI command started (Go start-up, flags)", root[0].start))
    if plan:
        points.append(("engine plan started (backend, stack, state read)", plan[0].start))
    if providers:
        points.append(("first provider launched (language host, required plugins)", providers[0].start))
    if reads:
        points.append(("first refresh Read sent (provider start, Configure)", reads[0].start))
        points.append(("last refresh Read answered (refresh reads)", max(s.end for s in reads)))
    if program:
        run = program[0]
        points.append(("program started (refresh diffs)", run.start))
        calls = [s for s in spans if s.service == "pulumi-cli" and "ResourceMonitor/" in s.name]
        inside = [s for s in calls if run.start <= s.start <= run.end]
        if inside:
            points.append(("program's first engine call (interpreter start, SDK import)", inside[0].start))
        points.append(("program exited (registrations, Check, Diff)", run.end))
    if root:
        points.append(("CLI command returned (summary, plugin shutdown)", root[0].end))
    points.append(("process exited", ended))
    return sorted(points, key=lambda p: p[1])


def phases(points: Sequence[tuple[str, int]]) -> list[tuple[str, float]]:
    """Each milestone's label with the seconds since the one before: the phase that ends there."""
    return [(label, (at - points[i][1]) / 1e9) for i, (label, at) in enumerate(points[1:])]


def totals(spans: Sequence[Span]) -> list[tuple[str, int, float]]:
    """Calls the phases overlap: count and summed seconds of each (summed seconds exceed the wall time when
    the engine runs them in parallel)."""
    rows = []
    for kind in ("language", "resource"):
        launched = [s for s in _cli(spans, "newPlugin") if s.attrs.get("kind") == kind]
        names = sorted({s.attrs.get("prefix", "?") for s in launched})
        rows.append((f"plugin launches, {kind} ({', '.join(names)})", len(launched), sum(s.seconds for s in launched)))
    for method in (
        "LanguageRuntime/GetRequiredPlugins",
        "LanguageRuntime/GetRequiredPackages",
        "ResourceProvider/Configure",
        "ResourceProvider/Read",
        "ResourceProvider/Check",
        "ResourceProvider/Diff",
        "ResourceMonitor/RegisterResource",
    ):
        calls = _rpc(spans, method)
        rows.append((method, len(calls), sum(s.seconds for s in calls)))
    return rows


def import_times(python: str, cwd: Path, modules: Sequence[str] = HEAVY_IMPORTS) -> list[tuple[str, float]]:
    """Cumulative import seconds of each top-level module, in a fresh interpreter (``-X importtime``), in the
    order imported; a module a previous one already pulled in counts there, not again."""
    code = "; ".join(f"import {m}" for m in modules)
    proc = subprocess.run([python, "-X", "importtime", "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    found = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if name in modules and cumulative.isdigit():
            found.append((name, int(cumulative) / 1e6))
    return found


@dataclass
class Profile:
    seconds: float
    code: int
    program_cpu: float  # CPU seconds (user + system) of the Python program, the language host's child
    phases: list[tuple[str, float]]
    totals: list[tuple[str, int, float]]
    imports: list[tuple[str, float]]
    cli_start: float  # `pulumi version`, the CLI's start and exit with no engine


def descendants(root: int) -> list[int]:
    """``root`` and every process under it, from the parent ids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _python_cpu(proc: subprocess.Popen[bytes]) -> float:
    """Waits for ``proc``; the CPU seconds its Python descendants used, sampled from /proc every 50 ms (the
    last sample before each exits), which says how much of the program's phase is the program computing."""
    ticks: dict[int, int] = {}
    while proc.poll() is None:
        for pid in descendants(proc.pid)[1:]:
            try:
                name, rest = Path(f"/proc/{pid}/stat").read_text().split("(", 1)[1].rsplit(")", 1)
            except (OSError, ValueError):
                continue
            if name.startswith("python"):
                fields = rest.split()
                ticks[pid] = int(fields[11]) + int(fields[12])
        time.sleep(0.05)
    return sum(ticks.values()) / os.sysconf("SC_CLK_TCK")


def profile(root: Path, env: dict[str, str], stack: str, python: str = sys.executable) -> Profile:
    """One drift check of ``stack`` with its spans exported, plus the CLI's bare start and the imports."""
    with tempfile.TemporaryDirectory(prefix="kft-profile-") as tmp:
        trace = Path(tmp) / "trace.json"
        cmd = ["pulumi", *DRIFT_CHECK, "--stack", stack, "--non-interactive", "--cwd", str(root)]
        started = time.time_ns()
        proc = subprocess.Popen(
            [*cmd, "--otel-traces", f"file://{trace}"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cpu = _python_cpu(proc)
        ended = time.time_ns()
        spans = load_spans(trace) if trace.is_file() else []
    clock = time.perf_counter()
    subprocess.run(["pulumi", "version"], env=env, capture_output=True, check=True)
    cli_start = time.perf_counter() - clock
    return Profile(
        (ended - started) / 1e9,
        proc.returncode,
        cpu,
        phases(milestones(spans, started, ended)),
        totals(spans),
        import_times(python, root),
        cli_start,
    )


def table(result: Profile) -> list[str]:
    lines = [
        f"Drift check, {result.seconds:.2f} s in all (exit {result.code}); "
        f"`pulumi version` alone {result.cli_start:.2f} s; the Python program used {result.program_cpu:.2f} s of CPU.",
        "",
        "| phase, ending when | seconds | share |",
        "|---|---:|---:|",
    ]
    lines += [f"| {label} | {sec:.2f} | {sec / result.seconds:.0%} |" for label, sec in result.phases]
    lines += ["", "| calls (overlapping the phases) | count | summed seconds |", "|---|---:|---:|"]
    lines += [f"| {label} | {count} | {sec:.2f} |" for label, count, sec in result.totals]
    lines += ["", "| import in a fresh interpreter (`python -X importtime`) | cumulative seconds |", "|---|---:|"]
    lines += [f"| `{name}` | {sec:.2f} |" for name, sec in result.imports]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Where one stack's drift check spends its time.")
    parser.add_argument("--config-dir", type=Path, default=Path("."), help="the project with Pulumi.<stack>.yaml")
    parser.add_argument("--stack", required=True)
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env.setdefault("PULUMI_BACKEND_URL", f"file://{(args.config_dir / '.pulumi-state').resolve()}")
    print("\n".join(table(profile(args.config_dir.resolve(), env, args.stack))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
