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
        "route-host-name",
        "fate.nginx.route_table",
        {"50000": {"proxy": [{"host": "nginx.party-50000.example.org", "http_port": 9300, "grpc_port": 9310}]}},
        "fate.nginx.route_table.50000.proxy.0.host",
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
    ("exchange-domain-one-label", "exchange.domain", "fate", "exchange.domain"),
    ("exchange-domain-newline", "exchange.domain", "fate.org" + NL, "exchange.domain"),
    ("party-key-size", "exchange.certificate.rsaBits", 1024, "exchange.certificate.rsaBits"),
    ("party-key-curve", "exchange.certificate.ecdsaCurve", "secp256k1", "exchange.certificate.ecdsaCurve"),
    ("party-cert-unknown-key", "exchange.certificate.validityHours", 24, "exchange.certificate.validityHours"),
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
    "fate.nginx.route_table.50000.proxy.0.host": "nginx.party-50000.example.org",
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
    ("advertised-host-name", "exchange.advertisedHost", "exchange.example.org", "exchange.advertisedHost"),
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


# Hostile values of other kinds: look-alike characters, lengths past every limit, zero and negative sizes,
# empty values where one is required, values typed wrongly by YAML (anchors and merges resolve to mappings
# or lists), and free-form mappings whose keys or values Kubernetes would refuse.
CYRILLIC_A = "\u0430"
ZERO_WIDTH = "\u200b"
HOSTILE_PARTY_CASES: list[tuple[str, str, Any, str, Any]] = [
    ("lookalike-hyphen-name", "fate.name", "fate\u20101", "fate.name", None),
    ("lookalike-cyrillic-host", "kubefate.host", f"kubefate.p{CYRILLIC_A}rty.example.org", "kubefate.host", None),
    ("zero-width-host", "kubefate.host", f"kubefate{ZERO_WIDTH}.party.example.org", "kubefate.host", None),
    (
        "fullwidth-digit-node-port",
        "fate.nginx.httpNodePort",
        "\uff13\uff10\uff10\uff18\uff10",
        "fate.nginx.httpNodePort",
        None,
    ),
    ("host-300-chars", "kubefate.host", "a." * 149 + "org", "kubefate.host", None),
    ("tag-200-chars", "fate.python.imageTag", "t" * 200, "fate.python.imageTag", None),
    ("size-zero", "fate.mysql.size", "0Gi", "fate.mysql.size", None),
    ("size-negative", "fate.mysql.size", "-5Gi", "fate.mysql.size", None),
    ("cpu-negative", "fate.python.resources.requests.cpu", -1, "fate.python.resources.requests.cpu", None),
    ("replicas-zero", "fate.python.replicas", 0, "fate.python.replicas", None),
    ("replicas-negative", "fate.python.replicas", -3, "fate.python.replicas", None),
    ("kubefate-db-size-zero", "kubefate.databaseSize", "0", "kubefate.databaseSize", None),
    ("empty-name", "fate.name", "", "fate.name", None),
    ("empty-host", "kubefate.host", "", "kubefate.host", None),
    ("empty-exchange-stack", "exchange.stack", "", "exchange.stack", None),
    ("empty-modules", "fate.modules", [], "fate.modules", None),
    ("party-id-zero", "partyId", "0", "partyId", 0),
    ("party-id-negative", "partyId", "-30000", "partyId", -30000),
    ("party-id-float-text", "partyId", "30000.0", "partyId", None),
    (
        "anchor-merged-node-selector-value",
        "fate.python.nodeSelector",
        {"role": {"zone": "a"}},
        "fate.python.nodeSelector.role",
        {"zone": "a"},
    ),
    (
        "anchor-list-annotation",
        "kubefate.ingressAnnotations",
        {"a.example.org/x": ["1", "2"]},
        "kubefate.ingressAnnotations.a.example.org/x",
        ["1", "2"],
    ),
    (
        "annotation-number",
        "fate.ingress.fateboard.annotations",
        {"nginx.ingress.kubernetes.io/proxy-body-size": 0},
        "fate.ingress.fateboard.annotations.nginx.ingress.kubernetes.io/proxy-body-size",
        0,
    ),
    (
        "node-selector-key-space",
        "fate.python.nodeSelector",
        {"node role": "gpu"},
        "fate.python.nodeSelector.node role",
        "node role",
    ),
    (
        "node-selector-key-upper-prefix",
        "fate.python.nodeSelector",
        {"Example.ORG/role": "gpu"},
        "fate.python.nodeSelector.Example.ORG/role",
        "Example.ORG/role",
    ),
    (
        "node-selector-value-long",
        "fate.python.nodeSelector",
        {"role": "g" * 64},
        "fate.python.nodeSelector.role",
        "g" * 64,
    ),
    ("node-selector-value-bool", "fate.python.nodeSelector", {"gpu": True}, "fate.python.nodeSelector.gpu", True),
    (
        "annotation-key-newline",
        "kubefate.ingressAnnotations",
        {"a/b\n": "x"},
        "kubefate.ingressAnnotations.a/b\n",
        "a/b\n",
    ),
    (
        "toleration-effect",
        "fate.python.tolerations",
        [{"key": "gpu", "operator": "Exists", "effect": "Never"}],
        "fate.python.tolerations.0.effect",
        "Never",
    ),
    (
        "toleration-unknown-key",
        "fate.python.tolerations",
        [{"key": "gpu", "operatr": "Exists"}],
        "fate.python.tolerations.0.operatr",
        "Exists",
    ),
    (
        "toleration-seconds-text",
        "fate.python.tolerations",
        [{"key": "gpu", "effect": "NoExecute", "tolerationSeconds": "60"}],
        "fate.python.tolerations.0.tolerationSeconds",
        "60",
    ),
    (
        "resource-name-space",
        "fate.python.resources.limits",
        {"nvidia com/gpu": 1},
        "fate.python.resources.limits.nvidia com/gpu",
        "nvidia com/gpu",
    ),
    (
        "kubefate-resource-section",
        "kubefate.resources",
        {"request": {"cpu": "1"}},
        "kubefate.resources.request",
        "request",
    ),
    ("kubefate-image-untagged", "kubefate.image", "federatedai/kubefate", "kubefate.image", None),
    ("kubefate-ingress-class-space", "kubefate.ingressClassName", "nginx public", "kubefate.ingressClassName", None),
    (
        "route-port-string",
        "fate.nginx.route_table",
        {"40000": {"proxy": [{"host": "10.0.0.4", "http_port": "9300", "grpc_port": 9310}]}},
        "fate.nginx.route_table.40000.proxy.0.http_port",
        "9300",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "leaf"), [c[1:] for c in HOSTILE_PARTY_CASES], ids=[c[0] for c in HOSTILE_PARTY_CASES]
)
def test_hostile_party_value_is_refused_at_its_field(harness, path, value, field, leaf):
    problems = refused(harness, at(PARTY, path, value))
    match = next((p.field for p in problems if _same_field(p.field, field)), None)
    assert match is not None, f"no problem at {field}: {problems}"
    assert_named(problems, match, value if leaf is None else leaf)


