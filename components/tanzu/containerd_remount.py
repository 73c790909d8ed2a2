"""The node-level fix the reference architecture adds for the containerd volume of TKG worker nodes.

TKG mounts a node pool's ``/var/lib/containerd`` volume at bootstrap only; after a VM reboot the mount can be
missing, and containerd then fills the small OS disk. A privileged DaemonSet records the volume in the
node's /etc/fstab (by filesystem UUID, ``nofail`` so a missing disk never blocks boot), so every later boot
mounts it before containerd starts. It runs in kube-system, which TKG exempts from pod-security restrictions.
"""

from __future__ import annotations

from typing import Any

from components.labels import MANAGED_BY
from components.tanzu.manifests import CONTAINERD_MOUNT

NAMESPACE = "kube-system"
APP = "containerd-volume-fstab"
CHECK_INTERVAL_SECONDS = 300


def remount_script(mount: str = CONTAINERD_MOUNT, interval: int = CHECK_INTERVAL_SECONDS) -> str:
    """Idempotent: adds the fstab line once, does nothing on nodes without the volume (control plane)."""
    host = (
        f"if mountpoint -q {mount}; then "
        f"src=$(findmnt -n -o SOURCE {mount}); "
        f"fs=$(findmnt -n -o FSTYPE {mount}); "
        f'uuid=$(blkid -s UUID -o value "$src"); '
        f'if [ -n "$uuid" ] && ! grep -q "UUID=$uuid" /etc/fstab; then '
        f'echo "UUID=$uuid {mount} $fs defaults,nofail 0 2" >> /etc/fstab; '
        f'echo "recorded {mount} ($uuid) in /etc/fstab"; fi; fi'
    )
    return (
        "set -u\n"
        "while true; do\n"
        f"  nsenter -t 1 -m -- sh -c '{host}' || echo 'fstab check failed' >&2\n"
        f"  sleep {interval}\n"
        "done\n"
    )


def remount_daemonset(name: str, image: str) -> dict[str, Any]:
    """Everything but apiVersion/kind of the DaemonSet (the component passes them as typed args)."""
    labels = {"app.kubernetes.io/name": APP, "app.kubernetes.io/managed-by": MANAGED_BY}
    selector = {"app.kubernetes.io/name": APP}
    container = {
        "name": "fstab",
        "image": image,
        "command": ["sh", "-c", remount_script()],
        "securityContext": {"privileged": True},
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
    }
    return {
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    # The one privileged pod (nsenter into the node's mount namespace, see the module doc):
                    # privileged excludes allowPrivilegeEscalation: false and the runtime's seccomp filter.
                    "automountServiceAccountToken": False,
                    "hostPID": True,
                    "priorityClassName": "system-node-critical",
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [container],
                },
            },
        },
    }
