"""Pure renderers of the KubeFATE service, without Pulumi: RBAC rules, env, containers, ingress."""

from __future__ import annotations

import json

from components.kubefate_service import manifests as m
from components.kubefate_service.rbac import cluster_role_rules
from models.kubefate_service import KubeFateServiceConfig

CFG = KubeFateServiceConfig.model_validate({"host": "kubefate.party-30000.fate.internal", "storageClass": "sc"})


def test_rules_are_upstreams_without_wildcards_psp_or_istio():
    rules = cluster_role_rules()
    by_group = {}
    for rule in rules:
        for group in rule["apiGroups"]:
            by_group.setdefault(group, set()).update(rule["resources"])
    assert by_group == {
        "": {
            "namespaces",
            "configmaps",
            "services",
            "secrets",
            "persistentvolumeclaims",
            "serviceaccounts",
            "pods",
            "pods/log",
            "nodes",
        },
        "apps": {"deployments", "statefulsets", "deployments/status", "statefulsets/status"},
        "networking.k8s.io": {"ingresses"},
        "rbac.authorization.k8s.io": {"roles", "rolebindings"},
        "batch": {"jobs"},
    }
    assert "*" not in json.dumps(rules)


def test_istio_rule_is_added_only_when_asked():
    assert len(cluster_role_rules(istio=True)) == len(cluster_role_rules()) + 1
    assert cluster_role_rules(istio=True)[-1]["apiGroups"] == ["networking.istio.io"]


def test_rules_are_fresh_lists_each_call():
    first = cluster_role_rules()
    first[0]["verbs"].append("escalate")
    assert "escalate" not in cluster_role_rules()[0]["verbs"]


def test_kubefate_env_reads_credentials_from_the_secret_only():
    env = m.kubefate_env(CFG, "creds")
    plain = {e["name"]: e["value"] for e in env if "value" in e}
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env if "valueFrom" in e}
    assert not any("PASSWORD" in name or "USERNAME" in name for name in plain)
    assert refs == {
        "FATECLOUD_DB_USERNAME": {"name": "creds", "key": "mariadbUsername"},
        "FATECLOUD_DB_PASSWORD": {"name": "creds", "key": "mariadbPassword"},
        "FATECLOUD_USER_USERNAME": {"name": "creds", "key": "kubefateUsername"},
        "FATECLOUD_USER_PASSWORD": {"name": "creds", "key": "kubefatePassword"},
    }
    assert plain["FATECLOUD_DB_HOST"] == m.MARIADB and plain["FATECLOUD_SERVER_PORT"] == "8080"
    assert plain["FATECLOUD_LOG_NOCOLOR"] == "true"


def test_mariadb_probe_uses_tcp_and_no_password_on_the_command_line():
    container = m.mariadb_container(CFG, "creds")
    command = container["readinessProbe"]["exec"]["command"]
    assert command == ["mariadb-admin", "ping", "-h", "127.0.0.1", "--silent"]
    assert not any(arg.startswith("-p") or "password" in arg.lower() for arg in command)
    assert container["image"] == "mariadb:10.11"


def test_kubefate_container_defaults_and_resource_override():
    assert m.kubefate_container(CFG, "s")["resources"] == m.DEFAULT_RESOURCES
    cfg = CFG.model_copy(update={"resources": {"limits": {"cpu": "4"}}})
    assert m.kubefate_container(cfg, "s")["resources"] == {"limits": {"cpu": "4"}}


def test_labels_keep_upstreams_selector():
    assert m.selector("kubefate") == {"fate": "kubefate"}
    assert m.labels("mariadb")["fate"] == "mariadb"
    assert m.labels("kubefate")["app.kubernetes.io/managed-by"] == "pulumi-kubefate-tanzu"


def test_ingress_spec_plain_and_tls():
    assert m.ingress_spec(CFG) == {
        "rules": [
            {
                "host": CFG.host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "kubefate", "port": {"number": 8080}}},
                        }
                    ]
                },
            }
        ]
    }
    tls = CFG.model_copy(update={"tls_secret_name": "t", "ingress_class_name": "nginx"})
    spec = m.ingress_spec(tls)
    assert spec["tls"] == [{"hosts": [CFG.host], "secretName": "t"}] and spec["ingressClassName"] == "nginx"
    assert m.ingress_annotations(CFG) == {}
    assert m.ingress_annotations(CFG.model_copy(update={"await_ingress": False})) == {"pulumi.com/skipAwait": "true"}
