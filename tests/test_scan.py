"""Issue 11 (7): kube-score over the manifests every shipped stack renders under mocks, against the checked-in
list of accepted findings (scan/accepted-findings.yaml), each with its reason.

A finding nobody explained fails, and so does an accepted entry that no longer matches anything (the list
stays the truth about what is left). ``make scan`` runs just this file; ``make test`` (and so CI) runs it
with the rest.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.netpol_eval import go_tool
from tests.rendered import render_stack
from tests.stack_runner import ROOT, shipped_stacks

ACCEPTED = ROOT / "scan" / "accepted-findings.yaml"
# kube-score's grades: 1 critical, 5 warning, 7 almost OK, 10 OK.
FAILING_GRADE = 7


def findings(manifest_files: list[Path]) -> list[tuple[str, str, str]]:
    """(check id, ``Kind/namespace/name``, comment summary) of every check below OK."""
    out = subprocess.run(
        [go_tool("kube-score"), "score", "--output-format", "json", *map(str, manifest_files)],
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
            found.append((check["check"]["id"], where, summary))
    return found


def accepted() -> list[dict[str, Any]]:
    entries = yaml.safe_load(ACCEPTED.read_text())
    for e in entries:
        assert set(e) == {"check", "objects", "reason"} and len(e["reason"]) > 20, e
    return entries


def explained(finding: tuple[str, str, str], entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    check, where, _ = finding
    for e in entries:
        if e["check"] == check and any(fnmatch.fnmatchcase(where, pattern) for pattern in e["objects"]):
            return e
    return None


def test_every_finding_of_every_shipped_stack_is_explained(tmp_path):
    files = []
    for stack in shipped_stacks():
        path = tmp_path / f"{stack}.yaml"
        path.write_text(yaml.safe_dump_all(render_stack(stack), sort_keys=False))
        files.append(path)
    found = findings(files)
    entries = accepted()
    unexplained = sorted({f for f in found if explained(f, entries) is None})
    assert not unexplained, "findings not in scan/accepted-findings.yaml:\n" + "\n".join(map(str, unexplained))
    used = {id(explained(f, entries)) for f in found}
    stale = [(e["check"], e["objects"]) for e in entries if id(e) not in used]
    assert not stale, f"accepted findings that no longer occur (remove them): {stale}"
