"""Mock runtime used by every component and stack test.

Why a harness instead of bare ``set_mocks``: the tests need to see *what* was registered (type, name, inputs,
provider, parent type) after all outputs settled, and need StackReference outputs, Secret reads and vSphere
invokes answered per test. One recorder per test keeps tests independent of each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

STACK_REFERENCE = "pulumi:pulumi:StackReference"
SERVICE = "kubernetes:core/v1:Service"
READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
TLS_OUTPUTS = {
    "privateKey": ("privateKeyPem", "privateKeyPemPkcs8", "publicKeyPem"),
    "selfSignedCert": ("certPem",),
    "certRequest": ("certRequestPem",),
    "locallySignedCert": ("certPem",),
}


def mock_cluster_ip(name: str) -> str:
    """A stable address in 10.96.0.0/16 per resource name, as the API server's allocator would give one."""
    digest = hashlib.sha256(name.encode()).digest()
    return f"10.96.{digest[0]}.{digest[1] % 254 + 1}"


def with_cluster_ip(name: str, spec: Any) -> Any:
    """The API server allocates ``spec.clusterIP`` to every Service that is not headless (``None``)."""
    if not isinstance(spec, dict) or spec.get("clusterIP") or spec.get("type") == "ExternalName":
        return spec
    return {**spec, "clusterIP": mock_cluster_ip(name)}


@dataclass
class Registered:
    """One resource as the mock monitor saw it."""

    typ: str
    name: str
    inputs: dict[str, Any]
    provider: str | None
    custom: bool
    resource_id: str | None
    urn: str = ""

    @property
    def parent_type(self) -> str | None:
        qualified = self.urn.split("::")[2] if self.urn else ""
        parts = qualified.split("$")
        return parts[-2] if len(parts) > 1 else None

    @property
    def k8s_name(self) -> str | None:
        return (self.inputs.get("metadata") or {}).get("name")

    @property
    def k8s_namespace(self) -> str | None:
        return (self.inputs.get("metadata") or {}).get("namespace")


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    """Answers the engine's calls and remembers them.

    ``stack_outputs`` maps a stack name to the outputs a StackReference or a ``readStackOutputs`` invoke returns
    (missing name = a stack with no outputs; names in ``missing_stacks`` fail the invoke as the engine does for
    a stack not created yet, those in ``unreadable_stacks`` with the message given). ``invokes`` maps an invoke
    token to a function of its args. ``reads`` maps a ``<type>::<id>`` of a ``.get()`` read to the state it
    returns. ``on_new`` lets a test add state for a type.
    """

    stack_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    secret_output_names: dict[str, list[str]] = field(default_factory=dict)
    missing_stacks: set[str] = field(default_factory=set)
    unreadable_stacks: dict[str, str] = field(default_factory=dict)  # stack -> the engine's error message
    invokes: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)
    reads: dict[str, dict[str, Any]] = field(default_factory=dict)
    on_new: dict[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = field(default_factory=dict)
    registered: list[Registered] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.registered.append(
            Registered(args.typ, args.name, dict(args.inputs), args.provider, bool(args.custom), args.resource_id)
        )
        state = dict(args.inputs)
        if args.typ == STACK_REFERENCE:
            stack = args.inputs.get("name", args.name)
            if stack in self.missing_stacks:  # the engine fails the read of a stack never created
                raise Exception(f"unknown stack {stack!r}")
            state["outputs"] = self.stack_outputs.get(stack, {})
            state["secretOutputNames"] = self.secret_output_names.get(stack, [])
        elif args.resource_id is not None:
            state.update(self.reads.get(f"{args.typ}::{args.resource_id}", {}))
        if args.typ == SERVICE:
            state["spec"] = with_cluster_ip(args.name, state.get("spec"))
        if args.typ.startswith("tls:index/"):
            # pulumi-tls computes these; a test that cares sets its own through ``on_new``.
            for key in TLS_OUTPUTS.get(args.typ.split("/", 1)[1].split(":", 1)[0], ()):
                state.setdefault(key, f"-----MOCK {key} {args.name}-----")
        if args.typ in self.on_new:
            state.update(self.on_new[args.typ](args))
        resource_id = args.resource_id or f"{args.name}-id"
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == READ_STACK_OUTPUTS:
            return self._read_stack_outputs(args.args["name"])
        handler = self.invokes.get(args.token)
        if handler is None:
            raise KeyError(f"no mock for invoke {args.token}")
        return handler(dict(args.args))

    def _read_stack_outputs(self, stack: str) -> Any:
        """The engine's builtin answer (pkg/resource/deploy/builtins.go), or its failure for an unknown stack."""
        if stack in self.missing_stacks:
            return {}, [("name", f"unknown stack {stack!r}")]
        if stack in self.unreadable_stacks:
            return {}, [("name", self.unreadable_stacks[stack])]
        return {
            "name": stack,
            "outputs": self.stack_outputs.get(stack, {}),
            "secretOutputNames": self.secret_output_names.get(stack, []),
        }

    # -- queries used by assertions -------------------------------------------------------------------------

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.registered if r.typ == typ]

    def one(self, typ: str, name: str | None = None) -> Registered:
        found = [r for r in self.of_type(typ) if name is None or r.name == name or r.k8s_name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def types(self) -> list[str]:
        return [r.typ for r in self.registered]


class Harness:
    """Runs a Pulumi program body under mocks and waits until every output settled."""

    def __init__(self, project: str = "kubefate-tanzu", stack: str = "party-30000", preview: bool = False):
        self.project = project
        self.stack = stack
        self.preview = preview
        self.mocks = RecordingMocks()

    def run(self, body: Callable[[], Any]) -> Any:
        """Run ``body`` like a Pulumi program; return what it returned with outputs resolved where possible."""
        pulumi.runtime.set_mocks(self.mocks, project=self.project, stack=self.stack, preview=self.preview)
        monitor: Any = pulumi.runtime.settings.get_monitor()  # the mock monitor, which records registrations
        try:
            result = body()
        except BaseException:
            # A program that fails (bad configuration) still leaves its RPCs on this loop; let them finish so
            # the next test's loop does not inherit them.
            with contextlib.suppress(Exception):
                _sync_await(wait_for_rpcs())
            raise
        _sync_await(wait_for_rpcs())
        registrations = monitor.get_registered_resources()
        by_key = {(u.split("::")[-1], u.split("::")[2].split("$")[-1]): u for u in registrations}
        for r in self.mocks.registered:
            r.urn = by_key.get((r.name, r.typ), "")
        return result

    @staticmethod
    def value(output: Any) -> Any:
        """Resolve an Output (or plain value) after ``run``: the resolved value, or None when unknown."""
        if not isinstance(output, pulumi.Output):
            return output
        return _sync_await(output.future())

    @staticmethod
    def is_secret(output: Any) -> bool:
        if not isinstance(output, pulumi.Output):
            return False
        return bool(_sync_await(output.is_secret()))


def new_event_loop() -> None:
    """Each test gets a fresh loop: the SDK keeps tasks on the current loop between tests otherwise."""
    asyncio.set_event_loop(asyncio.new_event_loop())
