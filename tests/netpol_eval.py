"""Evaluating NetworkPolicies with np-guard's netpol-analyzer (tools/go_tool.sh builds it).

The analyzer reads manifests from a directory and lists every connection the policies allow between the
workloads (and from/to outside addresses); this module runs it and parses its JSON into
``{(source, destination): Conn}``, where a workload is ``namespace/name`` and outside is ``EXTERNAL``.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.stack_runner import ROOT

EXTERNAL = "0.0.0.0-255.255.255.255"
ANALYSED_KINDS = ("Namespace", "Deployment", "StatefulSet", "DaemonSet", "Job", "NetworkPolicy")


@dataclass(frozen=True)
class Conn:
    """TCP ports allowed, or every port and protocol (``all``)."""

    all: bool = False
    tcp: frozenset[int] = frozenset()


def parse_conn(text: str) -> Conn:
    """``All Connections`` or ``TCP 9300,9310,9000-9002`` (other protocols never appear in these policies)."""
    if text == "All Connections":
        return Conn(all=True)
    ports: set[int] = set()
    for part in text.split(";"):
        protocol, _, spec = part.strip().partition(" ")
        assert protocol == "TCP", f"unexpected protocol in {text!r}"
        for item in spec.split(","):
            lo, _, hi = item.partition("-")
            ports.update(range(int(lo), int(hi or lo) + 1))
    return Conn(tcp=frozenset(ports))


def go_tool(name: str) -> str:
    """The binary, built by the project's script when missing (a failed build fails the test)."""
    out = subprocess.run(
        [str(ROOT / "tools" / "go_tool.sh"), name], capture_output=True, text=True, check=False, timeout=3600
    )
    assert out.returncode == 0, f"tools/go_tool.sh {name} failed:\n{out.stderr[-3000:]}"
    return out.stdout.strip().splitlines()[-1]


def allowed(manifests: list[dict[str, Any]], workdir: Path) -> dict[tuple[str, str], Conn]:
    workdir.mkdir(parents=True, exist_ok=True)
    kept = [m for m in manifests if m["kind"] in ANALYSED_KINDS]
    (workdir / "manifests.yaml").write_text(yaml.safe_dump_all(kept, sort_keys=False))
    out = subprocess.run(
        [go_tool("netpol-analyzer"), "list", "--dirpath", str(workdir), "-o", "json", "-q"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ},
    )
    assert out.returncode == 0, out.stderr
    result = {}
    for entry in json.loads(out.stdout or "[]"):
        result[(_workload(entry["src"]), _workload(entry["dst"]))] = parse_conn(entry["conn"])
    return result


def _workload(name: str) -> str:
    """``ns/name[Kind]`` -> ``ns/name``; outside addresses unchanged."""
    return name.split("[", 1)[0]
