"""A network namespace of the test's own: the pods' "cluster network", nothing else on the machine can reach it.

The local control plane gives LoadBalancer Services addresses in 127.96.0.0/16 (tools/cluster.sh); inside a
fresh namespace with its loopback up, every 127/8 address is local, so a program can listen on exactly the
address its Service advertises and a client can connect to it, as on the cluster. Programs that bind 0.0.0.0
(ATS, nginx) do not collide with anything on the host.

``call`` runs a Python function in a thread that has entered the namespace: sockets it creates belong to the
namespace and stay usable from any thread afterwards (Linux binds a socket to its creator's namespace).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

CLONE_NEWNET = 0x40000000
T = TypeVar("T")


class NetNs:
    def __init__(self, name: str | None = None):
        self.name = name or f"kft-wl-{uuid.uuid4().hex[:8]}"
        self.path = f"/run/netns/{self.name}"

    def __enter__(self) -> NetNs:
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True, text=True)
        self.cmd(["ip", "link", "set", "lo", "up"])
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["ip", "netns", "delete", self.name], check=False, capture_output=True)

    def prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]

    def cmd(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        return subprocess.run([*self.prefix(), *argv], check=kwargs.pop("check", True), **kwargs)

    def call(self, fn: Callable[[], T]) -> T:
        result: dict[str, Any] = {}

        def run() -> None:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    if libc.setns(fd, CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), f"setns({self.path})")
                finally:
                    os.close(fd)
                result["value"] = fn()
            except BaseException as exc:  # re-raised in the caller's thread
                result["error"] = exc

        t = threading.Thread(target=run, name=f"netns-{self.name}")
        t.start()
        t.join()
        if "error" in result:
            raise result["error"]
        return result["value"]


class Dnat:
    """One nftables table of destination rewrites for connections the namespace's programs make (output hook):
    how kube-proxy sends a cluster IP to a pod, and how the tests put a listener of their own behind an address.
    ``stop`` removes the table and every rule in it."""

    def __init__(self, netns: NetNs, prefix: str = "kft"):
        self.netns = netns
        self.table = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self._started = False

    def start(self) -> Dnat:
        if shutil.which("nft") is None:
            raise AssertionError("nft (Debian package nftables) is missing. Fix: tools/workload.sh (make test runs it)")
        self.netns.cmd(["nft", f"add table ip {self.table}"])
        self._started = True
        self.netns.cmd(["nft", f"add chain ip {self.table} out {{ type nat hook output priority -100 ; }}"])
        return self

    def add(self, daddr: str, dport: int, to_host: str, to_port: int) -> None:
        rule = f"add rule ip {self.table} out ip daddr {daddr} tcp dport {dport} dnat to {to_host}:{to_port}"
        self.netns.cmd(["nft", rule])

    def stop(self) -> None:
        if self._started:
            self.netns.cmd(["nft", f"delete table ip {self.table}"], check=False)
            self._started = False
