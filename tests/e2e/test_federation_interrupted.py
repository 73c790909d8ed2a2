"""An interrupted federation run recovers (issue 14), with the real engine on the local control plane.

One federation for the module, built by runs that are stopped on purpose, in order:

0. SIGINT during the exchange's first update: the graceful path. Exit 130, the report names what completed
   and was interrupted and what to run next, no process of the run is left and no lock either.
1. SIGKILL to the whole process group during the exchange's (continued) first update,
2. SIGKILL during the party updates (the next run recovers, then is killed in its party phase),
3. SIGKILL during the exchange's route update (the next run recovers, then is killed in its last phase),
4. ``federation up`` converges.

Each kill comes while the stack's update holds its lock (the lock file exists and an operation is in flight),
not after a fixed delay: on the local control plane an update can end within a second or two. After each
SIGKILL no process carrying the run's marker survives (the watchdog), and the next run removes the stale lock
the killed update left, with a message. A run a failed test leaves running is killed when that test ends, so
one failure does not lock the stacks of the tests after it. At the end: no stack has pending operations, every object
in the federation's namespaces belongs to some stack's state (no orphans), ``preview --expect-no-changes``
passes, and ``destroy`` leaves nothing. The kill points are recognised in ``--verbose`` output: Pulumi's
``<type> <name> creating|updating|replacing`` lines, prefixed by the stack.
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
IN_FLIGHT = re.compile(r"\s(creating|updating|replacing|deleting)\b")
KINDS = (("api/v1", "services"), ("api/v1", "configmaps"), ("api/v1", "secrets"), ("api/v1", "serviceaccounts"),
         ("apis/apps/v1", "deployments"), ("apis/apps/v1", "statefulsets"),
         ("apis/networking.k8s.io/v1", "ingresses"), ("apis/rbac.authorization.k8s.io/v1", "roles"),
         ("apis/rbac.authorization.k8s.io/v1", "rolebindings"))


@dataclass
class Run:
    """A `python -m federation up --verbose` in a session of its own, its output collected line by line."""

    proc: subprocess.Popen
    run_id: processes.RunId
    lines: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, what: str, predicate: Callable[[list[str]], bool], timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.lines):
            if self.proc.poll() is not None:
                raise AssertionError(f"the run ended (exit {self.proc.returncode}) before {what}:\n"
                                     f"{self.text()[-5000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}:\n{self.text()[-5000:]}")
            time.sleep(0.2)


STARTED: list[Run] = []


def start(fed: Federation, *args: str) -> Run:
    cmd = [sys.executable, "-m", "federation", "up", "--verbose", "--variant", "local", "--config-dir",
           str(fed.root), "--parallel", ff.FEDERATION_PARALLEL, *args]
    proc = subprocess.Popen(cmd, cwd=ff.REPO, env=fed.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
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
            run.proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while leftovers(run) and time.monotonic() < deadline:
            time.sleep(0.2)


def in_flight(stack: str, after: int = 0) -> Callable[[list[str]], bool]:
    return lambda lines: any(ln.startswith(f"[{stack}]") and IN_FLIGHT.search(ln) for ln in lines[after:])


def finished(stack: str) -> Callable[[list[str]], int | None]:
    """Index of the line after which ``stack``'s update printed its summary (``Duration:``)."""
    def index(lines: list[str]) -> int | None:
        hits = [i for i, ln in enumerate(lines) if ln.startswith(f"[{stack}]") and "Duration:" in ln]
        return hits[-1] if hits else None
    return index


def leftovers(run: Run) -> list[processes.ProcInfo]:
    return processes.of_run(processes.scan(), run.run_id)


