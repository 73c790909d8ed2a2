"""Bad values as a careless or hostile user writes them, each through the whole program (``stacks.run``).

Every case must be refused before any resource is registered, by a Problem that names the field path, shows
the value as written (``repr``, so a trailing newline is visible) and says how to fix that field, never
"see README". The cases are about the kind of mistake, not the examples the issue listed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from models.errors import ConfigError, Problem
from tests.stack_runner import PARTY, reset_config, run_program

EXCHANGE: dict[str, Any] = {
    "role": "exchange",
    "cluster": {"mode": "kubeconfig"},
    "exchange": {
        "trafficServer": {"imageTag": "9.2.5"},
        "parties": [{"partyId": 30000, "stack": "party-30000"}, {"partyId": 40000, "stack": "party-40000"}],
    },
}


@pytest.fixture(autouse=True)
def _clean_config():
    yield
    reset_config()


def at(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``base`` with ``value`` at the dotted ``path`` (``[n]`` for list items), creating mappings on the way."""
    data = copy.deepcopy(base)
    node: Any = data
    parts = path.replace("[", ".[").split(".")
    for part, nxt in zip(parts, [*parts[1:], None], strict=True):
        key: Any = int(part[1:-1]) if part.startswith("[") else part
        if nxt is None:
            node[key] = value
        else:
            if isinstance(key, str) and key not in node:
                node[key] = {}
            node = node[key]
    return data


def refused(harness, values: dict[str, Any], stack: str = "party-30000") -> list[Problem]:
    harness.stack = stack
    with pytest.raises(ConfigError) as exc:
        run_program(harness, values)
    assert harness.mocks.registered == [], "a resource was registered before the error"
    return exc.value.problems


def assert_named(problems: list[Problem], field: str, value: Any) -> Problem:
    for p in problems:
        assert "README" not in p and "Fix: " in p, p
    found = [p for p in problems if p.field == field]
    assert found, f"no problem at {field}: {problems}"
    p = found[0]
    assert repr(value) in p, f"{p!r} does not show {value!r} as written"
    assert p.fix.strip(), p
    return p


NL = "\n"
LONG_LABEL = "f" * 64

