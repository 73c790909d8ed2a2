"""``python -m federation toy``, the pure parts: the Job that runs FATE's toy example, and reading its result.

The Job runs in the guest party's FATE namespace with the image of the guest's own fateflow container
(read from the live StatefulSet ``python``, so the client is exactly the version the server runs; the
FATE fateflow images carry fate-client and its ``flow`` CLI). Its script is FATE's own check:

    flow init --ip fateflow --port 9380
    flow test toy --guest-party-id <guest> --host-party-id <host> --timeout <s>

What fate-client 2.0.0 prints (``fate_client/flow_cli/commands/test.py``, ``flow_cli/flow.py``,
``flow_sdk/utils/base_utils.py``; ``flow`` exits 0 in every case, so only its output tells):

* ``flow init``: a JSON document, ``"code": 0`` and "Fate Flow CLI has been initialized successfully.", or
  ``"code": 100`` and "Fate Flow CLI initialization failed" (a full-width colon, "Unable to connect to ..."; a 3 s TCP
  connect to fateflow:9380).
* ``flow test toy`` submits ``/v2/job/submit``. A connection failure gives a JSON document with ``"code": 100``
  and ``retmsg`` ("Connection refused, Please check if the fate flow service is started", or the requests
  error with a ``traceback``). If the guest's fateflow cannot create the job at every party (the host's
  fateflow, reached through nginx and the exchange), the document has ``"code": 1002`` and a ``message``
  holding "create job failed" and the federated responses ("Federated schedule error, ...").
* Once submitted it polls once a second and prints ``toy test job <jobId> is <status>`` (waiting, running,
  success, failed, canceled). It stops at success, or at failed/canceled followed by "You can use the
  command of 'flow job download-log -j <jobId> -o $download_dir' to download the logs.", or after
  ``--timeout`` polls with "timeout..." and the same hint.

FATE 2.0.0's CLI prints no secure-add sum (that was the 1.x toy's output); success is the line
``toy test job <jobId> is success``.

The script adds ``kft-toy:`` marker lines (which step starts, the exit status) and exits 0 only on that
success line, so the Job itself is Complete or Failed as the toy was.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# What the path from the toy's pod to the host party crosses, in order (the report's columns).
HOPS = ("outputs", "kube", "schedule", "client", "fateflow", "federation", "job")
CONTAINER = "toy"
FLOW_PORT = 9380
LABEL_RUN = "kubefate-tanzu.io/toy-run"
LABEL_GUEST = "kubefate-tanzu.io/toy-guest"
LABEL_HOST = "kubefate-tanzu.io/toy-host"
COMPONENT = "federation-toy"
MARKER = "kft-toy:"
INIT_FAILED_EXIT = 3
MIN_TIMEOUT = 30
DEFAULT_TIMEOUT = 600
RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}


# --- the Job ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """How the Job's bound (activeDeadlineSeconds) is shared: ``flow test toy --timeout`` polls for ``flow``
    seconds; ``hard`` kills the CLI (coreutils timeout) before the deadline, so its log is still readable
    when the Job ends (a deadline kill deletes the pod, and its log with it)."""

    total: int
    flow: int
    hard: int


def budget(timeout: float) -> Budget:
    total = max(MIN_TIMEOUT, int(timeout))
    margin = min(120, max(15, total // 5))
    flow = max(5, total - margin)
    return Budget(total, flow, min(total - 5, flow + margin // 2))


def job_name(guest: int, host: int, run_id: str) -> str:
    """``kft-toy-<guest>-<host>-<run>``: unique per run, a DNS label (the pod adds 6 characters)."""
    name = f"kft-toy-{guest}-{host}-{run_id}".lower()
    return re.sub(r"[^a-z0-9-]", "-", name)[:56].rstrip("-")


def toy_script(guest: int, host: int, b: Budget) -> str:
    toy = f"flow test toy --guest-party-id {guest} --host-party-id {host} --timeout {b.flow}"
    return "\n".join(
        [
            "set -u",
            f'echo "{MARKER} flow init --ip fateflow --port {FLOW_PORT}"',
            f"init=$(flow init --ip fateflow --port {FLOW_PORT} 2>&1)",
            'echo "$init"',
            'case "$init" in',
            "  *'\"code\": 0'*) ;;",
            f'  *) echo "{MARKER} result: flow init failed"; exit {INIT_FAILED_EXIT} ;;',
            "esac",
            f'echo "{MARKER} {toy}"',
            'log="${TMPDIR:-/tmp}/kft-toy.log"',
            "if command -v timeout >/dev/null 2>&1; then",
            f'  timeout -k 5 {b.hard} {toy} 2>&1 | tee "$log"',
            "else",
            f'  {toy} 2>&1 | tee "$log"',
            "fi",
            "rc=${PIPESTATUS[0]}",
            f'echo "{MARKER} flow test toy exited $rc"',
            "if grep -Eq '^toy test job [^ ]+ is success$' \"$log\"; then",
            f'  echo "{MARKER} result: success"; exit 0',
            "fi",
            f'echo "{MARKER} result: failed"',
            "exit 1",
        ]
    )


@dataclass(frozen=True)
class GuestImage:
    """What the toy's pod takes from the live fateflow pod template: the image and how it is pulled."""

    image: str
    pull_policy: str | None = None
    pull_secrets: tuple[str, ...] = ()
    node_selector: dict[str, str] | None = None
    tolerations: tuple[dict[str, Any], ...] = ()


