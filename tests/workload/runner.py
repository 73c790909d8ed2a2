"""Run one container of a deployed pod as a real process, on exactly what the API server holds.

``PodRunner.from_api`` reads the Deployment or StatefulSet, the ConfigMaps and Secrets it references and the
namespace's Services; ``start`` materialises the volumes the way the kubelet lays them out (ConfigMap/Secret
files behind the ``..data`` symlink, modes and group ownership, subPath mounts of the resolved file), writes
the plan and starts ``nsinit.py`` in fresh mount and PID namespaces inside the test's network namespace. The
program is PID 1 of its namespace, runs as the image's (or the pod's) user, and sees the cluster's Services by
name through the pod root's /etc/hosts. ``read`` and ``exec`` look at the running pod from inside.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.workload import podspec
from tests.workload.images import ImageProfile, profile_for
from tests.workload.netns import NetNs

NSINIT = Path(__file__).with_name("nsinit.py")
WORKLOAD_KINDS = {"deployment": "deployments", "statefulset": "statefulsets"}


def read_workload(api: Any, namespace: str, kind: str, name: str) -> dict[str, Any]:
    plural = WORKLOAD_KINDS[kind.lower()]
    return api.get(f"/apis/apps/v1/namespaces/{namespace}/{plural}/{name}")


def api_lookup(api: Any, namespace: str) -> podspec.Lookup:
    def lookup(kind: str, name: str) -> dict[str, Any] | None:
        return api.get_or_none(f"/api/v1/namespaces/{namespace}/{kind}/{name}")

    return lookup


def cluster_hosts(services: list[dict[str, Any]], namespace: str, address: Mapping[str, str]) -> dict[str, str]:
    """/etc/hosts lines for the namespace's Services: short, namespaced and cluster-local names -> the stand-in
    address given for that Service (its LB address, usually), so a pod's ``mysql`` or ``fateflow`` resolves."""
    hosts: dict[str, str] = {}
    for svc in services:
        name = svc["metadata"]["name"]
        if name in address:
            for alias in (
                name,
                f"{name}.{namespace}",
                f"{name}.{namespace}.svc",
                f"{name}.{namespace}.svc.cluster.local",
            ):
                hosts[alias] = address[name]
    return hosts


def _write_files(d: Path, vol: podspec.Volume) -> None:
    """The kubelet's atomic writer: files in a timestamped directory, ``..data`` pointing at it, and one symlink
    per top-level entry; a subPath mount binds the file that symlink resolves to."""
    stamp = d / "..2026_01_01_00_00_00.000000000"
    stamp.mkdir(exist_ok=True)
    for f in vol.files:
        target = stamp / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.content)
        os.chmod(target, f.mode & 0o7777)
        os.chown(target, 0, vol.gid)
    (d / "..data").symlink_to(stamp.name)
    for top in sorted({f.path.split("/", 1)[0] for f in vol.files}):
        (d / top).symlink_to(f"..data/{top}")


