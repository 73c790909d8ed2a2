"""``python -m federation toy``: FATE's toy example between two parties, run as a Job in the guest's cluster.

``check`` proves each hop answers from this machine; the toy proves FATE itself gets a job through: the
guest's fateflow creates it at the host party (control messages through nginx and the exchange nginx), both
run it and exchange its data (Pulsar through the exchange ATS). See docs/federation.md ("toy").

Steps, each one a hop of the report (federation/toy_job.py has the Job and reads its log):

* ``outputs``: the exchange's ``federatedParties`` (guest and host default to its first two), the party
  stacks' ``partyId`` and the guest's ``fateNamespace``; the kubeconfig from ``--kubeconfig`` or the guest
  stack's ``cluster.kubeconfigPath`` (a missing one is a usage error, exit 2).
* ``kube``: the guest cluster's API: the live StatefulSet ``python`` gives the image; the Job is created.
* ``schedule``: the pod is created, scheduled, its image pulled and started.
* ``client``, ``fateflow``, ``federation``, ``job``: what the pod's log shows (toy_job.classify_log).

The Job is deleted (propagation Background) at the end unless ``--keep``; ttlSecondsAfterFinished removes
what a killed run leaves.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components import contracts
from federation import plan
from federation import toy_job as tj
from federation.check import CELLS, FAIL, OK, SKIPPED, Hop, Row
from federation.kube import KubeClient, KubeconfigError, KubeError

Outputs = Mapping[str, Any]
FATE_NAMESPACE = "fateNamespace"
UP = "run `python -m federation up`"
GRACE = 20.0  # seconds after the Job's deadline for the Job controller to end it


class UsageError(Exception):
    """The command cannot start (exit 2): a wrong --guest/--host, no kubeconfig. Says what to pass."""


class OutputsProblem(Exception):
    def __init__(self, detail: str, fix: str):
        self.detail, self.fix = detail, fix
        super().__init__(detail)


@dataclass
class Target:
    guest: int
    host: int
    guest_stack: str
    namespace: str
    kubeconfig: Path
    context: str | None = None


@dataclass
class Report:
    row: Row
    guest: int | None = None
    host: int | None = None
    namespace: str | None = None
    job: str | None = None
    image: str | None = None
    kept: bool = False
    fate_job_id: str | None = None
    state: str = ""
    first_failing_line: str = ""
    log_tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.row.ok


# --- what to run, from the stacks (no cluster yet) --------------------------------------------------------------


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


def stack_config(config_dir: Path, stack: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(plan.stack_file(config_dir, stack).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return (doc.get("config") or {}) if isinstance(doc, dict) else {}


def configured_parties(config_dir: Path, fed: plan.Federation) -> dict[int, str]:
    """partyId -> stack from the exchange file's ``exchange.parties`` (the stacks of this federation)."""
    exchange = stack_config(config_dir, fed.exchange).get(f"{plan.PROJECT_NAMESPACE}:exchange") or {}
    found: dict[int, str] = {}
    for entry in exchange.get("parties") or []:
        if not isinstance(entry, dict):
            continue
        party_id = _int(entry.get("partyId"))
        if party_id is not None and entry.get("stack") in fed.parties:
            found[party_id] = entry["stack"]
    return found