HOSTILE_EXCHANGE_CASES: list[tuple[str, str, Any, str, Any]] = [
    ("duplicate-party-id", "exchange.parties[1].partyId", 30000, "exchange.parties[1].partyId", None),
    ("duplicate-party-stack", "exchange.parties[1].stack", "party-30000", "exchange.parties[1].stack", None),
    ("party-id-zero", "exchange.parties[0].partyId", 0, "exchange.parties[0].partyId", None),
    ("party-stack-empty", "exchange.parties[0].stack", "", "exchange.parties[0].stack", None),
    ("party-stack-four-parts", "exchange.parties[0].stack", "a/b/c/d", "exchange.parties[0].stack", None),
    (
        "party-stack-lookalike-slash",
        "exchange.parties[0].stack",
        "org\u2215party-30000",
        "exchange.parties[0].stack",
        None,
    ),
    ("party-entry-not-mapping", "exchange.parties", ["party-30000"], "exchange.parties[0]", "party-30000"),
    ("http-port-string", "exchange.nginx.httpPort", "9300", "exchange.nginx.httpPort", None),
    ("grpc-port-zero", "exchange.nginx.grpcPort", 0, "exchange.nginx.grpcPort", None),
    ("ats-port-bool", "exchange.trafficServer.port", True, "exchange.trafficServer.port", None),
    ("lb-ip-host-name", "exchange.nginx.loadBalancerIP", "lb.example.org", "exchange.nginx.loadBalancerIP", None),
    (
        "image-tag-in-image",
        "exchange.trafficServer.image",
        "federatedai/trafficserver:latest",
        "exchange.trafficServer.image",
        None,
    ),
    ("image-tag-empty", "exchange.nginx.imageTag", "", "exchange.nginx.imageTag", None),
    ("domain-empty", "exchange.domain", "", "exchange.domain", None),
    ("domain-lookalike", "exchange.domain", f"f{CYRILLIC_A}te.org", "exchange.domain", None),
    ("namespace-empty", "exchange.namespace", "", "exchange.namespace", None),
    (
        "resources-requests-above-limits",
        "exchange.nginx.resources",
        {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}},
        "exchange.nginx.resources.requests.memory",
        "2Gi",
    ),
    (
        "resources-bad-name",
        "exchange.trafficServer.resources",
        {"limits": {"cpu ": "1"}},
        "exchange.trafficServer.resources.limits.cpu ",
        "cpu ",
    ),
    (
        "renewal-negative",
        "exchange.certificates.earlyRenewalHours",
        -1,
        "exchange.certificates.earlyRenewalHours",
        None,
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "leaf"),
    [c[1:] for c in HOSTILE_EXCHANGE_CASES],
    ids=[c[0] for c in HOSTILE_EXCHANGE_CASES],
)
def test_hostile_exchange_value_is_refused_at_its_field(harness, path, value, field, leaf):
    problems = refused(harness, at(EXCHANGE, path, value), stack="exchange")
    assert_named(problems, field, value if leaf is None else leaf)


