"""KubeFateService under the mock harness: objects, names, RBAC scope, the database volume, credentials."""

from __future__ import annotations

import json
from typing import cast

import pulumi_kubernetes as k8s
import pytest

from components.kubefate_service import KubeFateService, KubeFateServiceArgs
from components.kubefate_service import manifests as m
from models.kubefate_service import KubeFateServiceConfig
from tests.test_tanzu_support import capture_register_requests, is_secret_input, unwrap

KNOWN_PASSWORD = "S3cr3t-known"
HOST = "kubefate.party-30000.fate.internal"
NS = "kubernetes:core/v1:Namespace"
SA = "kubernetes:core/v1:ServiceAccount"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SECRET = "kubernetes:core/v1:Secret"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
PASSWORD = "random:index/randomPassword:RandomPassword"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"


def build(harness, **overrides):
    harness.mocks.on_new[PASSWORD] = lambda a: {"result": KNOWN_PASSWORD}
    harness.mocks.on_new[SECRET] = lambda a: {
        "metadata": {**a.inputs.get("metadata", {}), "name": "kubefate-credentials-x1y2"}
    }
    cfg = KubeFateServiceConfig.model_validate(
        {"host": HOST, "storageClass": "vsan-default-storage-policy", **overrides}
    )

    def body():
        provider = k8s.Provider("workload", kubeconfig="fake")
        return KubeFateService("kubefate", KubeFateServiceArgs(cfg, provider))

    return harness.run(body)


def env_of(harness, deployment: str) -> dict[str, dict]:
    spec = harness.mocks.one(DEPLOYMENT, deployment).inputs["spec"]
    return {e["name"]: e for e in spec["template"]["spec"]["containers"][0]["env"]}


NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def test_registers_the_kubefate_objects_as_children_on_the_given_provider(harness):
    build(harness)
    kinds = [r.typ for r in harness.mocks.registered if r.typ.startswith("kubernetes:")]
    assert sorted(kinds) == sorted(
        [NS, SA, ROLE, BINDING, SECRET, PVC, DEPLOYMENT, SERVICE, DEPLOYMENT, SERVICE, INGRESS, *[NETPOL] * 3]
    )
    assert len(harness.mocks.of_type(PASSWORD)) == 3
    for r in harness.mocks.registered:
        if r.typ.startswith("kubernetes:") or r.typ == PASSWORD:
            assert r.parent_type == "kubefate:index:KubeFateService", r.name
            assert r.name.startswith("kubefate-")
        if r.typ.startswith("kubernetes:"):
            assert r.provider and "::workload::" in r.provider, r.name


def test_names_follow_upstream(harness):
    build(harness)
    assert harness.mocks.one(NS).k8s_name == "kube-fate"
    assert harness.mocks.one(SA).k8s_name == "kubefate-admin"
    assert harness.mocks.one(SA).k8s_namespace == "kube-fate"
    assert harness.mocks.one(ROLE).k8s_name == "kubefate-role"
    binding = harness.mocks.one(BINDING).inputs
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "kubefate-role",
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "kubefate-admin", "namespace": "kube-fate"}]
    assert {r.k8s_name for r in harness.mocks.of_type(DEPLOYMENT)} == {"kubefate", "mariadb"}
    assert {r.k8s_name for r in harness.mocks.of_type(SERVICE)} == {"kubefate", "mariadb"}


def test_namespace_holds_pod_security_restricted(harness):
    build(harness)
    labels = harness.mocks.one(NS).inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["name"] == "kube-fate"


