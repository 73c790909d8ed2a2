"""Fixtures of the workload layer: real programs on what the stacks deployed to the local control plane.

The runner needs root (mount and network namespaces) and the Debian packages tools/workload.sh installs; both
are checked here and a missing one fails the test with the fix, never skips it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.workload.netns import NetNs

PROGRAMS = {
    "traffic_manager": "trafficserver",
    "nginx": "nginx-extras",
    "unshare": "util-linux",
    "nsenter": "util-linux",
    "ip": "iproute2",
}


@pytest.fixture(scope="session")
def workload_host() -> None:
    if os.geteuid() != 0:
        pytest.fail("the workload layer runs programs in their own mount and network namespaces and needs root. "
                    "Fix: run `make test` as root (CI does)")
    missing = sorted({pkg for prog, pkg in PROGRAMS.items() if shutil.which(prog) is None})
    if missing:
        pytest.fail(f"Debian packages missing for the workload layer: {missing}. Fix: tools/workload.sh "
                    "(make test runs it)")


@pytest.fixture(scope="module")
def netns(workload_host: None) -> Iterator[NetNs]:
    with NetNs() as ns:
        yield ns
