"""AutomationRunner against a stand-in for ``pulumi.automation`` and the CLI: result mapping, secrets kept off
argv, state export/import for recovery, Pulumi's lock error explained."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from federation import automation
from federation.automation import AutomationRunner, ConfigSetting


@dataclass
class FakeStack:
    name: str
    calls: list = field(default_factory=list)

    def destroy(self, **kwargs):
        self.calls.append(("destroy", kwargs))
        return SimpleNamespace(summary=SimpleNamespace(resource_changes={"delete": 5}))

    def outputs(self):
        return {
            "caCert": SimpleNamespace(value="PEM", secret=False),
            "pulsarTls1": SimpleNamespace(value="K", secret=True),
        }


class NotFound(Exception):
    pass


class Exists(Exception):
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

    fake = SimpleNamespace(
        select_stack=select(False),
        CommandError=RuntimeError,
        StackNotFoundError=NotFound,
        StackAlreadyExistsError=Exists,
        LocalWorkspaceOptions=automation.auto.LocalWorkspaceOptions,
    )
    monkeypatch.setattr(automation, "auto", fake)
    return SimpleNamespace(stacks=stacks, selected=selected, command=FakeCommand())


SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": '"K"'}


def exported(outputs: dict) -> str:
    return json.dumps({"deployment": {"resources": [{"type": "pulumi:pulumi:Stack", "outputs": outputs}]}})


class FakeCommand:
    """TrackedPulumiCommand's ``run`` as the runner calls it: the CLI's operations (their event log carries
    the change counts), stack init, config, export and import."""

    def __init__(self):
        self.runs: list[dict] = []
        self.exports: dict[str, str] = {}
        self.changes: dict[str, dict[str, int]] = {"up": {"create": 2, "same": 3}, "preview": {"update": 1}}
        self.existing: set[str] = set()
        self.fail: Exception | None = None

    def run(self, args, cwd, additional_env, on_output=None, on_error=None, stdin_text=None):
        entry = {"argv": list(args), "cwd": cwd, "env": dict(additional_env), "input": stdin_text}
        if args[:2] == ["stack", "import"]:
            entry["file"] = Path(args[args.index("--file") + 1])
            entry["content"] = json.loads(entry["file"].read_text())
        self.runs.append(entry)
        if args[:2] == ["stack", "export"]:
            return SimpleNamespace(stdout=self.exports[args[-1]])
        if args[:2] == ["stack", "init"]:
            if args[2] in self.existing:
                raise Exists(args[2])
            self.existing.add(args[2])
        if args[0] in self.changes:
            if self.fail is not None:
                raise self.fail
            if on_output is not None:
                on_output("Updating...")
            log = Path(args[args.index("--event-log") + 1])
            events = [{"sequence": 0, "preludeEvent": {}}, {"sequence": 1, "summaryEvent": {}}]
            events[1]["summaryEvent"] = {"resourceChanges": self.changes[args[0]]}
            log.write_text("".join(json.dumps(e) + "\n" for e in events))
        return SimpleNamespace(stdout="")


def runner(tmp_path, fake_auto=None, backend="file:///x", **kw) -> AutomationRunner:
    command = fake_auto.command if fake_auto else FakeCommand()
    return AutomationRunner(work_dir=tmp_path, env={"PULUMI_BACKEND_URL": backend}, command=command, **kw)


def file_backend(tmp_path: Path, *stacks: str) -> str:
    """A file backend holding a checkpoint of each of ``stacks`` (project mode)."""
    root = tmp_path / "state"
    (root / ".pulumi" / "stacks" / "kubefate-tanzu").mkdir(parents=True)
    for stack in stacks:
        (root / ".pulumi" / "stacks" / "kubefate-tanzu" / f"{stack}.json").write_text("{}")
    return f"file://{root}"


def test_up_is_one_cli_run_and_one_export_giving_changes_outputs_and_snapshot(fake_auto, tmp_path):
    """No stack selection, no output or history reads: the CLI's event log gives the counts, one decrypted
    export the loop's snapshot and the outputs (secret ones left out)."""
    fake_auto.command.exports["exchange"] = exported({"federatedParties": [30000], "pulsarTls30000": SECRET})
    result = runner(tmp_path, fake_auto).up("exchange")
    assert result.changes == {"create": 2, "same": 3} and result.changed
    assert result.outputs == {"federatedParties": [30000]}
    assert result.snapshot is not None and set(result.snapshot.outputs) == {"federatedParties", "pulsarTls30000"}
    up, export = fake_auto.command.runs
    assert up["argv"][:5] == ["up", "--yes", "--skip-preview", "--color", "never"]
    assert up["argv"][up["argv"].index("--stack") + 1] == "exchange" and "--refresh" not in up["argv"]
    assert not Path(up["argv"][up["argv"].index("--event-log") + 1]).parent.exists()  # removed after
    assert up["env"] == {"PULUMI_BACKEND_URL": "file:///x", "PULUMI_DEBUG_COMMANDS": "true"}  # --event-log needs it
    assert up["cwd"] == str(tmp_path)
    assert export["argv"] == ["stack", "export", "--show-secrets", "--stack", "exchange"]
    assert fake_auto.selected == []
    runner(tmp_path, fake_auto, refresh=True).preview("exchange")
    assert fake_auto.command.runs[-1]["argv"][:2] == ["preview", "--diff"]
    assert "--refresh" in fake_auto.command.runs[-1]["argv"]


