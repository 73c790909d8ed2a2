"""Reading a ``kubefate cluster install -f`` file, so teams migrating from KubeFATE can point a stack at it.

``skippedKeys``: upstream's CLI skipped those keys while comparing a file with the chart's example, because
its
validator did not know them (typically ``route_table``). Here the model knows every key of the format, so the
list is accepted (and kept in the spec) but never turns validation off: an unknown key would otherwise be
silently dropped, which is the failure mode this program exists to avoid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from models.errors import ConfigError, problem


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: YAML would silently keep the last one."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_cluster_yaml(path: Path) -> dict[str, Any]:
    """The file's mapping; ConfigError naming the file when it is missing, not YAML, or not a mapping."""
    source = f"KubeFATE cluster YAML {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [
                problem(
                    "kubefateClusterYaml",
                    str(path),
                    f"cannot read the file ({exc.strerror})",
                    "give a path relative to the project directory",
                )
            ],
            source,
        ) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            [
                problem(
                    "kubefateClusterYaml",
                    str(path),
                    f"not valid YAML{where}: {what}",
                    "fix the file's syntax",
                )
            ],
            source,
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [
                problem(
                    "kubefateClusterYaml",
                    str(path),
                    "the file does not hold a mapping of cluster keys",
                    "use the kubefate cluster YAML format (name, partyId, modules, ...)",
                )
            ],
            source,
        )
    return data
