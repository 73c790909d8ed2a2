"""Helpers for the Tanzu component tests: reading secret-wrapped inputs the mock monitor records."""

from __future__ import annotations

from typing import Any

from pulumi.runtime import rpc

PROVIDER = "pulumi:providers:kubernetes"


def is_secret_input(value: Any) -> bool:
    """Secret inputs reach the mock monitor wrapped in Pulumi's secret envelope."""
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def unwrap(value: Any) -> Any:
    return value.get("value") if is_secret_input(value) else value
