"""The registry of FATE modules: every ``models/modules/<name>.py`` that defines ``MODULE`` (a FateModule).

Discovered, not listed, so adding a module is adding its file (docs/adding-a-module.md). Everything the
program keeps per module or per workload is derived here from the definitions, in their ``order``.
"""

from __future__ import annotations

import importlib
import pkgutil

from models.engines import BACKEND_ENGINES, Backend, Engines, Federation, backend_of_computing
from models.fate_module import FateModule, Part


def _discover() -> tuple[FateModule, ...]:
    found: list[FateModule] = []
    for info in pkgutil.iter_modules(__path__):
        module = getattr(importlib.import_module(f"{__name__}.{info.name}"), "MODULE", None)
        if not isinstance(module, FateModule):
            raise TypeError(f"models/modules/{info.name}.py defines no MODULE (a models.fate_module.FateModule)")
        if module.name != info.name:
            raise ValueError(f"models/modules/{info.name}.py defines module {module.name!r}; name the file after it")
        found.append(module)
    found.sort(key=lambda m: m.order)
    orders = [m.order for m in found]
    if len(set(orders)) != len(orders):
        raise ValueError(f"two modules share an order: {orders}")
    return tuple(found)


MODULES: tuple[FateModule, ...] = _discover()
BY_NAME: dict[str, FateModule] = {m.name: m for m in MODULES}
NAMES: tuple[str, ...] = tuple(BY_NAME)
PARTS: tuple[Part, ...] = tuple(p for m in MODULES for p in m.parts)
BY_PATH: dict[str, Part] = {p.path: p for p in PARTS}
COMMON: tuple[str, ...] = tuple(m.name for m in MODULES if m.common)
ENGINE_MODULES: tuple[FateModule, ...] = tuple(m for m in MODULES if m.needs is not None)
"""Modules that only some backends deploy, because of the engines they need."""


def module_of(path: str) -> str:
    """The module a part's path belongs to (its first segment)."""
    return path.split(".", 1)[0]


def part(path: str) -> Part:
    return BY_PATH[path]


def implied_by(engines: Engines) -> tuple[str, ...]:
    """Modules a party with these engines deploys: the common ones, the optional ones (no engine needs) and
    those whose needs the engines meet."""
    return tuple(m.name for m in MODULES if m.needs is None or m.needs.met_by(engines))


def backend_modules(backend: Backend) -> tuple[str, ...]:
    return implied_by(BACKEND_ENGINES[backend])


def needed_by(computing: str, federation: str) -> tuple[str, ...]:
    """Engine modules a computing engine with a federation (both valid) cannot run without, storage as the
    computing engine's backend has it."""
    backend = backend_of_computing(computing)
    if backend is None:
        return ()
    engines = Engines(BACKEND_ENGINES[backend].computing, Federation(federation), BACKEND_ENGINES[backend].storage)
    return tuple(m.name for m in ENGINE_MODULES if m.needs is not None and m.needs.met_by(engines))
