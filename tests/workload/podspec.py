"""What a container of a pod sees, computed from the pod template as the API server holds it.

kwok marks pods Running without starting anything, so the API server never tells whether a program can read
what the stacks render. This module reproduces, without root and without Pulumi, the parts of the kubelet that
decide what the process gets: its environment (``env``, ``envFrom``, service links, ``$(VAR)`` expansion), its
argv (``command``/``args`` over the image's entrypoint and cmd), its user, and the files of its ConfigMap and
Secret volumes with the modes and ownership the kubelet would give them. tests/workload/runner.py then runs the
real program on that plan. Anything of the pod spec this does not model raises ``Unsupported`` rather than
being silently ignored: a test on a half-modelled pod would prove nothing.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.workload.images import ImageProfile

# Kubernetes' defaults (k8s.io/api core/v1): ConfigMap/Secret volume files 0644; emptyDir directories 0777.
DEFAULT_FILE_MODE = 0o644
EMPTY_DIR_MODE = 0o777
# What the kubelet ORs into file modes of a volume when the pod sets fsGroup (pkg/volume SetVolumeOwnership):
# read-only volumes (ConfigMap, Secret, projected, downwardAPI) get group read, writable ones group read-write.
FS_GROUP_RO_MASK = 0o440
FS_GROUP_RW_MASK = 0o660
READ_ONLY_VOLUME_KINDS = ("configMap", "secret", "projected", "downwardAPI")

Lookup = Callable[[str, str], dict[str, Any] | None]  # (kind "configmaps"|"secrets", name) -> object or None


class Unsupported(Exception):
    """The pod uses a feature the runner does not reproduce; the test must not pretend it ran the pod."""


@dataclass(frozen=True)
class VolumeFile:
    """One file of a ConfigMap/Secret volume, relative to the volume's root."""

    path: str
    content: bytes
    mode: int


@dataclass(frozen=True)
class Volume:
    """A pod volume as the kubelet would set it up: ``kind`` is configMap/secret/emptyDir/persistentVolumeClaim."""

    name: str
    kind: str
    files: tuple[VolumeFile, ...] = ()
    gid: int = 0  # group owner of every file (fsGroup when set, else root)
    dir_mode: int = 0o755
    read_only: bool = False


@dataclass(frozen=True)
class Mount:
    volume: str
    path: str  # mountPath inside the container
    sub_path: str = ""  # a file or directory inside the volume
    read_only: bool = False


@dataclass(frozen=True)
class User:
    uid: int | None
    gid: int | None
    name: str | None = None  # resolved to uid/gid inside the pod's root when uid is None
    groups: tuple[int, ...] = ()  # supplementalGroups and fsGroup


# The capabilities containerd (and every OCI runtime Kubernetes uses) gives a container that asks for nothing:
# the OCI runtime spec's default set. ``capabilities.drop``/``add`` are applied to this set.
RUNTIME_DEFAULT_CAPS = (
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
)


@dataclass(frozen=True)
class Privileges:
    """What the runtime lets the process keep: its capability bounding set and no_new_privs. The seccomp
    profile is recorded in the pod but not applied by the runner (docs/workload.md says so)."""

    capabilities: tuple[str, ...]
    no_new_privs: bool


@dataclass
class ContainerPlan:
    """Everything the runner needs to start one container of a pod."""

    pod: str
    namespace: str
    container: str
    image: str
    argv: list[str]
    env: dict[str, str]
    workdir: str
    user: User
    volumes: dict[str, Volume]
    mounts: list[Mount]
    ports: list[dict[str, Any]] = field(default_factory=list)
    privileges: Privileges = field(default_factory=lambda: Privileges(RUNTIME_DEFAULT_CAPS, False))


# --- env ----------------------------------------------------------------------------------------------------

_VAR = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion: defined names are replaced, undefined ones kept, ``$$`` escapes ``$``."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)

    return _VAR.sub(one, value)


