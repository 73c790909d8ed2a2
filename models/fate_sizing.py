"""Sizing against the reference architecture: findings, not errors, because the party config decides
(``sizing: production`` refuses, ``sizing: trial`` warns). Effective values are checked, defaults included, so
a spec that says nothing is judged by what will actually be requested."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models import fate_defaults as d
from models import modules
from models.errors import Problem, problem
from models.quantities import GIB, parse_quantity

if TYPE_CHECKING:
    from models.fate import FateSpec


def sizing_findings(spec: FateSpec, prefix: str = "fate") -> list[Problem]:
    out: list[Problem] = []
    for path in spec.resource_paths():
        minimum = modules.part(path).minimum
        if minimum is None:
            continue
        min_cpu, min_gib, what = minimum.cpu, minimum.memory_gib, minimum.what
        cpu = spec.effective_request(path, "cpu")
        if cpu is None or cpu < min_cpu:
            out.append(
                problem(
                    f"{prefix}.{path}.resources.requests.cpu",
                    _shown(spec, path, "cpu"),
                    f"below the reference architecture's {min_cpu:g} vCPU for {what}",
                    f"request at least {min_cpu:g} CPUs, or use sizing: trial",
                )
            )
        mem = spec.effective_request(path, "memory")
        if mem is None or mem < min_gib * GIB:
            out.append(
                problem(
                    f"{prefix}.{path}.resources.requests.memory",
                    _shown(spec, path, "memory"),
                    f"below the reference architecture's {min_gib} GiB for {what}",
                    f"request at least {min_gib}Gi, or use sizing: trial",
                )
            )
    if spec.persistence:
        for path in spec.volume_paths():
            vol = spec.volume(path)
            if vol.existing_claim:
                continue
            try:
                size = parse_quantity(vol.size or "0")
            except ValueError:
                continue  # reported by validation
            if size < d.VOLUME_MIN_GIB * GIB:
                out.append(
                    problem(
                        f"{prefix}.{path}.size",
                        vol.size,
                        f"volumes below {d.VOLUME_MIN_GIB} GiB are under the reference architecture",
                        f"use at least {d.VOLUME_MIN_GIB}Gi, or use sizing: trial",
                    )
                )
    return out


def _shown(spec: FateSpec, path: str, key: str) -> object:
    res = spec.effective_resources(path)
    return res["requests"].get(key, res.get("limits", {}).get(key))
