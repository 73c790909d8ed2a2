"""Real-engine benchmarks on the local control plane: each figure a ratio against a baseline run in the same
invocation (same machine, same load), because absolute seconds on a shared 2-core machine mean little.

Run: ``make bench`` (starts the local cluster when it is not running). Writes ``bench/results-engine.md``.
Never asserted in tests. Cases:

* (converge) ``federation up`` from empty vs the three ``pulumi stack init`` and five ``pulumi up --skip-preview``
  a user runs by hand in order (parties, exchange, parties: each party's key request must be signed before it
  can install its certificate);
* a converged no-op ``federation up`` vs one ``pulumi preview`` per stack, run in parallel;
* (drift) each stack's drift check (``pulumi preview --refresh --expect-no-changes``) vs ``kubectl diff
  --server-side`` of the same live objects (the stack's Kubernetes resources, Secrets left out: their data is
  encrypted in the state), on the federation the converge case built (or one of its own); then one party's
  check broken down by Pulumi's spans (bench/profile_drift.py), cheap levers on it, and a Deployment scaled
  outside Pulumi, which the check must report;
* (scale) the exchange's ``preview`` and ``up`` at 2, 20 and 100 parties vs 2, with the peak RSS of the Python
  program (the language host's child), the party stacks being outputs only (a one-resource state each);
* (evaluation) the exchange program's evaluation under mocks at 200 parties (bench/bench_federation.py's program).
"""

from __future__ import annotations

import copy
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench.bench_federation import _exchange_program, party_request
from bench.measure import measure
from bench.profile_drift import DRIFT_CHECK, descendants, profile
from tests.e2e.federation_fixtures import EXCHANGE, PARTIES, Federation, copy_project, federation_env
from tests.e2e.kubeapi import KubeApi
from tests.e2e.local_provisioner import LocalProvisioner, delete_released

RESULTS = Path(__file__).resolve().parent / "results-engine.md"
SCALE = (2, 20, 100)
NAMESPACES = ("fate-exchange", "fate-30000", "fate-40000", "kube-fate")
PROJECT = "kubefate-tanzu"
# Cheap levers on the drift check, each measured against a kubectl diff run right after it. None weakens
# what is checked except the refresh alone, which skips the program: the detection rows show what it finds.
REFRESH_ONLY = ("refresh --preview-only (no program run)", ("refresh", "--preview-only", "--expect-no-changes"))
LEVERS = (
    ("--parallel 64", (*DRIFT_CHECK, "--parallel", "64")),
    ("--suppress-progress", (*DRIFT_CHECK, "--suppress-progress")),
    REFRESH_ONLY,
)
PROFILED_STACK = PARTIES[0]  # the largest stack: KubeFATE and a FATE cluster


@dataclass
class Run:
    seconds: float
    peak_rss: int = 0  # bytes, the largest Python process under the CLI
    stdout: str = ""
    code: int = 0


def _python_hwm(pids: list[int]) -> int:
    peak = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Name", "").strip().startswith("python") and "VmHWM" in fields:
            peak = max(peak, int(fields["VmHWM"].split()[0]) * 1024)
    return peak


