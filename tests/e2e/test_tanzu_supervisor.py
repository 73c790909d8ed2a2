"""TanzuWorkloadCluster in mode ``tanzu`` against a simulated Supervisor, with the real engine.

The Supervisor is the local control plane with the TKC/CAPI CRDs and tests/e2e/supervisor_sim.py as its TKG
controller: it marks the TanzuKubernetesCluster Ready only after a delay (so Pulumi's waitFor must really
wait) and then writes ``<name>-kubeconfig``, whose content (the local cluster's kubeconfig) becomes the
workload provider the FateCluster is deployed through. vSphere objects are not managed (``vsphere.manage``
false, the default), as at sites where the vSphere admin hands out the namespace.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.e2e import federation_fixtures as ff
from tests.e2e.supervisor_sim import SupervisorSimulator

pytestmark = pytest.mark.e2e
local_volumes, project_factory = ff.local_volumes, ff.project_factory

PARTY = 60000
STACK = f"local-tanzu-{PARTY}"
SUPERVISOR_NS = "kft-supervisor-ns"
CLUSTER = f"fate-{PARTY}"
READY_AFTER = 8.0  # seconds the simulated TKG takes to make the cluster Ready
TKC = f"/apis/run.tanzu.vmware.com/v1alpha3/namespaces/{SUPERVISOR_NS}/tanzukubernetesclusters/{CLUSTER}"
SMALL = {"requests": {"cpu": "100m", "memory": "128Mi"}}


def stack_config() -> dict:
    return {
        "config": {
            "kubefate-tanzu:role": "party",
            "kubefate-tanzu:partyId": PARTY,
            "kubefate-tanzu:sizing": "trial",
            "kubefate-tanzu:cluster": {
                "mode": "tanzu",
                "name": CLUSTER,
                "vsphereNamespace": SUPERVISOR_NS,
                "apiFlavor": "tkc",
                "tkrVersion": "v1.26.5---vmware.2-fips.1-tkg.1",
                "osImage": "ubuntu",
                "storageClass": "kft-local",
                "controlPlane": {"replicas": 1, "vmClass": "best-effort-small"},
                "nodePools": [{"name": "workers", "replicas": 1, "vmClass": "best-effort-large"}],
            },
            "kubefate-tanzu:kubefate": {"enabled": False},
            "kubefate-tanzu:fate": {
                "backend": "spark-local-pulsar",
                "persistence": False,
                # No ingress controller locally (docs/e2e.md): the UIs' Ingresses are not awaited.
                "ingress": {ui: {"annotations": {"pulumi.com/skipAwait": "true"}} for ui in ("fateboard", "client")},
                **{m: {"resources": SMALL} for m in ("mysql", "python", "client", "fateboard")},
                **{m: {"type": "LoadBalancer", "resources": SMALL} for m in ("nginx", "pulsar")},
            },
        }
    }


def test_tkc_is_created_awaited_and_its_cluster_gets_fate(project_factory, local_cluster) -> None:
    fed = project_factory("tanzu")
    api = fed.api
    sim = SupervisorSimulator(api, local_cluster.read_text(), ready_after=READY_AFTER).start()
    api.apply(
        f"/api/v1/namespaces/{SUPERVISOR_NS}",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SUPERVISOR_NS}},
    )
    fed.write_stack_config(STACK, stack_config())
    stack = fed.stack(STACK)
    try:
        stack.run("stack", "init")
        secret = subprocess.run(
            [
                "pulumi",
                "config",
                "set",
                "--secret",
                "kubefate-tanzu:supervisorKubeconfig",
                "--stack",
                STACK,
                "--non-interactive",
                "--cwd",
                str(fed.root),
            ],
            input=local_cluster.read_text(),
            text=True,
            capture_output=True,
            env=fed.env,
            check=False,
        )
        assert secret.returncode == 0, secret.stderr
        assert "BEGIN" not in (fed.root / f"Pulumi.{STACK}.yaml").read_text()  # stored encrypted

        started = time.monotonic()
        stack.up()
        took = time.monotonic() - started
        print(f"tanzu-mode party up: {took:.0f}s")

        tkc = api.get(TKC)
        conditions = {c["type"]: c["status"] for c in tkc["status"]["conditions"]}
        assert conditions.get("Ready") == "True"
        assert f"tanzukubernetesclusters/{SUPERVISOR_NS}/{CLUSTER}" in sim.readied
        assert took >= READY_AFTER  # waitFor waited for the simulated TKG
        assert api.get_or_none(f"/api/v1/namespaces/{SUPERVISOR_NS}/secrets/{CLUSTER}-kubeconfig") is not None
        ns = f"fate-{PARTY}"
        names = {
            d["metadata"]["name"]
            for kind in ("deployments", "statefulsets")
            for d in api.items(f"/apis/apps/v1/namespaces/{ns}/{kind}")
        }
        assert {"nginx", "pulsar", "mysql"} <= names, names
        out = stack.outputs()
        assert int(out["partyId"]) == PARTY
        assert out["federation"]["exchange"] == "none"
        assert out["nginxEndpoint"]["host"] == ff.lb_ip(ff.service(api, ns, "nginx"))
        proc = stack.preview("--expect-no-changes", check=False)
        assert proc.returncode == 0, proc.stdout[-3000:]

        stack.destroy()
        assert stack.resource_count() == 0
        ff.wait_for(lambda: api.get_or_none(TKC) is None, what="the TKC to go")
        ff.wait_for(
            lambda: (
                not any(api.items(f"/apis/apps/v1/namespaces/{ns}/{kind}") for kind in ("deployments", "statefulsets"))
            ),
            what="FATE workloads to go",
        )
    finally:
        sim.stop()
        if stack.resource_count() > 0:
            stack.run("destroy", "--yes", "--skip-preview", check=False)
        api.delete(f"/api/v1/namespaces/{SUPERVISOR_NS}")
        api.delete(f"/api/v1/namespaces/fate-{PARTY}")