def _volume_ops(
    plan: podspec.ContainerPlan, vol_root: Path, pvc_root: Path | None
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Materialise each volume; returns (volume name -> host directory, bind ops of the container's mounts)."""
    dirs: dict[str, str] = {}
    for vol in plan.volumes.values():
        # Claims outlive the container (``pvc_root`` is kept across restarts); everything else is made anew.
        fresh = not (vol.kind == "persistentVolumeClaim" and pvc_root is not None)
        d = vol_root / vol.name if fresh else pvc_root / vol.name
        if fresh or not d.exists():
            d.mkdir(parents=True)
            os.chmod(d, vol.dir_mode)
            os.chown(d, 0, vol.gid)
        if vol.files:
            _write_files(d, vol)
        dirs[vol.name] = str(d)
    ops = []
    for m in plan.mounts:
        source = Path(dirs[m.volume])
        rel = m.volume
        if m.sub_path:
            resolved = (source / m.sub_path).resolve()
            if not resolved.exists():
                resolved.mkdir(parents=True)  # the kubelet creates a missing subPath as a directory
            rel = f"{m.volume}/{resolved.relative_to(source)}"
        ops.append({"op": "bind", "source": rel, "path": m.path, "read_only": m.read_only})
    return dirs, ops


@dataclass
class PodRunner:
    """One container of one pod, started and stopped by the test."""

    plan: podspec.ContainerPlan
    profile: ImageProfile
    netns: NetNs
    scratch: Path
    hosts: dict[str, str] = field(default_factory=dict)
    pvc_root: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def from_api(
        cls,
        api: Any,
        namespace: str,
        kind: str,
        name: str,
        container: str,
        netns: NetNs,
        scratch: Path,
        pod_ip: str = "127.0.0.1",
        service_addresses: Mapping[str, str] | None = None,
        pvc_root: Path | None = None,
        profile: ImageProfile | None = None,
        argv: list[str] | None = None,
    ) -> PodRunner:
        """``argv`` replaces the container's command and args (as ``kubectl debug --copy-to ... -- argv``
        would), e.g. a program's configuration test on exactly what the pod mounts."""
        workload = read_workload(api, namespace, kind, name)
        template = workload["spec"]["template"]
        image = next(c["image"] for c in template["spec"]["containers"] if c["name"] == container)
        prof = profile or profile_for(image)
        services = api.items(f"/api/v1/namespaces/{namespace}/services")
        pod_name = f"{name}-0" if kind.lower() == "statefulset" else f"{name}-workload"
        plan = podspec.plan_container(
            template, container, prof, api_lookup(api, namespace), namespace, pod_name, pod_ip, services
        )
        if argv is not None:
            plan.argv = list(argv)
        hosts = cluster_hosts(services, namespace, service_addresses or {})
        return cls(plan, prof, netns, scratch, hosts, pvc_root)

    # --- lifecycle --------------------------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.scratch / f"{self.plan.container}.log"

    def _hosts_file(self) -> str:
        lines = [
            "127.0.0.1\tlocalhost",
            "::1\tlocalhost ip6-localhost ip6-loopback",
            f"{self.plan.env.get('POD_IP', '127.0.0.1')}\t{self.plan.pod}",
        ]
        lines += [f"{addr}\t{name}" for name, addr in sorted(self.hosts.items())]
        return "\n".join(lines) + "\n"

    def start(self) -> PodRunner:
        if self.scratch.exists():
            # A restart is a new container: the writable layer and the emptyDirs start empty again.
            shutil.rmtree(self.scratch)
        self.scratch.mkdir(parents=True)
        ops = list(self.profile.ops())
        ops.append({"op": "write", "path": "/etc/hosts", "content": self._hosts_file()})
        volume_dirs, binds = _volume_ops(self.plan, self.scratch / "volumes", self.pvc_root)
        ops += binds
        user = asdict(self.plan.user)
        plan = {
            "root": str(self.scratch / "root"),
            "scratch": str(self.scratch),
            "volumes": volume_dirs,
            "ops": ops,
            "user": user,
            "workdir": self.plan.workdir,
            "argv": self.plan.argv,
            "env": self.plan.env,
            "capabilities": list(self.plan.privileges.capabilities),
            "no_new_privs": self.plan.privileges.no_new_privs,
        }
        plan_file = self.scratch / "plan.json"
        plan_file.write_text(json.dumps(plan, indent=1))
        os.chmod(plan_file, 0o600)  # it holds the pod's env, Secret values included
        cmd = [
            *self.netns.prefix(),
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--pid",
            "--fork",
            "--kill-child",
            sys.executable,
            "-I",
            str(NSINIT),
            str(plan_file),
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed in stop()
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        self._log = log
        return self

    def pid1(self) -> int | None:
        """The container's PID 1, as seen from the host (the child of unshare)."""
        if self.proc is None:
            return None
        try:
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                children = (task / "children").read_text().split()
                if children:
                    return int(children[0])
        except FileNotFoundError:
            return None
        return None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM to PID 1 (what the kubelet sends), SIGKILL to the whole group after ``grace`` seconds."""
        if self.proc is None:
            return None
        pid = self.pid1()
        if pid and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._log.close()
        code = self.proc.returncode
        self.proc = None
        return code

    def wait(self, timeout: float = 60) -> int:
        """Until the container exits by itself (a one-shot argv); its exit code."""
        assert self.proc is not None, "not started"
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(grace=0)
            raise AssertionError(
                f"{self.plan.pod}/{self.plan.container} still running after {timeout}s; log:\n{self.log()}"
            ) from None
        code = self.proc.returncode
        self.stop()
        return code

    def restart(self) -> PodRunner:
        """What a rollout does to the pod: a new container on the current template (re-read by the caller)."""
        self.stop()
        return self.start()

    # --- looking inside ---------------------------------------------------------------------------------------

    def exec(self, argv: list[str], timeout: float = 30, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """``kubectl exec``: a command in the pod's mount, PID and network namespaces, as root."""
        pid = self.pid1()
        if pid is None:
            raise RuntimeError(f"{self.plan.pod}/{self.plan.container} is not running; log:\n{self.log()}")
        return subprocess.run(
            ["nsenter", "-t", str(pid), "-m", "-p", "-n", "-r", "-w", *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=kwargs.pop("check", False),
            **kwargs,
        )

    def read(self, path: str) -> str:
        proc = self.exec(["cat", path])
        if proc.returncode != 0:
            raise FileNotFoundError(f"{path} in {self.plan.pod}: {proc.stderr.strip()}")
        return proc.stdout

    def log(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def wait_listening(self, port: int, timeout: float = 60, host: str = "127.0.0.1") -> None:
        """Until something in the pod accepts on ``host:port``; fails with the pod's log when it exits."""
        deadline = time.monotonic() + timeout

        def probe() -> bool:
            try:
                socket.create_connection((host, port), timeout=1).close()
                return True
            except OSError:
                return False

        while time.monotonic() < deadline:
            if not self.running():
                code = self.proc.returncode if self.proc else "?"
                raise AssertionError(
                    f"{self.plan.pod}/{self.plan.container} exited with {code} before listening "
                    f"on {port}; log:\n{self.log()}"
                )
            if self.netns.call(probe):
                return
            time.sleep(0.5)
        raise AssertionError(
            f"{self.plan.pod}/{self.plan.container} not listening on {host}:{port} after {timeout}s; log:\n{self.log()}"
        )