# Cross-field rules and bad values in the same block are reported in one run.
def test_exchange_field_error_and_node_port_clash_reported_together(harness):
    values = exchange_with(
        namespace="Bad_Namespace",
        advertisedHost="10.0.0.9",
        trafficServer={"imageTag": "9.2.5", "type": "NodePort", "nodePort": 30443},
        nginx={"type": "NodePort", "httpNodePort": 30443, "grpcNodePort": 30444},
    )
    problems = refused(harness, values, stack="exchange")
    assert_named(problems, "exchange.namespace", "Bad_Namespace")
    assert_named(problems, "exchange.nginx.httpNodePort", 30443)


def test_exchange_bad_value_and_duplicate_party_reported_together(harness):
    values = exchange_with(
        domain="Not A Domain",
        parties=[{"partyId": 30000, "stack": "party-30000"}, {"partyId": 30000, "stack": "party-40000"}],
    )
    problems = refused(harness, values, stack="exchange")
    assert_named(problems, "exchange.domain", "Not A Domain")
    assert_named(problems, "exchange.parties[1].partyId", 30000)


def test_certificate_rules_reported_with_a_bad_key_size(harness):
    values = exchange_with(certificates={"rsaBits": 1024, "validityHours": 48, "earlyRenewalHours": 100})
    problems = refused(harness, values, stack="exchange")
    assert_named(problems, "exchange.certificates.rsaBits", 1024)
    assert_named(problems, "exchange.certificates.earlyRenewalHours", 100)


def test_nginx_rules_reported_with_a_bad_image(harness):
    values = exchange_with(nginx={"image": "Bad Image", "httpPort": 9300, "grpcPort": 9300})
    problems = refused(harness, values, stack="exchange")
    assert_named(problems, "exchange.nginx.image", "Bad Image")
    assert_named(problems, "exchange.nginx.grpcPort", 9300)


def test_party_field_error_and_module_node_port_clash_reported_together(harness):
    values = at(at(PARTY, "fate.nginx", {"type": "NodePort", "httpNodePort": 30090}), "fate.pulsar.type", "NodePort")
    values = at(at(values, "fate.pulsar.httpNodePort", 30090), "fate.name", "Bad Name")
    problems = refused(harness, values)
    assert_named(problems, "fate.name", "Bad Name")
    assert_named(problems, "fate.pulsar.httpNodePort", 30090)


def test_party_requests_above_limits_reported_with_a_bad_size(harness):
    values = at(PARTY, "fate.python.resources", {"requests": {"cpu": 8}, "limits": {"cpu": 4}})
    problems = refused(harness, at(values, "fate.mysql.size", "lots"))
    assert_named(problems, "fate.mysql.size", "lots")
    assert_named(problems, "fate.python.resources.requests.cpu", 8)


def test_kubefate_requests_above_limits_reported_with_a_bad_image(harness):
    values = at(PARTY, "kubefate.resources", {"requests": {"memory": "1Gi"}, "limits": {"memory": "512Mi"}})
    problems = refused(harness, at(values, "kubefate.image", "federatedai/kubefate:latest"))
    assert_named(problems, "kubefate.image", "federatedai/kubefate:latest")
    assert_named(problems, "kubefate.resources.requests.memory", "1Gi")


def test_party_self_reference_reported_with_a_bad_party_field(harness):
    values = at(at(PARTY, "exchange.stack", "party-30000"), "sizing", "huge")
    problems = refused(harness, values)
    assert_named(problems, "sizing", "huge")
    assert_named(problems, "exchange.stack", "party-30000")


def test_rule_about_a_bad_key_is_not_reported_twice_or_spuriously(harness):
    values = at(PARTY, "fate.backend", "spark-rabbitmq")
    problems = refused(harness, values)
    assert [p.field for p in problems] == ["fate.backend"], problems
