"""Container and pod hardening shared by every pod the stacks render.

Every container drops all Linux capabilities and adds back only what its image's start-up really does, with
the reason next to the exception: a security review reads this table, not the images. No container may gain
privileges (``allowPrivilegeEscalation: false``) and every one runs under the runtime's default seccomp
profile. Service-account tokens are mounted only where a pod calls the Kubernetes API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RUNTIME_DEFAULT = {"type": "RuntimeDefault"}


@dataclass(frozen=True)
class CapabilityException:
    add: tuple[str, ...]
    reason: str


# Image profile -> the capabilities added back after ``drop: [ALL]``.
EXCEPTIONS: dict[str, CapabilityException] = {
    "none": CapabilityException((), "runs as a non-root user or only touches files it owns"),
    "mysql": CapabilityException(
        ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"),
        "the official mysql entrypoint starts as root, chowns the data directory to user mysql and "
        "re-executes itself as mysql with gosu",
    ),
    "openresty": CapabilityException(
        ("CHOWN", "SETGID", "SETUID"),
        "openresty's master runs as root and starts its workers as an unprivileged user, chowning its temp "
        "directories to that user",
    ),
    "traffic-server": CapabilityException(
        ("CHOWN", "DAC_OVERRIDE", "NET_BIND_SERVICE", "SETGID", "SETUID"),
        "traffic_manager starts as root, creates its runtime directories for the trafficserver user and "
        "switches to it (proxy.config.admin.user_id); root reads the group-readable certificate files first; "
        "it binds the TLS port 443 inside the container, below net.ipv4.ip_unprivileged_port_start, which "
        "containerd 1.x leaves at 1024 (without NET_BIND_SERVICE: 'Unable to bind socket: 443 : Permission "
        "denied', found by the workload runner)",
    ),
    "fate-root": CapabilityException(
        ("CHOWN", "DAC_OVERRIDE", "FOWNER"),
        "FATE's images run as root and their start commands rewrite files of the image in place (sed -i, "
        "cp into conf/) whose owners differ between images; nothing switches users, binds a port below 1024 "
        "or needs raw sockets, so SETUID/SETGID/NET_BIND_SERVICE/NET_RAW and the rest stay dropped",
    ),
}


def container_security(profile: str) -> dict[str, Any]:
    """The container-level ``securityContext`` for an image ``profile`` (a key of EXCEPTIONS)."""
    exception = EXCEPTIONS[profile]
    caps: dict[str, Any] = {"drop": ["ALL"]}
    if exception.add:
        caps["add"] = list(exception.add)
    return {"allowPrivilegeEscalation": False, "capabilities": caps, "seccompProfile": dict(RUNTIME_DEFAULT)}


def harden_container(container: dict[str, Any], profile: str) -> dict[str, Any]:
    """Merges the hardening over whatever the container already sets (e.g. runAsUser of a non-root image)."""
    container["securityContext"] = {**container_security(profile), **(container.get("securityContext") or {})}
    return container


def harden_pod(pod: dict[str, Any], calls_api: bool = False) -> dict[str, Any]:
    """Pod-level seccomp and no service-account token unless the pod talks to the API server."""
    pod["securityContext"] = {"seccompProfile": dict(RUNTIME_DEFAULT), **(pod.get("securityContext") or {})}
    pod["automountServiceAccountToken"] = calls_api
    return pod


def with_memory_limit(resources: Mapping[Any, Any], fallback: str | None = None) -> dict[str, Any]:
    """A copy of ``resources`` whose limits always hold memory: the user's limit, else the memory request,
    else ``fallback``. A process that outgrows it is killed instead of starving the node's other pods."""
    out = {k: dict(v) for k, v in resources.items()}
    memory = out.get("requests", {}).get("memory") or fallback
    if memory and "memory" not in out.get("limits", {}):
        out.setdefault("limits", {})["memory"] = memory
    return out