def test_ensure_creates_only_missing_stacks_and_a_created_stack_needs_no_export(fake_auto, tmp_path):
    cmd = fake_auto.command
    cmd.exports["party-30000"] = exported({"partyId": 30000})
    cmd.existing.add("party-30000")
    r = runner(tmp_path, fake_auto, backend=file_backend(tmp_path, "party-30000"))
    assert r.export("party-30000") is not None
    assert r.export("party-40000") is None  # no file of it in the backend: not even asked
    r.ensure("party-30000")  # recovery's export found it: nothing to run
    r.ensure("party-40000")
    r.ensure("party-40000")
    assert [run["argv"] for run in cmd.runs] == [
        ["stack", "export", "--stack", "party-30000"],
        ["stack", "init", "party-40000", "--no-select"],
    ]
    assert r.snapshot("party-40000").outputs == {} and len(cmd.runs) == 2  # empty: known without an export
    cmd.exports["party-40000"] = exported({"partyId": 40000})
    r.up("party-40000")
    assert set(r.snapshot("party-40000").outputs) == {"partyId"}  # after an update it is read again
    cmd.existing.add("party-50000")
    runner(tmp_path, fake_auto).ensure("party-50000")  # not exported first: init finds it, which is fine


def test_preview_destroy_and_outputs(fake_auto, tmp_path):
    r = runner(tmp_path, fake_auto)
    assert r.preview("party-30000").changes == {"update": 1}
    assert r.destroy("party-30000").changes == {"delete": 5}
    assert r.destroy("missing-stack").changes == {}
    assert r.outputs("exchange") == {"caCert": "PEM"}
    assert r.outputs("missing-stack") is None


def test_secret_config_goes_through_stdin_never_argv(fake_auto, tmp_path):
    kubeconfig = "apiVersion: v1\nusers: [{name: admin, user: {token: s3cr3t}}]\n"
    r = runner(
        tmp_path,
        fake_auto,
        config=[
            ConfigSetting("kubefate-tanzu:kubeconfig", kubeconfig, secret=True),
            ConfigSetting("kubefate-tanzu:sizing", "trial"),
        ],
    )
    fake_auto.command.exports["party-30000"] = exported({})
    r.up("party-30000")
    r.up("party-30000")  # config is written once per stack and run
    runs = [run for run in fake_auto.command.runs if run["argv"][:2] == ["config", "set"]]
    assert len(runs) == 2 and fake_auto.command.runs.index(runs[1]) == 1  # before the first update
    secret_run, plain_run = runs
    assert "s3cr3t" not in " ".join(secret_run["argv"])
    assert secret_run["input"] == kubeconfig
    assert secret_run["argv"][:3] == ["config", "set", "kubefate-tanzu:kubeconfig"]
    assert "--secret" in secret_run["argv"] and "--stack" in secret_run["argv"]
    assert secret_run["cwd"] == str(tmp_path) and secret_run["env"]["PULUMI_BACKEND_URL"] == "file:///x"
    assert "--plaintext" in plain_run["argv"] and plain_run["input"] == "trial"


