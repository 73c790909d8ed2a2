"""Pure renderers of the KubeFATE service's objects: names, labels, env, containers, ingress.

Credentials only ever appear here as ``secretKeyRef``s into the one credentials Secret: the generated values
never reach an env value, a command line or a label.
"""

from __future__ import annotations

from typing import Any

from components.hardening import with_memory_limit
from components.labels import MANAGED_BY
from components.provider_input import ProviderInput
from models.kubefate_service import NAMESPACE, KubeFateServiceConfig

SERVICE_ACCOUNT = "kubefate-admin"
CLUSTER_ROLE = "kubefate-role"
CLUSTER_ROLE_BINDING = "kubefate"
KUBEFATE = "kubefate"
MARIADB = "mariadb"
DB_CLAIM = "kubefate-mariadb-data"
PORT = 8080
DB_PORT = 3306
DB_NAME = "kube_fate"
DB_USER = "kubefate"
MARIADB_UID = 999  # the mysql user of the official image
KUBEFATE_UID = 65532  # distroless "nonroot"

# Keys of the credentials Secret (upstream's names, so its docs still apply).
ADMIN_USERNAME_KEY = "kubefateUsername"
ADMIN_PASSWORD_KEY = "kubefatePassword"
DB_USERNAME_KEY = "mariadbUsername"
DB_PASSWORD_KEY = "mariadbPassword"
DB_ROOT_PASSWORD_KEY = "mariadbRootPassword"

DEFAULT_RESOURCES = {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
DB_RESOURCES = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}