def test_cluster_role_is_limited(harness):
    build(harness)
    rules = harness.mocks.one(ROLE).inputs["rules"]
    for rule in rules:
        for key in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[key], rule
        assert not {"escalate", "bind", "impersonate", "deletecollection"} & set(rule["verbs"])
    groups = {g for r in rules for g in r["apiGroups"]}
    assert groups == {"", "apps", "networking.k8s.io", "rbac.authorization.k8s.io", "batch"}
    resources = {res for r in rules for res in r["resources"]}
    assert "podsecuritypolicies" not in resources
    read_only = next(r for r in rules if "nodes" in r["resources"])
    assert read_only["verbs"] == ["get", "list"]
    assert all(r.inputs["roleRef"]["name"] != "cluster-admin" for r in harness.mocks.of_type(BINDING))


def test_istio_rules_only_on_request(harness):
    build(harness, istio=True)
    rules = harness.mocks.one(ROLE).inputs["rules"]
    istio = [r for r in rules if r["apiGroups"] == ["networking.istio.io"]]
    assert istio == [
        {
            "apiGroups": ["networking.istio.io"],
            "resources": ["gateways", "virtualservices"],
            "verbs": ["get", "create", "delete", "update", "patch"],
        }
    ]


def test_database_on_a_retained_claim_of_the_configured_class(harness, monkeypatch):
    requests = capture_register_requests(monkeypatch)
    build(harness, databaseSize="20Gi")
    claim = harness.mocks.one(PVC)
    assert claim.k8s_name == "kubefate-mariadb-data" and claim.k8s_namespace == "kube-fate"
    assert claim.inputs["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": "vsan-default-storage-policy",
        "resources": {"requests": {"storage": "20Gi"}},
    }
    # Deleting the namespace would delete the claim, so both outlive `pulumi destroy`.
    assert requests["kubefate-db-data"].retainOnDelete
    assert requests["kubefate-ns"].retainOnDelete
    db = harness.mocks.one(DEPLOYMENT, "mariadb").inputs["spec"]
    assert db["strategy"] == {"type": "Recreate"}
    pod = db["template"]["spec"]
    assert pod["volumes"] == [{"name": "data", "persistentVolumeClaim": {"claimName": "kubefate-mariadb-data"}}]
    assert pod["containers"][0]["volumeMounts"] == [{"name": "data", "mountPath": "/var/lib/mysql"}]
    assert pod["securityContext"]["fsGroup"] == 999
    assert "emptyDir" not in json.dumps(db)


def test_database_can_be_dropped_on_destroy(harness, monkeypatch):
    requests = capture_register_requests(monkeypatch)
    build(harness, keepDatabaseOnDestroy=False)
    assert not requests["kubefate-db-data"].retainOnDelete
    assert not requests["kubefate-ns"].retainOnDelete


def test_kubefate_deployment_env_and_probes(harness):
    build(harness, image="harbor.local/federatedai/kubefate:v1.4.5", logLevel="debug")
    spec = harness.mocks.one(DEPLOYMENT, "kubefate").inputs["spec"]
    assert spec["strategy"] == {"type": "Recreate"} and spec["replicas"] == 1
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "kubefate-admin"
    container = pod["containers"][0]
    assert container["image"] == "harbor.local/federatedai/kubefate:v1.4.5"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]
    env = env_of(harness, "kubefate")
    assert env["FATECLOUD_DB_TYPE"]["value"] == "mysql" and env["FATECLOUD_DB_HOST"]["value"] == "mariadb"
    assert env["FATECLOUD_DB_NAME"]["value"] == "kube_fate" and env["FATECLOUD_LOG_LEVEL"]["value"] == "debug"
    assert env["FATECLOUD_REPO_URL"]["value"] == "https://federatedai.github.io/KubeFATE"
    for name, key in (
        ("FATECLOUD_DB_USERNAME", "mariadbUsername"),
        ("FATECLOUD_DB_PASSWORD", "mariadbPassword"),
        ("FATECLOUD_USER_USERNAME", "kubefateUsername"),
        ("FATECLOUD_USER_PASSWORD", "kubefatePassword"),
    ):
        assert env[name] == {
            "name": name,
            "valueFrom": {"secretKeyRef": {"name": "kubefate-credentials-x1y2", "key": key}},
        }


