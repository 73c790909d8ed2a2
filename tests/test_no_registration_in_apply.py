"""No resource is registered inside an ``apply`` (issue 12 item 5), in the exchange and party stacks.

Why: a resource created in an apply callback is missing from previews whenever the callback's input is unknown,
and its registration waits on other resources' outputs. The watch wraps every ``Output.apply`` callback and
every ``Resource`` registration under mocks, so ``apply(lambda v: Resource(...))`` is caught wherever it hides
(components, stacks or lifted attribute access), in updates and in previews.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_tls as tls
import pytest
from pulumi.runtime.rpc import UNKNOWN

from components import contracts
from tests import test_exchange_stack as exchange_stack
from tests import test_stack_party as party_stack
from tests.stack_runner import reset_config

ORG = exchange_stack.ORG


@dataclass
class ApplyWatch:
    depth: int = 0  # apply callbacks running now
    registered: list[str] = field(default_factory=list)
    inside_apply: list[str] = field(default_factory=list)


@pytest.fixture
def watch(monkeypatch) -> Iterator[ApplyWatch]:
    seen = ApplyWatch()
    original_apply = pulumi.Output.apply
    original_init = pulumi.Resource.__init__

    def apply(self: pulumi.Output[Any], func: Any, run_with_unknowns: bool = False) -> pulumi.Output[Any]:
        def watched(value: Any) -> Any:
            seen.depth += 1
            try:
                return func(value)
            finally:
                seen.depth -= 1

        return original_apply(self, watched, run_with_unknowns)

    def init(self: pulumi.Resource, t: str, name: str, *args: Any, **kwargs: Any) -> None:
        seen.registered.append(f"{t} {name}")
        if seen.depth:
            seen.inside_apply.append(f"{t} {name}")
        original_init(self, t, name, *args, **kwargs)

    monkeypatch.setattr(pulumi.Output, "apply", apply)
    monkeypatch.setattr(pulumi.Resource, "__init__", init)
    yield seen
    reset_config()


def test_the_watch_catches_a_resource_registered_inside_an_apply(harness, watch):
    """The control: without it, an empty ``inside_apply`` would prove nothing."""

    def program() -> None:
        tls.PrivateKey("before", algorithm="ECDSA")
        pulumi.Output.from_input("in-apply").apply(lambda n: tls.PrivateKey(n, algorithm="ECDSA"))
        pulumi.Output.all(pulumi.Output.from_input("a"), "b").apply(
            lambda v: tls.PrivateKey("".join(v), algorithm="ECDSA")
        )

    harness.run(program)
    assert watch.inside_apply == ["tls:index/privateKey:PrivateKey in-apply", "tls:index/privateKey:PrivateKey ab"]
    assert "tls:index/privateKey:PrivateKey before" in watch.registered


@pytest.mark.parametrize("preview", [False, True])
def test_exchange_stack_registers_nothing_inside_an_apply(harness, watch, preview):
    harness.preview = preview
    harness.mocks.stack_outputs[f"{ORG}/party-30000"] = exchange_stack.party_outputs(30000)
    harness.mocks.stack_outputs[f"{ORG}/party-40000"] = exchange_stack.party_outputs(40000, cn="30000.fate.org")
    harness.mocks.missing_stacks.add(f"{ORG}/party-50000")
    exchange_stack.run(harness, exchange_stack.stack_config(parties=(30000, 40000, 50000)))
    assert "tls:index/locallySignedCert:LocallySignedCert exchange-pki-party-30000-cert" in watch.registered
    assert watch.inside_apply == []


@pytest.mark.parametrize(
    ("preview", "cert"),
    [(False, party_stack.OWN_CERT), (True, party_stack.OWN_CERT), (True, UNKNOWN), (False, None)],
)
def test_party_stack_registers_nothing_inside_an_apply(harness, watch, preview, cert):
    harness.preview = preview
    outputs = party_stack.exchange_outputs()
    harness.mocks.stack_outputs[party_stack.EXCHANGE_STACK] = {**outputs, contracts.party_cert_output(30000): cert}
    party_stack.deploy(harness)
    assert any(r.startswith("kubernetes:core/v1:Secret") and "pulsar-cert" in r for r in watch.registered)
    assert watch.inside_apply == []