def resolve_kubeconfig(config_dir: Path, stack: str, explicit: Path | None) -> tuple[Path, str | None]:
    """``--kubeconfig``, else the party stack's ``cluster.kubeconfigPath`` (relative to the config dir, with
    its ``cluster.context``). Never reads a secret: a Tanzu stack's kubeconfig lives in its encrypted state."""
    if explicit is not None:
        path = explicit.expanduser()
        if not path.is_file():
            raise UsageError(f"--kubeconfig {explicit}: no such file")
        return path, None
    cluster = stack_config(config_dir, stack).get(f"{plan.PROJECT_NAMESPACE}:cluster") or {}
    configured = cluster.get("kubeconfigPath") if isinstance(cluster, dict) else None
    if configured:
        path = Path(str(configured)).expanduser()
        path = path if path.is_absolute() else config_dir / path
        if not path.is_file():
            raise UsageError(
                f"{stack}: cluster.kubeconfigPath {configured} is not a file ({path}). Fix: create "
                "it, or pass --kubeconfig PATH"
            )
        return path, cluster.get("context") or None
    raise UsageError(
        f"no kubeconfig for {stack}'s cluster: the toy runs a Job there and a Kubernetes client needs "
        f"credentials, but {plan.stack_file(config_dir, stack).name} sets no {plan.PROJECT_NAMESPACE}:cluster."
        "kubeconfigPath (a Tanzu workload cluster's kubeconfig is a secret this command does not read). Fix: "
        "pass --kubeconfig PATH with a kubeconfig for that cluster that may create Jobs in the party's "
        "namespace, or set cluster.kubeconfigPath in the stack file"
    )


def _read(outputs: Callable[[str], Outputs | None], stack: str) -> Outputs:
    try:
        got = outputs(stack)
    except Exception as exc:  # an unreadable stack is an outputs failure, not a crash
        raise OutputsProblem(
            f"reading the outputs of {stack} failed: {exc}",
            "check the backend and its passphrase (--backend, PULUMI_CONFIG_PASSPHRASE_FILE)",
        ) from None
    if got is None:
        raise OutputsProblem(f"stack {stack} has no outputs (not deployed)", UP)
    return got


def resolve_target(
    fed: plan.Federation,
    outputs: Callable[[str], Outputs | None],
    config_dir: Path,
    guest: int | None,
    host: int | None,
    kubeconfig: Path | None,
) -> Target:
    """Raises UsageError (exit 2) or OutputsProblem (the outputs hop fails, exit 1)."""
    parties = configured_parties(config_dir, fed)
    for stack in fed.parties:
        if stack not in parties.values():  # --stacks, or a party the exchange file lists differently
            try:
                pid = _int((outputs(stack) or {}).get(contracts.PARTY_ID))
            except Exception:  # not deployed or unreadable: the party is simply not offered
                pid = None
            if pid is not None:
                parties[pid] = stack
    for role, pid in (("guest", guest), ("host", host)):
        if pid is not None and pid not in parties:
            known = ", ".join(f"{p} ({s})" for p, s in sorted(parties.items())) or "none"
            raise UsageError(
                f"--{role} {pid} is not a party of this federation (parties: {known}). Fix: pass "
                "a party id the exchange config lists"
            )
    federated: list[int] | None = None
    if guest is None or host is None or guest != host:
        ex = _read(outputs, fed.exchange)
        raw = ex.get(contracts.FEDERATED_PARTIES)
        if not isinstance(raw, list):
            raise OutputsProblem(f"{fed.exchange} exports no {contracts.FEDERATED_PARTIES}", UP)
        federated = [p for p in (_int(v) for v in raw) if p is not None]
    if guest is None or host is None:
        pool = [p for p in federated or [] if p in parties and p not in (guest, host)]
        if guest is None:
            if not pool:
                raise OutputsProblem(
                    f"{fed.exchange}'s {contracts.FEDERATED_PARTIES} is {federated}: no party to be the guest",
                    f"{UP}, or pass --guest and --host",
                )
            guest = pool.pop(0)
        if host is None:
            if not pool:
                raise OutputsProblem(
                    f"{fed.exchange}'s {contracts.FEDERATED_PARTIES} is {federated}: the toy "
                    f"needs a second federated party besides {guest}",
                    f"{UP} until two parties are federated, or pass --host {guest} for a self test",
                )
            host = pool.pop(0)
    for role, pid in (("guest", guest), ("host", host)):
        if federated is not None and guest != host and pid not in federated:
            raise OutputsProblem(
                f"party {pid} ({role}) is not in {fed.exchange}'s {contracts.FEDERATED_PARTIES} "
                f"{federated}: the exchange does not route it yet",
                UP,
            )
    stack = parties[guest]
    out = _read(outputs, stack)
    pid = _int(out.get(contracts.PARTY_ID))
    if pid is not None and pid != guest:
        raise OutputsProblem(f"{stack} exports partyId {pid}, not {guest}", f"{UP} (the stack file changed?)")
    namespace = out.get(FATE_NAMESPACE)
    if not isinstance(namespace, str) or not namespace:
        raise OutputsProblem(f"{stack} exports no {FATE_NAMESPACE}", UP)
    path, context = resolve_kubeconfig(config_dir, stack, kubeconfig)
    return Target(guest, host, stack, namespace, path, context)


