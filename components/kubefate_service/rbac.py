"""What KubeFATE may do in the cluster: upstream's ClusterRole (facts §7), nothing broader.

Upstream once bound ``cluster-admin`` (v1.6.0) and later granted PodSecurityPolicy ``use``; PSPs are gone
since Kubernetes 1.25 (§12.15), and istio objects are only needed where FATE's istio mode is used, so both are
left out unless asked for. Every rule names its resources and verbs: no wildcards.
"""

from __future__ import annotations

_MANAGE = ["get", "list", "create", "delete", "update", "patch"]
_READ = ["get", "list"]


def cluster_role_rules(istio: bool = False) -> list[dict[str, list[str]]]:
    """PolicyRule dicts (camelCase keys, ready for the Kubernetes API)."""
    rules = [
        {
            "apiGroups": [""],
            "resources": [
                "namespaces",
                "configmaps",
                "services",
                "secrets",
                "persistentvolumeclaims",
                "serviceaccounts",
            ],
            "verbs": list(_MANAGE),
        },
        {"apiGroups": [""], "resources": ["pods", "pods/log", "nodes"], "verbs": list(_READ)},
        {
            "apiGroups": ["apps"],
            "resources": ["deployments", "statefulsets", "deployments/status", "statefulsets/status"],
            "verbs": list(_MANAGE),
        },
        {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": list(_MANAGE)},
        {
            "apiGroups": ["rbac.authorization.k8s.io"],
            "resources": ["roles", "rolebindings"],
            "verbs": ["get", "create", "delete", "update", "patch"],
        },
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": list(_MANAGE)},
    ]
    if istio:
        rules.append(
            {
                "apiGroups": ["networking.istio.io"],
                "resources": ["gateways", "virtualservices"],
                "verbs": ["get", "create", "delete", "update", "patch"],
            }
        )
    return rules
