"""Pod security for KubeFATE and FATE by TKR version: PSP bindings up to 1.24, PSA labels from 1.25.

FATE's pods run as root (mysql, spark, the python image) and several need capabilities, so the restricted
defaults of TKG reject them. The namespaces themselves belong to the components that create them
(KubeFateService, FateCluster, Exchange); this module only says which labels those namespaces must carry, so
one Namespace never has two owners.
"""

from __future__ import annotations

from typing import Any

from models.cluster import TkrVersion

PSP_CLUSTER_ROLE = "psp:vmware-system-privileged"
PSA_PREFIX = "pod-security.kubernetes.io"


def uses_psp(tkr_version: str | None) -> bool:
    tkr = TkrVersion.parse(tkr_version) if tkr_version else None
    return tkr is not None and (tkr.major, tkr.minor) <= (1, 24)


def psa_labels(level: str = "privileged") -> dict[str, str]:
    """``level`` on enforce, and on warn/audit too, so TKG's restricted warn default doesn't flood logs.
    The namespaces of FATE and the exchange ask for ``baseline`` themselves: their pods meet it."""
    labels = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"{PSA_PREFIX}/{mode}"] = level
        labels[f"{PSA_PREFIX}/{mode}-version"] = "latest"
    return labels


def pod_security_labels(tkr_version: str | None) -> dict[str, str]:
    """Labels for the namespaces KubeFATE and FATE use; empty where PodSecurityPolicy still rules (≤ 1.24).

    An unknown version (an adopted cluster) gets the PSA labels: harmless on clusters without PSA enforcement,
    required on those with it.
    """
    return {} if uses_psp(tkr_version) else psa_labels()


def psp_binding(binding_name: str, namespaces: list[str]) -> dict[str, Any]:
    """ClusterRoleBinding letting every service account of the given namespaces use the privileged PSP."""
    return {
        "metadata": {"name": binding_name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": PSP_CLUSTER_ROLE},
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"system:serviceaccounts:{ns}"}
            for ns in sorted(set(namespaces))
        ],
    }