# --- the run ----------------------------------------------------------------------------------------------------


def new_run_id() -> str:
    return time.strftime("%m%d%H%M%S", time.gmtime()) + secrets.token_hex(2)


def make_row(
    guest: int | None,
    host: int | None,
    stack: str,
    reached: list[str],
    failed: str | None,
    detail: str,
    fix: str = "",
    targets: Mapping[str, str] | None = None,
    details: Mapping[str, str] | None = None,
) -> Row:
    """Hops in order: ``reached`` ok, ``failed`` FAIL (None: all ok), the rest skipped."""
    targets, details = targets or {}, details or {}
    row = Row(f"toy {guest if guest is not None else '?'} -> {host if host is not None else '?'}", guest, stack)
    seen_failure = False
    for hop in tj.HOPS:
        target = targets.get(hop, "")
        if seen_failure:
            row.hops.append(Hop(hop, SKIPPED, target))
        elif failed == hop:
            row.hops.append(Hop(hop, FAIL, target, detail, fix))
            seen_failure = True
        elif failed is None or hop in reached:
            row.hops.append(Hop(hop, OK, target, details.get(hop, "")))
        else:  # a hop before the failure the evidence does not cover: not proven
            row.hops.append(Hop(hop, SKIPPED, target))
    return row


def fixes(t: Target, job_id: str | None, server: str) -> dict[str, str]:
    ns, host = t.namespace, t.host
    return {
        "kube": f"check the kubeconfig ({t.kubeconfig}) reaches {server} and its user may get statefulsets, "
        f"pods and pods/log and create, get and delete jobs in namespace {ns}",
        "schedule": f"see `kubectl -n {ns} describe pod -l {tj.LABEL_RUN}`: the image must be pullable from the "
        "cluster (registry, imagePullSecrets of the python StatefulSet) and a node must fit "
        f"{tj.RESOURCES['requests']['cpu']} CPU / {tj.RESOURCES['requests']['memory']}",
        "client": "the guest's fateflow image must carry fate-client (`flow`), as FATE's fateflow images do; "
        "set fate.python.image to one that does",
        "fateflow": f"check the fateflow pod is Ready and Service fateflow has endpoints: `kubectl -n {ns} get "
        f"pods -l fateMoudle=python` and `kubectl -n {ns} get endpoints fateflow`; its log: "
        f"`kubectl -n {ns} logs statefulset/python -c fateflow`",
        "federation": f"the guest's fateflow reaches party {host} through its own nginx and the exchange nginx "
        f"(control), and the job's data goes through Pulsar and the exchange ATS: run `python -m "
        f"federation check` (rows exchange-nginx-http/grpc and party {host}) and `python -m "
        f"federation status` ({host} in federatedParties, routed by the exchange); then party "
        f"{host}'s python, nginx and pulsar pods",
        "job": (
            f"read the job's logs at both parties: `kubectl -n {ns} exec statefulset/python -c fateflow -- "
            f"flow job download-log -j {job_id or '<jobId>'} -o /tmp/toy-logs`; `python -m federation "
            "check` tests the Pulsar path the job's data takes"
        ),
    }


