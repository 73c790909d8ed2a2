"""The Exchange component under mocks: what it registers, how routes reach pods, and that keys stay secret."""

from __future__ import annotations

import json

import pulumi_kubernetes as k8s
import yaml

from components.exchange import Exchange, ExchangeArgs, rollout
from components.fate_cluster.render_nginx import render_exchange_nginx_conf
from models.exchange import ExchangeConfig
from tests import x509_fixtures as x5
from tests.harness import mock_cluster_ip

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
KEY_TYPE = "tls:index/privateKey:PrivateKey"
# How the SDK marks a secret inside serialized inputs (pulumi/runtime/rpc.py).
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270"


def config(party_ids=(30000, 40000), **extra) -> ExchangeConfig:
    return ExchangeConfig.model_validate(
        {
            "trafficServer": {"imageTag": "9.2.5-mirror", **extra.pop("trafficServer", {})},
            "parties": [{"partyId": p, "stack": f"party-{p}"} for p in party_ids],
            **extra,
        }
    )


def endpoints(party_id: int, nginx=True, pulsar=True) -> dict:
    n = party_id // 10000
    return {
        "nginx": {"host": f"10.0.{n}.1", "httpPort": 9300, "grpcPort": 9310} if nginx else None,
        "pulsar": {"host": f"10.0.{n}.2", "sslPort": 6651} if pulsar else None,
    }


def pki_values(harness, prefix: str = "") -> None:
    """Give every key and certificate a recognisable value (mocks return only inputs otherwise)."""
    harness.mocks.on_new[KEY_TYPE] = lambda a: {
        "privateKeyPem": f"{prefix}KEY-{a.name}",
        "privateKeyPemPkcs8": f"{prefix}PK8-{a.name}",
    }
    for cert_type in ("selfSignedCert:SelfSignedCert", "locallySignedCert:LocallySignedCert"):
        harness.mocks.on_new[f"tls:index/{cert_type}"] = lambda a: {"certPem": f"CERT-{a.name}"}


def build(harness, cfg: ExchangeConfig, parties: dict, **args) -> Exchange:
    """Every party given endpoints has also exported its certificate request, unless ``requests`` says else."""
    args.setdefault("requests", {p: x5.request(str(p), f"{p}.fate.org") for p in parties})

    def program():
        provider = k8s.Provider("k8s", kubeconfig="{}")
        return Exchange("exchange", ExchangeArgs(config=cfg, provider=provider, parties=parties, **args))

    return harness.run(program)


def test_registers_namespace_ats_nginx_with_provider_and_parent(harness):
    build(harness, config(), {30000: endpoints(30000)})
    ns = harness.mocks.one("kubernetes:core/v1:Namespace")
    assert ns.k8s_name == "fate-exchange"
    assert ns.inputs["metadata"]["labels"]["cluster"] == "fate-exchange"
    for kind in (DEPLOYMENT, SERVICE, CONFIGMAP, SECRET):
        for r in harness.mocks.of_type(kind):
            assert r.provider and "pulumi:providers:kubernetes" in r.provider, r.name
            assert r.k8s_namespace == "fate-exchange"
            assert r.inputs["metadata"]["labels"]["cluster"] == "fate-exchange"
            assert r.parent_type in ("kubefate:index:TrafficServer", "kubefate:index:ExchangeNginx")
    assert {d.k8s_name for d in harness.mocks.of_type(DEPLOYMENT)} == {"traffic-server", "nginx"}


def test_images_are_pinned_and_configurable(harness):
    cfg = config(
        nginx={"image": "harbor.local/fate/nginx", "imageTag": "2.0.0-release"},
        trafficServer={"image": "harbor.local/fate/trafficserver"},
    )
    build(harness, cfg, {})
    images = {
        d.k8s_name: d.inputs["spec"]["template"]["spec"]["containers"][0]["image"]
        for d in harness.mocks.of_type(DEPLOYMENT)
    }
    assert images == {
        "traffic-server": "harbor.local/fate/trafficserver:9.2.5-mirror",
        "nginx": "harbor.local/fate/nginx:2.0.0-release",
    }


def test_services_are_load_balancers_honouring_load_balancer_ip(harness):
    cfg = config(trafficServer={"loadBalancerIP": "192.168.50.10"}, nginx={"loadBalancerIP": "192.168.50.11"})
    build(harness, cfg, {})
    ats = harness.mocks.one(SERVICE, "traffic-server").inputs["spec"]
    nginx = harness.mocks.one(SERVICE, "nginx").inputs["spec"]
    assert ats["type"] == nginx["type"] == "LoadBalancer"
    assert ats["loadBalancerIP"] == "192.168.50.10" and nginx["loadBalancerIP"] == "192.168.50.11"
    assert [(p["name"], p["port"]) for p in ats["ports"]] == [("tls", 443)]
    assert [(p["name"], p["port"]) for p in nginx["ports"]] == [("http", 9300), ("grpc", 9310)]
    assert all("nodePort" not in p for p in ats["ports"] + nginx["ports"])


