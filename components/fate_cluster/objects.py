"""Pure builders of Kubernetes object bodies (camelCase dicts, exactly as the API server sees them).

Kept free of Pulumi so the shapes (probes, volumes, Services) can be checked in plain tests; the module
builders wrap them in pulumi_kubernetes resources.
"""

from __future__ import annotations

import math
from typing import Any

from components.hardening import harden_container, harden_pod, with_memory_limit
from components.labels import kubefate_labels, selector_labels
from components.provider_input import ProviderInput
from models import modules
from models.fate import FateSpec
from models.quantities import GIB, parse_quantity

FATE_HOME = "/data/projects/fate"
# Init containers only copy files or wait for a port; bounded so a runaway one cannot starve the node.
INIT_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}


def labels(spec: FateSpec, module: str) -> dict[str, str]:
    return kubefate_labels(spec.cluster_name, spec.party_id, module, version=spec.fate_version)


def selector(spec: FateSpec, module: str) -> dict[str, str]:
    return selector_labels(spec.cluster_name, spec.party_id, module)


def metadata(spec: FateSpec, name: str, module: str, annotations: dict[str, str] | None = None) -> ProviderInput:
    meta: dict[str, Any] = {"name": name, "namespace": spec.namespace, "labels": labels(spec, module)}
    if annotations:
        meta["annotations"] = annotations
    return meta