def _decoded(obj: dict[str, Any], kind: str) -> dict[str, bytes]:
    """Keys of a ConfigMap (data + binaryData) or Secret (data, base64) as bytes."""
    if kind == "secrets":
        return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
    out = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
    out.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
    return out


def _key_ref(ref: dict[str, Any], kind: str, lookup: Lookup, where: str) -> str | None:
    obj = lookup(kind, ref["name"])
    if obj is None:
        if ref.get("optional"):
            return None
        raise LookupError(f"{where}: {kind} {ref['name']!r} does not exist (the pod would not start)")
    data = _decoded(obj, kind)
    if ref["key"] not in data:
        if ref.get("optional"):
            return None
        raise LookupError(f"{where}: {kind} {ref['name']!r} has no key {ref['key']!r} (keys: {sorted(data)})")
    return data[ref["key"]].decode()


def _field_ref(path: str, fields: Mapping[str, str], where: str) -> str:
    if path in fields:
        return fields[path]
    m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
    if m and f"metadata.{m.group(1)}" in fields:
        raise Unsupported(f"{where}: fieldRef {path}")
    raise Unsupported(f"{where}: fieldRef {path!r} (modelled: {sorted(fields)})")


def service_links(services: list[dict[str, Any]]) -> dict[str, str]:
    """The ``<NAME>_SERVICE_HOST`` family the kubelet injects for every Service of the namespace
    (``enableServiceLinks`` defaults to true); images that read variables such as ``PULSAR_PORT`` see these."""
    env: dict[str, str] = {}
    for svc in services:
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP")
        ports = spec.get("ports") or []
        if not ip or ip == "None" or not ports:
            continue
        name = svc["metadata"]["name"].upper().replace("-", "_")
        first = ports[0]
        env[f"{name}_SERVICE_HOST"] = ip
        env[f"{name}_SERVICE_PORT"] = str(first["port"])
        env[f"{name}_PORT"] = f"{first.get('protocol', 'TCP').lower()}://{ip}:{first['port']}"
        for port in ports:
            proto = port.get("protocol", "TCP")
            if port.get("name"):
                env[f"{name}_SERVICE_PORT_{port['name'].upper().replace('-', '_')}"] = str(port["port"])
            base = f"{name}_PORT_{port['port']}_{proto}"
            env[base] = f"{proto.lower()}://{ip}:{port['port']}"
            env[f"{base}_PROTO"] = proto.lower()
            env[f"{base}_PORT"] = str(port["port"])
            env[f"{base}_ADDR"] = ip
    return env


def container_env(
    container: dict[str, Any], image: ImageProfile, lookup: Lookup, fields: Mapping[str, str], links: Mapping[str, str]
) -> dict[str, str]:
    """Image ENV, then service links, then ``envFrom`` in order, then ``env`` in order (later wins)."""
    name = container["name"]
    env: dict[str, str] = dict(image.env)
    env.update(links)
    for i, source in enumerate(container.get("envFrom") or []):
        where = f"container {name} envFrom[{i}]"
        kind, ref = (
            ("configmaps", source["configMapRef"]) if "configMapRef" in source else ("secrets", source["secretRef"])
        )
        obj = lookup(kind, ref["name"])
        if obj is None:
            if ref.get("optional"):
                continue
            raise LookupError(f"{where}: {kind} {ref['name']!r} does not exist")
        prefix = source.get("prefix", "")
        env.update({prefix + k: v.decode() for k, v in _decoded(obj, kind).items()})
    for var in container.get("env") or []:
        where = f"container {name} env {var['name']}"
        if "valueFrom" not in var:
            env[var["name"]] = expand(var.get("value", ""), env)
            continue
        source = var["valueFrom"]
        if "secretKeyRef" in source:
            value = _key_ref(source["secretKeyRef"], "secrets", lookup, where)
        elif "configMapKeyRef" in source:
            value = _key_ref(source["configMapKeyRef"], "configmaps", lookup, where)
        elif "fieldRef" in source:
            value = _field_ref(source["fieldRef"]["fieldPath"], fields, where)
        else:
            raise Unsupported(f"{where}: valueFrom {sorted(source)}")
        if value is not None:
            env[var["name"]] = value
    return env