def test_cluster_ip_service_has_no_node_port(harness):
    build(harness, config(trafficServer={"type": "ClusterIP"}), {})
    spec = harness.mocks.one(SERVICE, "traffic-server").inputs["spec"]
    assert spec["type"] == "ClusterIP" and "nodePort" not in spec["ports"][0] and "loadBalancerIP" not in spec


def unsecret(value):
    """Mock inputs carry secrets as ``{SECRET_SIG: ..., "value": v}``; None when the value was not secret."""
    if isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_MARK:
        return value["value"]
    return None


def test_certificate_secret_is_mounted_as_a_directory(harness):
    pki_values(harness)
    build(harness, config(), {})
    secret = harness.mocks.one(SECRET, "traffic-server-cert")
    data = unsecret(secret.inputs["stringData"])
    assert data is not None, "stringData must be secret"
    assert data == {
        "proxy.key.pem": "KEY-exchange-pki-ats-key",
        "proxy.cert.pem": "CERT-exchange-pki-ats-cert",
        "ca.cert.pem": "CERT-exchange-pki-ca",
    }
    pod = harness.mocks.one(DEPLOYMENT, "traffic-server").inputs["spec"]["template"]["spec"]
    cert_volume = next(v for v in pod["volumes"] if "secret" in v)
    assert cert_volume["secret"]["secretName"] == "traffic-server-cert"
    mounts = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == cert_volume["name"]]
    assert mounts == [{"name": cert_volume["name"], "mountPath": "/opt/proxy", "readOnly": True}]


def test_route_config_maps_hold_the_live_endpoints(harness):
    build(harness, config(), {30000: endpoints(30000), 40000: None})
    routes = next(c for c in harness.mocks.of_type(CONFIGMAP) if "route_table.yaml" in c.inputs["data"])
    table = yaml.safe_load(routes.inputs["data"]["route_table.yaml"])
    assert set(table) == {30000}
    sni = next(c for c in harness.mocks.of_type(CONFIGMAP) if "sni.yaml" in c.inputs["data"])
    assert yaml.safe_load(sni.inputs["data"]["sni.yaml"]) == {
        "sni": [{"fqdn": "30000.fate.org", "tunnel_route": "10.0.3.2:6651"}]
    }
    records = next(c for c in harness.mocks.of_type(CONFIGMAP) if "records.config" in c.inputs["data"])
    assert "connect_ports STRING 443 6651\n" in records.inputs["data"]["records.config"]


def test_membership_outputs(harness):
    ex = build(harness, config((30000, 40000, 50000)), {30000: endpoints(30000), 40000: endpoints(40000, pulsar=False)})
    assert harness.value(ex.federated_parties) == [30000]
    assert harness.value(ex.pending_parties) == [40000, 50000]


def test_a_routed_party_without_a_signed_request_is_pending(harness):
    ex = build(
        harness,
        config((30000, 40000)),
        {30000: endpoints(30000), 40000: endpoints(40000)},
        requests={30000: x5.request("30000", "30000.fate.org")},
    )
    assert harness.value(ex.federated_parties) == [30000]
    assert harness.value(ex.pending_parties) == [40000]
    assert harness.value(ex.party_certs[40000]) is None


def _template(harness, name):
    return harness.mocks.one(DEPLOYMENT, name).inputs["spec"]["template"]["metadata"]["annotations"]


def test_a_route_change_changes_the_pod_templates_and_names_the_party(harness):
    build(harness, config(), {30000: endpoints(30000), 40000: endpoints(40000)})
    before = {n: _template(harness, n) for n in ("nginx", "traffic-server")}
    harness.mocks.registered.clear()
    moved = endpoints(40000)
    moved["nginx"]["host"] = moved["pulsar"]["host"] = "10.9.9.9"
    build(harness, config(), {30000: endpoints(30000), 40000: moved})
    after = {n: _template(harness, n) for n in ("nginx", "traffic-server")}
    for name in before:
        changed = {k for k in before[name] if before[name][k] != after[name][k]}
        assert changed == {"checksum.kubefate.io/config", "route.kubefate.io/party-40000"}, name
    assert after["traffic-server"]["route.kubefate.io/party-40000"] == "40000.fate.org -> 10.9.9.9:6651"


def test_removing_a_party_removes_only_its_routes_and_certificates(harness):
    build(harness, config((30000, 40000)), {30000: endpoints(30000), 40000: endpoints(40000)})
    names_before = {r.name for r in harness.mocks.registered}
    harness.mocks.registered.clear()
    build(harness, config((30000,)), {30000: endpoints(30000)})
    names_after = {r.name for r in harness.mocks.registered}
    removed = names_before - names_after
    assert removed == {"exchange-pki-party-40000-cert"}
    assert names_after <= names_before
    assert "route.kubefate.io/party-40000" not in _template(harness, "nginx")