@dataclass
class Clock:
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def _warnings(kube: KubeClient, ns: str, name: str) -> str:
    """The newest Warning event of an object (FailedCreate, FailedScheduling, Failed pulls), or ''."""
    try:
        events = kube.items(f"/api/v1/namespaces/{ns}/events", {"fieldSelector": f"involvedObject.name={name}"})
    except KubeError:
        return ""
    # The Job's own end (DeadlineExceeded) is reported anyway; the cause is the event before it.
    warnings = [
        e
        for e in events
        if e.get("type") == "Warning" and e.get("reason") not in ("DeadlineExceeded", "BackoffLimitExceeded")
    ]
    if not warnings:
        return ""
    e = max(warnings, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return f"{e.get('reason')}: {tj._short(e.get('message') or '', 300)}"


def run_toy(
    kube: KubeClient,
    t: Target,
    timeout: float,
    keep: bool,
    out: Callable[[str], None],
    clock: Clock | None = None,
    interval: float = 2.0,
    run_id: str | None = None,
) -> Report:
    clock = clock or Clock()
    ns = t.namespace
    targets = {
        "outputs": t.guest_stack,
        "kube": f"{kube.server} namespace {ns}",
        "client": "flow (fate-client)",
        "fateflow": f"fateflow:{tj.FLOW_PORT} from the pod",
        "federation": f"party {t.guest} -> exchange -> party {t.host}",
    }
    fix = fixes(t, None, kube.server)
    report = Report(make_row(t.guest, t.host, t.guest_stack, [], None, ""), t.guest, t.host, ns)

    def finish(
        reached: list[str],
        failed: str | None,
        detail: str,
        line: str = "",
        job_id: str | None = None,
        details: Mapping[str, str] | None = None,
    ) -> Report:
        fixed = fixes(t, job_id, kube.server) if job_id else fix
        if line:
            detail = f"{detail}; first failing log line: {line}"
        report.row = make_row(
            t.guest, t.host, t.guest_stack, reached, failed, detail, fixed.get(failed or "", ""), targets, details
        )
        report.first_failing_line, report.fate_job_id = line, job_id
        return report

    try:
        sts = kube.get(f"/apis/apps/v1/namespaces/{ns}/statefulsets/python")
        source = tj.guest_image(sts)
    except KubeError as exc:
        what = (
            f"StatefulSet python not found in namespace {ns}: FATE is not deployed there"
            if exc.status == 404
            else f"reading StatefulSet {ns}/python: {exc}"
        )
        return finish(["outputs"], "kube", what)
    except tj.NoFateflow as exc:
        return finish(["outputs"], "kube", str(exc))
    run = tj.ToyRun(t.guest, t.host, ns, source, timeout, run_id or new_run_id(), keep)
    report.job, report.image = run.name, source.image
    targets["schedule"] = f"Job {ns}/{run.name}, image {source.image}"
    job_path = f"/apis/batch/v1/namespaces/{ns}/jobs/{run.name}"
    try:
        kube.create(f"/apis/batch/v1/namespaces/{ns}/jobs", tj.render_job(run))
    except KubeError as exc:
        return finish(["outputs"], "kube", f"creating Job {ns}/{run.name}: {exc}")
    out(f"toy: Job {ns}/{run.name} created (image {source.image}); waiting up to {run.budget.total}s")
    try:
        return _wait(kube, run, report, finish, clock, interval)
    finally:
        if keep:
            report.kept = True
            out(
                f"toy: kept Job {ns}/{run.name} (`kubectl -n {ns} logs job/{run.name}`); it is removed "
                f"{86400 // 3600} h after it finished"
            )
        else:
            try:
                kube.delete(job_path, "Background")
            except KubeError as exc:
                out(f"toy: could not delete Job {ns}/{run.name}: {exc}; ttlSecondsAfterFinished removes it")


def _wait(kube: KubeClient, run: tj.ToyRun, report: Report, finish, clock: Clock, interval: float) -> Report:
    ns, b = run.namespace, run.budget
    started = clock.now()
    deadline = started + b.total + GRACE
    state, pod, last_log, log_error, polls = tj.pod_state(None), None, "", "", 0
    pods_query = {"labelSelector": f"{tj.LABEL_RUN}={run.run_id}"}
    job: dict[str, Any] | None = None
    while True:
        polls += 1
        try:
            job = kube.get(f"/apis/batch/v1/namespaces/{ns}/jobs/{run.name}")
            pods = kube.items(f"/api/v1/namespaces/{ns}/pods", pods_query)
        except KubeError as exc:
            if clock.now() >= deadline:
                return finish(["outputs"], "kube", f"the API server stopped answering: {exc}")
            clock.sleep(interval)
            continue
        pod = max(pods, key=lambda p: p["metadata"].get("creationTimestamp") or "") if pods else None
        state = tj.pod_state(pod)
        report.state = state.summary
        condition = tj.job_condition(job)
        if state.terminated:
            break
        if state.fatal:
            events = _warnings(kube, ns, pod["metadata"]["name"]) if pod else ""
            return finish(["outputs", "kube"], "schedule", state.summary + (f"; {events}" if events else ""))
        if state.phase == "Running" and pod is not None and polls % 5 == 1:
            try:
                last_log = kube.log(ns, pod["metadata"]["name"], tj.CONTAINER)
            except KubeError as exc:
                log_error = str(exc)
        if condition is not None or clock.now() >= deadline:
            return _timed_out(
                kube, run, report, finish, state, pod, last_log, log_error, condition, clock.now() - started
            )
        clock.sleep(interval)
    # the pod ended: its log says how far the toy got
    assert pod is not None  # only a pod's state ends the loop
    name = pod["metadata"]["name"]
    try:
        log = kube.log(ns, name, tj.CONTAINER)
    except KubeError as exc:
        return _unreadable(report, finish, state, str(exc))
    report.log_tail = log.splitlines()[-40:]
    verdict = tj.classify_log(log)
    if verdict.ok:
        report.state = f"{state.summary}; {verdict.detail}"
        return finish(
            list(tj.HOPS), None, "", job_id=verdict.job_id, details={"schedule": state.summary, "job": verdict.detail}
        )
    reached = ["outputs", "kube", "schedule", *verdict.passed]
    return finish(reached, verdict.hop, verdict.detail, verdict.first_line, verdict.job_id, {"schedule": state.summary})


def _unreadable(report: Report, finish, state: tj.PodState, error: str) -> Report:
    """The pod ended but its log cannot be read: only the exit status speaks, and it proves no toy result."""
    base = ["outputs", "kube", "schedule"]
    why = f"{state.summary}, but its log could not be read ({error})"
    if state.exit_code == 0:
        return finish(base, "client", f"{why}: exit 0 alone does not prove the toy ran, so success is not reported")
    if state.exit_code == tj.INIT_FAILED_EXIT:
        return finish(
            [*base, "client"], "fateflow", f"{why}; exit {tj.INIT_FAILED_EXIT} is the script's `flow init failed`"
        )
    if state.exit_code == 1:
        return finish(base, "job", f"{why}; exit 1 is the script's `result: failed`")
    return finish(base, "client", why)


def _timed_out(
    kube: KubeClient,
    run: tj.ToyRun,
    report: Report,
    finish,
    state: tj.PodState,
    pod: dict[str, Any] | None,
    last_log: str,
    log_error: str,
    condition: tuple[str, str, str] | None,
    elapsed: float,
) -> Report:
    ns = run.namespace
    bound = f"timed out after {elapsed:.0f}s (bound {run.budget.total}s)"
    if condition is not None:
        bound += f", Job {condition[0]}: {condition[1]}"
    if pod is None:
        events = _warnings(kube, ns, run.name)
        report.state = "no pod created"
        return finish(
            ["outputs", "kube"],
            "schedule",
            f"{bound}; state reached: the Job created no pod" + (f" ({events})" if events else ""),
        )
    if state.phase != "Running":
        events = _warnings(kube, ns, pod["metadata"]["name"])
        return finish(
            ["outputs", "kube"],
            "schedule",
            f"{bound}; state reached: pod {state.summary}" + (f" ({events})" if events else ""),
        )
    if not last_log:
        try:
            last_log = kube.log(ns, pod["metadata"]["name"], tj.CONTAINER)
        except KubeError as exc:
            log_error = str(exc)
    if not last_log and log_error:
        return finish(
            ["outputs", "kube", "schedule"],
            "client",
            f"{bound}; state reached: pod Running, its log unreadable ({log_error})",
        )
    report.log_tail = last_log.splitlines()[-40:]
    verdict = tj.classify_log(last_log, finished=False)
    report.state = f"pod Running; {verdict.detail}"
    return finish(
        ["outputs", "kube", "schedule", *verdict.passed],
        verdict.hop or "job",
        f"{bound}; state reached: {verdict.detail}",
        verdict.first_line,
        verdict.job_id,
    )


# --- reports ----------------------------------------------------------------------------------------------------


def format_matrix(row: Row) -> str:
    table = [["row", *tj.HOPS], [row.name, *(CELLS[h.status] for h in row.hops)]]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table)