# --- argv and user ------------------------------------------------------------------------------------------


def container_argv(container: dict[str, Any], image: ImageProfile, env: Mapping[str, str]) -> list[str]:
    """``command`` replaces the image's ENTRYPOINT (and drops its CMD); ``args`` replaces CMD."""
    command = container.get("command")
    args = container.get("args")
    if command:
        argv = list(command) + list(args or [])
    else:
        argv = list(image.entrypoint) + list(args if args is not None else image.cmd)
    if not argv:
        raise Unsupported(f"container {container['name']}: no command and the image profile has none")
    return [expand(a, env) for a in argv]


def container_user(pod_spec: dict[str, Any], container: dict[str, Any], image: ImageProfile) -> User:
    """runAsUser/runAsGroup of the container, else of the pod, else the image's USER."""
    pod_sc = pod_spec.get("securityContext") or {}
    sc = container.get("securityContext") or {}
    uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
    gid = sc.get("runAsGroup", pod_sc.get("runAsGroup"))
    groups = [*pod_sc.get("supplementalGroups", [])]
    if pod_sc.get("fsGroup") is not None:
        groups.append(pod_sc["fsGroup"])
    if uid is None:
        return User(uid=None, gid=gid, name=image.user, groups=tuple(groups))
    return User(uid=uid, gid=gid if gid is not None else 0, groups=tuple(groups))


def container_privileges(container: dict[str, Any]) -> Privileges:
    """The runtime's default set, minus ``drop`` (``ALL`` empties it), plus ``add``; names as Kubernetes
    writes them, with or without ``CAP_``. ``allowPrivilegeEscalation`` defaults to true, as in Kubernetes."""
    sc = container.get("securityContext") or {}
    if sc.get("privileged"):
        raise Unsupported(f"container {container['name']}: privileged")
    caps = sc.get("capabilities") or {}

    def names(key: str) -> set[str]:
        return {str(c).upper().removeprefix("CAP_") for c in caps.get(key) or []}

    drop, add = names("drop"), names("add")
    kept = set() if "ALL" in drop else set(RUNTIME_DEFAULT_CAPS) - drop
    return Privileges(tuple(sorted(kept | add)), sc.get("allowPrivilegeEscalation") is False)


# --- volumes ------------------------------------------------------------------------------------------------


def _projected_files(
    source: dict[str, Any], kind: str, lookup: Lookup, default_mode: int, where: str
) -> list[VolumeFile] | None:
    obj = lookup(kind, str(source.get("name") or source.get("secretName") or ""))
    if obj is None:
        if source.get("optional"):
            return []
        return None
    data = _decoded(obj, kind)
    items = source.get("items")
    if not items:
        return [VolumeFile(k, v, default_mode) for k, v in sorted(data.items())]
    files = []
    for item in items:
        if item["key"] not in data:
            if source.get("optional"):
                continue
            raise LookupError(f"{where}: key {item['key']!r} is not in {kind} (keys: {sorted(data)})")
        files.append(VolumeFile(item["path"], data[item["key"]], item.get("mode", default_mode)))
    return files


