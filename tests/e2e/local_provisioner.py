"""A volume provisioner for the local control plane, which has no kubelet and no CSI driver.

StatefulSet pods stay Pending while their claims are unbound, so Pulumi would wait forever for FATE's mysql,
pulsar or HDFS. This binds every Pending claim of the ``kft-local`` StorageClass to a new hostPath
PersistentVolume pre-bound through ``claimRef`` (the PV controller completes the binding). Nothing is ever
written to the host path: kwok only pretends to run pods. Volumes are Retain, so a claim that outlives
``pulumi destroy`` (``keepVolumesOnDestroy``) keeps its volume as a real cluster would.

Used by the e2e fixtures (a thread) and by ``make demo``:
    python -m tests.e2e.local_provisioner --kubeconfig .local/cluster/kubeconfig -- python -m federation up
runs the command with the provisioner beside it and exits with the command's status.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
from pathlib import Path

from tests.e2e.kubeapi import ApiError, KubeApi

STORAGE_CLASS = "kft-local"
PROVISIONER = "kubefate-tanzu.local/hostpath"


def storage_class(name: str = STORAGE_CLASS) -> dict:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "Immediate",
    }


def volume_for(claim: dict) -> dict:
    """The PersistentVolume that satisfies ``claim`` exactly (size, access modes, class), bound to it."""
    meta, spec = claim["metadata"], claim["spec"]
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": f"kft-{meta['uid']}", "labels": {"kubefate-tanzu.local/provisioned": "true"}},
        "spec": {
            "capacity": {"storage": spec["resources"]["requests"]["storage"]},
            "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
            "storageClassName": spec["storageClassName"],
            "persistentVolumeReclaimPolicy": "Retain",
            "hostPath": {"path": f"/var/lib/kft-local/{meta['namespace']}/{meta['name']}"},
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
            },
        },
    }


def pending_claims(api: KubeApi, class_name: str = STORAGE_CLASS) -> list[dict]:
    return [
        c
        for c in api.items("/api/v1/persistentvolumeclaims")
        if c["spec"].get("storageClassName") == class_name
        and not c["spec"].get("volumeName")
        and not c["metadata"].get("deletionTimestamp")
    ]


def delete_released(api: KubeApi) -> list[str]:
    """Volumes of this provisioner whose claims are gone (Retain leaves them Released): test clean-up."""
    gone = [
        pv["metadata"]["name"]
        for pv in api.items("/api/v1/persistentvolumes?labelSelector=kubefate-tanzu.local/provisioned%3Dtrue")
        if (pv.get("status") or {}).get("phase") == "Released"
    ]
    for name in gone:
        api.delete(f"/api/v1/persistentvolumes/{name}")
    return gone


class LocalProvisioner:
    def __init__(self, api: KubeApi, class_name: str = STORAGE_CLASS, interval: float = 0.5):
        self.api = api
        self.class_name = class_name
        self.interval = interval
        self.provisioned: list[str] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kft-local-provisioner", daemon=True)

    def start(self) -> LocalProvisioner:
        self.api.apply(f"/apis/storage.k8s.io/v1/storageclasses/{self.class_name}", storage_class(self.class_name))
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def run_once(self) -> None:
        for claim in pending_claims(self.api, self.class_name):
            pv = volume_for(claim)
            try:
                self.api.create("/api/v1/persistentvolumes", pv)
                self.provisioned.append(f"{claim['metadata']['namespace']}/{claim['metadata']['name']}")
            except ApiError as exc:
                if exc.status != 409:  # 409: made on an earlier pass, the PV controller is still binding
                    self.errors.append(str(exc))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except (ApiError, OSError) as exc:  # API server briefly unavailable: try again next tick
                self.errors.append(str(exc))
            self._stop.wait(self.interval)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.e2e.local_provisioner", description=__doc__.split("\n")[0])
    p.add_argument("--kubeconfig", type=Path, required=True)
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- command to run while provisioning")
    args = p.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        p.error("give the command to run after --")
    provisioner = LocalProvisioner(KubeApi.from_kubeconfig(args.kubeconfig)).start()
    try:
        return subprocess.run(command, check=False).returncode
    finally:
        provisioner.stop()


if __name__ == "__main__":
    sys.exit(main())
