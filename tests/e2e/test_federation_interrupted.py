"""An interrupted federation run recovers (issue 14), with the real engine on the local control plane.

Four points, each interrupted once and each followed by its own recovering ``federation up``, which must
converge and leave a clean federation: exit 0, no lock, no pending operation in any stack, every object of the
federation's namespaces in some stack's state (no orphans), ``federation preview --expect-no-changes`` passes.

1. SIGKILL to the whole process group during the exchange's first update: the module's first ``up`` on an
   empty control plane (parties, exchange, parties), killed once the parties' first update is done and the
   exchange is creating. Its recovering run is the build the other points start from.
2. SIGKILL during the party updates: both party stack files ask for a new CPU request of their nginx
   and fateboard, so only the two parties run.
3. SIGKILL during the exchange's route update: party 30000's nginx Service is deleted and that one resource
   refreshed (as `pulumi refresh --target` would after an outage), so the next ``up`` recreates it under a new
   LoadBalancer address and the exchange must route to it: party 30000, then the exchange.
4. SIGINT (Ctrl-C: the run's process group) during the party updates, provoked as in 2: the graceful path.
   Exit 130, the report names the parties interrupted (the first phase), the exchange not started, and what
   to run next; no process and no lock left.

Each point is provoked by a small change, so only the stacks of that point run and each recovery costs one or
two stack updates instead of a build from empty. Each recovering run is also checked for what it recovered:
the stale lock(s) the kill left removed with a message, any checkpoint metadata the kill cut short removed
with a message (federation/sidecars.py), the operations left pending resolved, and the change the killed run
was making live in the cluster.

A kill point is recognised from the evidence of an operation in flight, never from a delay or a line of
output: the stack's lock file exists *and* its checkpoint (the file backend's ``stacks/<project>/<stack>.json``,
which the engine saves before it asks a provider to create, update or delete) holds a pending create, update
or delete. After each SIGKILL no process carrying the run's marker survives (the watchdog). A run a failed
test leaves running is killed when that test ends, and the next test first converges the federation again
(``converged``) when the one before it did not leave it clean, so a failure stays with the test that had it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from federation import processes, sidecars
from tests.e2e import federation_fixtures as ff
from tests.e2e.federation_fixtures import EXCHANGE, PARTIES, Federation, config_map_with, lb_ip, service, wait_for

pytestmark = pytest.mark.e2e
local_volumes, project_factory = ff.local_volumes, ff.project_factory

NAMESPACES = ("fate-exchange", "fate-30000", "fate-40000", "kube-fate")
CHANGING = ("creating", "updating", "deleting")
KINDS = (
    ("api/v1", "services"),
    ("api/v1", "configmaps"),
    ("api/v1", "secrets"),
    ("api/v1", "serviceaccounts"),
    ("apis/apps/v1", "deployments"),
    ("apis/apps/v1", "statefulsets"),
    ("apis/networking.k8s.io/v1", "ingresses"),
    ("apis/rbac.authorization.k8s.io/v1", "roles"),
    ("apis/rbac.authorization.k8s.io/v1", "rolebindings"),
)
POINT_TIMEOUT = 900  # seconds a run may take to reach its kill point on a loaded machine
RESIZED = ("nginx", "fateboard")  # the party Deployments whose CPU request points 2 and 4 change
ROUTED = "local-party-30000"  # the party whose nginx Service point 3 replaces


@dataclass
class Run:
    """A `python -m federation up --verbose` in a session of its own, its output collected line by line."""

    proc: subprocess.Popen
    run_id: processes.RunId
    lines: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, what: str, predicate: Callable[[], bool], timeout: float = POINT_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"the run ended (exit {self.proc.returncode}) before {what}:\n{self.text()[-6000:]}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}:\n{self.text()[-6000:]}")
            time.sleep(0.1)
        print(f"{what}: reached after {time.monotonic() - self.started:.0f}s")

    def printed(self, stack: str, needle: str) -> bool:
        prefix = f"[{stack}]"
        return any(ln.startswith(prefix) and needle in ln for ln in list(self.lines))


STARTED: list[Run] = []


def start(fed: Federation, *args: str) -> Run:
    cmd = [
        sys.executable,
        "-m",
        "federation",
        "up",
        "--verbose",
        "--variant",
        "local",
        "--config-dir",
        str(fed.root),
        "--parallel",
        ff.FEDERATION_PARALLEL,
        *args,
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ff.REPO,
        env=fed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    run = Run(proc, processes.RunId(processes.hostname(), proc.pid, processes.start_ticks(proc.pid) or 0))

    def pump() -> None:
        for line in proc.stdout:
            run.lines.append(line.rstrip())

    threading.Thread(target=pump, daemon=True).start()
    STARTED.append(run)
    return run


@pytest.fixture(autouse=True)
def no_run_outlives_its_test() -> Iterator[None]:
    yield
    while STARTED:
        run = STARTED.pop()
        if run.proc.poll() is None:
            os.killpg(run.proc.pid, signal.SIGKILL)
            run.proc.wait(timeout=60)
        processes.kill(leftovers(run))


def leftovers(run: Run) -> list[processes.ProcInfo]:
    return processes.of_run(processes.scan(), run.run_id)


def assert_nothing_left(run: Run, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while leftovers(run) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = leftovers(run)
    assert not left, f"processes of the stopped run still alive: {[(p.pid, p.comm) for p in left]}"


def sigkill(run: Run) -> None:
    os.killpg(run.proc.pid, signal.SIGKILL)
    killed = time.monotonic()
    run.proc.wait(timeout=60)
    assert_nothing_left(run)
    print(f"SIGKILL: no process of the run left after {time.monotonic() - killed:.1f}s")


# --- evidence of an operation in flight ---------------------------------------------------------------------


def lock_files(fed: Federation, stack: str | None = None) -> list[Path]:
    base = fed.root / ".pulumi-state" / ".pulumi" / "locks"
    return sorted(p for p in base.rglob("*.json") if stack is None or p.parent.name == stack)


def checkpoint(fed: Federation, stack: str) -> Path:
    return fed.root / ".pulumi-state" / ".pulumi" / "stacks" / "kubefate-tanzu" / f"{stack}.json"


def pending(fed: Federation, stack: str) -> list[tuple[str, str]]:
    """(operation, resource type) of each pending operation of ``stack``'s checkpoint as the engine last saved
    it ([] when unreadable)."""
    try:
        data = checkpoint(fed, stack).read_bytes()
    except OSError:
        return []
    if b'"pending_operations"' not in data:  # omitted from the file when empty: no need to parse it
        return []
    try:
        latest = json.loads(data)["checkpoint"]["latest"] or {}
    except (ValueError, KeyError, TypeError):
        return []  # mid-write by another writer than the engine's rename: read again on the next poll
    return [
        (op.get("type", "?"), op.get("resource", {}).get("type", "?")) for op in latest.get("pending_operations") or []
    ]


def changing(fed: Federation, stack: str) -> bool:
    """``stack``'s update holds its lock and is creating, updating or deleting an object in the cluster (a
    ``kubernetes:`` resource: the provider resource ``pulumi:providers:kubernetes`` changes nothing there)."""
    return bool(lock_files(fed, stack)) and any(
        op in CHANGING and rtype.startswith("kubernetes:") for op, rtype in pending(fed, stack)
    )


# --- what a recovering run must show ----------------------------------------------------------------------------


@dataclass
class Left:
    """What a SIGKILL left of one stack: its lock files and the pending operations of its checkpoint."""

    stack: str
    locks: int
    pending: int
    sidecars: int  # metadata files the kill cut short while the backend rewrote them (federation/sidecars.py)


def left_behind(fed: Federation) -> list[Left]:
    """Read once every process of the stopped run is gone, so the files are final; the exchange first."""
    root = fed.root / ".pulumi-state"
    left = [
        Left(s, len(lock_files(fed, s)), len(pending(fed, s)), len(sidecars.truncated(root, "kubefate-tanzu", s)))
        for s in (EXCHANGE, *PARTIES)
    ]
    print(
        "left behind: "
        + ", ".join(f"{x.stack}: {x.locks} lock(s), {x.pending} pending, {x.sidecars} cut sidecar(s)" for x in left)
    )
    return left


def assert_recovered(run: Run, left: list[Left]) -> None:
    """Every stale lock and cut sidecar removed with a message, every stack's pending operations reported and
    resolved."""
    text = run.text()
    for x in left:
        removed = re.findall(rf"recovery: {x.stack}: removed a stale lock: .*no longer exists", text)
        assert len(removed) == x.locks, f"{x.stack}: {x.locks} lock(s) left, {len(removed)} removed:\n{text[:4000]}"
        cut = re.findall(rf"recovery: {x.stack}: removed \S+\.attrs: a run was killed while writing", text)
        assert len(cut) == x.sidecars, f"{x.stack}: {x.sidecars} cut sidecar(s), {len(cut)} removed:\n{text[:4000]}"
        if x.pending:
            assert f"recovery: {x.stack}: {x.pending} operation(s) left pending by an interrupted run" in text, (
                f"{x.stack}: {x.pending} pending operation(s) not reported:\n{text[:4000]}"
            )


def stack_updates(run: Run) -> int:
    match = re.search(r"converged after \d+ pass\(es\), (\d+) stack update", run.text())
    assert match, run.text()[-3000:]
    return int(match.group(1))


def state(fed: Federation, stack: str) -> dict:
    """What ``pulumi stack export`` prints as ``deployment``, read where the file backend keeps it."""
    return json.loads(checkpoint(fed, stack).read_text())["checkpoint"]["latest"] or {}


def orphans(fed: Federation, owned: set[str]) -> list[str]:
    found = []
    for ns in NAMESPACES:
        for base, plural in KINDS:
            for obj in fed.api.items(f"/{base}/namespaces/{ns}/{plural}"):
                meta = obj["metadata"]
                if (
                    meta["name"] in ("kube-root-ca.crt", "default")
                    or meta.get("ownerReferences")
                    or obj.get("type") == "kubernetes.io/service-account-token"
                ):
                    continue  # made by Kubernetes controllers, not by a stack
                if f"{ns}/{meta['name']}" not in owned:
                    found.append(f"{ns}/{plural}/{meta['name']}")
    return found


def assert_clean(fed: Federation) -> None:
    """No lock, no pending operation, no orphan, and nothing left to change. The preview (the slow part: every
    stack's program runs) goes on while the states are read and the namespaces listed; all are checked."""
    assert lock_files(fed) == []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        preview = pool.submit(fed.command, "preview", "--expect-no-changes", check=False)
        owned: set[str] = set()
        for stack in (EXCHANGE, *PARTIES):
            deployment = state(fed, stack)
            assert not deployment.get("pending_operations"), (stack, deployment.get("pending_operations"))
            owned |= {r["id"] for r in deployment.get("resources") or [] if r.get("id")}
        left = orphans(fed, owned)
        scanned = time.monotonic() - started
        result = preview.result()
    print(f"checks: states and orphan scan {scanned:.1f}s, preview {time.monotonic() - started:.0f}s")
    assert not left, f"objects no stack owns: {left}"
    assert result.returncode == 0, result.stdout[-4000:]


def converge(fed: Federation, book: dict[str, bool], left: list[Left]) -> Run:
    """The recovering run: it must converge by itself and leave a clean federation."""
    run = start(fed)
    code = run.proc.wait(timeout=ff.FEDERATION_TIMEOUT)
    print(f"recovering run: {time.monotonic() - run.started:.0f}s")
    print("\n".join(ln for ln in run.lines if ln.startswith(("recovery:", "   ", "==", "total", "converged"))))
    assert code == 0, run.text()[-8000:]
    assert "converged after" in run.text()
    assert_recovered(run, left)
    assert_clean(fed)
    book["clean"] = True
    return run


# --- the module's federation -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fed(project_factory) -> Iterator[Federation]:
    fed = project_factory("interrupted")
    ff.require_empty(fed.api, ff.FEDERATION_NAMESPACES)
    yield fed
    ff.destroy_everything(fed)


@pytest.fixture(scope="module")
def book() -> dict[str, bool]:
    """``clean``: the last test ended with a converged federation that passed every check."""
    return {"clean": False}


@pytest.fixture
def converged(fed: Federation, book: dict[str, bool]) -> Federation:
    """The federation as a recovering run left it; converged again first when the test before did not get
    that far (it failed, or this test runs alone), so each test starts from a built, unlocked federation."""
    if not book["clean"]:
        started = time.monotonic()
        fed.command("up")
        print(f"setup: converged the federation first ({time.monotonic() - started:.0f}s)")
    book["clean"] = False
    return fed


def resize(fed: Federation, cpu: str) -> None:
    """The CPU request of nginx and fateboard in both party stack files: an update of two Deployments each."""
    for stack in PARTIES:
        doc = fed.stack_config(stack)
        fate = doc["config"]["kubefate-tanzu:fate"]
        for module in RESIZED:
            fate[module]["resources"]["requests"]["cpu"] = cpu
        fed.write_stack_config(stack, doc)


def assert_resized(fed: Federation, cpu: str) -> None:
    for stack in PARTIES:
        ns = f"fate-{stack.rsplit('-', 1)[1]}"
        for name in RESIZED:
            spec = fed.api.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")["spec"]["template"]["spec"]
            main = next(c for c in spec["containers"] if c["name"] == name)
            assert main["resources"]["requests"]["cpu"] == cpu, (ns, name, main["resources"])


def parties_updating(fed: Federation) -> bool:
    return all(lock_files(fed, p) for p in PARTIES) and any(changing(fed, p) for p in PARTIES)


# --- the points ---------------------------------------------------------------------------------------------------


def test_sigkill_during_the_exchanges_first_update(fed, book) -> None:
    run = start(fed)
    run.wait_for(
        "the exchange's first update",
        lambda: changing(fed, EXCHANGE) and all(run.printed(p, "Duration:") for p in PARTIES),
    )
    sigkill(run)
    left = left_behind(fed)
    assert left[0].locks, "a killed update leaves its lock (what the next run must recover from)"
    recovering = converge(fed, book, left)
    # The parties' first update was complete: the exchange finishes its update (signatures, routes), then the
    # parties install their certificates.
    assert stack_updates(recovering) == 1 + len(PARTIES), recovering.text()[-4000:]


def test_sigkill_during_the_party_updates(converged, book) -> None:
    fed = converged
    resize(fed, "110m")
    run = start(fed)
    run.wait_for("the party updates", lambda: parties_updating(fed))
    sigkill(run)
    left = left_behind(fed)
    assert any(x.locks for x in left[1:]), left
    recovering = converge(fed, book, left)
    assert_resized(fed, "110m")
    # Only the parties run again: every party the kill found updating (a party that finished in the moment
    # between the evidence and the kill may run once more); the exchange reads nothing they changed.
    assert sum(1 for x in left[1:] if x.locks) <= stack_updates(recovering) <= len(PARTIES), recovering.text()[-4000:]
    assert not re.search(rf"^\s+{EXCHANGE}\s+up\s", recovering.text(), re.MULTILINE), recovering.text()[-4000:]


def test_sigkill_during_the_exchanges_route_update(converged, book) -> None:
    fed, api = converged, converged.api
    ns = f"fate-{ROUTED.rsplit('-', 1)[1]}"
    before = lb_ip(service(api, ns, "nginx"))
    api.delete(f"/api/v1/namespaces/{ns}/services/nginx")
    wait_for(lambda: api.get_or_none(f"/api/v1/namespaces/{ns}/services/nginx") is None, what="nginx gone")
    urn = next(
        r["urn"]
        for r in state(fed, ROUTED)["resources"]
        if r["type"] == "kubernetes:core/v1:Service" and r.get("id") == f"{ns}/nginx"
    )
    fed.stack(ROUTED).run("refresh", "--yes", "--skip-preview", "--target", urn)
    run = start(fed)
    run.wait_for(
        "the exchange's route update",
        lambda: run.printed(ROUTED, "Duration:") and changing(fed, EXCHANGE),
    )
    sigkill(run)
    left = left_behind(fed)
    assert left[0].locks, left
    converge(fed, book, left)
    after = lb_ip(service(api, ns, "nginx"))
    assert after != before, "the recreated Service kept its address: the exchange had nothing to route anew"
    table = yaml.safe_load(config_map_with(api, "fate-exchange", "route_table.yaml")["data"]["route_table.yaml"])
    hops = table[int(ROUTED.rsplit("-", 1)[1])]
    assert {h["host"] for hop in hops.values() for h in hop} == {after}, table


def test_sigint_during_the_party_updates_stops_gracefully(converged, book) -> None:
    fed = converged
    resize(fed, "120m")
    run = start(fed)
    run.wait_for("the party updates", lambda: parties_updating(fed))
    os.killpg(run.proc.pid, signal.SIGINT)  # what the terminal's Ctrl-C delivers: the foreground group
    code = run.proc.wait(timeout=600)
    assert_nothing_left(run)
    text = run.text()
    print(f"SIGINT run: {time.monotonic() - run.started:.0f}s")
    assert code == 128 + signal.SIGINT, text[-4000:]
    assert "SIGINT received" in text and "to stop gracefully" in text
    interrupted = [p for p in PARTIES if re.search(rf"interrupted  {p}: ", text)]
    completed = [p for p in PARTIES if re.search(rf"completed    {p}: ", text)]
    assert interrupted and sorted(interrupted + completed) == sorted(PARTIES), text[-3000:]
    assert f"not started  {EXCHANGE}" in text, text[-3000:]
    assert "next: run `python -m federation up" in text
    assert lock_files(fed) == []  # Pulumi's graceful cancel released its lock
    left = left_behind(fed)
    recovering = converge(fed, book, left)
    assert "removed a stale lock" not in recovering.text()
    assert_resized(fed, "120m")
    assert stack_updates(recovering) == len(interrupted), recovering.text()[-4000:]
