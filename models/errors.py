"""One way to report bad configuration, so every message names the field, the value and the fix.

``Problem`` is the one problem type: every check (pydantic's, the models' own, the cross-field and cross-stack
rules, the loader's) produces Problems, they are collected across the whole stack configuration and raised
together in one ConfigError. A Problem is its house-format line (a ``str``, so it prints, compares and is
searched like the message the user reads) and keeps its parts (``field``, ``value``, ``why``, ``fix``), so no
code ever takes a message apart again to find out what it was about.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError


class Problem(str):
    """``field = repr(value): why. Fix: fix`` with its parts kept."""

    field: str
    value: Any
    why: str
    fix: str

    def __new__(cls, field: str, value: Any, why: str, fix: str) -> Problem:
        self = super().__new__(cls, f"{field} = {value!r}: {why}. Fix: {fix}")
        self.field, self.value, self.why, self.fix = field, value, why, fix
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Problem, (self.field, self.value, self.why, self.fix))


class ConfigError(Exception):
    """Raised before any resource is registered; ``str()`` is what the user sees, one problem per line."""

    def __init__(self, problems: Iterable[Problem], source: str = "stack configuration"):
        self.problems: list[Problem] = list(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid {source}:\n{lines}")


def problem(field: str, value: Any, why: str, fix: str) -> Problem:
    return Problem(field, value, why, fix)


class FieldProblem(ValueError):
    """Raised inside validators that know the field path better than pydantic's ``loc`` does; carries one or
    several Problems (a model validator reports all it found at once)."""

    def __init__(self, field: str | Iterable[Problem], value: Any = None, why: str = "", fix: str = ""):
        if isinstance(field, str):
            self.problems = [Problem(field, value, why, fix)]
        else:
            self.problems = list(field)
        self.text = "; ".join(self.problems)
        super().__init__(self.text)


class PrimitiveError(ValueError):
    """Raised by a shared primitive (models/primitives.py) that knows why a value is wrong and how to fix it
    but not where it sits; ``from_validation_error`` adds the field path pydantic knows."""

    def __init__(self, why: str, fix: str):
        self.why, self.fix = why, fix
        super().__init__(f"{why}. Fix: {fix}")


def _loc(prefix: str, loc: tuple[Any, ...]) -> str:
    path = prefix
    for part in loc:
        if part == "[key]":  # pydantic's marker for a mapping key; the key itself is already the last part
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


# pydantic's error types -> the fix that goes with them, for the few that are not raised by our own checks.
_FIXES = {
    "int_type": "write a whole number without quotes (e.g. 30000)",
    "int_parsing": "write a whole number without quotes (e.g. 30000)",
    "int_from_float": "write a whole number (no decimal point or exponent)",
    "bool_type": "write true or false without quotes",
    "bool_parsing": "write true or false without quotes",
    "string_type": "write it as a quoted string",
    "list_type": "write it as a YAML list",
    "dict_type": "write it as a YAML mapping",
    "model_type": "write it as a YAML mapping",
    "model_attributes_type": "write it as a YAML mapping",
    "literal_error": "use one of the values listed",
    "enum": "use one of the values listed",
    "string_too_long": "shorten it",
    "string_too_short": "set a non-empty value",
    "too_long": "list fewer entries",
    "too_short": "list at least one entry",
}


_BOUNDS = {
    "greater_than": "above",
    "greater_than_equal": "at least",
    "less_than": "below",
    "less_than_equal": "at most",
}


def _fix_for(kind: str, msg: str, ctx: dict[str, Any]) -> str:
    if kind in _BOUNDS:
        limit = next((ctx[k] for k in ("gt", "ge", "lt", "le") if k in ctx), None)
        return f"use a value {_BOUNDS[kind]} {limit}"
    if kind in _FIXES:
        return _FIXES[kind]
    return f"use a value that is {msg.removeprefix('Input should be ')}"


def _model_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that holds the key at ``loc`` (through optionals, lists and dicts), if one does."""
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return None
        model = _model_in(field.annotation)
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, dict, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _unknown_key_fix(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> str:
    holder = _model_at(model, loc[:-1])
    if holder is None:
        return "remove it, or correct its spelling"
    keys = sorted(f.alias or n for n, f in holder.model_fields.items())
    close = difflib.get_close_matches(str(loc[-1]), keys, n=1)
    if close:
        return f"write {close[0]!r} if that is what you meant, or remove it"
    return f"remove it; the keys here are {', '.join(keys)}"


def problems_of(exc: ValidationError, prefix: str, model: type[BaseModel] | None = None) -> list[Problem]:
    """pydantic's report as Problems: our own FieldProblem lists verbatim, primitives with pydantic's path.
    ``model`` (the validated class) lets an unknown key's fix name the closest known key."""
    problems: list[Problem] = []
    for err in exc.errors():
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, FieldProblem):
            problems += ctx_error.problems
            continue
        field = _loc(prefix, tuple(err["loc"]))
        value = err.get("input")
        kind = err["type"]
        if isinstance(ctx_error, PrimitiveError):
            problems.append(Problem(field, value, ctx_error.why, ctx_error.fix))
        elif kind == "extra_forbidden":
            problems.append(Problem(field, value, "unknown key", _unknown_key_fix(model, tuple(err["loc"]))))
        elif kind == "missing":
            problems.append(Problem(field, None, "required key is missing", "set it"))
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(field, value, msg, _fix_for(kind, msg, err.get("ctx") or {})))
    return problems


def from_validation_error(
    exc: ValidationError, prefix: str, source: str, model: type[BaseModel] | None = None
) -> ConfigError:
    return ConfigError(problems_of(exc, prefix, model), source)