def probes(kind: str, port: int, path: str = "/", liveness_delay: int = 1) -> dict[str, Any]:
    """Startup 12 x 10 s, then liveness/readiness every 10 s (the chart's timings)."""
    if kind == "tcp":
        handler: dict[str, Any] = {"tcpSocket": {"port": port}}
    elif kind == "http":
        handler = {"httpGet": {"path": path, "port": port}}
    else:
        handler = {"exec": {"command": ["sh", "-c", path]}}
    common = {"periodSeconds": 10, "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 3}
    return {
        "startupProbe": {**handler, "periodSeconds": 10, "failureThreshold": 12},
        "livenessProbe": {**handler, **common, "initialDelaySeconds": liveness_delay},
        "readinessProbe": {**handler, **common, "initialDelaySeconds": 1},
    }


def bounded_resources(spec: FateSpec, path: str | None) -> dict[str, Any]:
    """The module's requests/limits, a memory limit always included (components/hardening.py)."""
    return with_memory_limit(INIT_RESOURCES if path is None else spec.effective_resources(path))


def container(
    spec: FateSpec,
    name: str,
    image: str,
    resources_path: str | None,
    ports: dict[str, int],
    profile: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """``profile`` names the image's capability exceptions (components/hardening.py); by default the main
    container of a module part (``resources_path``) takes its definition's, helpers ``fate-root``."""
    if profile is None:
        profile = modules.part(resources_path).profile if resources_path is not None else "fate-root"
    body: dict[str, Any] = {"name": name, "image": image}
    if spec.pull_policy:
        body["imagePullPolicy"] = spec.pull_policy
    body["resources"] = bounded_resources(spec, resources_path)
    if ports:
        body["ports"] = [{"name": n, "containerPort": p} for n, p in ports.items()]
    body.update({k: v for k, v in extra.items() if v is not None})
    return harden_container(body, profile)


def ports(path: str) -> dict[str, int]:
    """The container ports of a part's main container, from its definition (models/modules/)."""
    return dict(modules.part(path).ports)


def replicas(spec: FateSpec, path: str) -> int:
    """The block's ``replicas``, else the default of the part's definition."""
    return getattr(spec.block(path), "replicas", None) or modules.part(path).replicas


def secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def pod_spec(
    spec: FateSpec,
    path: str,
    containers: list[dict[str, Any]],
    volumes: list[dict[str, Any]],
    init_containers: list[dict[str, Any]] | None = None,
    service_account: str | None = None,
) -> dict[str, Any]:
    """Placement keys come from the module block at ``path``; pull secrets from the top level."""
    block = spec.block(path)
    body: dict[str, Any] = {"containers": containers}
    if init_containers:
        body["initContainers"] = init_containers
    if volumes:
        body["volumes"] = volumes
    for key, attr in (
        ("nodeSelector", "node_selector"),
        ("tolerations", "tolerations"),
        ("affinity", "affinity"),
    ):
        value = getattr(block, attr, None)
        if value:
            body[key] = value
    if spec.image_pull_secrets:
        body["imagePullSecrets"] = [{"name": s.name} for s in spec.image_pull_secrets]
    if service_account:
        body["serviceAccountName"] = service_account
    # A token only for a service account the operator named for the module (e.g. Spark on Kubernetes).
    return harden_pod(body, calls_api=bool(service_account))


def data_volume(spec: FateSpec, path: str, volume_name: str, module: str) -> tuple[list[dict], list[dict]]:
    """(pod volumes, volumeClaimTemplates) for a module's data volume: emptyDir when persistence is off, the
    existing claim when one is named, otherwise a claim template on the configured storage class."""
    if not spec.persistence:
        return [{"name": volume_name, "emptyDir": {}}], []
    vol = spec.volume(path)
    if vol.existing_claim:
        return [{"name": volume_name, "persistentVolumeClaim": {"claimName": vol.existing_claim}}], []
    template = {
        "metadata": {"name": volume_name, "labels": labels(spec, module)},
        "spec": {
            "accessModes": [vol.access_mode],
            "storageClassName": vol.storage_class,
            "resources": {"requests": {"storage": vol.size}},
        },
    }
    return [], [template]


def sub_path(spec: FateSpec, path: str, leaf: str | None = None) -> dict[str, str]:
    """``subPath`` of a data mount: the module's ``subPath`` (a prefix on the volume), then ``leaf``."""
    parts = [p.strip("/") for p in (spec.volume(path).sub_path, leaf) if p]
    return {"subPath": "/".join(parts)} if parts else {}


def service(
    spec: FateSpec,
    name: str,
    module: str,
    ports: list[tuple[str, int, int | None]],
    svc_type: str | None = None,
    headless: bool = False,
    load_balancer_ip: str | None = None,
    selector_module: str | None = None,
    source_ranges: list[str] | None = None,
) -> dict[str, Any]:
    """Service body; ``ports`` are (name, port, nodePort or None). Node ports only where the type opens
    them; ``source_ranges`` (loadBalancerSourceRanges) only on a LoadBalancer."""
    svc_type = svc_type or "ClusterIP"
    opens_node_ports = svc_type in ("NodePort", "LoadBalancer")
    body: dict[str, Any] = {
        "type": svc_type,
        "selector": selector(spec, selector_module or module),
        "ports": [],
    }
    for port_name, port, node_port in ports:
        item: dict[str, Any] = {"name": port_name, "port": port, "targetPort": port, "protocol": "TCP"}
        if node_port and opens_node_ports:
            item["nodePort"] = node_port
        body["ports"].append(item)
    if headless:
        body["clusterIP"] = "None"
    if load_balancer_ip and svc_type == "LoadBalancer":
        body["loadBalancerIP"] = load_balancer_ip
    if source_ranges and svc_type == "LoadBalancer":
        body["loadBalancerSourceRanges"] = list(source_ranges)
    return body


def exposed_service(
    spec: FateSpec, name: str, module: str, path: str, ports: list[tuple[str, int, int | None]]
) -> dict[str, Any]:
    """A Service of the type, address and source ranges the module block at ``path`` asks for."""
    block = spec.block(path)
    return service(
        spec,
        name,
        module,
        ports,
        getattr(block, "type", None),
        load_balancer_ip=getattr(block, "load_balancer_ip", None),
        source_ranges=getattr(block, "load_balancer_source_ranges", None),
    )


def jvm_memory_flags(spec: FateSpec, path: str) -> str:
    """Heap half, direct memory a quarter of the pod's memory, so the JVM fits what the pod requests
    (upstream hard-codes 4g heap and 8-15g direct memory regardless of the request)."""
    res = spec.effective_resources(path)
    memory = res.get("limits", {}).get("memory") or res["requests"].get("memory") or "8Gi"
    mib = parse_quantity(memory) / (GIB / 1024)
    heap, direct = max(256, math.floor(mib / 2)), max(128, math.floor(mib / 4))
    return f"-Xms{heap}m -Xmx{heap}m -XX:MaxDirectMemorySize={direct}m"
