"""Kubernetes resource quantities as numbers, so sizing rules can compare "500m" with 4 and "8G" with
"8Gi"."""

from __future__ import annotations

import re

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "": 1,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
}
_QUANTITY = re.compile(
    r"^([+]?[0-9]+(?:\.[0-9]*)?|[+]?\.[0-9]+)(?:[eE]([+-]?[0-9]+))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$"
)

GIB = 2**30


def parse_quantity(value: str | int | float) -> float:
    """The number a quantity stands for (cores for CPU, bytes for memory); ValueError when malformed."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a Kubernetes quantity")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return float(value)
    text = str(value).strip()
    match = _QUANTITY.fullmatch(text)
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (examples: 4, 500m, 8Gi, 512Mi)")
    number = float(match.group(1)) * (10 ** int(match.group(2)) if match.group(2) else 1)
    suffix = match.group(3) or ""
    return number * (_BINARY.get(suffix) or _DECIMAL[suffix])


def is_quantity(value: object) -> bool:
    try:
        parse_quantity(value)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def format_gib(n_bytes: float) -> str:
    return f"{n_bytes / GIB:g} GiB"