# (case id, dotted path, bad value, field path the problem must name)
PARTY_CASES: list[tuple[str, str, Any, str]] = [
    ("name-newline", "fate.name", "fate-1" + NL, "fate.name"),
    ("name-uppercase", "fate.name", "Fate-1", "fate.name"),
    ("namespace-64", "fate.namespace", LONG_LABEL, "fate.namespace"),
    ("namespace-leading-space", "fate.namespace", " fate-1", "fate.namespace"),
    ("version-newline", "fate.fateVersion", "2.0.0" + NL, "fate.fateVersion"),
    ("version-word", "fate.fateVersion", "two", "fate.fateVersion"),
    ("fate-storage-class", "fate.storageClass", "Fast SSD", "fate.storageClass"),
    ("fate-storage-class-newline", "fate.storageClass", "standard" + NL, "fate.storageClass"),
    ("volume-storage-class", "fate.mysql.storageClass", "ssd_pool", "fate.mysql.storageClass"),
    ("kubefate-storage-class", "kubefate.storageClass", "Gold", "kubefate.storageClass"),
    ("kubefate-host-newline", "kubefate.host", "kubefate.party.example.org" + NL, "kubefate.host"),
    ("kubefate-host-scheme", "kubefate.host", "https://kubefate.party.example.org", "kubefate.host"),
    ("kubefate-host-port", "kubefate.host", "kubefate.party.example.org:8080", "kubefate.host"),
    ("quoted-node-port", "fate.nginx.httpNodePort", "30080", "fate.nginx.httpNodePort"),
    ("bool-node-port", "fate.nginx.httpNodePort", True, "fate.nginx.httpNodePort"),
    ("float-node-port", "fate.nginx.httpNodePort", 30080.0, "fate.nginx.httpNodePort"),
    ("node-port-low", "fate.pulsar.httpsNodePort", 8443, "fate.pulsar.httpsNodePort"),
    ("bool-replicas", "fate.python.replicas", True, "fate.python.replicas"),
    ("huge-float-replicas", "fate.python.replicas", 1e20, "fate.python.replicas"),
    ("quoted-replicas", "fate.python.replicas", "2", "fate.python.replicas"),
    ("quoted-bool", "fate.persistence", "true", "fate.persistence"),
    (
        "route-host-brace",
        "fate.nginx.route_table",
        {"40000": {"proxy": [{"host": "10.0.0.4}", "http_port": 9300, "grpc_port": 9310}]}},
        "fate.nginx.route_table.40000.proxy.0.host",
    ),
    (
        "route-host-newline",
        "fate.nginx.route_table",
        {"40000": {"fateflow": [{"host": "10.0.0.4" + NL, "http_port": 9360, "grpc_port": 9360}]}},
        "fate.nginx.route_table.40000.fateflow.0.host",
    ),
    (
        "route-port-range",
        "fate.nginx.route_table",
        {"40000": {"proxy": [{"host": "10.0.0.4", "http_port": 70000, "grpc_port": 9310}]}},
        "fate.nginx.route_table.40000.proxy.0.http_port",
    ),
    (
        "pulsar-route-host-port",
        "fate.pulsar.route_table",
        {"40000": {"host": "10.0.0.5:6650", "port": 6650}},
        "fate.pulsar.route_table.40000.host",
    ),
    (
        "pulsar-route-quoted-port",
        "fate.pulsar.route_table",
        {"40000": {"host": "10.0.0.5", "port": "6650"}},
        "fate.pulsar.route_table.40000.port",
    ),
    ("sub-path-dotdot", "fate.mysql.subPath", "../../etc", "fate.mysql.subPath"),
    ("sub-path-absolute", "fate.mysql.subPath", "/var/lib", "fate.mysql.subPath"),
    ("size-not-quantity", "fate.mysql.size", "big", "fate.mysql.size"),
    ("size-number", "fate.mysql.size", 10, "fate.mysql.size"),
    ("resource-word", "fate.python.resources.requests.cpu", "lots", "fate.python.resources.requests.cpu"),
    ("resource-bool", "fate.python.resources.limits.memory", True, "fate.python.resources.limits.memory"),
    ("resource-newline", "fate.python.resources.requests.memory", "8Gi" + NL, "fate.python.resources.requests.memory"),
    (
        "ingress-host-newline",
        "fate.ingress.fateboard.hosts",
        [{"name": "board.example.org" + NL}],
        "fate.ingress.fateboard.hosts.0.name",
    ),
    (
        "ingress-host-scheme",
        "fate.ingress.client.hosts",
        [{"name": "http://board.example.org"}],
        "fate.ingress.client.hosts.0.name",
    ),
    ("image-newline", "fate.python.image", "federatedai/fateflow" + NL, "fate.python.image"),
    ("image-with-tag", "fate.python.image", "federatedai/fateflow:2.0.0", "fate.python.image"),
    ("tag-newline", "fate.python.imageTag", "2.0.0-release" + NL, "fate.python.imageTag"),
    ("lb-ip-cidr", "fate.nginx.loadBalancerIP", "10.0.0.1/24", "fate.nginx.loadBalancerIP"),
    ("pull-secret-name", "fate.imagePullSecrets", [{"name": "My Secret"}], "fate.imagePullSecrets.0.name"),
    ("kubefate-pull-secret", "kubefate.imagePullSecrets", ["regcred" + NL], "kubefate.imagePullSecrets.0"),
    ("kubefate-db-size-int", "kubefate.databaseSize", 5, "kubefate.databaseSize"),
    ("kubefate-resources", "kubefate.resources", {"requests": {"cpu": "x1"}}, "kubefate.resources.requests.cpu"),
    ("cluster-name-64", "cluster.name", LONG_LABEL, "cluster.name"),
    ("exchange-is-self", "exchange.stack", "party-30000", "exchange.stack"),
    ("exchange-is-self-qualified", "exchange.stack", "organization/kubefate-tanzu/party-30000", "exchange.stack"),
    ("party-id-leading-zero", "partyId", "030000", "partyId"),
    ("free-text-database", "fate.mysql.database", "eggroll_meta" + NL, "fate.mysql.database"),
    ("free-text-username", "fate.fateboard.username", " admin", "fate.fateboard.username"),
    ("free-text-registry", "fate.registry", "harbor.example.org/" + NL, "fate.registry"),
    ("free-text-spark-master", "fate.python.spark.master", "spark://spark-master:7077\t", "fate.python.spark.master"),
    ("free-text-repo-url", "kubefate.repoUrl", "https://federatedai.github.io/KubeFATE" + NL, "kubefate.repoUrl"),
    ("free-text-context", "cluster.supervisorContext", "10.0.0.2" + NL, "cluster.supervisorContext"),
    ("free-text-list", "fate.skippedKeys", ["route_table" + NL], "fate.skippedKeys"),
    ("party-id-word", "partyId", "thirty", "partyId"),
]


