"""A simulated Supervisor: what TKG Service does, reduced to what the project depends on.

It marks every TanzuKubernetesCluster / CAPI Cluster Ready after a short delay (so Pulumi's waitFor really
waits) and writes the ``<name>-kubeconfig`` Secret (key ``value``) that the TanzuWorkloadCluster component
reads. The "workload cluster" it hands out is the local control plane itself, which is all a test needs.
"""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path

import yaml

from tests.e2e.kubeapi import ApiError, KubeApi

CRDS = Path(__file__).parent / "crds" / "supervisor.yaml"
KINDS = (
    ("/apis/run.tanzu.vmware.com/v1alpha3", "tanzukubernetesclusters"),
    ("/apis/cluster.x-k8s.io/v1beta1", "clusters"),
)


def install_crds(api: KubeApi, timeout: float = 60) -> None:
    for crd in yaml.safe_load_all(CRDS.read_text()):
        name = crd["metadata"]["name"]
        api.apply(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}", crd)
    deadline = time.monotonic() + timeout
    for group_path, plural in KINDS:
        while True:
            try:
                api.get(f"{group_path}/{plural}")
                break
            except ApiError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


class SupervisorSimulator:
    def __init__(self, api: KubeApi, workload_kubeconfig: str, ready_after: float = 3.0):
        self.api = api
        self.workload_kubeconfig = workload_kubeconfig
        self.ready_after = ready_after
        self.seen: dict[str, float] = {}
        self.readied: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="supervisor-sim", daemon=True)

    def start(self) -> SupervisorSimulator:
        install_crds(self.api)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for group_path, plural in KINDS:
                try:
                    for obj in self.api.items(f"{group_path}/{plural}"):
                        self._reconcile(group_path, plural, obj)
                except ApiError:
                    pass
            self._stop.wait(1.0)

    def _reconcile(self, group_path: str, plural: str, obj: dict) -> None:
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            return
        key = f"{plural}/{meta['namespace']}/{meta['name']}"
        first = self.seen.setdefault(key, time.monotonic())
        conditions = (obj.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            return
        if time.monotonic() - first < self.ready_after:
            return
        self._write_kubeconfig(obj)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        status = {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "lastTransitionTime": now,
                    "reason": "Simulated",
                    "message": "simulated Supervisor",
                }
            ]
        }
        path = f"{group_path}/namespaces/{meta['namespace']}/{plural}/{meta['name']}/status"
        self.api.merge_patch(path, {"status": status})
        self.readied.append(key)

    def _write_kubeconfig(self, obj: dict) -> None:
        meta = obj["metadata"]
        name = f"{meta['name']}-kubeconfig"
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": {"cluster.x-k8s.io/cluster-name": meta["name"]},
                "ownerReferences": [
                    {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"], "uid": meta["uid"]}
                ],
            },
            "type": "cluster.x-k8s.io/secret",
            "data": {"value": base64.b64encode(self.workload_kubeconfig.encode()).decode()},
        }
        self.api.apply(f"/api/v1/namespaces/{meta['namespace']}/secrets/{name}", secret)
