"""Issue 12 (4): one definition per FATE module (models/modules/<name>.py) and per backend (models/engines.py).

The tables the program used to keep in parallel (defaults, sizing, node ports, images, flows, hardening,
ingress UIs, the FateCluster's dispatch) now come from the definitions. These tests hold every definition to
what the rest of the program needs from it, so a new module that leaves something out fails here instead of
being skipped silently (an image nobody renders, a workload without NetworkPolicy flows, a node port nobody
checks).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, get_args

import pytest

from components.fate_cluster.dispatch import builder_of
from components.fate_cluster.flows import MODULE_FLOWS
from components.fate_cluster.ingress import UIS
from components.hardening import EXCEPTIONS
from components.images import image_ref
from models import modules
from models.engines import BACKEND_ENGINES, Backend, Computing, Federation, Storage
from models.errors import ConfigError
from models.fate import FateSpec, parse_fate_spec
from models.fate_module import FateModule
from models.fate_modules import Block, Exposed, Volume, Workload
from models.flows import ANYWHERE, INGRESS_CONTROLLER, TOY
from models.primitives import NodePort
from tests.test_fate_cluster import deploy

WORKLOAD_TYPES = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet")
ENGINE_KINDS: dict[str, Any] = {"computing": Computing, "federation": Federation, "storage": Storage}
# Written from KubeFATE's documentation of the backends, not from the registry.
BACKEND_MODULES = {
    "spark-pulsar": ["mysql", "python", "fateboard", "client", "spark", "hdfs", "nginx", "pulsar"],
    "spark-local-pulsar": ["mysql", "python", "fateboard", "client", "nginx", "pulsar"],
    "eggroll": ["mysql", "python", "fateboard", "client", "osx", "clustermanager", "nodemanager"],
}
# HDFS's block-transfer and IPC ports, which the datanode image listens on without declaring them.
UNDECLARED_PORTS = {"datanode": {9866, 9867}}
# Node-port keys refused by name (models/fate_rules.py refused_keys), so no definition lists them.
REFUSED_NODE_PORTS = {"pulsar.httpNodePort"}


def block_class(path: str) -> type[Block]:
    """The model class of the cluster-YAML block at ``path`` (``spark.worker`` -> SparkWorkerSpec)."""
    cls: type[Block] = FateSpec
    for key in path.split("."):
        annotation = cls.model_fields[key].annotation
        cls = next(a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, Block))
    return cls


def aliases(cls: type[Block]) -> set[str]:
    return {info.alias or name for name, info in cls.model_fields.items()}


PARTS = [pytest.param(p, id=p.path) for p in modules.PARTS]
MODULES = [pytest.param(m, id=m.name) for m in modules.MODULES]


def test_each_backend_implies_the_modules_and_engines_kubefate_documents():
    for backend in Backend:
        spec = parse_fate_spec({"partyId": 30000, "backend": backend.value})
        engines = BACKEND_ENGINES[backend]
        assert spec.modules == BACKEND_MODULES[backend.value]
        assert (spec.computing, spec.federation, spec.storage) == (
            engines.computing,
            engines.federation,
            engines.storage,
        )
        assert spec.backend_name is backend


@pytest.mark.parametrize("value", [["eggroll"], {"name": "eggroll"}, b"eggroll", "Eggroll", 1])
def test_a_backend_that_is_not_one_of_the_names_is_a_problem_not_a_crash(value):
    with pytest.raises(ConfigError) as exc:
        parse_fate_spec({"partyId": 30000, "backend": value})
    (problem,) = exc.value.problems
    assert problem.field == "fate.backend" and repr(value) in problem
    assert "'spark-pulsar', 'spark-local-pulsar' or 'eggroll'" in problem


def test_every_backend_module_is_defined_and_every_definition_is_deployed_by_a_backend():
    implied = {m for b in Backend for m in modules.backend_modules(b)}
    assert implied == set(modules.NAMES)


def test_every_computing_engine_belongs_to_exactly_one_backend():
    computing = [e.computing for e in BACKEND_ENGINES.values()]
    assert sorted(computing) == sorted(Computing)


@pytest.mark.parametrize("module", MODULES)
def test_every_module_is_a_block_of_the_cluster_yaml_and_names_a_real_builder(module: FateModule):
    assert module.name in FateSpec.model_fields, f"add `{module.name}: <Block> | None = None` to FateSpec"
    assert callable(builder_of(module))
    assert module.parts and all(modules.module_of(p.path) == module.name for p in module.parts)


@pytest.mark.parametrize("module", MODULES)
def test_engine_needs_name_real_engines(module: FateModule):
    if module.needs is None:
        return
    assert not module.common, "a common module is part of every backend, so it needs no engine"
    allowed = {str(v) for v in ENGINE_KINDS[module.needs.kind]}
    assert set(module.needs.values) <= allowed


@pytest.mark.parametrize("part", PARTS)
def test_every_part_has_a_block_with_the_keys_its_definition_uses(part):
    cls = block_class(part.path)
    assert issubclass(cls, Workload), "resources, image keys and placement come from the block"
    assert part.exposed == issubclass(cls, Exposed)
    assert (part.volume is not None) == issubclass(cls, Volume)
    assert set(part.node_ports) <= aliases(cls)
    declared = {info.alias or name for name, info in cls.model_fields.items() if NodePort in get_args(info.annotation)}
    unchecked = {f"{part.path}.{key}" for key in declared - set(part.node_ports)} - REFUSED_NODE_PORTS
    assert not unchecked, f"node ports nobody checks for clashes: {unchecked}"


@pytest.mark.parametrize("part", PARTS)
def test_every_part_has_an_image_a_hardening_profile_and_default_requests(part):
    spec = FateSpec.model_validate({"partyId": 30000, "backend": "spark-pulsar"})
    assert image_ref(spec, part.path).startswith(part.image.repository)
    assert part.profile in EXCEPTIONS
    assert {"cpu", "memory"} <= set(part.requests)


def test_flow_sources_are_workloads_or_tokens_and_ui_ports_reach_their_workload():
    labels = {p.label for p in modules.PARTS}
    assert set(MODULE_FLOWS) == labels
    for allows in MODULE_FLOWS.values():
        for allow in allows:
            assert set(allow.sources) <= labels | {ANYWHERE, INGRESS_CONTROLLER, TOY}
    assert {module for *_, module in UIS.values()} <= labels


@pytest.mark.parametrize("part", PARTS)
def test_flows_and_the_ui_name_ports_the_workload_listens_on(part):
    listening = set(part.ports.values()) | UNDECLARED_PORTS.get(part.label, set())
    for allow in part.flows:
        assert set(allow.ports or ()) <= listening, f"{part.label} accepts on ports it does not listen on"
    if part.ui is not None:
        assert part.ui.port in listening


@pytest.mark.parametrize("backend", [b.value for b in Backend])
def test_each_backend_builds_one_workload_per_part_of_its_modules(backend, harness):
    deploy(harness, {"partyId": 30000, "backend": backend})
    rendered = {r.inputs["metadata"]["labels"]["fateMoudle"] for t in WORKLOAD_TYPES for r in harness.mocks.of_type(t)}
    expected = {p.label for m in modules.backend_modules(Backend(backend)) for p in modules.BY_NAME[m].parts}
    assert rendered == expected
    policies = {
        r.inputs["metadata"]["name"] for r in harness.mocks.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert {f"allow-{label}" for label in expected if MODULE_FLOWS[label]} <= policies


@pytest.mark.parametrize("backend", [b.value for b in Backend])
def test_defaults_meet_the_reference_architecture(backend):
    spec = parse_fate_spec({"partyId": 30000, "backend": backend, "persistence": True, "storageClass": "standard"})
    assert spec.sizing_findings() == []


@pytest.fixture
def extra_definition(tmp_path: Path, monkeypatch):
    """A directory on the registry's search path, for definition files the registry must refuse."""
    monkeypatch.setattr(modules, "__path__", [*modules.__path__, str(tmp_path)])
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("models.modules.broken")]:
        del sys.modules[name]