@pytest.mark.parametrize(("path", "value", "field"), [c[1:] for c in PARTY_CASES], ids=[c[0] for c in PARTY_CASES])
def test_party_bad_value_is_refused_at_its_field(harness, path, value, field):
    problems = refused(harness, at(PARTY, path, value))
    match = next((p.field for p in problems if _same_field(p.field, field)), None)
    assert match is not None, f"no problem at {field}: {problems}"
    assert_named(problems, match, LEAVES.get(field, value))


# Where the bad value sits inside a mapping or list the case writes, the problem shows that leaf.
LEAVES: dict[str, Any] = {
    "fate.nginx.route_table.40000.proxy.0.host": "10.0.0.4}",
    "fate.nginx.route_table.40000.fateflow.0.host": "10.0.0.4" + NL,
    "fate.nginx.route_table.40000.proxy.0.http_port": 70000,
    "fate.pulsar.route_table.40000.host": "10.0.0.5:6650",
    "fate.pulsar.route_table.40000.port": "6650",
    "fate.ingress.fateboard.hosts.0.name": "board.example.org" + NL,
    "fate.ingress.client.hosts.0.name": "http://board.example.org",
    "fate.imagePullSecrets.0.name": "My Secret",
    "kubefate.imagePullSecrets.0": "regcred" + NL,
    "kubefate.resources.requests.cpu": "x1",
    "fate.skippedKeys": "route_table" + NL,
}


def _same_field(found: str, wanted: str) -> bool:
    """``a.b.0.c`` (how the table writes it) matches ``a.b[0].c`` (how a Problem writes it)."""
    normal = found.replace("[", ".").replace("]", "")
    return normal == wanted


