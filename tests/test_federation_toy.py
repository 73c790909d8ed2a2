"""``python -m federation toy`` without a cluster: the Job renderer, reading fate-client's output, the
kubeconfig resolution, the command line, and the run against a fake API server (pod phases, logs, timeouts).

The logs in tests/fixtures/toy_logs/ were printed by the real fate-client 2.0.0 running the Job's script
against a stand-in fateflow (tests/fixtures/toy_logs/generate.py says how)."""

from __future__ import annotations

import base64
import json
import ssl
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from federation import cli, plan, toy
from federation import toy_job as tj
from federation.converge import StackRunner
from federation.kube import KubeClient, KubeconfigError, KubeError

LOGS = Path(__file__).parent / "fixtures" / "toy_logs"
IMAGE = "harbor.example/federatedai/fateflow-spark:2.0.0-release"
STATEFULSET = {
    "spec": {
        "template": {
            "spec": {
                "containers": [{"name": "fateflow", "image": IMAGE, "imagePullPolicy": "IfNotPresent"}],
                "initContainers": [{"name": "wait-for-mysql", "image": "mysql:8.0.28"}],
                "imagePullSecrets": [{"name": "harbor"}],
                "nodeSelector": {"pool": "fate"},
                "tolerations": [{"key": "fate", "operator": "Exists"}],
            }
        }
    }
}


def log(name: str) -> str:
    return (LOGS / f"{name}.log").read_text()


def a_run(**kw: Any) -> tj.ToyRun:
    args = {
        "guest": 30000,
        "host": 40000,
        "namespace": "fate-30000",
        "source": tj.guest_image(STATEFULSET),
        "timeout": 600,
        "run_id": "0115103045ab12",
    }
    return tj.ToyRun(**{**args, **kw})


# --- the Job ---------------------------------------------------------------------------------------------------


def test_the_job_runs_the_guests_own_fateflow_image_once_within_its_bound():
    job = tj.render_job(a_run())
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert job["metadata"]["namespace"] == "fate-30000"
    assert job["metadata"]["name"] == "kft-toy-30000-40000-0115103045ab12"
    assert container["image"] == IMAGE and container["imagePullPolicy"] == "IfNotPresent"
    assert pod["imagePullSecrets"] == [{"name": "harbor"}]
    assert pod["nodeSelector"] == {"pool": "fate"} and pod["tolerations"] == [{"key": "fate", "operator": "Exists"}]
    assert spec["backoffLimit"] == 0 and spec["activeDeadlineSeconds"] == 600
    assert spec["ttlSecondsAfterFinished"] > 0
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    assert "initContainers" not in pod and "volumes" not in pod


def test_the_script_is_flow_init_then_flow_test_toy_with_a_timeout():
    b = tj.budget(600)
    script = tj.render_job(a_run())["spec"]["template"]["spec"]["containers"][0]["command"]
    assert script[:2] == ["/bin/bash", "-c"]
    text = script[2]
    init = text.index("flow init --ip fateflow --port 9380")
    toy_at = text.index(f"flow test toy --guest-party-id 30000 --host-party-id 40000 --timeout {b.flow}")
    assert init < toy_at
    assert f"timeout -k 5 {b.hard} flow test toy" in text
    assert b.flow < b.hard < b.total


@pytest.mark.parametrize("timeout", [30, 31, 60, 100, 600, 3600])
def test_the_budget_leaves_the_cli_time_to_print_before_the_deadline(timeout):
    b = tj.budget(timeout)
    assert b.total == timeout
    assert 5 <= b.flow < b.hard <= b.total - 5


