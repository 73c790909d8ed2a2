"""The real engine and the kubernetes provider from `make tools`, against the local control plane.

`pulumi up` of tests/e2e/smoke (a Deployment, a StatefulSet whose volumeClaimTemplate's claim binds to a
static PersistentVolume, a LoadBalancer Service) must converge with Pulumi's own readiness awaits, the
LoadBalancer must get a loopback address, a `preview --expect-no-changes` right after must pass, and
`destroy` must leave none of the objects behind.
"""

from __future__ import annotations

import ipaddress
import time
from pathlib import Path

import pytest

from tests.e2e.kubeapi import KubeApi

pytestmark = pytest.mark.e2e

SMOKE = Path(__file__).parent / "smoke"


def _wait_gone(api: KubeApi, paths: list[str], timeout: float = 120) -> list[str]:
    deadline = time.monotonic() + timeout
    left = paths
    while left and time.monotonic() < deadline:
        left = [p for p in left if api.get_or_none(p) is not None]
        if left:
            time.sleep(1)
    return left


def test_up_preview_destroy_with_the_real_engine(pulumi_stack, local_cluster: Path, kube_api: KubeApi) -> None:
    stack = pulumi_stack(SMOKE, config={"kubeconfigPath": str(local_cluster)})

    stack.up()
    out = stack.outputs()
    ns = out["namespace"]
    assert ns == f"kft-smoke-{stack.name}"

    lb_ip = ipaddress.ip_address(out["lb_ip"])
    assert lb_ip.is_loopback, f"LoadBalancer address {lb_ip} is not a loopback address"
    svc = kube_api.get(f"/api/v1/namespaces/{ns}/services/smoke-web-lb")
    assert svc["status"]["loadBalancer"]["ingress"][0]["ip"] == str(lb_ip)

    assert out["web_ready_replicas"] == 2
    assert out["db_ready_replicas"] == 1
    assert out["claim_phase"] == "Bound"
    pvc = kube_api.get(f"/api/v1/namespaces/{ns}/persistentvolumeclaims/data-smoke-db-0")
    assert pvc["status"]["phase"] == "Bound"
    assert pvc["spec"]["volumeName"] == out["persistent_volume"]
    pod = kube_api.get(f"/api/v1/namespaces/{ns}/pods/smoke-db-0")
    assert pod["status"]["phase"] == "Running"
    assert pod["spec"]["nodeName"].startswith("kft-worker-")

    stack.preview("--expect-no-changes")

    stack.destroy()
    assert stack.resource_count() == 0
    left = _wait_gone(
        kube_api,
        [
            f"/api/v1/namespaces/{ns}",
            f"/api/v1/persistentvolumes/{out['persistent_volume']}",
            f"/apis/storage.k8s.io/v1/storageclasses/{out['storage_class']}",
        ],
    )
    assert not left, f"still present after destroy: {left}"
