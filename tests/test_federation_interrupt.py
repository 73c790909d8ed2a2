"""Ctrl-C and SIGTERM with a fake Pulumi: forwarded once, escalated within a bound, no stack started after,
a report of completed/interrupted/not-started stacks with the command to run next, exit 128 + signal."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
import yaml

from federation import cli, plan
from federation.converge import Interrupted, StackRunner, converge, run_once
from federation.interrupt import Interruption, report
from federation.summary import StackResult

FED = plan.Federation("exchange", ("party-30000", "party-40000"))


class FakeProcesses:
    """The ProcessTable as Interruption sees it: which signals reached the running CLIs."""

    def __init__(self, stacks=("party-40000",)):
        self.sent: list[int] = []
        self.killed = 0
        self.stacks = stacks
        self.got_sigint = threading.Event()

    def signal(self, sig):
        self.sent.append(sig)
        if sig == signal.SIGINT:
            self.got_sigint.set()
        return [type("R", (), {"stack": s})() for s in self.stacks]

    def kill_all(self):
        self.killed += 1
        return 2


def test_first_signal_asks_gracefully_then_terminates_then_kills():
    procs, lines = FakeProcesses(), []
    stop = Interruption(procs, lines.append, timeout=60)
    stop.handle(signal.SIGTERM)
    assert stop.is_set() and procs.sent == [signal.SIGINT] and stop.exit_code == 128 + signal.SIGTERM
    assert "SIGTERM received" in lines[0] and "party-40000" in lines[0] and "gracefully" in lines[0]
    stop.handle(signal.SIGINT)  # the user presses Ctrl-C again: Pulumi's second Ctrl-C, terminate
    assert procs.sent == [signal.SIGINT, signal.SIGINT] and "terminating" in lines[1]
    stop.handle(signal.SIGINT)
    assert procs.killed == 1 and "killed 2 process(es)" in lines[2]
    stop.finish()


def test_the_wait_is_bounded_even_without_a_second_ctrl_c():
    procs = FakeProcesses()
    stop = Interruption(procs, lambda _l: None, timeout=0.2, force_after=0.2)
    stop.handle(signal.SIGINT)
    deadline = time.monotonic() + 5
    while procs.killed == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert procs.sent[:2] == [signal.SIGINT, signal.SIGINT] and procs.killed == 1


def test_finishing_in_time_stops_the_escalation():
    procs = FakeProcesses()
    stop = Interruption(procs, lambda _l: None, timeout=0.2)
    stop.handle(signal.SIGINT)
    stop.finish()
    time.sleep(0.5)
    assert procs.sent == [signal.SIGINT] and procs.killed == 0


class SlowParties:
    """The exchange completes; then both parties start, party-30000 completes and party-40000 is still
    running when the interrupt comes, and fails as Pulumi's cancelled update does."""

    def __init__(self, on_party_running: Callable[[], object]):
        self.processes: object = None
        self.ups: list[str] = []
        self.cancelled = threading.Event()
        self.on_party_running = on_party_running

    def ensure(self, stack):
        pass

    def up(self, stack):
        self.ups.append(stack)
        if stack == "party-40000":
            self.on_party_running()
            if not self.cancelled.wait(10):
                raise AssertionError("never interrupted")
            raise RuntimeError("error: update canceled")
        return StackResult(stack, "up", {"create": 3})

    def outputs(self, stack):
        return None


def test_an_interrupted_pass_starts_nothing_more_and_says_what_happened():
    stop = Interruption(FakeProcesses(), lambda _l: None)
    fake = SlowParties(on_party_running=lambda: None)
    fake.on_party_running = lambda: (stop.handle(signal.SIGINT), fake.cancelled.set())
    with pytest.raises(Interrupted) as exc:
        converge(cast(StackRunner, fake), plan.up_phases(FED), cancel=stop)
    stop.finish()
    assert "exchange" not in fake.ups  # the exchange's phase (2) never started, nor the parties' second
    assert [r.stack for r in exc.value.completed] == ["party-30000"]
    assert list(exc.value.interrupted) == ["party-40000"]
    assert exc.value.not_started == ["exchange", "party-30000", "party-40000"]
    text = report(exc.value, "up", "python -m federation up --variant local")
    assert "completed    party-30000: up +3" in text and "interrupted  party-40000: error: update canceled" in text
    assert "not started  exchange" in text and "`python -m federation up --variant local` again" in text


def test_a_stack_not_yet_started_when_the_signal_comes_is_never_started():
    stop = Interruption(FakeProcesses(), lambda _l: None)
    stop.handle(signal.SIGINT)
    seen = []
    with pytest.raises(Interrupted) as exc:
        run_once(lambda s: (seen.append(s), StackResult(s, "destroy"))[1], plan.destroy_phases(FED), 1, stop)
    stop.finish()
    assert seen == [] and exc.value.not_started == ["party-30000", "party-40000", "exchange"]


# --- a real SIGINT through the command line -----------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only")
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    exchange = {
        "kubefate-tanzu:role": "exchange",
        "kubefate-tanzu:exchange": {
            "parties": [{"partyId": 30000, "stack": "party-30000"}, {"partyId": 40000, "stack": "party-40000"}]
        },
    }
    (tmp_path / "Pulumi.exchange.yaml").write_text(yaml.safe_dump({"config": exchange}))
    for p in FED.parties:
        (tmp_path / f"Pulumi.{p}.yaml").write_text(yaml.safe_dump({"config": {}}))
    return tmp_path


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_during_up_forwards_once_reports_and_exits_non_zero(repo, sig):
    procs = FakeProcesses()

    def party_running():  # the terminal's Ctrl-C (or a CI runner's SIGTERM) reaches this process
        os.kill(os.getpid(), sig)
        if procs.got_sigint.wait(10):  # Pulumi's graceful cancel ends the update with an error
            fake.cancelled.set()

    fake = SlowParties(party_running)
    fake.processes = procs
    lines: list[str] = []
    previous = signal.getsignal(signal.SIGINT)
    code = cli.main(
        ["up", "--config-dir", str(repo), "--parallel", "1"],
        make_runner=lambda a, e: cast(StackRunner, fake),
        out=lines.append,
        sweep=list,
    )
    text = "\n".join(lines)
    assert code == 128 + sig, text
    assert procs.sent == [signal.SIGINT]  # forwarded exactly once, whatever the signal was
    assert "completed    party-30000" in text
    assert "interrupted  party-40000" in text and "not started  exchange" in text
    assert f"python -m federation up --config-dir {repo} --parallel 1" in text
    assert signal.getsignal(signal.SIGINT) is previous  # handlers restored


def test_install_takes_sigint_and_sigterm_back_when_the_command_started_with_them_blocked_or_ignored():
    """Some CI runners start jobs with SIGINT ignored or blocked; the cancel must still stop gracefully."""
    procs, lines = FakeProcesses(), []
    stop = Interruption(procs, lines.append, timeout=60)
    sigs = {signal.SIGINT, signal.SIGTERM}
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    before = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        with stop.install():
            assert not sigs & signal.pthread_sigmask(signal.SIG_BLOCK, set())
            os.kill(os.getpid(), signal.SIGINT)  # a failure leaves it pending, then ignored: not fatal here
            deadline = time.monotonic() + 10
            while not stop.is_set() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert stop.is_set() and procs.sent == [signal.SIGINT] and stop.exit_code == 128 + signal.SIGINT
        assert sigs <= signal.pthread_sigmask(signal.SIG_BLOCK, set())  # the caller's mask is back
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        signal.signal(signal.SIGINT, previous)
