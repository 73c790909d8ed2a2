"""The runner gives each program only what its container's securityContext leaves it (tests/workload/nsinit.py
``restrict``), so a capability the hardening table forgot makes the real program fail here as it would on a
node. These check the mechanism itself on the kernel, with the semantics the exceptions rely on: a root process
without NET_BIND_SERVICE cannot listen below 1024 in a network namespace whose
``net.ipv4.ip_unprivileged_port_start`` is the kernel's default (what containerd 1.x leaves it at)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workload import nsinit

pytestmark = pytest.mark.workload

NSINIT_DIR = Path(nsinit.__file__).parent
# In a fresh network namespace (the kernel's per-namespace default port floor), with the given bounding set:
# bind port 443 as root, then report the process's capability sets and the bind's result.
PROBE = """
import socket, sys
sys.path.insert(0, {dir!r})
import nsinit
nsinit.restrict({keep!r}, True)
import os
os.execvp(sys.executable, [sys.executable, "-c", '''
import socket
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
s = socket.socket()
try:
    s.bind(("127.0.0.1", 443))
    bound = "bound"
except PermissionError:
    bound = "refused"
print(status["CapBnd"].strip(), status["CapEff"].strip(), status["NoNewPrivs"].strip(), bound)
'''])
"""


def probe(keep: list[str]) -> tuple[int, int, str, str]:
    if os.geteuid() != 0:
        pytest.fail("needs root (unshare --net). Fix: run `make test` as root (CI does)")
    code = PROBE.format(dir=str(NSINIT_DIR), keep=keep)
    out = subprocess.run(
        ["unshare", "--net", sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    bnd, eff, nnp, bound = out.stdout.split()
    return int(bnd, 16), int(eff, 16), nnp, bound


def mask(names: list[str]) -> int:
    return sum(1 << nsinit.CAPS.index(n) for n in names)


def test_root_keeps_exactly_the_allowed_capabilities_and_cannot_gain_more() -> None:
    keep = ["CHOWN", "SETGID", "SETUID"]
    bnd, eff, nnp, bound = probe(keep)
    assert bnd == mask(keep)
    assert eff == mask(keep)  # root after exec: effective = bounding set
    assert nnp == "1"
    assert bound == "refused"


def test_net_bind_service_is_what_lets_root_listen_below_1024() -> None:
    assert Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").exists()
    assert probe(["NET_BIND_SERVICE"])[3] == "bound"
    assert probe([])[3] == "refused"
