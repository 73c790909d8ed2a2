"""The one loader of stack configuration: reads the ``kubefate-tanzu`` namespace once, validates it whole.

Why one loader: every problem (unknown keys, bad values, missing secrets, sizes below the reference
architecture) is reported in one ConfigError before a single resource is registered, so a platform team fixes
a stack file in one round instead of discovering problems one ``pulumi up`` at a time.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError

from models.cluster import ClusterConfig, check_cluster_secrets
from models.errors import ConfigError, PrimitiveError, Problem, problem, problems_of
from models.exchange import ExchangeStackConfig
from models.fate import parse_fate_spec
from models.kubefate_yaml import load_cluster_yaml
from models.party import PartyConfig
from models.primitives import config_int, inside_project, refusal

NAMESPACE = "kubefate-tanzu"
SOURCE = f"stack configuration ({NAMESPACE}:*)"
PROJECT_DIR = Path(__file__).resolve().parents[1]

# config key -> StackSecrets field
SECRET_KEYS = {
    "kubeconfig": "kubeconfig",
    "supervisorKubeconfig": "supervisor_kubeconfig",
    "vspherePassword": "vsphere_password",
}
OBJECT_KEYS = ("cluster", "kubefate", "fate", "exchange")
ROLE_KEYS = {
    "party": ("role", "partyId", "sizing", "cluster", "kubefate", "fate", "kubefateClusterYaml", "exchange"),
    "exchange": ("role", "sizing", "cluster", "exchange"),
}


@dataclass(frozen=True)
class StackSecrets:
    """Secret config values as secret Outputs; None when the stack does not set them."""

    kubeconfig: pulumi.Output[str] | None = None
    supervisor_kubeconfig: pulumi.Output[str] | None = None
    vsphere_password: pulumi.Output[str] | None = None


StackConfig = PartyConfig | ExchangeStackConfig


def namespace_keys(namespace: str = NAMESPACE) -> list[str]:
    """Every key set in ``namespace``, however the engine delivered the config (SDK map or PULUMI_CONFIG)."""
    full = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return sorted(k.split(":", 1)[1] for k in full if k.startswith(f"{namespace}:"))


def _known_secret_keys() -> set[str] | None:
    """Full keys the engine marked secret; None when this runtime does not tell (then nothing is judged)."""
    keys = set(runtime_config._SECRET_KEYS.get())
    if "PULUMI_CONFIG_SECRET_KEYS" in os.environ:
        keys |= set(runtime_config.get_config_secret_keys_env())
        return keys
    return keys or None


def _errors(exc: ValidationError, model: type[BaseModel]) -> list[Problem]:
    return problems_of(exc, "", model)


def _read(cfg: pulumi.Config, keys: list[str]) -> tuple[dict[str, Any], list[Problem]]:
    raw: dict[str, Any] = {}
    problems: list[Problem] = []
    for key in keys:
        if key in SECRET_KEYS:
            continue
        if key in OBJECT_KEYS:
            try:
                raw[key] = cfg.get_object(key)
            except pulumi.ConfigTypeError:
                problems.append(
                    problem(key, cfg.get(key), "not an object", f"write {key} as a YAML mapping in Pulumi.<stack>.yaml")
                )
        else:
            raw[key] = cfg.get(key)
    secret_keys = _known_secret_keys()
    for key in SECRET_KEYS:
        if key in keys and secret_keys is not None and cfg.full_key(key) not in secret_keys:
            problems.append(
                problem(
                    key,
                    "<not shown>",
                    "stored in plain text in the stack file",
                    f"remove it and run `pulumi config set --secret {key} ...`",
                )
            )
    return raw, problems


def _secrets(cfg: pulumi.Config, keys: list[str]) -> StackSecrets:
    """Read last, once the config is known to be good: a secret Output is never created for a failed run."""
    return StackSecrets(**{attr: cfg.get_secret(key) if key in keys else None for key, attr in SECRET_KEYS.items()})


def _unknown_keys(raw: dict[str, Any], role: str) -> list[Problem]:
    allowed = ROLE_KEYS[role]
    out = []
    for key in sorted(raw):
        if key in allowed:
            continue
        other = [r for r, keys in ROLE_KEYS.items() if r != role and key in keys]
        why = f"only for role {other[0]!r} stacks" if other else "unknown key"
        close = difflib.get_close_matches(key, allowed, n=1)
        if other:
            fix = f"remove it: a role {role!r} stack takes {', '.join(allowed)}"
        elif close:
            fix = f"write {close[0]!r} if that is what you meant, or remove it"
        else:
            fix = f"remove it; the keys of a role {role!r} stack are {', '.join(allowed)}"
        out.append(problem(key, raw[key], why, fix))
    return out


def _secret_problems(cluster: Any, present: set[str]) -> list[Problem]:
    """Which secrets the cluster mode needs; only judged when the cluster block itself is valid."""
    try:
        cluster_cfg = ClusterConfig.model_validate(cluster)
    except ValidationError:
        return []
    return check_cluster_secrets(
        cluster_cfg,
        has_kubeconfig="kubeconfig" in present,
        has_supervisor_kubeconfig="supervisorKubeconfig" in present,
        has_vsphere_password="vspherePassword" in present,
    )


def _fate_source(raw: dict[str, Any], project_dir: Path) -> tuple[dict[str, Any] | None, str, list[Problem]]:
    """The FATE cluster's keys, the prefix its messages use, and problems with finding them."""
    inline, path = raw.get("fate"), raw.get("kubefateClusterYaml")
    if inline is not None and path is not None:
        return (
            None,
            "fate",
            [
                problem(
                    "kubefateClusterYaml",
                    path,
                    "fate is set too; one source of truth only",
                    "keep either fate (inline keys) or kubefateClusterYaml (a file)",
                )
            ],
        )
    if path is None:
        return inline if isinstance(inline, dict) else None, "fate", []
    prefix = f"kubefateClusterYaml[{path}]"
    refused = refusal("kubefateClusterYaml", path, lambda p: inside_project(p, project_dir))
    if refused is not None:  # never opened: a path outside the project is not read to find out what it is
        return None, prefix, [refused]
    try:
        return load_cluster_yaml(project_dir / path), prefix, []
    except ConfigError as exc:
        return None, prefix, exc.problems


