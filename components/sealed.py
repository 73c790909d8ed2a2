"""A read-only mapping that Pulumi's SDK carries through Outputs as one value.

``Output.from_input`` lifts every dict, list and tuple it meets, level by level, into Outputs of their own (a
handful per level), and does it again in every ``apply`` that returns one and every ``Output.all`` that takes
one. The exchange's party tables (endpoints per party, routes per party) travel through several of those, so
at 200 parties the SDK spent most of the program's evaluation lifting the same tables over and over. A
``Sealed`` table is not a dict: the SDK hands it on untouched, and the pure renderers read it as the
``Mapping`` they take. It never reaches a resource's inputs; what is registered is what the renderers made.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

import pulumi

K = TypeVar("K")
V = TypeVar("V")


class Sealed(Mapping[K, V], Generic[K, V]):
    __slots__ = ("_items",)

    def __init__(self, items: Mapping[K, V]):
        self._items = dict(items)

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Sealed({self._items!r})"


def seal(value: Mapping[K, V] | None) -> Sealed[K, V] | None:
    if value is None or isinstance(value, Sealed):
        return value
    return Sealed(value)


def sealed_output(value: pulumi.Input[Mapping[K, V] | None]) -> pulumi.Output[Sealed[K, V] | None]:
    """An Input mapping as an Output the SDK will not lift: an Output's value is sealed by an ``apply`` (which
    lifts only what its function returns), a plain one directly."""
    if isinstance(value, pulumi.Output):
        return value.apply(seal)
    return pulumi.Output.from_input(seal(value))  # type: ignore[arg-type]
