"""``python -m federation toy`` against the federation deployed on the local control plane.

It lives in the workload package only to share that package's converged federation (``workload_federation``,
one converge less in ``make test``); it runs no program itself and keeps the ``e2e`` marker.

What this proves: the command reads the stacks' outputs (federatedParties, fateNamespace) and the guest stack's
kubeconfigPath, reads the live StatefulSet ``python`` of the guest party, creates the toy Job in the guest's
namespace with exactly that image and the hardened pod spec, waits for it within the bound, reports what it
saw, and deletes the Job (or keeps it with ``--keep``).

What kwok can and cannot prove. kwok runs no containers: its ``pod-complete`` stage (tools/cluster.sh installs
it) marks a Job's pod Running and then Succeeded with exit code 0, without running anything, and nothing
serves the pod's log (the API server's log request to the fake kubelet fails). So here ``flow init`` and
``flow test toy`` never run, and the command must *not* report success: the first test asserts it reports
the completion honestly (the pod exited 0, its log unreadable, so the ``client`` hop fails and the exit code is
1). Whether FATE's toy passes between two real parties, and the reading of fate-client's output, are proven
elsewhere: tests/test_federation_toy.py reads logs the real fate-client 2.0.0 printed (tests/fixtures/toy_logs/),
and a real site's run. The second test proves the bound: a pod that can never be created (a ResourceQuota of
zero pods in the guest namespace) ends in a timeout naming the state reached, within the bound, and the Job is
deleted.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest

from federation import toy_job as tj
from tests.e2e.federation_fixtures import Federation, wait_for
from tests.e2e.kubeapi import ApiError

pytestmark = pytest.mark.e2e

GUEST, HOST, NS = 30000, 40000, "fate-30000"
JOBS = f"/apis/batch/v1/namespaces/{NS}/jobs"
# Reading the stacks' outputs (Automation API) takes seconds on top of the toy's own bound.
OVERHEAD = 90


def toy(fed: Federation, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], float]:
    started = time.monotonic()
    proc = fed.command("toy", "--json", *args, check=False, timeout=600)
    elapsed = time.monotonic() - started
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"toy printed no JSON (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc, doc, elapsed


def hops(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {h["hop"]: h for h in doc["rows"][0]["hops"]}


def toy_jobs(fed: Federation) -> list[dict[str, Any]]:
    return fed.api.items(f"{JOBS}?labelSelector={tj.LABEL_GUEST}%3D{GUEST}")


def test_the_toy_job_runs_the_live_fateflow_image_in_the_guest_namespace(workload_federation):
    fed, _ = workload_federation
    sts = fed.api.get(f"/apis/apps/v1/namespaces/{NS}/statefulsets/python")
    live = next(c["image"] for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "fateflow")
    proc, doc, elapsed = toy(fed, "--timeout", "120", "--keep")
    print(json.dumps(doc, indent=2))  # shown on failure
    assert (doc["guest"], doc["host"], doc["namespace"]) == (GUEST, HOST, NS), doc
    assert doc["image"] == live
    assert elapsed < 120 + OVERHEAD
    job = fed.api.get(f"{JOBS}/{doc['job']}")
    try:
        pod_spec = job["spec"]["template"]["spec"]
        (container,) = pod_spec["containers"]
        assert container["image"] == live
        assert "flow test toy --guest-party-id 30000 --host-party-id 40000" in container["command"][2]
        assert job["spec"]["backoffLimit"] == 0 and job["spec"]["activeDeadlineSeconds"] == 120
        assert pod_spec["automountServiceAccountToken"] is False and pod_spec["restartPolicy"] == "Never"
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}

        # kwok's pod-complete stage: the pod "succeeded" without running anything (the Job controller marks
        # the Job Complete a moment after the pod, so the command may have seen the pod first).
        def complete() -> bool:
            status = fed.api.get(f"{JOBS}/{doc['job']}").get("status") or {}
            return any(c["type"] == "Complete" and c["status"] == "True" for c in status.get("conditions") or [])

        wait_for(complete, 60, what="kwok to complete the toy Job")
        (pod,) = fed.api.items(
            f"/api/v1/namespaces/{NS}/pods?labelSelector={tj.LABEL_RUN}%3D{job['metadata']['labels'][tj.LABEL_RUN]}"
        )
        assert pod["status"]["phase"] == "Succeeded"
        # ... and the command does not call that a success: nothing proves the toy ran.
        state = {name: h["status"] for name, h in hops(doc).items()}
        if doc["ok"]:  # only if this kwok served a log showing fate-client's success line
            assert "is success" in " ".join(doc["logTail"])
        else:
            assert proc.returncode == 1, proc.stdout
            assert state["outputs"] == state["kube"] == state["schedule"] == "ok", doc
            failed = next(h for h in hops(doc).values() if h["status"] == "fail")
            assert failed["hop"] == "client", doc
            assert "log could not be read" in failed["detail"] and "not reported" in failed["detail"]
        assert doc["kept"] is True
    finally:
        fed.api.request("DELETE", f"{JOBS}/{doc['job']}", {"propagationPolicy": "Background"})
    wait_for(lambda: not toy_jobs(fed), 60, what="the kept toy Job to be deleted")


def test_a_pod_that_cannot_start_times_out_within_the_bound_and_the_job_is_deleted(workload_federation):
    fed, _ = workload_federation
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "kft-toy-test-no-pods"},
        "spec": {"hard": {"pods": "0"}},
    }
    quotas = f"/api/v1/namespaces/{NS}/resourcequotas"
    fed.api.create(quotas, quota)
    try:
        proc, doc, elapsed = toy(fed, "--timeout", "30")
        print(json.dumps(doc, indent=2))  # shown on failure
        assert proc.returncode == 1, proc.stdout
        failed = next(h for h in hops(doc).values() if h["status"] == "fail")
        assert failed["hop"] == "schedule", doc
        assert "timed out after" in failed["detail"] and "created no pod" in failed["detail"], failed
        assert "quota" in failed["detail"], failed
        assert elapsed < 30 + 20 + OVERHEAD
        assert doc["image"] and doc["job"] and doc["kept"] is False
        # deleted by the command (propagation Background), not left for the TTL
        try:
            gone = fed.api.get_or_none(f"{JOBS}/{doc['job']}")
        except ApiError:
            gone = None
        assert gone is None or gone["metadata"].get("deletionTimestamp"), gone
        wait_for(lambda: not toy_jobs(fed), 60, what="the toy Job to be gone")
    finally:
        fed.api.delete(f"{quotas}/kft-toy-test-no-pods")