def test_verbose_output_is_prefixed_by_stack(fake_auto, tmp_path):
    lines = []
    r = runner(tmp_path, fake_auto, on_output=lambda stack, line: lines.append((stack, line)))
    fake_auto.command.exports["exchange"] = exported({})
    r.up("exchange")
    assert lines == [("exchange", "Updating...")]


def test_export_keeps_secrets_encrypted_and_import_uses_a_private_file_removed_after(fake_auto, tmp_path):
    state = {"version": 3, "deployment": {"resources": [], "pending_operations": []}}
    fake_auto.command.exports["party-30000"] = json.dumps(state)
    r = runner(tmp_path, fake_auto, backend=file_backend(tmp_path, "party-30000"))
    assert r.export("party-30000") == state
    export_run = fake_auto.command.runs[0]
    assert export_run["argv"] == ["stack", "export", "--stack", "party-30000"]  # no --show-secrets
    r.import_state("party-30000", state)
    imported = fake_auto.command.runs[1]
    assert imported["content"] == state and not imported["file"].exists()
    assert imported["argv"][-2:] == ["--stack", "party-30000"]


def test_a_lock_error_becomes_who_holds_it_and_what_to_do(fake_auto, tmp_path):
    message = (
        "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
        "or delete the lock file with `pulumi cancel`.\n  file:///s/.pulumi/locks/organization/kubefate-"
        "tanzu/exchange/0a.json: created by ci@runner-7 (pid 4242) at 2026-01-02T03:04:05.123456789Z"
    )

    class Boom(Exception):
        pass

    automation.auto.CommandError = Boom  # the fake namespace of fake_auto
    fake_auto.command.fail = Boom(message)
    with pytest.raises(automation.StackLocked) as exc:
        runner(tmp_path, fake_auto).up("exchange")
    text = str(exc.value)
    assert "ci@runner-7 (pid 4242)" in text and "another host" in text
    assert "pulumi cancel --stack exchange --yes" in text and "Only if you know it is gone" in text


def test_snapshot_digests_the_decrypted_export_so_a_new_ciphertext_is_no_change(fake_auto, tmp_path):
    def export(key: str, ca: str) -> str:
        secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": key}
        outputs = {"caCert": ca, "pulsarTls1": secret}
        return json.dumps({"deployment": {"resources": [{"type": "pulumi:pulumi:Stack", "outputs": outputs}]}})

    fake_auto.command.exports["exchange"] = export('"K"', "PEM")
    snap = runner(tmp_path, fake_auto).snapshot("exchange")
    assert fake_auto.command.runs[0]["argv"] == ["stack", "export", "--show-secrets", "--stack", "exchange"]
    assert set(snap.outputs) == {"caCert", "pulsarTls1"} and '"K"' not in json.dumps(snap.outputs)
    fake_auto.command.exports["exchange"] = export('"K"', "PEM2")
    again = runner(tmp_path, fake_auto).snapshot("exchange")
    assert (
        again.outputs["pulsarTls1"] == snap.outputs["pulsarTls1"] and again.outputs["caCert"] != snap.outputs["caCert"]
    )
    fake_auto.command.exports["exchange"] = export('"K2"', "PEM2")
    assert runner(tmp_path, fake_auto).snapshot("exchange").outputs["pulsarTls1"] != snap.outputs["pulsarTls1"]