def pod_volumes(pod_spec: dict[str, Any], lookup: Lookup) -> dict[str, Volume]:
    fs_group = (pod_spec.get("securityContext") or {}).get("fsGroup")
    volumes: dict[str, Volume] = {}
    for vol in pod_spec.get("volumes") or []:
        name = vol["name"]
        where = f"volume {name}"
        if "configMap" in vol or "secret" in vol:
            kind_key = "configMap" if "configMap" in vol else "secret"
            source = vol[kind_key]
            mode = source.get("defaultMode", DEFAULT_FILE_MODE)
            files = _projected_files(
                source, "configmaps" if kind_key == "configMap" else "secrets", lookup, mode, where
            )
            if files is None:
                ref = source.get("name") or source.get("secretName")
                raise LookupError(f"{where}: {kind_key} {ref!r} does not exist (the pod would stay ContainerCreating)")
            if fs_group is not None:
                files = [VolumeFile(f.path, f.content, f.mode | FS_GROUP_RO_MASK) for f in files]
            volumes[name] = Volume(name, kind_key, tuple(files), gid=fs_group or 0, read_only=True)
        elif "emptyDir" in vol:
            volumes[name] = Volume(name, "emptyDir", gid=fs_group or 0, dir_mode=EMPTY_DIR_MODE)
        elif "persistentVolumeClaim" in vol:
            # A freshly provisioned volume's root: root-owned 0755, made group-writable by fsGroup.
            mode = 0o2775 if fs_group is not None else 0o755
            volumes[name] = Volume(
                name,
                "persistentVolumeClaim",
                gid=fs_group or 0,
                dir_mode=mode,
                read_only=bool(vol["persistentVolumeClaim"].get("readOnly")),
            )
        else:
            raise Unsupported(f"{where}: kind {sorted(k for k in vol if k != 'name')}")
    return volumes


def container_mounts(container: dict[str, Any], volumes: Mapping[str, Volume]) -> list[Mount]:
    mounts = []
    for m in container.get("volumeMounts") or []:
        if m["name"] not in volumes:
            raise LookupError(
                f"container {container['name']}: volumeMount {m['mountPath']} names volume "
                f"{m['name']!r}, which the pod does not define"
            )
        if m.get("subPathExpr"):
            raise Unsupported(f"container {container['name']}: subPathExpr")
        sub = m.get("subPath", "")
        if sub.startswith("/") or ".." in sub.split("/"):
            raise LookupError(
                f"container {container['name']}: subPath {sub!r} escapes the volume (the kubelet refuses it)"
            )
        vol = volumes[m["name"]]
        mounts.append(Mount(m["name"], m["mountPath"], sub, bool(m.get("readOnly")) or vol.read_only))
    # The kubelet mounts parents before children whatever the order in the spec.
    return sorted(mounts, key=lambda x: x.path.rstrip("/").count("/"))


# --- whole container ----------------------------------------------------------------------------------------


def plan_container(
    pod_template: dict[str, Any],
    container_name: str,
    image: ImageProfile,
    lookup: Lookup,
    namespace: str,
    pod_name: str,
    pod_ip: str,
    services: list[dict[str, Any]],
) -> ContainerPlan:
    spec = pod_template["spec"]
    for key in ("hostNetwork", "hostPID", "shareProcessNamespace"):
        if spec.get(key):
            raise Unsupported(f"pod {pod_name}: {key}")
    containers = {c["name"]: c for c in spec["containers"]}
    if container_name not in containers:
        raise LookupError(f"pod {pod_name} has no container {container_name!r} (has {sorted(containers)})")
    container = containers[container_name]
    fields = {
        "metadata.name": pod_name,
        "metadata.namespace": namespace,
        "status.podIP": pod_ip,
        "status.hostIP": "127.0.0.1",
        "spec.nodeName": "kwok-node-0",
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
    }
    links = service_links(services) if spec.get("enableServiceLinks", True) else {}
    env = container_env(container, image, lookup, fields, links)
    env.setdefault("HOSTNAME", pod_name)
    volumes = pod_volumes(spec, lookup)
    return ContainerPlan(
        pod=pod_name,
        namespace=namespace,
        container=container_name,
        image=container["image"],
        argv=container_argv(container, image, env),
        env=env,
        workdir=container.get("workingDir") or image.workdir,
        user=container_user(spec, container, image),
        volumes=volumes,
        mounts=container_mounts(container, volumes),
        ports=list(container.get("ports") or []),
        privileges=container_privileges(container),
    )
