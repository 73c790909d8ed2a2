"""An interrupted federation run recovers (issue 14), with the real engine on the local control plane.

One federation for the module, built from empty by runs that are stopped on purpose, in order:

0. SIGINT (Ctrl-C: the run's process group) during the parties' first update: the graceful path. Exit 130,
   the report names the interrupted parties, the exchange not started and what to run next; no process of
   the run and no lock are left.
1. SIGKILL to the whole process group during the parties' (continued) first update, once both are creating,
2. SIGKILL during the exchange's update: the next run recovers both parties, finishes their first update,
   and is killed while the exchange creates (CA, signatures, routes),
3. SIGKILL during the parties' second update (certificate, exchange endpoint): the next run recovers the
   exchange, finishes its update, and is killed in the parties' last phase,
4. the next ``federation up`` converges, and leaves a clean federation: no lock, no pending operation in any
   stack, every object of the federation's namespaces in some stack's state (no orphans), ``federation
   preview --expect-no-changes`` passes.

Runs 2 and 3 are each the recovering run of the previous kill, stopped later in their own progress, so one
build from empty serves every point (a converge with its checks after each point would cost the whole
build three more times: minutes of ``make test`` on this machine). Each recovering run is checked for what it
recovered: the stale lock(s) removed with a message, and the phase that was killed finished before the next
kill.

A kill point is recognised from the evidence of an operation in flight, never from a delay or a line of
output: the stack's lock file exists *and* its checkpoint (the file backend's ``stacks/<project>/<stack>.json``,
which the engine saves before it asks a provider to create, update or delete) holds a pending create, update
or delete. That is what a ``kill -9`` must be recoverable from. The points are long on purpose: the
exchange's and the parties' first updates create everything, the parties' second update rolls Pulsar and
nginx out with TLS and the exchange's routes. After
each SIGKILL no process carrying the run's marker survives (the watchdog). A run a failed test leaves
running is killed when that test ends.
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
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from federation import processes
from tests.e2e import federation_fixtures as ff
from tests.e2e.federation_fixtures import EXCHANGE, PARTIES, Federation

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
LOCKED_AT_LAST_KILL: list[str] = []  # the parties whose locks the last SIGKILL left (test 3 -> test 4)
POINT_TIMEOUT = 900  # seconds a run may take to reach its kill point on a loaded machine


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


def pending_kinds(fed: Federation, stack: str) -> list[str]:
    """The pending operations of ``stack``'s checkpoint as the engine last saved it ([] when unreadable)."""
    path = fed.root / ".pulumi-state" / ".pulumi" / "stacks" / "kubefate-tanzu" / f"{stack}.json"
    try:
        data = path.read_bytes()
    except OSError:
        return []
    if b'"pending_operations"' not in data:  # omitted from the file when empty: no need to parse it
        return []
    try:
        latest = json.loads(data)["checkpoint"]["latest"] or {}
    except (ValueError, KeyError, TypeError):
        return []  # mid-write by another writer than the engine's rename: read again on the next poll
    return [op.get("type", "?") for op in latest.get("pending_operations") or []]


def changing(fed: Federation, stack: str) -> bool:
    """``stack``'s update holds its lock and has a create, update or delete in flight."""
    return bool(lock_files(fed, stack)) and any(k in CHANGING for k in pending_kinds(fed, stack))


def state(fed: Federation, stack: str) -> dict:
    return json.loads(fed.stack(stack).run("stack", "export").stdout)["deployment"]


def stale_lock_removed(run: Run, stacks: list[str]) -> None:
    for stack in stacks:
        assert re.search(rf"recovery: {stack}: removed a stale lock: .*no longer exists", run.text()), (
            f"no stale lock of {stack} removed:\n{run.text()[:4000]}"
        )


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
    """No lock, no pending operation, no orphan, and nothing left to change."""
    assert lock_files(fed) == []
    owned: set[str] = set()
    for stack in (EXCHANGE, *PARTIES):
        deployment = state(fed, stack)
        assert not deployment.get("pending_operations"), (stack, deployment.get("pending_operations"))
        owned |= {r["id"] for r in deployment.get("resources") or [] if r.get("id")}
    assert not orphans(fed, owned), f"objects no stack owns: {orphans(fed, owned)}"
    preview = fed.command("preview", "--expect-no-changes", check=False)
    assert preview.returncode == 0, preview.stdout[-4000:]


@pytest.fixture(scope="module")
def fed(project_factory) -> Iterator[Federation]:
    fed = project_factory("interrupted")
    ff.require_empty(fed.api, ff.FEDERATION_NAMESPACES)
    yield fed
    ff.destroy_everything(fed)


def test_sigint_during_the_parties_first_update_stops_gracefully(fed) -> None:
    run = start(fed)
    run.wait_for("the parties' first update", lambda: any(changing(fed, p) for p in PARTIES))
    os.killpg(run.proc.pid, signal.SIGINT)  # what the terminal's Ctrl-C delivers: the foreground group
    code = run.proc.wait(timeout=600)
    assert_nothing_left(run)
    text = run.text()
    print(f"SIGINT run: {time.monotonic() - run.started:.0f}s")
    assert code == 128 + signal.SIGINT, text[-4000:]
    assert "SIGINT received" in text and "to stop gracefully" in text
    assert any(re.search(rf"interrupted  {p}", text) for p in PARTIES), text[-3000:]
    assert f"not started  {EXCHANGE}" in text, text[-3000:]
    assert "next: run `python -m federation up" in text
    assert lock_files(fed) == []  # Pulumi's graceful cancel released its locks


def test_sigkill_during_the_parties_first_update(fed) -> None:
    run = start(fed)
    run.wait_for(
        "the parties' first update",
        lambda: all(lock_files(fed, p) for p in PARTIES) and any(changing(fed, p) for p in PARTIES),
    )
    sigkill(run)
    assert all(lock_files(fed, p) for p in PARTIES), "a killed update leaves its lock (what the next run recovers)"


def test_next_run_recovers_and_is_killed_during_the_exchanges_update(fed) -> None:
    run = start(fed)
    run.wait_for(
        "the exchange's update",
        lambda: all(run.printed(p, "Duration:") for p in PARTIES) and changing(fed, EXCHANGE),
    )
    stale_lock_removed(run, list(PARTIES))
    sigkill(run)
    assert lock_files(fed, EXCHANGE), lock_files(fed)


def test_next_run_recovers_and_is_killed_during_the_parties_second_update(fed) -> None:
    run = start(fed)
    run.wait_for(
        "the parties' second update",
        lambda: run.printed(EXCHANGE, "Duration:") and any(changing(fed, p) for p in PARTIES),
    )
    stale_lock_removed(run, [EXCHANGE])
    sigkill(run)
    LOCKED_AT_LAST_KILL[:] = [p for p in PARTIES if lock_files(fed, p)]
    assert LOCKED_AT_LAST_KILL, lock_files(fed)


def test_next_run_converges_and_leaves_no_orphans_nor_pending_operations(fed) -> None:
    run = start(fed)
    code = run.proc.wait(timeout=ff.FEDERATION_TIMEOUT)
    print(f"converging run after the kills: {time.monotonic() - run.started:.0f}s")
    assert code == 0, run.text()[-8000:]
    assert "converged after" in run.text()
    stale_lock_removed(run, LOCKED_AT_LAST_KILL)
    assert_clean(fed)
