"""nginx (control messages) and pulsar (data) of the Spark backends, wired to the exchange when one is known.

The route tables depend on apply-time values (the exchange endpoint, TLS material), so their ConfigMaps and
the checksums on the pod templates are Outputs computed from the rendered text.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.fate_cluster import objects as o
from components.fate_cluster.context import BuildContext
from components.fate_cluster.modules_core import FATEFLOW_CLIENT
from components.fate_cluster.render_nginx import render_nginx_conf
from components.fate_cluster.render_pulsar import CERT_DIR, render_standalone_conf
from components.fate_cluster.render_routes import SelfAddresses, render_nginx_route_table
from components.images import image_ref

PULSAR_CERT_SECRET = "pulsar-cert"
# The only Service of the party's Pulsar reachable from outside its cluster.
PULSAR_PUBLIC = "pulsar-public-tls"
PULSAR_PORTS = o.ports("pulsar")
NGINX_CONF_DIR = "/data/projects/fate/proxy/nginx/conf"


def build_nginx(ctx: BuildContext) -> None:
    """route_table.yaml is read every 5 s from the directory mount (no subPath, §12.1); its text is still
    in the checksum because FATE's Lua cache never forgets a removed party until nginx restarts (§12.17).

    The own party's entries are the cluster IPs of Services ``nginx`` and ``fateflow-client`` (FATE's balancer
    takes addresses only; ``fateflow`` is headless, so it has none). A cluster IP lasts as long as its Service;
    a replaced Service brings a new one, which changes the table's text and so the checksum: the pods roll.
    Until the API server has allocated both (a preview of a new party) the table is unknown, like any output.
    """
    spec, exchange, extra_routes = ctx.spec, ctx.wiring.exchange, ctx.wiring.route_parties
    ng = spec.nginx
    ports = [("http", 9300, ng.http_node_port if ng else None), ("grpc", 9310, ng.grpc_node_port if ng else None)]
    own_nginx = ctx.service("nginx", "nginx", o.exposed_service(spec, "nginx", "nginx", "nginx", ports))
    own = pulumi.Output.all(cluster_ip(own_nginx), cluster_ip(ctx.services[FATEFLOW_CLIENT])).apply(
        lambda ips: SelfAddresses(nginx=ips[0], fateflow=ips[1])
    )
    routes = pulumi.Output.all(exchange, own, extra_routes).apply(
        lambda a: render_nginx_route_table(spec, a[0], a[1], a[2])
    )
    conf = render_nginx_conf()
    ctx.config_map("nginx-config", "nginx", routes.apply(lambda r: {"route_table.yaml": r, "nginx.conf": conf}))
    command = [
        "/bin/bash",
        "-c",
        'sed -i "s#conf/route_table.yaml#conf/modifiable/route_table.yaml#g" '
        "nginx/lua/route_table.lua && exec openresty -g 'daemon off;'",
    ]
    mounts = [
        {"name": "nginx-confs", "mountPath": f"{NGINX_CONF_DIR}/nginx.conf", "subPath": "nginx.conf"},
        {"name": "nginx-confs", "mountPath": f"{NGINX_CONF_DIR}/modifiable/"},
    ]
    main = o.container(
        spec,
        "nginx",
        image_ref(spec, "nginx"),
        "nginx",
        o.ports("nginx"),
        command=command,
        volumeMounts=mounts,
        **o.probes("http", 9302, "/test"),
    )
    pod = o.pod_spec(spec, "nginx", [main], [{"name": "nginx-confs", "configMap": {"name": "nginx-config"}}])
    files = routes.apply(lambda r: {"nginx-config/route_table.yaml": r, "nginx-config/nginx.conf": conf})
    ctx.workload("Deployment", "nginx", "nginx", pod, files)


def cluster_ip(service: k8s.core.v1.Service) -> pulumi.Output[str | None]:
    """``spec.clusterIP`` as the API server allocated it (``SelfAddresses`` refuses a missing one)."""
    return service.spec.apply(lambda s: s.cluster_ip)


def _pulsar_env(spec: Any) -> list[dict[str, Any]]:
    env = [{"name": e.name, "value": e.value or ""} for e in ((spec.pulsar.env if spec.pulsar else None) or ())]
    if not any(e["name"] == "PULSAR_MEM" for e in env):
        env.append({"name": "PULSAR_MEM", "value": o.jvm_memory_flags(spec, "pulsar")})
    return env


def pulsar_pod(spec: Any, tls: bool) -> dict[str, Any]:
    """With TLS the broker's TLS listener must be up before the pod is ready (the exchange tunnels to it)."""
    volumes, _ = o.data_volume(spec, "pulsar", "pulsar-data", "pulsar")
    volumes.append({"name": "pulsar-confs", "configMap": {"name": "pulsar-config"}})
    mounts: list[dict[str, Any]] = [
        {"name": "pulsar-confs", "mountPath": "/pulsar/conf/standalone.conf", "subPath": "standalone.conf"},
        {"name": "pulsar-data", "mountPath": "/pulsar/data", **o.sub_path(spec, "pulsar")},
    ]
    ports = PULSAR_PORTS
    checks = o.probes("tcp", 8080, liveness_delay=30)
    if tls:
        volumes.append({"name": "pulsar-cert", "secret": {"secretName": PULSAR_CERT_SECRET}})
        mounts.append({"name": "pulsar-cert", "mountPath": f"{CERT_DIR}/", "readOnly": True})
        checks["readinessProbe"] = {**checks["readinessProbe"], "tcpSocket": {"port": 6651}}
    main = o.container(
        spec,
        "pulsar",
        image_ref(spec, "pulsar"),
        "pulsar",
        ports,
        env=_pulsar_env(spec),
        command=["/bin/bash", "-c", "exec bin/pulsar standalone -nss"],
        volumeMounts=mounts,
        **checks,
    )
    return o.pod_spec(spec, "pulsar", [main], volumes)


