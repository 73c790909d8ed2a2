"""Building the deployed modules: each module's definition (models/modules/) names its builder, so the
FateCluster has no list of its own and a new module is built as soon as its definition exists."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from components.fate_cluster.context import BuildContext
from models import modules
from models.fate_module import FateModule

Builder = Callable[[BuildContext], None]


def builder_of(module: FateModule) -> Builder:
    """The function ``module.builder`` (``package.module:function``) names."""
    path, _, function = module.builder.partition(":")
    found = getattr(importlib.import_module(path), function, None)
    if not callable(found):
        raise LookupError(f"module {module.name!r}: builder {module.builder!r} is not a function")
    return cast(Builder, found)


def build_modules(ctx: BuildContext) -> None:
    """Every module the party deploys, in the registry's order."""
    for module in modules.MODULES:
        if ctx.spec.has(module.name):
            builder_of(module)(ctx)