def parse_party(
    raw: dict[str, Any], project_dir: Path = PROJECT_DIR, stack: str = ""
) -> tuple[PartyConfig | None, list[Problem]]:
    """A PartyConfig, or None plus every problem found (the FATE cluster is validated on its own so its
    problems carry the file name when it came from kubefateClusterYaml)."""
    data = dict(raw)
    fate_data, prefix, problems = _fate_source(raw, project_dir)
    spec = None
    if isinstance(fate_data, dict):
        fate_data = dict(fate_data)
        inherited = "partyId" not in fate_data and raw.get("partyId") is not None
        if inherited:
            # Pulumi hands the stack's scalars over as text; the stack's own key is where a bad one is reported.
            try:
                fate_data["partyId"] = config_int(raw["partyId"])
            except PrimitiveError:
                fate_data["partyId"] = raw["partyId"]
        try:
            spec = parse_fate_spec(fate_data, prefix=prefix, source=SOURCE)
        except ConfigError as exc:
            # A bad inherited party id is reported once, at the key the user wrote.
            problems += [p for p in exc.problems if not (inherited and p.field == f"{prefix}.partyId")]
    elif raw.get("fate") is not None and not isinstance(raw["fate"], dict):
        problems.append(
            problem(
                "fate",
                raw["fate"],
                "not a mapping of cluster YAML keys",
                "write fate as a YAML mapping (name, modules, backend, ...)",
            )
        )
    data["fate"] = spec
    try:
        cfg = PartyConfig.model_validate(
            data,
            context={
                "stack": stack,
                "fate_prefix": prefix,
                "fate_reported": bool(problems) or raw.get("kubefateClusterYaml") is not None,
            },
        )
    except ValidationError as exc:
        return None, problems + _errors(exc, PartyConfig)
    if problems:
        return None, problems
    return cfg, []


def _sizing(cfg: PartyConfig) -> list[Problem]:
    """Production refuses what trial only warns about: same findings, different consequence."""
    findings = cfg.sizing_findings()
    if cfg.sizing == "production":
        return findings
    for finding in findings:
        pulumi.log.warn(f"sizing: trial: {finding}")
    return []


def load_stack_config(
    pulumi_config: pulumi.Config | None = None, project_dir: Path | None = None
) -> tuple[StackConfig, StackSecrets]:
    """Read, validate and return the stack's configuration; ConfigError listing every problem otherwise."""
    cfg = pulumi_config or pulumi.Config(NAMESPACE)
    keys = namespace_keys(cfg.name)
    raw, problems = _read(cfg, keys)
    role = raw.get("role")
    if role not in ROLE_KEYS:
        why = "required: it says which stack this is" if role is None else "not a stack role"
        problems.append(problem("role", role, why, "set role: party (a party's stack) or role: exchange"))
        raise ConfigError(problems, SOURCE)
    problems += _unknown_keys(raw, role)
    known = {k: v for k, v in raw.items() if k in ROLE_KEYS[role]}
    problems += _secret_problems(known.get("cluster"), set(keys) & set(SECRET_KEYS))
    result: StackConfig | None
    if role == "party":
        result, found = parse_party(known, project_dir or PROJECT_DIR, pulumi.get_stack())
        problems += found
        if result is not None and not problems:
            problems += _sizing(result)
    else:
        try:
            result = ExchangeStackConfig.model_validate(known, context={"stack": pulumi.get_stack()})
        except ValidationError as exc:
            result, problems = None, problems + _errors(exc, ExchangeStackConfig)
    if problems or result is None:
        raise ConfigError(problems, SOURCE)
    return result, _secrets(cfg, keys)


def config_map_of(stack_config: dict[str, Any]) -> dict[str, str]:
    """A ``config:`` block of Pulumi.<stack>.yaml as the engine hands it to the program: objects as JSON,
    scalars as strings. Used by tests and tools that run the program without the CLI."""
    out = {}
    for key, value in stack_config.items():
        if isinstance(value, dict | list):
            out[key] = json.dumps(value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out
