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


def capture_register_requests(monkeypatch) -> dict[str, Any]:
    """Resource options (custom timeouts, replaceOnChanges) never reach the mocks' new_resource; they are in
    the RegisterResource request the mock monitor receives, so record those requests by resource name."""
    from pulumi.runtime.mocks import MockMonitor

    seen: dict[str, Any] = {}
    original = MockMonitor.RegisterResource

    def register(self, request):
        seen[request.name] = request
        return original(self, request)

    monkeypatch.setattr(MockMonitor, "RegisterResource", register)
    return seen