def format_report(report: Report) -> str:
    row = report.row
    lines = [format_matrix(row), ""]
    hop = row.failure
    if hop is None:
        job = report.fate_job_id or "?"
        lines.append(
            f"{row.name}: toy test job {job} is success (FATE's toy example ran at guest "
            f"{report.guest} and host {report.host})"
        )
    else:
        where = f"{hop.target}: " if hop.target else ""
        lines.append(f"{row.name}, hop {hop.hop}: {where}{hop.detail}." + (f" Fix: {hop.fix}" if hop.fix else ""))
        lines.append(f"toy failed at hop {hop.hop}")
    return "\n".join(lines)


def to_json(report: Report) -> str:
    doc = {
        "ok": report.ok,
        "guest": report.guest,
        "host": report.host,
        "namespace": report.namespace,
        "job": report.job,
        "image": report.image,
        "kept": report.kept,
        "fateJobId": report.fate_job_id,
        "state": report.state,
        "firstFailingLine": report.first_failing_line,
        "logTail": report.log_tail,
        "rows": [asdict(report.row)],
    }
    return json.dumps(doc, indent=2)


def main(
    fed: plan.Federation,
    outputs: Callable[[str], Outputs | None],
    config_dir: Path,
    guest: int | None,
    host: int | None,
    kubeconfig: Path | None,
    timeout: float,
    keep: bool,
    as_json: bool,
    out: Callable[[str], None],
    make_client: Callable[[Path, str | None], KubeClient] | None = None,
    **run_options: Any,
) -> int:
    make_client = make_client or (lambda path, context: KubeClient.from_kubeconfig(path, context))
    try:
        target = resolve_target(fed, outputs, config_dir, guest, host, kubeconfig)
        kube = make_client(target.kubeconfig, target.context)
    except (UsageError, KubeconfigError) as exc:
        out(json.dumps({"ok": False, "error": str(exc), "rows": []}) if as_json else f"error: {exc}")
        return 2
    except OutputsProblem as exc:
        row = make_row(guest, host, fed.exchange, [], "outputs", exc.detail, exc.fix)
        report = Report(row, guest, host)
        out(to_json(report) if as_json else format_report(report))
        return 1
    if not as_json:
        out(
            f"toy: guest {target.guest} ({target.guest_stack}, namespace {target.namespace}), host {target.host}; "
            f"kubeconfig {target.kubeconfig}"
        )
    try:
        report = run_toy(kube, target, timeout, keep, (lambda _l: None) if as_json else out, **run_options)
    except KeyboardInterrupt:  # run_toy's finally has deleted the Job (unless --keep)
        out("toy: interrupted" + ("" if keep else "; the Job was deleted"))
        return 130
    out(to_json(report) if as_json else format_report(report))
    return 0 if report.ok else 1
