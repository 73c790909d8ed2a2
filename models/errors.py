"""One way to report bad configuration, so every message names the field, the value and the fix."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class ConfigError(Exception):
    """Raised before any resource is registered; ``str()`` is what the user sees."""

    def __init__(self, problems: list[str], source: str = "stack configuration"):
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid {source}:\n{lines}")


def problem(field: str, value: Any, why: str, fix: str) -> str:
    """The house format of one problem: ``field = value: why. Fix: fix``."""
    return f"{field} = {value!r}: {why}. Fix: {fix}"


class FieldProblem(ValueError):
    """Raised inside validators that know the field path better than pydantic's ``loc`` does."""

    def __init__(self, field: str, value: Any, why: str, fix: str):
        self.text = problem(field, value, why, fix)
        super().__init__(self.text)


def _loc(prefix: str, loc: tuple[Any, ...]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def from_validation_error(exc: ValidationError, prefix: str, source: str) -> ConfigError:
    """Turn pydantic's report into house-format problems, keeping our own FieldProblem texts verbatim."""
    problems: list[str] = []
    for err in exc.errors():
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, FieldProblem):
            problems.append(ctx_error.text)
            continue
        field = _loc(prefix, tuple(err["loc"]))
        value = err.get("input")
        kind = err["type"]
        if kind == "extra_forbidden":
            problems.append(
                problem(
                    field,
                    value,
                    "unknown key",
                    "remove it or check its spelling against the configuration reference in README.md",
                )
            )
        elif kind == "missing":
            problems.append(problem(field, None, "required key is missing", "set it"))
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(problem(field, value, msg, "see the configuration reference in README.md"))
    return ConfigError(problems, source)