def test_no_private_key_in_any_config_map_or_annotation(harness):
    pki_values(harness, prefix="SECRET-")
    ex = build(harness, config(), {30000: endpoints(30000), 40000: endpoints(40000)})
    for r in harness.mocks.registered:
        if r.typ in (SECRET, KEY_TYPE) or r.typ.startswith("tls:"):
            continue
        assert "SECRET-" not in json.dumps(r.inputs), r.name
    for party_id, cert in ex.party_certs.items():
        assert harness.value(cert) == f"CERT-exchange-pki-party-{party_id}-cert"
    assert not harness.is_secret(ex.ca_cert)
    # The exchange's own keys only: the CA's and ATS's.
    assert {r.name for r in harness.mocks.of_type(KEY_TYPE)} == {"exchange-pki-ca-key", "exchange-pki-ats-key"}


def test_endpoint_comes_from_the_load_balancers(harness):
    def status(args):
        ip = "192.168.50.10" if args.name == "exchange-ats-service" else "192.168.50.11"
        return {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}

    harness.mocks.on_new[SERVICE] = status
    ex = build(harness, config(), {})
    assert harness.value(ex.endpoint) == {
        "host": "192.168.50.11",
        "nginxHttpPort": 9300,
        "nginxGrpcPort": 9310,
        "atsHost": "192.168.50.10",
        "atsPort": 443,
        "domain": "fate.org",
    }


def test_endpoint_is_none_until_the_load_balancer_has_an_address(harness):
    ex = build(harness, config(), {})
    assert harness.value(ex.endpoint) is None


def test_advertised_host_and_node_ports(harness):
    cfg = config(
        advertisedHost="192.0.2.80",
        trafficServer={"type": "NodePort", "nodePort": 30443},
        nginx={"type": "NodePort", "httpNodePort": 30300, "grpcNodePort": 30310},
    )
    ex = build(harness, cfg, {})
    assert harness.value(ex.endpoint) == {
        "host": "192.0.2.80",
        "nginxHttpPort": 30300,
        "nginxGrpcPort": 30310,
        "atsHost": "192.0.2.80",
        "atsPort": 30443,
        "domain": "fate.org",
    }
    assert harness.mocks.one(SERVICE, "traffic-server").inputs["spec"]["ports"][0]["nodePort"] == 30443


def test_a_cluster_ip_nginx_is_advertised_by_its_address_not_its_name(harness):
    """Parties' nginx reach it through FATE's balancer, which refuses names; the ATS keeps its DNS name."""
    cfg = config(trafficServer={"type": "ClusterIP"}, nginx={"type": "ClusterIP"})
    ex = build(harness, cfg, {})
    endpoint = harness.value(ex.endpoint)
    assert endpoint["host"] == mock_cluster_ip("exchange-nginx-service")
    assert endpoint["atsHost"] == "traffic-server.fate-exchange.svc.cluster.local"


def test_namespace_labels_from_the_stack_are_applied_but_pod_security_is_baseline(harness):
    build(
        harness,
        config(),
        {},
        namespace_labels={"pod-security.kubernetes.io/enforce": "privileged", "example.org/team": "fed"},
    )
    labels = harness.mocks.one("kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    assert labels["example.org/team"] == "fed"
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "baseline"


def test_nginx_renders_its_own_nginx_conf_mounted_over_the_images(harness):
    build(harness, config(), {30000: endpoints(30000)})
    conf = next(c for c in harness.mocks.of_type(CONFIGMAP) if "nginx.conf" in c.inputs["data"])
    assert conf.inputs["data"] == {"nginx.conf": render_exchange_nginx_conf()}
    assert conf.parent_type == "kubefate:index:ExchangeNginx"
    pod = harness.mocks.one(DEPLOYMENT, "nginx").inputs["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
    conf_mount = mounts["/data/projects/fate/proxy/nginx/conf/nginx.conf"]
    assert conf_mount["subPath"] == "nginx.conf"
    # the route table stays a directory mount (refreshed in place), from the other ConfigMap
    routes_mount = mounts["/data/projects/fate/proxy/nginx/conf/modifiable"]
    assert "subPath" not in routes_mount and routes_mount["name"] != conf_mount["name"]
    assert {v["name"] for v in pod["volumes"]} == {conf_mount["name"], routes_mount["name"]}


def test_nginx_checksum_covers_the_route_table_and_nginx_conf(harness):
    build(harness, config(), {30000: endpoints(30000)})
    routes = next(c for c in harness.mocks.of_type(CONFIGMAP) if "route_table.yaml" in c.inputs["data"])
    annotations = _template(harness, "nginx")
    assert annotations["checksum.kubefate.io/config"] == rollout.checksum(
        routes.inputs["data"]["route_table.yaml"], render_exchange_nginx_conf()
    )
    assert annotations["checksum.kubefate.io/config"] != rollout.checksum(routes.inputs["data"]["route_table.yaml"])