class NoFateflow(Exception):
    pass


def guest_image(statefulset: dict[str, Any], container: str = "fateflow") -> GuestImage:
    pod = ((statefulset.get("spec") or {}).get("template") or {}).get("spec") or {}
    found = next((c for c in pod.get("containers") or [] if c.get("name") == container), None)
    if not found or not found.get("image"):
        names = [c.get("name") for c in pod.get("containers") or []]
        raise NoFateflow(f"StatefulSet python has no {container} container with an image (containers: {names})")
    return GuestImage(
        image=found["image"],
        pull_policy=found.get("imagePullPolicy"),
        pull_secrets=tuple(s["name"] for s in pod.get("imagePullSecrets") or [] if s.get("name")),
        node_selector=pod.get("nodeSelector") or None,
        tolerations=tuple(pod.get("tolerations") or ()),
    )


@dataclass(frozen=True)
class ToyRun:
    guest: int
    host: int
    namespace: str
    source: GuestImage
    timeout: float
    run_id: str
    keep: bool = False

    @property
    def name(self) -> str:
        return job_name(self.guest, self.host, self.run_id)

    @property
    def budget(self) -> Budget:
        return budget(self.timeout)

    @property
    def labels(self) -> dict[str, str]:
        return {
            "app.kubernetes.io/name": "fate-toy",
            "app.kubernetes.io/component": COMPONENT,
            "app.kubernetes.io/managed-by": "kubefate-tanzu-federation",
            LABEL_RUN: self.run_id,
            LABEL_GUEST: str(self.guest),
            LABEL_HOST: str(self.host),
        }


def render_job(run: ToyRun) -> dict[str, Any]:
    """The batch/v1 Job. Its labels never carry FATE's selector keys (name, partyId, fateMoudle), so the pod
    joins no Service of the party.

    Security: no service-account token (the pod talks only to fateflow), no privilege escalation, every
    capability dropped, RuntimeDefault seccomp. It runs as the image's user, root: ``flow init`` rewrites
    ``fate_client/settings.yaml`` inside the image's (root-owned) installation, so ``runAsNonRoot`` and a
    read-only root filesystem would break the CLI. The party namespace's Pod Security level (baseline)
    admits that, as it does for every FATE image."""
    b = run.budget
    labels = run.labels
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": run.source.image,
        "command": ["/bin/bash", "-c", toy_script(run.guest, run.host, b)],
        "resources": RESOURCES,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "runAsNonRoot": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if run.source.pull_policy:
        container["imagePullPolicy"] = run.source.pull_policy
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "terminationGracePeriodSeconds": 5,
        "containers": [container],
    }
    if run.source.pull_secrets:
        pod["imagePullSecrets"] = [{"name": s} for s in run.source.pull_secrets]
    if run.source.node_selector:
        pod["nodeSelector"] = dict(run.source.node_selector)
    if run.source.tolerations:
        pod["tolerations"] = [dict(t) for t in run.source.tolerations]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": run.name,
            "namespace": run.namespace,
            "labels": labels,
            "annotations": {"kubefate-tanzu.io/toy": f"guest {run.guest}, host {run.host}"},
        },
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": b.total,
            # Gone by itself when this command cannot delete it (killed, --keep): one day to look at it.
            "ttlSecondsAfterFinished": 86400 if run.keep else 3600,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