def build_pulsar(ctx: BuildContext) -> None:
    """``tls`` is secret; only a boolean and a hash of the public parts leave it (unsecreted), so the
    StatefulSet's diff stays readable while the key only reaches the ``pulsar-cert`` Secret. ``None`` means
    the party has no exchange at all, so no bundle can ever arrive."""
    spec, tls = ctx.spec, ctx.wiring.pulsar_tls
    if tls is None:
        tls = pulumi.Output.from_input(None)
    else:
        _cert_secret(ctx, tls)
    tls_on = pulumi.Output.unsecret(tls.apply(bool))
    # A cert rotation must restart the broker: the public parts of the bundle enter the checksum.
    cert_hash = pulumi.Output.unsecret(
        tls.apply(lambda t: hashlib.sha256((t["certPem"] + t["caPem"]).encode()).hexdigest() if t else "")
    )
    conf = tls_on.apply(lambda on: render_standalone_conf(spec, on))
    ctx.config_map("pulsar-config", "pulsar", conf.apply(lambda c: {"standalone.conf": c}))
    files = pulumi.Output.all(conf, cert_hash).apply(
        lambda a: {
            "pulsar-config/standalone.conf": a[0],
            **({"pulsar-cert/public-sha256": a[1]} if a[1] else {}),
        }
    )
    _, claims = o.data_volume(spec, "pulsar", "pulsar-data", "pulsar")
    ctx.workload(
        "StatefulSet",
        "pulsar",
        "pulsar",
        tls_on.apply(lambda on: pulsar_pod(spec, on)),
        files,
        service_name="pulsar",
        claim_templates=claims,
    )
    ps = spec.pulsar
    # In the cluster every listener; outside only the TLS port the exchange tunnels to: the plain port and
    # the admin API (8080/8081, no authentication in FATE's standalone broker) never leave the cluster.
    internal: list[tuple[str, int, int | None]] = [(n, p, None) for n, p in PULSAR_PORTS.items()]
    ctx.service("pulsar", "pulsar", o.service(spec, "pulsar", "pulsar", internal))
    if exposes_pulsar(spec):
        public = o.exposed_service(
            spec, PULSAR_PUBLIC, "pulsar", "pulsar", [("tcp-pulsar-tls", 6651, ps.https_node_port if ps else None)]
        )
        if ps is not None and ps.type not in ("LoadBalancer", "NodePort"):  # publicLB on a ClusterIP broker
            public["type"] = "LoadBalancer"
        ctx.service(PULSAR_PUBLIC, "pulsar", public)


def exposes_pulsar(spec: Any) -> bool:
    """``type: LoadBalancer``/``NodePort`` or the older ``publicLB.enabled`` both mean the one public Service."""
    ps = spec.pulsar
    if ps is None:
        return False
    return ps.type in ("LoadBalancer", "NodePort") or (ps.public_lb is not None and bool(ps.public_lb.enabled))


def _cert_secret(ctx: BuildContext, tls: pulumi.Output[Any]) -> k8s.core.v1.Secret:
    """Registered whenever the party has an exchange, decided from configuration and not inside an ``apply``,
    so a preview lists it even while the exchange's bundle is unknown. It stays empty until the exchange has
    issued this party's bundle; the broker mounts it only once TLS is on."""
    data = pulumi.Output.secret(
        tls.apply(
            lambda t: (
                {
                    "broker.cert.pem": t["certPem"],
                    "broker.key-pk8.pem": t["keyPkcs8Pem"],
                    "ca.cert.pem": t["caPem"],
                }
                if t
                else {}
            )
        )
    )
    return k8s.core.v1.Secret(
        ctx.rname("secret", PULSAR_CERT_SECRET),
        metadata=o.metadata(ctx.spec, PULSAR_CERT_SECRET, "pulsar"),
        type="Opaque",
        string_data=data,
        opts=ctx.opts(),
    )
