"""Fixtures of the workload layer: real programs on what the stacks deployed to the local control plane.

The runner needs root (mount and network namespaces) and the Debian packages tools/workload.sh installs; both
are checked here and a missing one fails the test with the fix, never skips it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.e2e import federation_fixtures as ff
from tests.e2e.conftest import config_passphrase, kube_api, local_cluster, tool_env
from tests.e2e.federation_fixtures import FEDERATION_NAMESPACES, Federation, destroy_everything, require_empty
from tests.workload.netns import NetNs

# The e2e layer's fixtures (toolchain, local control plane, project copies), shared by this package.
__all__ = ["config_passphrase", "kube_api", "local_cluster", "tool_env"]
local_volumes, project_factory = ff.local_volumes, ff.project_factory

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
        pytest.fail(
            "the workload layer runs programs in their own mount and network namespaces and needs root. "
            "Fix: run `make test` as root (CI does)"
        )
    missing = sorted({pkg for prog, pkg in PROGRAMS.items() if shutil.which(prog) is None})
    if missing:
        pytest.fail(
            f"Debian packages missing for the workload layer: {missing}. Fix: tools/workload.sh (make test runs it)"
        )


@pytest.fixture(scope="package")
def workload_federation(
    workload_host: None, project_factory
) -> Iterator[tuple[Federation, subprocess.CompletedProcess[str]]]:
    """The local federation converged once for the whole workload package; tests that change it (Day 2) put
    the exchange's party list back as they found it."""
    fed = project_factory("workload")
    require_empty(fed.api, FEDERATION_NAMESPACES)
    up = fed.command("up")
    yield fed, up
    destroy_everything(fed)


@pytest.fixture(scope="package")
def netns(workload_host: None) -> Iterator[NetNs]:
    """The pods' network: one namespace for the package, so every program sees the same addresses."""
    with NetNs() as ns:
        yield ns
