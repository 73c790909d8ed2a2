"""AutomationRunner against a stand-in for ``pulumi.automation``: result mapping, secrets kept off argv."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from federation import automation
from federation.automation import AutomationRunner, ConfigSetting


@dataclass
class FakeStack:
    name: str
    calls: list = field(default_factory=list)

    def up(self, **kwargs):
        self.calls.append(("up", kwargs))
        return SimpleNamespace(
            summary=SimpleNamespace(resource_changes={"create": 2, "same": 3}),
            outputs={"federatedParties": SimpleNamespace(value=[30000], secret=False),
                     "pulsarTls30000": SimpleNamespace(value={"keyPkcs8Pem": "K"}, secret=True)})

    def preview(self, **kwargs):
        self.calls.append(("preview", kwargs))
        return SimpleNamespace(change_summary={"update": 1})

    def destroy(self, **kwargs):
        self.calls.append(("destroy", kwargs))
        return SimpleNamespace(summary=SimpleNamespace(resource_changes={"delete": 5}))

    def outputs(self):
        return {"caCert": SimpleNamespace(value="PEM", secret=False),
                "pulsarTls1": SimpleNamespace(value="K", secret=True)}


class NotFound(Exception):
    pass


@pytest.fixture
def fake_auto(monkeypatch):
    stacks: dict[str, FakeStack] = {}
    selected: list[tuple[str, str, dict]] = []

    def select(create):
        def fn(stack_name, work_dir, opts):
            selected.append(("create" if create else "select", stack_name, dict(opts.env_vars)))
            if not create and stack_name.startswith("missing"):
                raise NotFound(stack_name)
            return stacks.setdefault(stack_name, FakeStack(stack_name))
        return fn

    fake = SimpleNamespace(create_or_select_stack=select(True), select_stack=select(False),
                           StackNotFoundError=NotFound, LocalWorkspaceOptions=automation.auto.LocalWorkspaceOptions)
    monkeypatch.setattr(automation, "auto", fake)
    runs: list[dict] = []
    monkeypatch.setattr(automation.subprocess, "run", lambda argv, **kw: runs.append({"argv": argv, **kw}))
    return SimpleNamespace(stacks=stacks, selected=selected, runs=runs)


def runner(tmp_path, **kw) -> AutomationRunner:
    return AutomationRunner(work_dir=tmp_path, env={"PULUMI_BACKEND_URL": "file:///x"}, **kw)


def test_up_maps_changes_and_hides_secret_outputs(fake_auto, tmp_path):
    result = runner(tmp_path).up("exchange")
    assert result.changes == {"create": 2, "same": 3} and result.changed
    assert result.outputs == {"federatedParties": [30000]}
    assert fake_auto.selected[0] == ("create", "exchange", {"PULUMI_BACKEND_URL": "file:///x"})
    assert fake_auto.stacks["exchange"].calls[0][1]["color"] == "never"


def test_preview_destroy_and_outputs(fake_auto, tmp_path):
    r = runner(tmp_path)
    assert r.preview("party-30000").changes == {"update": 1}
    assert r.destroy("party-30000").changes == {"delete": 5}
    assert r.destroy("missing-stack").changes == {}
    assert r.outputs("exchange") == {"caCert": "PEM"}
    assert r.outputs("missing-stack") is None


def test_secret_config_goes_through_stdin_never_argv(fake_auto, tmp_path):
    kubeconfig = "apiVersion: v1\nusers: [{name: admin, user: {token: s3cr3t}}]\n"
    r = runner(tmp_path, config=[ConfigSetting("kubefate-tanzu:kubeconfig", kubeconfig, secret=True),
                                 ConfigSetting("kubefate-tanzu:sizing", "trial")])
    r.up("party-30000")
    r.up("party-30000")  # config is written once per stack and run
    assert len(fake_auto.runs) == 2
    secret_run, plain_run = fake_auto.runs
    assert "s3cr3t" not in " ".join(secret_run["argv"])
    assert secret_run["input"] == kubeconfig
    assert secret_run["argv"][:4] == ["pulumi", "config", "set", "kubefate-tanzu:kubeconfig"]
    assert "--secret" in secret_run["argv"] and "--stack" in secret_run["argv"]
    assert secret_run["cwd"] == tmp_path and secret_run["env"]["PULUMI_BACKEND_URL"] == "file:///x"
    assert "--plaintext" in plain_run["argv"] and plain_run["input"] == "trial"


def test_verbose_output_is_prefixed_by_stack(fake_auto, tmp_path):
    lines = []
    r = runner(tmp_path, on_output=lambda stack, line: lines.append((stack, line)))
    r.up("exchange")
    printer = fake_auto.stacks["exchange"].calls[0][1]["on_output"]
    printer("Updating...")
    assert lines == [("exchange", "Updating...")]
