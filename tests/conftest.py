"""Shared fixtures: the project root on sys.path and a mock runtime per test (never at import)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness import Harness, new_event_loop  # noqa: E402


@pytest.fixture
def harness() -> Iterator[Harness]:
    """A fresh mock runtime for one test: ``harness.run(lambda: Component(...))`` then inspect ``harness.mocks``."""
    new_event_loop()
    h = Harness()
    yield h
    pulumi_settings_reset()


def pulumi_settings_reset() -> None:
    import pulumi.runtime.settings as settings

    state: Any = settings.SETTINGS  # the SDK's private bookkeeping, not in its type stubs
    state.outputs.clear()
    state.rpc_manager.clear()