def run(cmd: list[str], env: dict[str, str], cwd: Path, check: bool = True, watch: bool = False) -> Run:
    """One command, timed; with ``watch`` the peak RSS of the Python processes it starts is sampled."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], _python_hwm(descendants(proc.pid)[1:]))

    sampler = threading.Thread(target=sample, daemon=True)
    if watch:
        sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    if watch:
        sampler.join()
    if check and proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n{out[-4000:]}")
    return Run(seconds, peak[0], out, proc.returncode)


def pulumi(fed: Federation, stack: str, *args: str, check: bool = True, watch: bool = False) -> Run:
    cmd = ["pulumi", *args, "--stack", stack, "--non-interactive", "--cwd", str(fed.root)]
    return run(cmd, fed.env, fed.root, check=check, watch=watch)


def federation(fed: Federation, *args: str) -> Run:
    cmd = [sys.executable, "-m", "federation", *args, "--variant", "local", "--config-dir", str(fed.root)]
    return run(cmd, fed.env, Path(__file__).resolve().parents[1])


@dataclass
class Bench:
    work: Path
    kubeconfig: Path
    api: KubeApi
    rows: list[tuple[str, str, float, float, float]] = field(default_factory=list)  # section, case, s, base s
    converged: Federation | None = None  # the federation `federation up` built, shared by converge and drift

    def project(self, label: str) -> Federation:
        root = copy_project(self.work / label, self.kubeconfig)
        (root / ".pulumi-state").mkdir()
        return Federation(root, federation_env(dict(os.environ), root), self.api)

    def row(self, section: str, case: str, seconds: float, base: float, extra: float = 0.0) -> None:
        self.rows.append((section, case, seconds, base, extra))
        if section == "memory":
            print(f"{section}: {case}: {seconds:.0f}", flush=True)
        else:
            print(f"{section}: {case}: {seconds:.1f}s vs {base:.1f}s = {seconds / base:.2f}x", flush=True)

    def wait_gone(self, namespaces: tuple[str, ...]) -> None:
        deadline = time.monotonic() + 600
        for ns in namespaces:
            self.api.delete(f"/api/v1/namespaces/{ns}")
        while time.monotonic() < deadline:
            if all(self.api.get_or_none(f"/api/v1/namespaces/{ns}") is None for ns in namespaces):
                return
            time.sleep(2)
        raise RuntimeError(f"namespaces {namespaces} still there after 600 s")

    def destroy(self, fed: Federation, stacks: list[str]) -> None:
        for stack in stacks:
            pulumi(fed, stack, "destroy", "--yes", "--skip-preview", check=False)
        self.wait_gone(NAMESPACES)


def converge_cases(bench: Bench) -> None:
    stacks = [EXCHANGE, *PARTIES]
    hand = bench.project("by-hand")
    started = time.perf_counter()
    for stack in stacks:  # from empty on both sides: the command creates its stacks too
        pulumi(hand, stack, "stack", "init")
    for stack in [*PARTIES, EXCHANGE, *PARTIES]:
        pulumi(hand, stack, "up", "--yes", "--skip-preview")
    by_hand = time.perf_counter() - started
    bench.destroy(hand, [*PARTIES, EXCHANGE])

    fed = bench.project("federation")
    up = federation(fed, "up")
    bench.converged = fed
    bench.row("converge", "federation up from empty vs 3 x stack init + 5 x pulumi up by hand", up.seconds, by_hand)
    noop = federation(fed, "up")
    started = time.perf_counter()
    with ThreadPoolExecutor(len(stacks)) as pool:
        list(pool.map(lambda s: pulumi(fed, s, "preview"), stacks))
    previews = time.perf_counter() - started
    bench.row("converge", "no-op federation up vs parallel pulumi previews", noop.seconds, previews)


def kubectl_diff(bench: Bench, fed: Federation, stack: str) -> Run:
    """``kubectl diff --server-side`` of the stack's live objects; an exit above 1 is kubectl failing, not a
    diff, and would make a baseline that measured nothing, so it stops the bench."""
    manifest = live_manifest(fed, stack)
    cmd = ["kubectl", "--kubeconfig", str(bench.kubeconfig), "diff", "--server-side", "--force-conflicts"]
    diff = run([*cmd, "-f", str(manifest)], fed.env, fed.root, check=False)
    if diff.code > 1:
        raise RuntimeError(f"kubectl diff of {stack} failed (exit {diff.code}), no baseline:\n{diff.stdout[-4000:]}")
    return diff


def drift_cases(bench: Bench) -> None:
    if bench.converged is None:
        bench.converged = bench.project("drift")
        federation(bench.converged, "up")
    fed = bench.converged
    for stack in [EXCHANGE, *PARTIES]:
        check = pulumi(fed, stack, *DRIFT_CHECK, check=False)
        diff = kubectl_diff(bench, fed, stack)
        case = f"{stack} preview --refresh (exit {check.code}) vs kubectl diff --server-side (exit {diff.code})"
        bench.row("drift", case, check.seconds, diff.seconds)
        if diff.code == 1:
            print(f"kubectl diff of {stack} reported differences:\n{diff.stdout[-3000:]}", flush=True)
    profile_cases(bench, fed, PROFILED_STACK)


def profile_cases(bench: Bench, fed: Federation, stack: str) -> None:
    """One stack's drift check broken down by Pulumi's spans (bench/profile_drift.py), the levers, and whether
    the plain check and the refresh alone both report a Deployment scaled outside Pulumi (the e2e test's edit)."""
    found = profile(fed.root, fed.env, stack)
    for label, seconds in found.phases:
        bench.row("profile", f"{stack}: {label}", seconds, found.seconds)
    for label, count, seconds in found.totals:
        bench.row("profile calls", f"{stack}: {label} x {count} (summed)", seconds, found.seconds)
    for name, seconds in found.imports:
        bench.row("profile imports", f"import {name} (python -X importtime, cumulative)", seconds, found.seconds)
    bench.row("profile", f"{stack}: pulumi version alone (CLI start and exit)", found.cli_start, found.seconds)
    bench.row("profile", f"{stack}: CPU of the Python program (user + system)", found.program_cpu, found.seconds)
    for label, args in (("preview --refresh", DRIFT_CHECK), *LEVERS):
        check = pulumi(fed, stack, *args, check=False)
        diff = kubectl_diff(bench, fed, stack)
        if check.code:
            print(f"{stack} {label} exited {check.code} with nothing changed:\n{check.stdout[-6000:]}", flush=True)
        case = f"{stack} {label} (exit {check.code}) vs kubectl diff --server-side (exit {diff.code})"
        bench.row("lever", case, check.seconds, diff.seconds)
    namespace = f"fate-{stack.rsplit('-', 1)[1]}"
    deployment = bench.api.items(f"/apis/apps/v1/namespaces/{namespace}/deployments")[0]
    name, replicas = deployment["metadata"]["name"], deployment["spec"]["replicas"]
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
    bench.api.merge_patch(path, {"spec": {"replicas": replicas + 2}})
    try:
        for label, args in (("preview --refresh", DRIFT_CHECK), REFRESH_ONLY):
            check = pulumi(fed, stack, *args, check=False)
            diff = kubectl_diff(bench, fed, stack)
            case = f"{stack}, {name} scaled out of band: {label} (exit {check.code}) vs kubectl diff (exit {diff.code})"
            bench.row("detect", case, check.seconds, diff.seconds)
    finally:
        bench.api.merge_patch(path, {"spec": {"replicas": replicas}})


def live_manifest(fed: Federation, stack: str) -> Path:
    """The stack's Kubernetes objects as the state last applied them (Secrets left out), one YAML stream."""
    state = json.loads(pulumi(fed, stack, "stack", "export").stdout)
    docs = []
    for res in state["deployment"].get("resources") or []:
        inputs = res.get("inputs") or {}
        kind = inputs.get("kind")
        if not res["type"].startswith("kubernetes:") or not kind or kind in ("Secret", "List"):
            continue
        if res["type"].startswith("kubernetes:helm") or res["type"].startswith("kubernetes:yaml"):
            continue
        doc = {k: v for k, v in inputs.items() if k not in ("__fieldsToPatch",)}
        meta = doc.get("metadata") or {}
        meta["name"] = (res.get("outputs") or {}).get("metadata", {}).get("name", meta.get("name"))
        doc["metadata"] = meta
        docs.append(doc)
    path = fed.root / f"{stack}.live.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return path


def _party_state(template: dict[str, Any], stack: str, party_id: int) -> dict[str, Any]:
    state = copy.deepcopy(template)
    host = f"10.{party_id // 250 % 250}.{party_id % 250}.1"
    root = state["checkpoint"]["latest"]["resources"][0]
    root["urn"] = f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{stack}"
    root["outputs"] = {
        "partyId": party_id,
        "nginxEndpoint": {"host": host, "httpPort": 9300, "grpcPort": 9310},
        "pulsarEndpoint": {"host": host, "port": 6650, "sslPort": 6651},
        "pulsarCsr": party_request(party_id),  # so the exchange signs one certificate per party, as for real
    }
    state["checkpoint"]["stack"] = f"organization/{PROJECT}/{stack}"
    return state


def make_parties(fed: Federation, count: int) -> list[tuple[int, str]]:
    """Party stacks that are outputs only: one made by `pulumi stack import`, the others copied from its
    checkpoint file (the file backend's layout), which takes seconds instead of one CLI run each."""
    parties = [(10000 + i, f"bench-party-{10000 + i}") for i in range(count)]
    first = parties[0][1]
    pulumi(fed, first, "stack", "init")
    seed = {
        "version": 3,
        "deployment": {
            "manifest": {"time": datetime.now(UTC).isoformat(), "magic": "", "version": ""},
            "resources": [
                {
                    "urn": f"urn:pulumi:{first}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{first}",
                    "custom": False,
                    "type": "pulumi:pulumi:Stack",
                    "outputs": {},
                }
            ],
        },
    }
    seed_file = fed.root / "seed.json"
    seed_file.write_text(json.dumps(seed))
    pulumi(fed, first, "stack", "import", "--file", str(seed_file))
    stacks_dir = fed.root / ".pulumi-state" / ".pulumi" / "stacks" / PROJECT
    template = json.loads((stacks_dir / f"{first}.json").read_text())
    for party_id, stack in parties:
        (stacks_dir / f"{stack}.json").write_text(json.dumps(_party_state(template, stack, party_id)))
    return parties


def scale_cases(bench: Bench) -> None:
    base: dict[str, Run] = {}
    for count in SCALE:
        fed = bench.project(f"scale-{count}")
        parties = make_parties(fed, count)
        doc = fed.stack_config(EXCHANGE)
        doc["config"]["kubefate-tanzu:exchange"]["parties"] = [{"partyId": p, "stack": s} for p, s in parties]
        fed.write_stack_config(EXCHANGE, doc)
        pulumi(fed, EXCHANGE, "stack", "init")
        up = pulumi(fed, EXCHANGE, "up", "--yes", "--skip-preview", watch=True)
        preview = pulumi(fed, EXCHANGE, "preview", watch=True)
        base.setdefault("up", up)
        base.setdefault("preview", preview)
        for name, sample in (("up", up), ("preview", preview)):
            bench.row("exchange", f"{name} at {count} parties vs 2", sample.seconds, base[name].seconds)
            bench.row(
                "memory", f"Python program peak RSS, {name} at {count} parties (MiB)", sample.peak_rss / 2**20, 1.0
            )
        pulumi(fed, EXCHANGE, "destroy", "--yes", "--skip-preview", check=False)
        bench.wait_gone(("fate-exchange",))


def evaluation_case(bench: Bench) -> None:
    two = measure("exchange, 2 parties", _exchange_program(2), repeats=3)
    big = measure("exchange, 200 parties", _exchange_program(200), repeats=3)
    bench.row("evaluation", "exchange program under mocks, 200 parties vs 2 (seconds)", big.seconds, two.seconds)


def _previous(sections: set[str]) -> tuple[list[str], list[str]]:
    """From the current results file: the table rows of sections this run did not measure (with the date of
    the run that measured them) and the hand-written part after the table (``## `` headings on), so that a
    ``BENCH_CASES`` run replaces only its own rows."""
    if not RESULTS.is_file():
        return [], []
    lines = RESULTS.read_text().splitlines()
    dated = next((ln for ln in lines if ln[:4].isdigit()), "")[:16]
    tail = next((i for i, ln in enumerate(lines) if ln.startswith("## ")), len(lines))
    rows = [  # the generated table only: the hand-written tables below it are kept as they are, in the tail
        ln if ln.count("|") > 6 else f"{ln} {dated} |"
        for ln in lines[:tail]
        if ln.startswith("| ") and ln.split("|")[1].strip() not in {"section", *sections}
    ]
    return rows, lines[tail:]


def write(bench: Bench, started: datetime, seconds: float) -> None:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln),
        platform.processor(),
    )
    kept, tail = _previous({row[0] for row in bench.rows})
    lines = [
        "# Real-engine benchmarks (generated by `make bench`, bench/bench_engine.py)",
        "",
        f"{started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores ({cpu}), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, load average at the end "
        f"{os.getloadavg()[0]:.1f}; {seconds / 60:.1f} min in all. Memory rows: MiB, no ratio.",
        "",
        "| section | case | seconds | baseline s | ratio | run (UTC) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for section, case, value, base, _ in bench.rows:
        ratio = f"{value / base:.2f}x" if section != "memory" else ""
        shown = base if section != "memory" else 0
        lines.append(f"| {section} | {case} | {value:.2f} | {shown:.2f} | {ratio} | {started:%Y-%m-%d %H:%M} |")
    lines += kept
    if tail:
        lines += ["", *tail]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(RESULTS.read_text())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cases: dict[str, Callable[[Bench], None]] = {
        "evaluation": evaluation_case,
        "converge": converge_cases,
        "drift": drift_cases,
        "scale": scale_cases,
    }
    chosen = argv or list(cases)
    unknown = [c for c in chosen if c not in cases]
    if unknown:
        print(f"unknown case(s) {unknown}; choose from {list(cases)}", file=sys.stderr)
        return 2
    kubeconfig = Path(os.environ.get("KFT_KUBECONFIG", ".local/cluster/kubeconfig")).resolve()
    if shutil.which("pulumi") is None or not kubeconfig.is_file():
        print("needs the toolchain on PATH and a running local cluster: run `make bench`", file=sys.stderr)
        return 2
    api = KubeApi.from_kubeconfig(kubeconfig)
    provisioner = LocalProvisioner(api).start()
    started, clock = datetime.now(UTC), time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="kft-bench-"))
    bench = Bench(work, kubeconfig, api)
    try:
        # In the order above: drift reuses the federation converge built; every other case needs the
        # namespaces free, so that federation goes before it.
        for name in (c for c in cases if c in chosen):
            if name != "drift" and bench.converged is not None:
                bench.destroy(bench.converged, [*PARTIES, EXCHANGE])
                bench.converged = None
            cases[name](bench)
    finally:
        if bench.converged is not None:
            bench.destroy(bench.converged, [*PARTIES, EXCHANGE])
        provisioner.stop()
        delete_released(api)
        write(bench, started, time.perf_counter() - clock)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