def test_the_pod_is_hardened_but_runs_as_the_images_root_user():
    pod = tj.render_job(a_run())["spec"]["template"]["spec"]
    sc = pod["containers"][0]["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["privileged"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["runAsNonRoot"] is False  # flow init rewrites fate_client/settings.yaml in the image
    assert "readOnlyRootFilesystem" not in sc
    assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    res = pod["containers"][0]["resources"]
    assert res["requests"] == {"cpu": "100m", "memory": "256Mi"} and res["limits"]["memory"] == "512Mi"


def test_labels_identify_the_run_and_join_no_fate_service():
    job = tj.render_job(a_run())
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert labels == job["metadata"]["labels"]
    assert labels[tj.LABEL_RUN] == "0115103045ab12"
    assert labels[tj.LABEL_GUEST] == "30000" and labels[tj.LABEL_HOST] == "40000"
    assert not {"name", "partyId", "fateMoudle"} & set(labels)  # FATE's Service selectors


def test_names_are_unique_per_run_and_dns_labels():
    a, b = toy.new_run_id(), toy.new_run_id()
    assert a != b
    name = tj.job_name(1234567890, 987654321, "ABC_def" * 8)
    assert len(name) <= 56 and name == name.lower() and "_" not in name and not name.endswith("-")


def test_a_statefulset_without_fateflow_is_reported():
    with pytest.raises(tj.NoFateflow, match="no fateflow container"):
        tj.guest_image({"spec": {"template": {"spec": {"containers": [{"name": "x", "image": "y"}]}}}})


# --- fate-client's output ----------------------------------------------------------------------------------------


def test_success_is_the_toy_jobs_success_line():
    v = tj.classify_log(log("success"))
    assert v.ok and v.job_id == "202601151030455170160" and v.hop is None
    assert v.detail == "toy test job 202601151030455170160 is success"


@pytest.mark.parametrize(
    "name, hop, detail, line",
    [
        (
            "fateflow-down",
            "fateflow",
            "flow init could not connect to fateflow:9380",
            '"retmsg": "Fate Flow CLI initialization failed',
        ),
        (
            "submit-refused",
            "fateflow",
            "submit could not reach fateflow:9380: Connection refused",
            '"retmsg": "Connection refused',
        ),
        (
            "create-job-failed",
            "federation",
            "Federated schedule error, 502 Server Error: Bad Gateway for url: http://nginx:9300/v2/partner/job/create",
            '"message": "Traceback',
        ),
        (
            "job-failed",
            "job",
            "the toy job 202601151030455170160 reached both parties and ended failed",
            "toy test job 202601151030455170160 is failed",
        ),
        ("stuck-running", "federation", "was still running when flow's timeout ended it", "timeout..."),
    ],
)
def test_each_failure_of_the_real_cli_names_its_hop_and_line(name, hop, detail, line):
    v = tj.classify_log(log(name))
    assert not v.ok and v.hop == hop
    assert detail in v.detail
    assert v.first_line.startswith(line)
    assert tj.HOPS.index(hop) > max((tj.HOPS.index(h) for h in v.passed), default=-1)


def test_a_submit_that_never_returns_is_a_federation_problem():
    text = log("success").split("toy test job")[0] + "kft-toy: flow test toy exited 124\nkft-toy: result: failed\n"
    v = tj.classify_log(text)
    assert v.hop == "federation" and "submit did not return" in v.detail


@pytest.mark.parametrize(
    "text, hop, detail",
    [
        (
            "kft-toy: flow init --ip fateflow --port 9380\nbash: line 3: flow: command not found\n"
            "kft-toy: result: flow init failed\n",
            "client",
            "no working `flow`",
        ),
        (
            "Traceback (most recent call last):\nPermissionError: [Errno 13] Permission denied: '/data/projects/fate/"
            "fate_client/python/fate_client/settings.yaml'\n",
            "client",
            "settings.yaml",
        ),
        ("", "client", "log is empty"),
        ("kft-toy: flow init --ip fateflow --port 9380\nsomething else\n", "job", "no result"),
    ],
)
def test_logs_without_the_toys_lines(text, hop, detail):
    v = tj.classify_log(text)
    assert v.hop == hop and detail in v.detail


def test_a_refused_submit_other_than_federation_is_fateflows():
    text = log("submit-refused").replace(
        '"code": 100,\n    "retmsg": "Connection refused', '"code": 5001,\n    "retmsg": "Invalid request'
    )
    v = tj.classify_log(text)
    assert v.hop == "fateflow" and "refused the toy job (code 5001)" in v.detail


def test_a_partial_log_says_how_far_the_toy_got():
    lines = log("success").splitlines()
    running = "\n".join(lines[:8])
    assert tj.classify_log(running, finished=False).detail.endswith("was running")
    assert tj.classify_log(running, finished=False).hop == "federation"
    assert tj.classify_log("\n".join(lines[:5]), finished=False).hop == "federation"  # submitted, no answer
    assert tj.classify_log("\n".join(lines[:1]), finished=False).hop == "client"


def test_the_json_documents_of_the_cli_are_parsed():
    docs = tj.json_documents(log("create-job-failed").splitlines())
    assert [d["code"] for _, d in docs] == [0, 1002]


@pytest.mark.parametrize(
    "pod, summary, fatal",
    [
        (None, "no pod created yet", False),
        (
            {
                "status": {
                    "phase": "Pending",
                    "conditions": [
                        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes"}
                    ],
                }
            },
            "Pending: not scheduled (Unschedulable: 0/3 nodes)",
            False,
        ),
        (
            {
                "status": {
                    "phase": "Pending",
                    "containerStatuses": [
                        {
                            "name": "toy",
                            "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}},
                        }
                    ],
                }
            },
            "Pending: container waiting (ImagePullBackOff: Back-off pulling image)",
            True,
        ),
        (
            {
                "status": {
                    "phase": "Pending",
                    "containerStatuses": [{"name": "toy", "state": {"waiting": {"reason": "ErrImagePull"}}}],
                }
            },
            "Pending: container waiting (ErrImagePull)",
            False,
        ),
        (
            {
                "status": {
                    "phase": "Succeeded",
                    "containerStatuses": [
                        {"name": "toy", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
                    ],
                }
            },
            "Succeeded: container exited 0 (Completed)",
            False,
        ),
    ],
)
def test_pod_states(pod, summary, fatal):
    state = tj.pod_state(pod)
    assert state.summary == summary and state.fatal is fatal


# --- kubeconfig ------------------------------------------------------------------------------------------------


def write_fed(root: Path, party_cluster: dict | None = None) -> plan.Federation:
    exchange = {
        "kubefate-tanzu:role": "exchange",
        "kubefate-tanzu:exchange": {
            "parties": [{"partyId": 30000, "stack": "party-30000"}, {"partyId": 40000, "stack": "party-40000"}]
        },
    }
    (root / "Pulumi.exchange.yaml").write_text(yaml.safe_dump({"config": exchange}))
    for stack in ("party-30000", "party-40000"):
        cfg: dict[str, Any] = {"kubefate-tanzu:role": "party"}
        if party_cluster is not None:
            cfg["kubefate-tanzu:cluster"] = party_cluster
        (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": cfg}))
    return plan.resolve(root)


def test_kubeconfig_from_the_flag_then_the_stacks_path(tmp_path):
    write_fed(tmp_path, {"mode": "kubeconfig", "kubeconfigPath": ".local/cluster/kubeconfig", "context": "c1"})
    with pytest.raises(toy.UsageError, match=r"kubeconfigPath \.local/cluster/kubeconfig is not a file"):
        toy.resolve_kubeconfig(tmp_path, "party-30000", None)
    (tmp_path / ".local" / "cluster").mkdir(parents=True)
    (tmp_path / ".local" / "cluster" / "kubeconfig").write_text("x")
    assert toy.resolve_kubeconfig(tmp_path, "party-30000", None) == (tmp_path / ".local/cluster/kubeconfig", "c1")
    flag = tmp_path / "other"
    flag.write_text("x")
    assert toy.resolve_kubeconfig(tmp_path, "party-30000", flag) == (flag, None)
    with pytest.raises(toy.UsageError, match=r"--kubeconfig .*: no such file"):
        toy.resolve_kubeconfig(tmp_path, "party-30000", tmp_path / "missing")


def test_a_tanzu_stack_without_a_kubeconfig_path_names_the_fix(tmp_path):
    write_fed(tmp_path, {"mode": "tanzu", "name": "fate-30000"})
    with pytest.raises(toy.UsageError) as exc:
        toy.resolve_kubeconfig(tmp_path, "party-30000", None)
    assert "needs credentials" in str(exc.value) and "pass --kubeconfig PATH" in str(exc.value)


def _pem_pair(tmp: Path) -> tuple[bytes, bytes]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "admin")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def kubeconfig(user: dict, cluster: dict | None = None, context: str = "c1") -> str:
    return yaml.safe_dump(
        {
            "clusters": [{"name": "k", "cluster": cluster or {"server": "https://127.0.0.1:6443"}}],
            "users": [{"name": "u", "user": user}],
            "contexts": [{"name": context, "context": {"cluster": "k", "user": "u"}}],
            "current-context": context,
        }
    )


def test_kubeconfig_with_inline_client_certificates_leaves_no_key_behind(tmp_path, monkeypatch):
    crt, key = _pem_pair(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    text = kubeconfig(
        {"client-certificate-data": base64.b64encode(crt).decode(), "client-key-data": base64.b64encode(key).decode()},
        {"server": "https://127.0.0.1:6443/", "certificate-authority-data": base64.b64encode(crt).decode()},
    )
    client = KubeClient.from_kubeconfig_text(text)
    assert client.server == "https://127.0.0.1:6443" and client.token is None
    assert isinstance(client.context, ssl.SSLContext)
    assert not list(tmp_path.glob("kft-kube-*"))


def test_kubeconfig_tokens_files_and_refusals(tmp_path):
    (tmp_path / "token").write_text("sekrit-token\n")
    insecure = {"server": "https://k:6443", "insecure-skip-tls-verify": True}
    client = KubeClient.from_kubeconfig_text(kubeconfig({"tokenFile": "token"}, insecure), base=tmp_path)
    assert client.token == "sekrit-token" and client.context.verify_mode == ssl.CERT_NONE
    assert "sekrit" not in repr(client)
    with pytest.raises(KubeconfigError, match="exec/auth-provider plugin"):
        KubeClient.from_kubeconfig_text(kubeconfig({"exec": {"command": "kubectl-vsphere"}}))
    with pytest.raises(KubeconfigError, match="no context named 'nope'"):
        KubeClient.from_kubeconfig_text(kubeconfig({"token": "t"}), context="nope")
    with pytest.raises(KubeconfigError, match="unusable client certificate") as exc:
        KubeClient.from_kubeconfig_text(
            kubeconfig({"client-certificate-data": "bm90IGEgY2VydA==", "client-key-data": "c2VjcmV0LWtleQ=="})
        )
    assert "c2VjcmV0" not in str(exc.value) and "secret-key" not in str(exc.value)
    with pytest.raises(KubeconfigError, match="not YAML"):
        KubeClient.from_kubeconfig_text("token: [unclosed")


# --- a fake API server ------------------------------------------------------------------------------------------


class FakeKube:
    """The calls run_toy makes; pods follow ``phases`` (one per poll), the log is ``log_text``."""

    server = "https://fake:6443"

    def __init__(
        self,
        phases: list[dict | None],
        log_text: str | None = "",
        sts: dict | None = STATEFULSET,
        create_error: KubeError | None = None,
        job_conditions: list[dict] | None = None,
    ):
        self.phases, self.log_text, self.sts, self.create_error = list(phases), log_text, sts, create_error
        self.job_conditions = job_conditions or []
        self.created: list[dict] = []
        self.deleted: list[tuple[str, str]] = []
        self.polls = 0

    def get(self, path: str, query=None) -> dict:
        if path.endswith("/statefulsets/python"):
            if self.sts is None:
                raise KubeError(404, "NotFound", 'statefulsets.apps "python" not found')
            return self.sts
        if "/jobs/" in path:
            self.polls += 1
            conditions = self.job_conditions if self.polls > len(self.phases) else []
            return {"status": {"conditions": conditions}}
        raise AssertionError(path)

    def items(self, path: str, query=None) -> list[dict]:
        if path.endswith("/events"):
            return [
                {
                    "type": "Warning",
                    "reason": "FailedCreate",
                    "message": "exceeded quota: no-pods",
                    "lastTimestamp": "2026-01-01T00:00:00Z",
                },
                {
                    "type": "Warning",
                    "reason": "DeadlineExceeded",
                    "message": "Job was active longer than specified deadline",
                    "lastTimestamp": "2026-01-01T00:01:00Z",
                },
            ]
        status = self.phases[min(self.polls, len(self.phases)) - 1] if self.phases else None
        if status is None:
            return []
        return [{"metadata": {"name": "kft-toy-pod", "creationTimestamp": "2026"}, "status": status}]

    def create(self, path: str, body: dict) -> dict:
        if self.create_error:
            raise self.create_error
        self.created.append(body)
        return body

    def delete(self, path: str, propagation: str = "Background") -> None:
        self.deleted.append((path, propagation))

    def log(self, namespace: str, pod: str, container: str, tail_lines=None) -> str:
        if self.log_text is None:
            raise KubeError(500, "InternalError", "dial tcp 127.0.0.1:10250: connect: connection refused")
        return self.log_text


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


RUNNING = {"phase": "Running", "containerStatuses": [{"name": "toy", "state": {"running": {}}}]}


def done(code: int) -> dict:
    return {
        "phase": "Succeeded" if code == 0 else "Failed",
        "containerStatuses": [
            {
                "name": "toy",
                "state": {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}},
            }
        ],
    }


TARGET = toy.Target(30000, 40000, "party-30000", "fate-30000", Path("/k"))


def run_fake(kube: FakeKube, timeout: float = 60, keep: bool = False) -> toy.Report:
    lines: list[str] = []
    clock = FakeClock()
    report = toy.run_toy(
        cast(toy.KubeClient, kube),
        TARGET,
        timeout,
        keep,
        lines.append,
        toy.Clock(clock.now, clock.sleep),
        interval=2.0,
        run_id="r1",
    )
    report.elapsed = clock.t  # type: ignore[attr-defined]
    return report


def statuses(report: toy.Report) -> dict[str, str]:
    return {h.hop: h.status for h in report.row.hops}


def test_a_successful_run_is_ok_at_every_hop_and_cleans_up():
    kube = FakeKube([None, {"phase": "Pending"}, RUNNING, done(0)], log("success"))
    report = run_fake(kube)
    assert report.ok and set(statuses(report).values()) == {"ok"}
    assert report.fate_job_id == "202601151030455170160"
    (job,) = kube.created
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE
    assert kube.deleted == [("/apis/batch/v1/namespaces/fate-30000/jobs/kft-toy-30000-40000-r1", "Background")]
    assert "is success" in toy.format_report(report)


def test_keep_leaves_the_job():
    kube = FakeKube([RUNNING, done(0)], log("success"))
    report = run_fake(kube, keep=True)
    assert report.ok and report.kept and kube.deleted == []
    assert kube.created[0]["spec"]["ttlSecondsAfterFinished"] == 86400


def test_a_federation_failure_names_the_hop_the_line_and_the_exchange():
    report = run_fake(FakeKube([RUNNING, done(1)], log("create-job-failed")))
    assert not report.ok
    assert statuses(report) == {
        "outputs": "ok",
        "kube": "ok",
        "schedule": "ok",
        "client": "ok",
        "fateflow": "ok",
        "federation": "fail",
        "job": "skipped",
    }
    hop = report.row.failure
    assert "Federated schedule error, 502" in hop.detail and "first failing log line" in hop.detail
    assert "python -m federation check" in hop.fix and "party 40000" in hop.fix
    text = toy.format_report(report)
    assert "hop federation" in text and text.endswith("toy failed at hop federation")


def test_a_completed_pod_whose_log_cannot_be_read_is_not_a_success():
    """kwok's case: the pod is marked Succeeded (exit 0) but nothing serves its log."""
    report = run_fake(FakeKube([RUNNING, done(0)], None))
    assert not report.ok and report.row.failure.hop == "client"
    assert "exit 0 alone does not prove the toy ran" in report.row.failure.detail
    assert "10250" in report.row.failure.detail


def test_an_image_pull_back_off_fails_schedule_at_once():
    back_off = {
        "phase": "Pending",
        "containerStatuses": [
            {"name": "toy", "state": {"waiting": {"reason": "ImagePullBackOff", "message": "pull access denied"}}}
        ],
    }
    report = run_fake(FakeKube([{"phase": "Pending"}, back_off]))
    assert report.row.failure.hop == "schedule" and "ImagePullBackOff" in report.row.failure.detail
    assert report.elapsed < 10  # type: ignore[attr-defined]


def test_a_pod_never_created_times_out_within_the_bound_naming_the_state():
    kube = FakeKube([None] * 1000)
    report = run_fake(kube, timeout=60)
    hop = report.row.failure
    assert hop.hop == "schedule" and "timed out after" in hop.detail and "created no pod" in hop.detail
    assert "exceeded quota" in hop.detail
    assert report.elapsed <= 60 + toy.GRACE + 2  # type: ignore[attr-defined]
    assert kube.deleted  # cleaned up after a timeout too


def test_a_running_pod_at_the_bound_reports_how_far_the_toy_got():
    partial = "\n".join(log("success").splitlines()[:8])
    kube = FakeKube([RUNNING] * 1000, partial)
    report = run_fake(kube, timeout=60)
    hop = report.row.failure
    assert hop.hop == "federation" and "timed out" in hop.detail and "was running" in hop.detail
    assert statuses(report)["fateflow"] == "ok"


def test_the_deadline_ending_the_job_is_a_timeout():
    kube = FakeKube(
        [RUNNING],
        "",
        job_conditions=[{"type": "Failed", "status": "True", "reason": "DeadlineExceeded", "message": "deadline"}],
    )
    report = run_fake(kube)
    assert "DeadlineExceeded" in report.row.failure.detail


def test_no_statefulset_or_a_refused_create_fail_the_kube_hop():
    report = run_fake(FakeKube([], sts=None))
    assert report.row.failure.hop == "kube" and "FATE is not deployed" in report.row.failure.detail
    forbidden = KubeError(403, "Forbidden", 'jobs.batch is forbidden: User "x" cannot create resource "jobs"')
    kube = FakeKube([], create_error=forbidden)
    report = run_fake(kube)
    assert report.row.failure.hop == "kube" and "forbidden" in report.row.failure.detail
    assert kube.deleted == []  # nothing was created


# --- the command line ---------------------------------------------------------------------------------------------


class OutputsOnly:
    def __init__(self, outputs: dict[str, dict | None]):
        self._outputs = outputs

    def outputs(self, stack: str):
        return self._outputs.get(stack)


OUTPUTS = {
    "exchange": {"federatedParties": [30000, 40000]},
    "party-30000": {"partyId": 30000, "fateNamespace": "fate-30000"},
    "party-40000": {"partyId": 40000, "fateNamespace": "fate-40000"},
}


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only")
    write_fed(tmp_path, {"mode": "kubeconfig", "kubeconfigPath": "kc"})
    (tmp_path / "kc").write_text(kubeconfig({"token": "t"}))
    return tmp_path


def run_cli(repo: Path, outputs, *argv: str, kube: FakeKube | None = None, monkeypatch=None):
    lines: list[str] = []
    if kube is not None:
        monkeypatch.setattr(toy.KubeClient, "from_kubeconfig", classmethod(lambda cls, p, c=None: kube))
        fake, real = FakeClock(), toy.Clock
        monkeypatch.setattr(toy, "Clock", lambda: real(fake.now, fake.sleep))
    code = cli.main(
        ["toy", *argv, "--config-dir", str(repo)],
        make_runner=lambda _a, _e: cast(StackRunner, OutputsOnly(outputs)),
        out=lines.append,
    )
    return code, "\n".join(lines)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--timeout", "0"], "--timeout must be positive"),
        (["--timeout", "10"], "at least 30"),
        (["--guest", "abc"], "invalid int value"),
        (["--guest", "-1"], "positive party id"),
    ],
)
def test_argument_errors_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.parse_args(["toy", *argv])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_toy_options_belong_to_toy(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.parse_args(["check", "--guest", "30000"])
    assert exc.value.code == 2 and "only for the toy command" in capsys.readouterr().err
    assert cli.parse_args(["check"]).timeout == 5.0
    assert cli.parse_args(["toy"]).timeout == 600


def test_an_unknown_guest_or_a_missing_kubeconfig_exit_2(repo):
    code, text = run_cli(repo, OUTPUTS, "--guest", "50000")
    assert code == 2 and "--guest 50000 is not a party of this federation" in text
    code, text = run_cli(repo, OUTPUTS, "--kubeconfig", str(repo / "nope"), "--json")
    assert code == 2 and json.loads(text)["error"].endswith("no such file")


def test_missing_outputs_fail_the_outputs_hop(repo):
    code, text = run_cli(repo, {**OUTPUTS, "exchange": {"federatedParties": [30000]}}, "--json")
    doc = json.loads(text)
    assert code == 1 and doc["ok"] is False
    hop = doc["rows"][0]["hops"][0]
    assert hop["hop"] == "outputs" and hop["status"] == "fail" and "second federated party" in hop["detail"]
    code, text = run_cli(repo, {**OUTPUTS, "party-30000": {"partyId": 30000}})
    assert code == 1 and "exports no fateNamespace" in text


def test_the_defaults_are_the_first_two_federated_parties(repo, monkeypatch):
    kube = FakeKube([RUNNING, done(0)], log("success"))
    outputs = {**OUTPUTS, "exchange": {"federatedParties": [40000, 30000]}}
    code, text = run_cli(repo, outputs, "--json", kube=kube, monkeypatch=monkeypatch)
    doc = json.loads(text)
    assert code == 0 and doc["ok"] and (doc["guest"], doc["host"]) == (40000, 30000)
    assert doc["namespace"] == "fate-40000" and doc["image"] == IMAGE and doc["fateJobId"]
    assert kube.created[0]["metadata"]["namespace"] == "fate-40000"


def test_plan_errors_are_json_with_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "x")
    code, text = run_cli(tmp_path, {}, "--json")
    assert code == 2 and json.loads(text) == {"ok": False, "error": json.loads(text)["error"], "rows": []}