def assert_nothing_left(run: Run, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while leftovers(run) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = leftovers(run)
    assert not left, f"processes of the killed run still alive: {[(p.pid, p.comm) for p in left]}"


def sigkill(run: Run) -> None:
    os.killpg(run.proc.pid, signal.SIGKILL)
    killed = time.monotonic()
    run.proc.wait(timeout=30)
    assert_nothing_left(run)
    print(f"SIGKILL: the watchdog left no process of the run after {time.monotonic() - killed:.1f}s")


def lock_files(fed: Federation, stack: str | None = None) -> list[Path]:
    base = fed.root / ".pulumi-state" / ".pulumi" / "locks"
    return sorted(p for p in base.rglob("*.json") if stack is None or p.parent.name == stack)


def updating(fed: Federation, stack: str, after: Callable[[list[str]], int | None] = lambda _lines: 0
             ) -> Callable[[list[str]], bool]:
    """``stack``'s update is under way: it holds its lock and an operation of it is in flight (after the line
    ``after`` returns, None: not yet)."""
    def check(lines: list[str]) -> bool:
        start = after(lines)
        return start is not None and in_flight(stack, start)(lines) and bool(lock_files(fed, stack))
    return check


def state(fed: Federation, stack: str) -> dict:
    proc = fed.stack(stack).run("stack", "export")
    return json.loads(proc.stdout)["deployment"]


def stale_lock_removed(run: Run, stacks: list[str]) -> None:
    for stack in stacks:
        assert re.search(rf"recovery: {stack}: removed a stale lock: .*no longer exists", run.text()), \
            f"no stale lock of {stack} removed:\n{run.text()[:4000]}"


@pytest.fixture(scope="module")
def fed(project_factory) -> Iterator[Federation]:
    fed = project_factory("interrupted")
    ff.require_empty(fed.api, ff.FEDERATION_NAMESPACES)
    yield fed
    ff.destroy_everything(fed)


def test_sigint_during_the_exchanges_first_update_stops_gracefully(fed) -> None:
    run = start(fed)
    run.wait_for("the exchange's first update", in_flight(EXCHANGE))
    time.sleep(2)
    os.kill(run.proc.pid, signal.SIGINT)  # what the terminal's Ctrl-C delivers to the command
    code = run.proc.wait(timeout=300)
    time.sleep(0.5)
    text = run.text()
    print(f"SIGINT run: {time.monotonic() - run.started:.0f}s")
    assert code == 128 + signal.SIGINT, text[-4000:]
    assert "SIGINT received" in text and "to stop gracefully" in text
    assert re.search(rf"interrupted  {EXCHANGE}", text) and "not started  local-party-30000" in text, text[-3000:]
    assert "next: run `python -m federation up" in text
    assert not leftovers(run), [(p.pid, p.comm) for p in leftovers(run)]
    assert lock_files(fed) == []  # Pulumi's graceful cancel released its lock


def test_sigkill_during_the_exchanges_first_update(fed) -> None:
    run = start(fed)
    run.wait_for("the exchange's update", updating(fed, EXCHANGE))
    sigkill(run)
    assert lock_files(fed, EXCHANGE), "a killed update leaves its lock (what the next run must recover from)"


def test_next_run_recovers_and_is_killed_during_the_party_updates(fed) -> None:
    run = start(fed)
    run.wait_for("both party updates", lambda lines: all(updating(fed, p)(lines) for p in PARTIES))
    stale_lock_removed(run, [EXCHANGE])
    sigkill(run)
    assert all(lock_files(fed, p) for p in PARTIES), lock_files(fed)


def test_next_run_recovers_and_is_killed_during_the_exchanges_route_update(fed) -> None:
    run = start(fed)

    def parties_done(lines: list[str]) -> int | None:
        done = [finished(p)(lines) for p in PARTIES]
        return max(done) + 1 if all(i is not None for i in done) else None

    run.wait_for("the exchange's route update", updating(fed, EXCHANGE, after=parties_done))
    stale_lock_removed(run, list(PARTIES))
    sigkill(run)
    assert lock_files(fed, EXCHANGE), lock_files(fed)


def test_next_run_converges_and_leaves_no_orphans_nor_pending_operations(fed) -> None:
    run = start(fed)
    code = run.proc.wait(timeout=ff.FEDERATION_TIMEOUT)
    print(f"converging run after the kills: {time.monotonic() - run.started:.0f}s")
    assert code == 0, run.text()[-6000:]
    assert "converged after" in run.text()
    stale_lock_removed(run, [EXCHANGE])
    assert lock_files(fed) == []

    owned: set[str] = set()
    for stack in (EXCHANGE, *PARTIES):
        deployment = state(fed, stack)
        assert not deployment.get("pending_operations"), (stack, deployment.get("pending_operations"))
        owned |= {r["id"] for r in deployment.get("resources") or [] if r.get("id")}
    orphans = []
    for ns in NAMESPACES:
        for base, plural in KINDS:
            for obj in fed.api.items(f"/{base}/namespaces/{ns}/{plural}"):
                meta = obj["metadata"]
                if (meta["name"] in ("kube-root-ca.crt", "default") or meta.get("ownerReferences")
                        or obj.get("type") == "kubernetes.io/service-account-token"):
                    continue  # made by Kubernetes controllers, not by a stack
                if f"{ns}/{meta['name']}" not in owned:
                    orphans.append(f"{ns}/{plural}/{meta['name']}")
    assert not orphans, f"objects no stack owns: {orphans}"

    preview = fed.command("preview", "--expect-no-changes", check=False)
    assert preview.returncode == 0, preview.stdout[-4000:]