def test_a_definition_file_without_its_module_is_refused(extra_definition: Path):
    (extra_definition / "broken_empty.py").write_text("VALUE = 1\n")
    with pytest.raises(TypeError, match=r"broken_empty\.py defines no MODULE"):
        modules._discover()


def test_a_definition_named_differently_from_its_file_is_refused(extra_definition: Path):
    (extra_definition / "broken_named.py").write_text(
        "from models.modules.client import MODULE as CLIENT\n"
        "import dataclasses\n"
        "MODULE = dataclasses.replace(CLIENT, name='other', order=999)\n"
    )
    with pytest.raises(ValueError, match=r"broken_named\.py defines module 'other'"):
        modules._discover()


def test_two_definitions_in_one_place_are_refused(extra_definition: Path):
    (extra_definition / "broken.py").write_text(
        "from models.modules.client import MODULE as CLIENT\n"
        "import dataclasses\n"
        "MODULE = dataclasses.replace(CLIENT, name='broken')\n"
    )
    with pytest.raises(ValueError, match="two modules share an order"):
        modules._discover()


def test_the_registry_holds_every_definition_file():
    files = {p.stem for p in Path(modules.__file__).parent.glob("*.py") if p.stem != "__init__"}
    assert files == set(modules.NAMES)
    assert all(isinstance(getattr(sys.modules[f"models.modules.{n}"], "MODULE", None), FateModule) for n in files)