# --- the pod's state -------------------------------------------------------------------------------------------

# Waiting reasons that do not go away by waiting longer (ImagePullBackOff: pulls failed repeatedly).
FATAL_WAITING = {
    "ErrImageNeverPull",
    "InvalidImageName",
    "ImagePullBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "ImageInspectError",
    "RunContainerError",
}


@dataclass(frozen=True)
class PodState:
    phase: str  # "" when no pod exists yet
    summary: str  # one line for the report
    fatal: bool = False  # a schedule failure waiting cannot fix
    terminated: bool = False
    exit_code: int | None = None
    reason: str = ""


def pod_state(pod: dict[str, Any] | None) -> PodState:
    if not pod:
        return PodState("", "no pod created yet")
    status = pod.get("status") or {}
    phase = status.get("phase") or "Pending"
    statuses = status.get("containerStatuses") or []
    mine = next((s for s in statuses if s.get("name") == CONTAINER), statuses[0] if statuses else {})
    state = mine.get("state") or {}
    if "terminated" in state:
        t = state["terminated"]
        code, reason = t.get("exitCode"), t.get("reason") or ""
        return PodState(
            phase,
            f"{phase}: container exited {code}" + (f" ({reason})" if reason else ""),
            terminated=True,
            exit_code=code,
            reason=reason,
        )
    if phase in ("Succeeded", "Failed"):
        return PodState(phase, phase, terminated=True, reason=status.get("reason") or "")
    if "waiting" in state:
        w = state["waiting"]
        reason, message = w.get("reason") or "", w.get("message") or ""
        summary = f"{phase}: container waiting ({reason}{': ' + message if message else ''})"
        return PodState(phase, summary, fatal=reason in FATAL_WAITING, reason=reason)
    if phase == "Pending":
        cond = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), {})
        if cond.get("status") == "False":
            return PodState(
                phase,
                f"Pending: not scheduled ({cond.get('reason')}: {cond.get('message')})",
                reason=cond.get("reason") or "",
            )
        return PodState(phase, "Pending")
    return PodState(phase, phase)


