"""Issue 11 (7): ``make scan``: kube-score and checkov over the manifests every shipped stack (and an eggroll
party) renders under mocks, against one checked-in list of accepted findings (scan/accepted-findings.yaml), each
with its reason.

Both scanners' findings become the same ``Finding`` and are judged by the same function: a finding nobody
explained fails, and so does an accepted entry that no longer matches anything (the list stays the truth about
what is left). ``make scan`` runs just this file; ``make test`` (and so CI) runs it with the rest.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from tests.netpol_eval import go_tool
from tests.rendered import every_rendering
from tests.stack_runner import ROOT

ACCEPTED = ROOT / "scan" / "accepted-findings.yaml"
TOOLS = ("kube-score", "checkov")
# kube-score's grades: 1 critical, 5 warning, 7 almost OK, 10 OK.
FAILING_GRADE = 7
# checkov runs offline: no update check against PyPI, no policy metadata from its vendor's platform.
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
# Failed checks only (the summary still counts the passed ones), without code blocks.
CHECKOV_ARGS = ["--directory", ".", "--framework", "kubernetes", "--output", "json"]
CHECKOV_ARGS += ["--quiet", "--compact", "--skip-download"]


class Finding(NamedTuple):
    tool: str
    check: str
    where: str  # Kind/namespace/name; namespace "-" for cluster-scoped objects
    detail: str


class Rendered(NamedTuple):
    directory: Path
    files: list[Path]
    cluster_scoped: set[tuple[str, str]]  # (kind, name) of the objects without a namespace


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Rendered:
    directory = tmp_path_factory.mktemp("rendered")
    files, cluster_scoped = [], set()
    for name, manifests in every_rendering().items():
        path = directory / f"{name}.yaml"
        path.write_text(yaml.safe_dump_all(manifests, sort_keys=False))
        files.append(path)
        for m in manifests:
            meta = m.get("metadata") or {}
            if meta.get("name") and not meta.get("namespace"):
                cluster_scoped.add((m["kind"], meta["name"]))
    return Rendered(directory, files, cluster_scoped)


def kube_score_findings(files: list[Path]) -> list[Finding]:
    """Every check below OK, with kube-score's comment summaries."""
    out = subprocess.run(
        [go_tool("kube-score"), "score", "--output-format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert out.stdout.strip().startswith("["), f"kube-score failed (exit {out.returncode}):\n{out.stderr[-3000:]}"
    found = []
    for obj in json.loads(out.stdout):
        meta = obj.get("object_meta") or {}
        where = f"{obj['type_meta']['kind']}/{meta.get('namespace') or '-'}/{meta.get('name')}"
        for check in obj.get("checks") or []:
            if check.get("skipped") or check.get("grade", 10) >= FAILING_GRADE:
                continue
            summary = "; ".join(c.get("summary", "") for c in check.get("comments") or [])
            found.append(Finding("kube-score", check["check"]["id"], where, summary))
    return found


def checkov_binary() -> str:
    """checkov from its own cached venv, built by the project's script when missing (a failed build fails)."""
    out = subprocess.run(
        [str(ROOT / "tools" / "checkov.sh")], capture_output=True, text=True, check=False, timeout=3600
    )
    assert out.returncode == 0, f"tools/checkov.sh failed:\n{out.stderr[-3000:]}"
    return out.stdout.strip().splitlines()[-1]


def checkov_where(resource: str, cluster_scoped: set[tuple[str, str]]) -> str:
    """checkov's ``Kind.namespace.name`` (``default`` for cluster-scoped objects; a workload's pod template is
    ``Pod.namespace.name.<labels>``) as kube-score's ``Kind/namespace/name``."""
    kind, namespace, name = resource.split(".", 2)
    if kind == "Pod":
        name = name.split(".", 1)[0]
    if (kind, name) in cluster_scoped:
        namespace = "-"
    return f"{kind}/{namespace}/{name}"


def checkov_scan(rendered: Rendered) -> tuple[dict[str, Any], list[Finding]]:
    """One checkov run over the whole directory (its start-up costs seconds): its summary and failed checks."""
    out = subprocess.run(
        [checkov_binary(), *CHECKOV_ARGS],
        cwd=rendered.directory,
        env={**os.environ, **CHECKOV_ENV},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert out.stdout.strip().startswith("{"), f"checkov failed (exit {out.returncode}):\n{out.stderr[-3000:]}"
    report = json.loads(out.stdout)
    summary = report["summary"]
    assert report["check_type"] == "kubernetes" and summary["parsing_errors"] == 0, summary
    assert summary["resource_count"] > 0 and summary["passed"] > 0, summary
    found = [
        Finding("checkov", r["check_id"], checkov_where(r["resource"], rendered.cluster_scoped), r["check_name"])
        for r in report["results"]["failed_checks"]
    ]
    return summary, found


def accepted(tool: str) -> list[dict[str, Any]]:
    """The entries of scan/accepted-findings.yaml for one scanner."""
    entries = yaml.safe_load(ACCEPTED.read_text())
    for e in entries:
        assert set(e) == {"tool", "check", "objects", "reason"}, e
        assert e["tool"] in TOOLS and len(e["reason"]) > 20 and e["objects"], e
    return [e for e in entries if e["tool"] == tool]


def explained(finding: Finding, entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    for e in entries:
        if (e["tool"], e["check"]) == (finding.tool, finding.check) and any(
            fnmatch.fnmatchcase(finding.where, pattern) for pattern in e["objects"]
        ):
            return e
    return None


def judge(found: list[Finding], entries: list[dict[str, Any]]) -> tuple[list[Finding], list[tuple[str, Any]]]:
    """(findings no entry explains, entries that explain no finding)."""
    unexplained = sorted({f for f in found if explained(f, entries) is None})
    used = {id(explained(f, entries)) for f in found}
    stale = [(e["check"], e["objects"]) for e in entries if id(e) not in used]
    return unexplained, stale


def assert_all_explained(tool: str, found: list[Finding]) -> None:
    unexplained, stale = judge(found, accepted(tool))
    assert not unexplained, f"{tool} findings not in scan/accepted-findings.yaml:\n" + "\n".join(
        f"  {f.check} {f.where}: {f.detail}" for f in unexplained
    )
    assert not stale, f"accepted {tool} findings that no longer occur (remove them): {stale}"


def test_every_kube_score_finding_is_explained(rendered):
    assert_all_explained("kube-score", kube_score_findings(rendered.files))


def test_every_checkov_finding_is_explained(rendered):
    summary, found = checkov_scan(rendered)
    assert summary["failed"] == len(found)
    assert_all_explained("checkov", found)


def test_a_new_finding_and_a_stale_entry_are_both_reported():
    entries = [
        {"tool": "checkov", "check": "CKV_K8S_1", "objects": ["Deployment/fate-*/*"], "reason": "r" * 30},
        {"tool": "checkov", "check": "CKV_K8S_2", "objects": ["*"], "reason": "r" * 30},
    ]
    found = [
        Finding("checkov", "CKV_K8S_1", "Deployment/fate-30000/nginx", "x"),
        Finding("kube-score", "CKV_K8S_1", "Deployment/fate-30000/nginx", "same id, other tool"),
        Finding("checkov", "CKV_K8S_1", "Deployment/kube-fate/kubefate", "outside the pattern"),
    ]
    unexplained, stale = judge(found, entries)
    assert unexplained == sorted(found[1:])
    assert stale == [("CKV_K8S_2", ["*"])]


def test_checkov_resource_names_read_as_kind_namespace_name():
    scoped = {("ClusterRole", "kubefate-role")}
    assert checkov_where("Deployment.fate-30000.nginx", scoped) == "Deployment/fate-30000/nginx"
    assert checkov_where("ClusterRole.default.kubefate-role", scoped) == "ClusterRole/-/kubefate-role"
    pod = "Pod.fate-30000.python.app.kubernetes.io/name-python.partyId-30000"
    assert checkov_where(pod, scoped) == "Pod/fate-30000/python"