def test_mariadb_credentials_by_reference_and_no_empty_root_password(harness):
    build(harness)
    env = env_of(harness, "mariadb")
    assert "MYSQL_ALLOW_EMPTY_PASSWORD" not in env and "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" not in env
    assert env["MARIADB_ROOT_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "mariadbRootPassword"
    assert env["MARIADB_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "mariadbPassword"


def test_generated_passwords_reach_only_the_secret_and_the_secret_output(harness):
    kf = build(harness)
    secret = harness.mocks.one(SECRET)
    assert is_secret_input(secret.inputs["stringData"])
    data = unwrap(secret.inputs["stringData"])
    for key in (m.ADMIN_PASSWORD_KEY, m.DB_PASSWORD_KEY, m.DB_ROOT_PASSWORD_KEY):
        assert data[key] == KNOWN_PASSWORD
    assert data[m.ADMIN_USERNAME_KEY] == "admin"
    for r in harness.mocks.registered:
        if r.typ not in (SECRET, PASSWORD):
            assert KNOWN_PASSWORD not in json.dumps(r.inputs, default=str), f"{r.typ} {r.name} leaks it"
    assert not harness.mocks.of_type(CONFIGMAP)
    assert harness.is_secret(kf.credentials)
    assert harness.value(kf.credentials) == {"username": "admin", "password": KNOWN_PASSWORD}
    for plain in (kf.url, kf.namespace):
        assert not harness.is_secret(plain) and KNOWN_PASSWORD not in str(harness.value(plain))


def test_outputs(harness):
    kf = build(harness)
    assert harness.value(kf.url) == f"http://{HOST}"
    assert harness.value(kf.namespace) == "kube-fate"


def test_ingress_host_class_tls_and_await(harness):
    kf = build(
        harness,
        ingressClassName="contour",
        tlsSecretName="kubefate-tls",
        awaitIngress=False,
        ingressAnnotations={"projectcontour.io/websocket-routes": "/"},
    )
    ingress = harness.mocks.one(INGRESS).inputs
    assert ingress["metadata"]["annotations"] == {
        "projectcontour.io/websocket-routes": "/",
        "pulumi.com/skipAwait": "true",
    }
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "contour"
    assert spec["tls"] == [{"hosts": [HOST], "secretName": "kubefate-tls"}]
    rule = spec["rules"][0]
    assert rule["host"] == HOST
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": "kubefate", "port": {"number": 8080}}}
    assert harness.value(kf.url) == f"https://{HOST}"


def test_ingress_defaults_to_the_clusters_default_class_and_awaits(harness):
    build(harness)
    ingress = harness.mocks.one(INGRESS).inputs
    assert "ingressClassName" not in ingress["spec"] and "tls" not in ingress["spec"]
    assert "pulumi.com/skipAwait" not in (ingress["metadata"].get("annotations") or {})


def test_image_pull_secrets_on_both_pods(harness):
    build(harness, imagePullSecrets=["harbor-pull"])
    for d in harness.mocks.of_type(DEPLOYMENT):
        assert d.inputs["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "harbor-pull"}]


def test_pods_pass_pod_security_restricted(harness):
    build(harness)
    for d in harness.mocks.of_type(DEPLOYMENT):
        ctx = d.inputs["spec"]["template"]["spec"]["containers"][0]["securityContext"]
        assert ctx["runAsNonRoot"] and ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"] == {"drop": ["ALL"]} and ctx["seccompProfile"] == {"type": "RuntimeDefault"}


def test_disabled_config_is_refused_by_the_component(harness):
    cfg = KubeFateServiceConfig.model_validate({"enabled": False})
    with pytest.raises(ValueError, match=r"kubefate\.enabled is false"):
        harness.run(lambda: KubeFateService("kubefate", KubeFateServiceArgs(cfg, provider=cast(k8s.Provider, None))))
    assert harness.mocks.registered == []