def labels(component: str) -> dict[str, str]:
    return {
        "fate": component,
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/part-of": "kubefate",
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def selector(component: str) -> dict[str, str]:
    """Upstream's selector label, so its docs' ``kubectl -l fate=kubefate`` keeps working."""
    return {"fate": component}


def namespace_labels() -> dict[str, str]:
    """Pod Security "restricted" on enforce: KubeFATE and its database run as non-root without privileges,
    so the namespace can hold the cluster's strictest line (TKG's privileged defaults are not needed here)."""
    labels = {"name": NAMESPACE, "app.kubernetes.io/managed-by": MANAGED_BY}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        labels[f"pod-security.kubernetes.io/{mode}-version"] = "latest"
    return labels


def _from_secret(name: str, secret_name: Any, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}


def kubefate_env(cfg: KubeFateServiceConfig, secret_name: Any) -> list[dict[str, Any]]:
    """The service's viper settings (prefix FATECLOUD_, facts §7); credentials by reference only."""
    plain = {
        "FATECLOUD_DB_TYPE": "mysql",
        "FATECLOUD_DB_HOST": MARIADB,
        "FATECLOUD_DB_PORT": str(DB_PORT),
        "FATECLOUD_DB_NAME": DB_NAME,
        "FATECLOUD_REPO_NAME": "kubefate",
        "FATECLOUD_REPO_URL": cfg.repo_url,
        "FATECLOUD_SERVER_ADDRESS": "0.0.0.0",
        "FATECLOUD_SERVER_PORT": str(PORT),
        "FATECLOUD_LOG_LEVEL": cfg.log_level,
        "FATECLOUD_LOG_NOCOLOR": "true",
    }
    env = [{"name": k, "value": v} for k, v in plain.items()]
    env += [
        _from_secret("FATECLOUD_DB_USERNAME", secret_name, DB_USERNAME_KEY),
        _from_secret("FATECLOUD_DB_PASSWORD", secret_name, DB_PASSWORD_KEY),
        _from_secret("FATECLOUD_USER_USERNAME", secret_name, ADMIN_USERNAME_KEY),
        _from_secret("FATECLOUD_USER_PASSWORD", secret_name, ADMIN_PASSWORD_KEY),
    ]
    return env


def mariadb_env(secret_name: Any) -> list[dict[str, Any]]:
    """A root password of its own (generated) instead of upstream's empty one; never a random one printed to
    the log by the image's entrypoint."""
    return [
        {"name": "MARIADB_DATABASE", "value": DB_NAME},
        _from_secret("MARIADB_USER", secret_name, DB_USERNAME_KEY),
        _from_secret("MARIADB_PASSWORD", secret_name, DB_PASSWORD_KEY),
        _from_secret("MARIADB_ROOT_PASSWORD", secret_name, DB_ROOT_PASSWORD_KEY),
    ]


def _restricted(uid: int) -> dict[str, Any]:
    """Container settings that pass Pod Security "restricted", so the namespace needs no exemption."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def kubefate_container(cfg: KubeFateServiceConfig, secret_name: Any) -> dict[str, Any]:
    return {
        "name": KUBEFATE,
        "image": cfg.image,
        "ports": [{"name": "http", "containerPort": PORT}],
        "env": kubefate_env(cfg, secret_name),
        "resources": with_memory_limit(cfg.resources or DEFAULT_RESOURCES),
        # Startup waits for the database and the first chart-repo sync; liveness only once started.
        "startupProbe": {"tcpSocket": {"port": PORT}, "periodSeconds": 10, "failureThreshold": 30},
        "livenessProbe": {"tcpSocket": {"port": PORT}, "periodSeconds": 10, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/", "port": PORT}, "periodSeconds": 10},
        "securityContext": _restricted(KUBEFATE_UID),
    }


def mariadb_container(cfg: KubeFateServiceConfig, secret_name: Any) -> dict[str, Any]:
    # TCP, not the socket: during first-start initialisation the image runs a networking-less server, which
    # must not count as ready.
    ping = {"exec": {"command": ["mariadb-admin", "ping", "-h", "127.0.0.1", "--silent"]}}
    return {
        "name": MARIADB,
        "image": cfg.mariadb_image,
        "ports": [{"name": "mysql", "containerPort": DB_PORT}],
        "env": mariadb_env(secret_name),
        "resources": DB_RESOURCES,
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql"}],
        "startupProbe": {**ping, "periodSeconds": 10, "failureThreshold": 30},
        "livenessProbe": {**ping, "periodSeconds": 10, "timeoutSeconds": 5},
        "readinessProbe": {**ping, "periodSeconds": 10, "timeoutSeconds": 5},
        "securityContext": _restricted(MARIADB_UID),
    }


def pod_spec(containers: list[dict[str, Any]], cfg: KubeFateServiceConfig, **extra: Any) -> dict[str, Any]:
    """Only KubeFATE itself gets a service-account token: it creates FATE clusters through the API server."""
    spec: dict[str, Any] = {
        "containers": containers,
        "automountServiceAccountToken": "serviceAccountName" in extra,
        **extra,
    }
    spec["securityContext"] = {"seccompProfile": {"type": "RuntimeDefault"}, **(spec.get("securityContext") or {})}
    if cfg.image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": n} for n in cfg.image_pull_secrets]
    return spec


def db_pod_extra() -> dict[str, Any]:
    """fsGroup makes the fresh volume writable for the non-root database user."""
    return {
        "securityContext": {"fsGroup": MARIADB_UID, "runAsNonRoot": True},
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": DB_CLAIM}}],
    }


def ingress_annotations(cfg: KubeFateServiceConfig) -> dict[str, str]:
    annotations = dict(cfg.ingress_annotations)
    if not cfg.await_ingress:
        # Clusters without an ingress controller never publish an address; don't wait 10 minutes for one.
        annotations["pulumi.com/skipAwait"] = "true"
    return annotations


def ingress_spec(cfg: KubeFateServiceConfig) -> ProviderInput:
    backend = {"service": {"name": KUBEFATE, "port": {"number": PORT}}}
    spec: dict[str, Any] = {
        "rules": [{"host": cfg.host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}]
    }
    if cfg.ingress_class_name:
        spec["ingressClassName"] = cfg.ingress_class_name
    if cfg.tls_secret_name:
        spec["tls"] = [{"hosts": [cfg.host], "secretName": cfg.tls_secret_name}]
    return spec
