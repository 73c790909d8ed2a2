"""Pod and Service specs of the exchange as plain dicts (Kubernetes field names), built without Pulumi.

ConfigMap names arrive as values (possibly Pulumi Outputs, passed through untouched): autonamed ConfigMaps
get a new name when their data changes, so the pod template changes and the Deployment rolls out with no
window where a mounted ConfigMap is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.exchange import ats_config as ats
from components.exchange.naming import ATS_CERT_SECRET, image_ref
from components.hardening import harden_container, harden_pod, with_memory_limit
from components.provider_input import ProviderInput
from models.exchange import NginxConfig, TrafficServerConfig

NGINX_HOME = "/data/projects/fate/proxy"
NGINX_CONF_FILE = f"{NGINX_HOME}/nginx/conf/nginx.conf"
NGINX_ROUTE_DIR = f"{NGINX_HOME}/nginx/conf/modifiable"
NGINX_CONF_KEY = "nginx.conf"
NGINX_CONTAINER_HTTP = 9300
NGINX_CONTAINER_GRPC = 9310
# The image's Lua reads conf/route_table.yaml; point it at the directory-mounted ConfigMap (refreshed in
# place, unlike a subPath mount) and let openresty be PID 1 so it receives SIGTERM.
NGINX_START = (
    'sed -i "s#conf/route_table.yaml#conf/modifiable/route_table.yaml#g" nginx/lua/route_table.lua'
    " && exec openresty -g 'daemon off;'"
)


# Without configured resources the proxies still get a memory ceiling: both hold only connection state.
DEFAULT_RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}


def bounded(resources: Mapping[Any, Any] | None) -> dict[str, Any]:
    return with_memory_limit(resources or DEFAULT_RESOURCES, DEFAULT_RESOURCES["limits"]["memory"])


def _with_pull_secrets(spec: dict[str, Any], names: list[str]) -> dict[str, Any]:
    if names:
        spec["imagePullSecrets"] = [{"name": n} for n in names]
    return spec


def ats_pod_spec(cfg: TrafficServerConfig, config_map: Any, sni_map: Any, pull_secrets: list[str]) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "traffic-server",
        "image": image_ref(cfg.image, cfg.image_tag),
        "command": ["/opt/trafficserver/bin/traffic_manager"],
        "ports": [
            {"name": "tls", "containerPort": ats.CONTAINER_TLS_PORT, "protocol": "TCP"},
            {"name": "http", "containerPort": ats.CONTAINER_HTTP_PORT, "protocol": "TCP"},
        ],
        "readinessProbe": {"tcpSocket": {"port": ats.CONTAINER_TLS_PORT}, "periodSeconds": 10},
        "livenessProbe": {
            "tcpSocket": {"port": ats.CONTAINER_TLS_PORT},
            "initialDelaySeconds": 30,
            "periodSeconds": 20,
        },
        "volumeMounts": [
            # Single files in a directory the image populates: subPath is unavoidable here, and the checksum
            # rollout is what makes changes reach the pods (facts §12, subPath never refreshed).
            {"name": "config", "mountPath": "/etc/trafficserver/records.config", "subPath": "records.config"},
            {
                "name": "config",
                "mountPath": "/etc/trafficserver/ssl_multicert.config",
                "subPath": "ssl_multicert.config",
            },
            {"name": "sni", "mountPath": ats.SNI_DIR},
            {"name": "cert", "mountPath": ats.CERT_DIR, "readOnly": True},
        ],
    }
    container["resources"] = bounded(cfg.resources)
    return _with_pull_secrets(
        harden_pod(
            {
                # The kubelet gives the Secret's files to this group: traffic_server reads them after dropping
                # root.
                "securityContext": {"fsGroup": ats.SERVER_GID},
                "containers": [harden_container(container, "traffic-server")],
                "volumes": [
                    {"name": "config", "configMap": {"name": config_map}},
                    {"name": "sni", "configMap": {"name": sni_map}},
                    {"name": "cert", "secret": {"secretName": ATS_CERT_SECRET, "defaultMode": 0o440}},
                ],
            }
        ),
        pull_secrets,
    )


def nginx_pod_spec(cfg: NginxConfig, route_map: Any, conf_map: Any, pull_secrets: list[str]) -> dict[str, Any]:
    """``conf_map`` holds the exchange's own ``nginx.conf`` (the image's logs to files inside the container and
    is not reviewable here), mounted over the image's by subPath: a subPath file is never refreshed, so a change
    reaches the pods through the checksum rollout. The route table stays a directory mount, which the kubelet
    refreshes in place and FATE's Lua re-reads every 5 s."""
    container: dict[str, Any] = {
        "name": "nginx",
        "image": image_ref(cfg.image, cfg.image_tag),
        "command": ["/bin/bash", "-c", NGINX_START],
        "ports": [
            {"name": "http", "containerPort": NGINX_CONTAINER_HTTP, "protocol": "TCP"},
            {"name": "grpc", "containerPort": NGINX_CONTAINER_GRPC, "protocol": "TCP"},
        ],
        "readinessProbe": {"tcpSocket": {"port": NGINX_CONTAINER_HTTP}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": NGINX_CONTAINER_HTTP}, "initialDelaySeconds": 30, "periodSeconds": 20},
        "volumeMounts": [
            {"name": "conf", "mountPath": NGINX_CONF_FILE, "subPath": NGINX_CONF_KEY},
            {"name": "routes", "mountPath": NGINX_ROUTE_DIR},
        ],
    }
    container["resources"] = bounded(cfg.resources)
    return _with_pull_secrets(
        harden_pod(
            {
                "containers": [harden_container(container, "openresty")],
                "volumes": [
                    {"name": "conf", "configMap": {"name": conf_map}},
                    {"name": "routes", "configMap": {"name": route_map}},
                ],
            }
        ),
        pull_secrets,
    )


def service_spec(
    service_type: str,
    selector: dict[str, str],
    ports: list[dict[str, Any]],
    load_balancer_ip: str | None,
    source_ranges: list[str] | None = None,
) -> ProviderInput:
    """Node ports only where the type has them (upstream always set one, breaking ClusterIP, facts §12.10)."""
    rendered = []
    for port in ports:
        entry = {k: v for k, v in port.items() if k != "nodePort"}
        if service_type in ("NodePort", "LoadBalancer") and port.get("nodePort"):
            entry["nodePort"] = port["nodePort"]
        rendered.append(entry)
    spec: dict[str, Any] = {"type": service_type, "selector": selector, "ports": rendered}
    if load_balancer_ip and service_type == "LoadBalancer":
        spec["loadBalancerIP"] = load_balancer_ip
    if source_ranges and service_type == "LoadBalancer":
        spec["loadBalancerSourceRanges"] = list(source_ranges)
    return spec


def ats_ports(cfg: TrafficServerConfig) -> list[dict[str, Any]]:
    return [{"name": "tls", "port": cfg.port, "targetPort": "tls", "protocol": "TCP", "nodePort": cfg.node_port}]


def nginx_ports(cfg: NginxConfig) -> list[dict[str, Any]]:
    return [
        {
            "name": "http",
            "port": cfg.http_port,
            "targetPort": "http",
            "protocol": "TCP",
            "nodePort": cfg.http_node_port,
        },
        {
            "name": "grpc",
            "port": cfg.grpc_port,
            "targetPort": "grpc",
            "protocol": "TCP",
            "nodePort": cfg.grpc_node_port,
        },
    ]


def rolling_update() -> dict[str, Any]:
    """Surge before removing: the exchange is every party's only path to the others."""
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