def job_condition(job: dict[str, Any] | None) -> tuple[str, str, str] | None:
    """(type, reason, message) of a finished Job: Complete or Failed (e.g. DeadlineExceeded)."""
    for cond in ((job or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return cond["type"], cond.get("reason") or "", cond.get("message") or ""
    return None


# --- the log ---------------------------------------------------------------------------------------------------

STATUS_LINE = re.compile(r"^toy test job (\S+) is (\w+)\s*$")
EXIT_LINE = re.compile(rf"^{MARKER} flow test toy exited (\d+)\s*$")


@dataclass
class LogVerdict:
    """What the log proves. ``hop`` is the first failing hop (None: success, or still running)."""

    ok: bool
    hop: str | None = None
    detail: str = ""
    first_line: str = ""
    job_id: str | None = None
    last_status: str | None = None
    passed: list[str] = field(default_factory=list)  # hops the log proves (client, fateflow, federation)


def json_documents(lines: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """The JSON documents fate-client printed (``json.dumps(indent=4)``: ``{`` ... ``}`` at column 0)."""
    docs, start = [], None
    for i, line in enumerate(lines):
        if line.rstrip() == "{":
            start = i
        elif line.rstrip() == "}" and start is not None:
            try:
                doc = json.loads("\n".join(lines[start : i + 1]))
            except ValueError:
                doc = None
            if isinstance(doc, dict):
                docs.append((start, doc))
            start = None
    return docs


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _federated_error(message: str) -> str:
    """The part of a 1002 message that says which party answered what."""
    found = re.search(r"Federated schedule error, ([^'\"]+)", message)
    if found:
        return f"Federated schedule error, {found.group(1).strip()}"
    found = re.search(r"create job failed.*", message)
    return found.group(0) if found else message


def _line_with(lines: list[str], *needles: str, start: int = 0) -> str:
    for line in lines[start:]:
        if any(n in line for n in needles):
            return line.strip()
    return ""


def classify_log(log: str, finished: bool = True) -> LogVerdict:
    """Read the toy pod's log. ``finished=False`` for a log read at the bound while the pod still ran: what
    it proves so far, and the hop it was stuck at."""
    lines = log.splitlines()
    statuses = [(i, m.group(1), m.group(2)) for i, ln in enumerate(lines) if (m := STATUS_LINE.match(ln.strip()))]
    job_id = statuses[-1][1] if statuses else None
    last = statuses[-1][2] if statuses else None
    exits = [int(m.group(1)) for ln in lines if (m := EXIT_LINE.match(ln.strip()))]
    docs = json_documents(lines)
    verdict = LogVerdict(False, job_id=job_id, last_status=last)

    def fail(hop: str, detail: str, line: str) -> LogVerdict:
        verdict.hop, verdict.detail, verdict.first_line = hop, detail, _short(line, 400)
        verdict.passed = [h for h in ("client", "fateflow", "federation") if HOPS.index(h) < HOPS.index(hop)]
        return verdict

    if any(s == "success" for _, _, s in statuses):
        jid = next(j for _, j, s in statuses if s == "success")
        return LogVerdict(
            True,
            detail=f"toy test job {jid} is success",
            job_id=jid,
            last_status="success",
            passed=["client", "fateflow", "federation"],
        )
    missing = _line_with(
        lines, "flow: command not found", "No module named", "ModuleNotFoundError", "exec format error"
    )
    if missing and not docs:
        return fail("client", "the image has no working `flow` CLI (fate-client)", missing)
    denied = _line_with(lines, "PermissionError", "Permission denied", "Read-only file system")
    if denied and not statuses:
        return fail(
            "client",
            "flow could not write fate-client's settings.yaml (the CLI must run as the "
            "image's root user on a writable root filesystem)",
            denied,
        )
    init = next((d for _, d in docs if "initializ" in str(d.get("retmsg", ""))), None)
    if init is not None and init.get("code") != 0:
        return fail(
            "fateflow",
            f"flow init could not connect to fateflow:{FLOW_PORT} from the pod: {init.get('retmsg')}",
            _line_with(lines, "initialization failed") or "flow init",
        )
    submit = next(((i, d) for i, d in docs if d is not init), None)
    if submit is not None and submit[1].get("code") not in (0, None):
        i, doc = submit
        code, message = doc.get("code"), str(doc.get("retmsg") or doc.get("message") or "")
        if code == 1002 or "create job failed" in message or "Federated schedule error" in message:
            return fail(
                "federation",
                f"fateflow accepted the toy job but could not create it at every party "
                f"(code {code}): {_short(_federated_error(message), 400)}",
                _line_with(lines, "Federated schedule error", "create job failed", start=i) or message,
            )
        if code == 100:
            return fail(
                "fateflow",
                f"the toy's submit could not reach fateflow:{FLOW_PORT}: {_short(message)}",
                _line_with(lines, '"retmsg"', start=i) or message,
            )
        return fail(
            "fateflow",
            f"fateflow refused the toy job (code {code}): {_short(message)}",
            _line_with(lines, '"message"', '"retmsg"', start=i) or message,
        )
    if last in ("failed", "canceled"):
        line = next(lines[i] for i, _, s in statuses if s == last)
        return fail("job", f"the toy job {job_id} reached both parties and ended {last}", line)
    timed_out = _line_with(lines, "timeout...")
    killed = 124 in exits or 137 in exits
    if timed_out or killed:
        if job_id:
            why = (
                "not started at every party" if last == "waiting" else "the parties did not finish exchanging its data"
            )
            detail = f"the toy job {job_id} was still {last} when flow's timeout ended it: {why}"
        else:
            detail = (
                "the toy's submit did not return before the bound: the guest's fateflow kept waiting for the host party"
            )
        return fail("federation", detail, timed_out or _line_with(lines, f"{MARKER} flow test toy exited"))
    if not finished:
        init_ok = init is not None and init.get("code") == 0
        verdict.passed = ["client", "fateflow"] if (job_id or init_ok) else []
        verdict.hop = "federation" if verdict.passed else "client"
        verdict.detail = (
            f"the toy job {job_id} was {last}"
            if job_id
            else "the toy was submitted, fateflow had not answered yet"
            if init_ok
            else "flow init had not finished"
        )
        verdict.first_line = _short(lines[-1], 400) if lines else ""
        return verdict
    if not lines:
        return fail("client", "the pod's log is empty: flow printed nothing", "")
    line = _line_with(lines, "Traceback", "Error", "error", "Exception") or lines[-1]
    return fail("job", "the log shows no result of fate-client's toy (no `toy test job <id> is success`)", line)