EXCHANGE_CASES: list[tuple[str, str, Any, str]] = [
    ("advertised-host-port", "exchange.advertisedHost", "exchange.example.org:443", "exchange.advertisedHost"),
    ("advertised-host-scheme", "exchange.advertisedHost", "https://exchange.example.org", "exchange.advertisedHost"),
    ("advertised-host-newline", "exchange.advertisedHost", "10.0.0.9" + NL, "exchange.advertisedHost"),
    ("namespace-upper", "exchange.namespace", "Fate_Exchange", "exchange.namespace"),
    ("namespace-64", "exchange.namespace", LONG_LABEL, "exchange.namespace"),
    ("domain-newline", "exchange.domain", "fate.org" + NL, "exchange.domain"),
    ("party-id-quoted", "exchange.parties[0].partyId", "30000", "exchange.parties[0].partyId"),
    ("party-id-bool", "exchange.parties[0].partyId", True, "exchange.parties[0].partyId"),
    ("party-is-the-exchange", "exchange.parties[1].stack", "exchange", "exchange.parties[1].stack"),
    ("node-port-float", "exchange.trafficServer.nodePort", 30443.0, "exchange.trafficServer.nodePort"),
    ("validity-unbounded", "exchange.certificates.validityHours", 10**9, "exchange.certificates.validityHours"),
    ("ca-validity-unbounded", "exchange.certificates.caValidityHours", 10**9, "exchange.certificates.caValidityHours"),
    ("pull-secret-space", "exchange.imagePullSecrets", ["my cred"], "exchange.imagePullSecrets[0]"),
    ("tag-latest", "exchange.trafficServer.imageTag", "latest", "exchange.trafficServer.imageTag"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"), [c[1:] for c in EXCHANGE_CASES], ids=[c[0] for c in EXCHANGE_CASES]
)
def test_exchange_bad_value_is_refused_at_its_field(harness, path, value, field):
    problems = refused(harness, at(EXCHANGE, path, value), stack="exchange")
    target = value[0] if isinstance(value, list) else value
    assert_named(problems, field.replace("[0]", "[0]"), target)


def exchange_with(**keys: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXCHANGE)
    data["exchange"].update(keys)
    return data


def test_exchange_node_ports_clash_across_its_services(harness):
    values = exchange_with(
        advertisedHost="10.0.0.9",
        trafficServer={"imageTag": "9.2.5", "type": "NodePort", "nodePort": 30443},
        nginx={"type": "NodePort", "httpNodePort": 30443, "grpcNodePort": 30444},
    )
    p = assert_named(refused(harness, values, stack="exchange"), "exchange.nginx.httpNodePort", 30443)
    assert "exchange.trafficServer.nodePort" in p.why


def test_exchange_node_port_with_cluster_ip_is_not_dropped_silently(harness):
    values = exchange_with(nginx={"type": "ClusterIP", "httpNodePort": 30080})
    p = assert_named(refused(harness, values, stack="exchange"), "exchange.nginx.httpNodePort", 30080)
    assert "ClusterIP" in p.why


def test_party_requests_above_limits(harness):
    values = at(PARTY, "fate.python.resources", {"requests": {"cpu": 8}, "limits": {"cpu": 4}})
    assert_named(refused(harness, values), "fate.python.resources.requests.cpu", 8)


def test_party_node_ports_clash_across_modules(harness):
    values = at(at(PARTY, "fate.nginx", {"type": "NodePort", "httpNodePort": 30090}), "fate.pulsar.type", "NodePort")
    values = at(values, "fate.pulsar.httpNodePort", 30090)
    assert_named(refused(harness, values), "fate.pulsar.httpNodePort", 30090)


def test_every_problem_is_reported_at_once_across_the_configuration(harness):
    values = at(at(at(PARTY, "fate.name", "Bad Name"), "kubefate.host", "http://x"), "cluster.name", LONG_LABEL)
    fields = {p.field for p in refused(harness, values)}
    assert {"fate.name", "kubefate.host", "cluster.name"} <= fields


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "outside.yaml").write_text("partyId: 30000\nbackend: eggroll\n")
    return root


@pytest.mark.parametrize(
    "path",
    ["../outside.yaml", "/etc/passwd", "clusters/../../outside.yaml", "link.yaml"],
    ids=["parent", "absolute", "dotdot-inside", "symlink-out"],
)
def test_cluster_yaml_outside_the_project_is_refused_and_not_opened(harness, project, monkeypatch, path):
    from models import config as loader

    (project / "link.yaml").symlink_to(project.parent / "outside.yaml")
    opened: list[Path] = []
    real = loader.load_cluster_yaml
    monkeypatch.setattr(loader, "load_cluster_yaml", lambda p: (opened.append(p), real(p))[1])
    monkeypatch.setattr(loader, "PROJECT_DIR", project)
    values = {k: v for k, v in PARTY.items() if k != "fate"} | {"kubefateClusterYaml": path}
    assert_named(refused(harness, values), "kubefateClusterYaml", path)
    assert opened == []


def test_cluster_yaml_inside_the_project_is_read(harness, project, monkeypatch):
    from models import config as loader

    (project / "clusters").mkdir()
    (project / "clusters" / "p.yaml").write_text("partyId: 30000\nbackend: eggroll\nname: Not_A_Label\n")
    monkeypatch.setattr(loader, "PROJECT_DIR", project)
    values = {k: v for k, v in PARTY.items() if k != "fate"} | {"kubefateClusterYaml": "clusters/p.yaml"}
    assert_named(refused(harness, values), "kubefateClusterYaml[clusters/p.yaml].name", "Not_A_Label")
