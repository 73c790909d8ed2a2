"""What makes a stack's inputs differ: program files, its stack file (not the keys the command sets), records
on disk that hold digests only."""

from __future__ import annotations

import json

import yaml

from federation import fingerprint
from federation.fingerprint import FileRecords, Inputs, Record, Snapshot, snapshot_of


def test_program_digest_follows_the_program_not_the_command_or_tests(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\n")
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "a.py").write_text("x = 1\n")
    for folder in ("federation", "tests", ".venv"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "b.py").write_text("y = 1\n")
    first = fingerprint.program_digest(tmp_path)
    for folder in ("federation", "tests", ".venv"):
        (tmp_path / folder / "b.py").write_text("y = 2\n")
    assert fingerprint.program_digest(tmp_path) == first
    (tmp_path / "components" / "a.py").write_text("x = 2\n")
    changed = fingerprint.program_digest(tmp_path)
    assert changed != first
    (tmp_path / "requirements.txt").write_text("pulumi==3\n")
    assert fingerprint.program_digest(tmp_path) != changed


def test_stack_file_digest_ignores_what_the_command_sets_itself(tmp_path):
    path = tmp_path / "Pulumi.p.yaml"
    doc = {"config": {"kubefate-tanzu:sizing": "trial", "kubefate-tanzu:kubeconfig": {"secure": "v1:AAA"}}}
    path.write_text(yaml.safe_dump(doc))
    keys = ["kubefate-tanzu:kubeconfig"]
    first = fingerprint.stack_file_digest(path, keys)
    doc["config"]["kubefate-tanzu:kubeconfig"] = {"secure": "v1:BBB"}  # `config set --secret` again
    path.write_text(yaml.safe_dump(doc))
    assert fingerprint.stack_file_digest(path, keys) == first
    doc["config"]["kubefate-tanzu:sizing"] = "small"
    path.write_text(yaml.safe_dump(doc))
    assert fingerprint.stack_file_digest(path, keys) != first
    assert fingerprint.stack_file_digest(tmp_path / "missing.yaml", keys) == fingerprint.digest(None)


def test_inputs_cover_only_the_outputs_a_stack_reads():
    inputs = Inputs(local=lambda s: "files", reads={"party": {"exchange": ("exchangeEndpoint",)}})
    snaps = {"exchange": Snapshot("s1", {"exchangeEndpoint": "e1", "federatedParties": "f1"})}
    first = inputs.of("party", snaps)
    snaps["exchange"] = Snapshot("s2", {"exchangeEndpoint": "e1", "federatedParties": "f2"})
    assert inputs.of("party", snaps) == first  # the routes changed, not what the party reads
    snaps["exchange"] = Snapshot("s3", {"exchangeEndpoint": "e2", "federatedParties": "f2"})
    assert inputs.of("party", snaps) != first
    everything = Inputs(local=lambda s: "files", reads={"party": {"exchange": None}})
    before = everything.of("party", snaps)
    snaps["exchange"] = Snapshot("s4", {"exchangeEndpoint": "e2", "federatedParties": "f3"})
    assert everything.of("party", snaps) != before


def test_snapshot_of_a_stack_without_state():
    assert snapshot_of(None) == snapshot_of({"deployment": {}}) and snapshot_of(None).outputs == {}


def test_file_records_hold_digests_only_and_survive_a_new_process(tmp_path):
    secret = "-----BEGIN PRIVATE KEY----- s3cr3t"
    record = Record(inputs=fingerprint.digest(secret), state=fingerprint.digest([secret]))
    directory = fingerprint.records_dir(tmp_path, "file:///state")
    FileRecords(directory).put("org/proj/party-30000", record)
    assert FileRecords(directory).get("org/proj/party-30000") == record
    assert FileRecords(directory).get("party-40000") is None
    files = list(directory.iterdir())
    assert len(files) == 1 and secret not in files[0].read_text()
    assert json.loads(files[0].read_text())["stack"] == "org/proj/party-30000"
    files[0].write_text("{not json")
    assert FileRecords(directory).get("org/proj/party-30000") is None
    assert fingerprint.records_dir(tmp_path, "s3://other") != directory
