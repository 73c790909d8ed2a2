"""Validation rules of FateSpec: each function returns house-format problems, empty when the rule holds.

KubeFATE's CLI only warned (facts §1.2, §12.14) and its module/backend rules predate OSX; here the same rules
are errors and know that v2.0.0 federates eggroll through ``osx`` (``rollsite`` is gone).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from models import modules as module_registry
from models.engines import BACKEND_ENGINES, Backend, Computing, Federation, Storage, backend_of_computing
from models.errors import Problem, problem
from models.quantities import parse_quantity

if TYPE_CHECKING:
    from models.fate import FateSpec

MODULES = module_registry.NAMES
# The notebook (client) may be left out: a site whose data scientists use FATE's CLI needs no Jupyter.
COMMON_MODULES = module_registry.COMMON
NODE_PORT_RANGE = (30000, 32767)

_REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*/$")

RABBITMQ_WHY = "RabbitMQ federation is not supported: parties federate through Pulsar and the exchange"
RABBITMQ_FIX = "remove it and use federation: Pulsar (backend: spark-pulsar)"
GENERATED_WHY = (
    "passwords are generated with pulumi-random and delivered through Kubernetes Secrets; "
    "one in the stack configuration would be stored in plain text"
)

EXPOSED_PATHS = tuple(p.path for p in module_registry.PARTS if p.exposed)
# node-port key path -> the path whose ``type`` decides whether it is opened
NODE_PORT_KEYS = tuple((f"{p.path}.{key}", p.path) for p in module_registry.PARTS for key in p.node_ports)


def _one_of(values: list[str]) -> str:
    """``a, b or c``."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _field(node: Any, key: str) -> Any:
    """A model's value by its cluster-YAML key (the field alias) or by its Python name."""
    for name, info in type(node).model_fields.items():
        if key in (info.alias, name):
            return getattr(node, name)
    return None


def _get(spec: FateSpec, path: str) -> Any:
    """Value at a cluster-YAML path (keys as users write them) or None."""
    node: Any = spec
    for key in path.split("."):
        if node is None:
            return None
        node = _field(node, key)
    return node


def identity(spec: FateSpec, px: str) -> list[Problem]:
    out = []
    if spec.party_id < 1:
        out.append(
            problem(
                f"{px}.partyId",
                spec.party_id,
                "party ids are positive integers",
                "use the party's id, e.g. 30000",
            )
        )
    if spec.chart_name is not None and spec.chart_name != "fate":
        out.append(
            problem(
                f"{px}.chartName",
                spec.chart_name,
                "this program deploys chart 'fate' only",
                "set chartName: fate or leave it out",
            )
        )
    if spec.chart_version is not None and spec.chart_version != "v2.0.0":
        out.append(
            problem(
                f"{px}.chartVersion",
                spec.chart_version,
                "this program implements chart fate v2.0.0",
                "set chartVersion: v2.0.0 or leave it out; pick images with fateVersion",
            )
        )
    if (spec.serving_ip is None) != (spec.serving_port is None):
        given, missing = ("servingIp", "servingPort") if spec.serving_port is None else ("servingPort", "servingIp")
        out.append(
            problem(
                f"{px}.{missing}",
                None,
                f"{given} is set, but FATE-Serving needs both address and port",
                f"set {missing} too, or remove {given}",
            )
        )
    return out


def refused_keys(spec: FateSpec, px: str) -> list[Problem]:
    """Keys of the upstream format this program does not honour, refused by name with the reason."""
    found: list[tuple[str, Any, str, str]] = []
    if spec.istio is not None and spec.istio.enabled:
        found.append(
            (
                "istio.enabled",
                True,
                "Istio gateways are not implemented; fateboard and notebook are exposed through Ingresses",
                "set istio.enabled: false and use ingress/ingressClassName",
            )
        )
    if spec.pod_security_policy is not None and spec.pod_security_policy.enabled:
        found.append(
            (
                "podSecurityPolicy.enabled",
                True,
                "the PodSecurityPolicy API was removed in Kubernetes "
                "1.25; the namespace is labelled for Pod Security Admission instead",
                "set podSecurityPolicy.enabled: false or remove it",
            )
        )
    if spec.rabbitmq is not None:
        found.append(("rabbitmq", spec.rabbitmq, RABBITMQ_WHY, RABBITMQ_FIX))
    if spec.lbrollsite is not None:
        found.append(
            (
                "lbrollsite",
                spec.lbrollsite,
                "the FATE 1.x rollsite load balancer has no role in FATE 2.0.0, where eggroll federates through osx",
                "remove it",
            )
        )
    if spec.rollsite is not None:
        found.append(
            (
                "rollsite",
                spec.rollsite,
                "rollsite was replaced by osx in FATE v2.0.0",
                "rename the block to osx",
            )
        )
    if spec.image_tag is not None:
        found.append(
            (
                "imageTag",
                spec.image_tag,
                "top-level imageTag left the cluster YAML in chart v1.9.0",
                "use fateVersion (tags <version>-release) or a module's imageTag",
            )
        )
    for key in (
        "externalMysqlIp",
        "externalMysqlPort",
        "externalMysqlDatabase",
        "externalMysqlUser",
        "externalMysqlPassword",
    ):
        if _get(spec, key) is not None:
            found.append(
                (
                    key,
                    _get(spec, key),
                    "an external MySQL is not supported; the party's mysql module "
                    "is deployed with a generated password",
                    "remove it",
                )
            )
    for path in ("mysql.password", "fateboard.password", "serving.zookeeper.password"):
        if _get(spec, path) is not None:
            found.append(
                (
                    path,
                    "<redacted>",
                    GENERATED_WHY,
                    "remove it; the generated password is in the party namespace's credentials Secret",
                )
            )
    if _get(spec, "serving.zookeeper.use_acl"):
        found.append(
            (
                "serving.zookeeper.use_acl",
                True,
                "ACL-protected ZooKeeper needs a password, which is not accepted in stack configuration",
                "set use_acl: false",
            )
        )
    python_ignored = {
        "hive": "Hive storage is not used by FATE 2.0.0",
        "failedTaskAutoRetryTimes": "ignored by FATE 2.0.0's fateflow (upstream passes it, §12.12)",
        "failedTaskAutoRetryDelay": "ignored by FATE 2.0.0's fateflow (upstream passes it, §12.12)",
        "dependent_distribution": "ignored by FATE 2.0.0's fateflow (upstream passes it, §12.12)",
    }
    for key, why in python_ignored.items():
        if _get(spec, f"python.{key}") is not None:
            found.append((f"python.{key}", _get(spec, f"python.{key}"), why, "remove it"))
    if _get(spec, "python.rabbitmq") is not None:
        found.append(("python.rabbitmq", "<redacted>", RABBITMQ_WHY, RABBITMQ_FIX))
    if _get(spec, "python.spark.driverHostType") is not None:
        found.append(
            (
                "python.spark.driverHostType",
                _get(spec, "python.spark.driverHostType"),
                "a Spark driver Service for an external Spark cluster is not supported",
                "remove it; the driver runs in the fateflow pod",
            )
        )
    for path in ("nginx.exchange", "pulsar.exchange"):
        if _get(spec, path) is not None:
            found.append(
                (
                    path,
                    _get(spec, path),
                    "the exchange endpoint is wired from the exchange stack, not from static addresses",
                    "remove it and set the party stack's exchange.stack",
                )
            )
    if _get(spec, "pulsar.httpNodePort") is not None:
        found.append(
            (
                "pulsar.httpNodePort",
                _get(spec, "pulsar.httpNodePort"),
                "the plain Pulsar port (6650) stays inside the cluster: federation only uses the TLS port",
                "remove it; pulsar.httpsNodePort opens the TLS port",
            )
        )
    if _get(spec, "osx.enableTLS"):
        found.append(
            (
                "osx.enableTLS",
                True,
                "osx TLS needs the eggroll-certs Secret, which this program does not create yet",
                "set osx.enableTLS: false or remove it",
            )
        )
    polling = _get(spec, "osx.polling")
    if polling is not None and not (isinstance(polling, dict) and not polling.get("enabled")):
        found.append(
            (
                "osx.polling",
                polling,
                "osx polling is ignored by FATE v2.0.0 (facts §12.3)",
                "remove it; parties reach each other through osx.exchange or osx.partyList",
            )
        )
    if spec.ingress is not None and spec.ingress.rabbitmq is not None:
        found.append(("ingress.rabbitmq", spec.ingress.rabbitmq, RABBITMQ_WHY, RABBITMQ_FIX))
    return [problem(f"{px}.{path}", value, why, fix) for path, value, why, fix in found]


def modules_and_backend(spec: FateSpec, px: str) -> list[Problem]:
    """KubeFATE's validator rules (facts §2.2), as errors, updated for OSX."""
    out: list[Problem] = []
    modules = spec.modules
    if modules is None:
        return [
            problem(
                f"{px}.modules",
                None,
                "no modules to deploy",
                f"set backend ({_one_of([str(b) for b in Backend])}) "
                "or list modules with computing, federation and storage",
            )
        ]
    refused_modules = {
        "rollsite": ("replaced by osx in FATE v2.0.0", "use osx"),
        "rabbitmq": (RABBITMQ_WHY, "remove it and use pulsar"),
        "lbrollsite": ("the FATE 1.x rollsite load balancer has no role in FATE 2.0.0", "remove it"),
    }
    for m in modules:
        if m in refused_modules:
            why, fix = refused_modules[m]
            out.append(problem(f"{px}.modules", m, why, fix))
        elif m not in MODULES:
            out.append(problem(f"{px}.modules", m, "unknown module", f"use modules from {', '.join(MODULES)}"))
    dupes = sorted({m for m in modules if modules.count(m) > 1})
    if dupes:
        out.append(problem(f"{px}.modules", dupes, "modules listed more than once", "list each module once"))
    for m in COMMON_MODULES:
        if m not in modules:
            out.append(
                problem(
                    f"{px}.modules",
                    modules,
                    f"common module {m!r} is missing",
                    f"add {m}: mysql, python and fateboard are part of every backend",
                )
            )
    c, f, s = spec.computing, spec.federation, spec.storage
    values_ok = True
    if c not in tuple(Computing):
        values_ok = False
        out.append(
            problem(
                f"{px}.computing",
                c,
                f"computing must be {_one_of([str(v) for v in Computing])}",
                "set it, or set backend to fill computing, federation, storage and modules",
            )
        )
    if f == "Eggroll":
        values_ok = False
        out.append(
            problem(
                f"{px}.federation",
                f,
                "federation Eggroll meant rollsite in FATE 1.x; v2.0.0 federates eggroll through OSX",
                "set federation: OSX",
            )
        )
    elif f == "RabbitMQ":
        values_ok = False
        out.append(problem(f"{px}.federation", f, RABBITMQ_WHY, "set federation: Pulsar"))
    elif f not in tuple(Federation):
        values_ok = False
        out.append(
            problem(
                f"{px}.federation",
                f,
                f"federation must be {_federations()}",
                "set it, or set backend",
            )
        )
    if s not in tuple(Storage):
        values_ok = False
        out.append(
            problem(
                f"{px}.storage",
                s,
                f"storage must be {_one_of([str(v) for v in Storage])}",
                "set it, or set backend",
            )
        )
    backend = backend_of_computing(c)
    if not values_ok or backend is None or f is None:
        return out
    wanted = BACKEND_ENGINES[backend]
    if f != wanted.federation:
        out.append(
            problem(
                f"{px}.federation",
                f,
                f"computing {c!r} federates through {str(wanted.federation)!r}",
                f"set federation: {wanted.federation}",
            )
        )
    if s != wanted.storage:
        out.append(
            problem(
                f"{px}.storage",
                s,
                f"computing {c!r} stores data in {str(wanted.storage)!r}",
                f"set storage: {wanted.storage}",
            )
        )
    for m in module_registry.needed_by(str(c), f):
        if m not in modules:
            out.append(
                problem(
                    f"{px}.modules",
                    modules,
                    f"computing {c!r} with federation {f!r} needs module {m!r}",
                    f"add {m} to modules",
                )
            )
    for module in module_registry.ENGINE_MODULES:
        if module.needs is None:
            continue
        m, key, allowed = module.name, module.needs.kind, module.needs.values
        if m in modules and getattr(spec, key) not in allowed:
            out.append(
                problem(
                    f"{px}.modules",
                    m,
                    f"module {m!r} needs {key} {' or '.join(allowed)} ({key} is {getattr(spec, key)!r})",
                    f"remove {m} from modules",
                )
            )
    # Every module a party may leave out (the engines' and the notebook): its block alone deploys nothing.
    for m in (module.name for module in module_registry.MODULES if not module.common):
        if getattr(spec, m) is not None and m not in modules:
            out.append(
                problem(
                    f"{px}.{m}",
                    "{...}",
                    f"module {m!r} is not deployed, so its settings would be ignored",
                    f"add {m} to modules or remove the {m} block",
                )
            )
    return out


def _federations() -> str:
    """``OSX (Eggroll) or Pulsar (Spark, Spark_local)``: each federation with the computing engines using it."""
    return _one_of(
        [
            f"{f} ({', '.join(str(e.computing) for e in BACKEND_ENGINES.values() if e.federation == f)})"
            for f in Federation
        ]
    )


def persistence(spec: FateSpec, px: str) -> list[Problem]:
    out: list[Problem] = []
    paths = spec.volume_paths()
    if spec.persistence:
        missing = [p for p in paths if not spec.volume(p).existing_claim and not spec.volume(p).storage_class]
        if missing:
            out.append(
                problem(
                    f"{px}.storageClass",
                    spec.storage_class,
                    f"persistence is on but no storage class is set for {', '.join(missing)}",
                    "set storageClass (e.g. vsan-default-storage-policy) or the module's storageClass",
                )
            )
    else:
        if spec.storage_class is not None:
            out.append(
                problem(
                    f"{px}.storageClass",
                    spec.storage_class,
                    "persistence is off, so no volume claim would use it",
                    "set persistence: true or remove it",
                )
            )
        for p in paths:
            for key in ("storageClass", "existingClaim", "size", "accessMode"):
                value = _get(spec, f"{p}.{key}")
                if value:
                    out.append(
                        problem(
                            f"{px}.{p}.{key}",
                            value,
                            "persistence is off, so the volume is an emptyDir and this would be ignored",
                            "set persistence: true or remove it",
                        )
                    )
    for part in module_registry.PARTS:
        p, n = part.path, (_get(spec, f"{part.path}.replicas") or part.replicas)
        claim = _get(spec, f"{p}.existingClaim")
        if spec.persistence and claim and n > 1 and spec.has(module_registry.module_of(p)):
            out.append(
                problem(
                    f"{px}.{p}.existingClaim",
                    claim,
                    f"all {n} replicas would mount this one claim",
                    "leave it out so each replica gets its own claim, or run one replica",
                )
            )
    for p in paths:
        size = _get(spec, f"{p}.size")
        if size is not None:
            try:
                parse_quantity(size)
            except ValueError as exc:
                out.append(problem(f"{px}.{p}.size", size, str(exc), "use a size such as 20Gi"))
    return out


def services(spec: FateSpec, px: str) -> list[Problem]:
    """Node ports in 30000-32767, no clashes across modules, only where a NodePort/LoadBalancer opens them."""
    out: list[Problem] = []
    seen: dict[int, str] = {}
    for path, owner in NODE_PORT_KEYS:
        if not spec.has(module_registry.module_of(path)):
            continue
        port = _get(spec, path)
        if port is None:
            continue
        svc_type = _get(spec, f"{owner}.type") or "ClusterIP"
        if not NODE_PORT_RANGE[0] <= port <= NODE_PORT_RANGE[1]:
            out.append(
                problem(
                    f"{px}.{path}",
                    port,
                    "node ports must be in 30000-32767",
                    "pick a free port in 30000-32767 or leave it out to let Kubernetes choose",
                )
            )
        elif port in seen:
            out.append(
                problem(
                    f"{px}.{path}",
                    port,
                    f"node port already used by {seen[port]}",
                    "give every node port its own number",
                )
            )
        else:
            seen[port] = path
        if svc_type not in ("NodePort", "LoadBalancer"):
            out.append(
                problem(
                    f"{px}.{path}",
                    port,
                    f"node ports are only opened for type NodePort or LoadBalancer ({owner}.type is {svc_type!r})",
                    f"set {owner}.type: NodePort or remove it",
                )
            )
    for path in EXPOSED_PATHS:
        lb_ip = _get(spec, f"{path}.loadBalancerIP")
        if lb_ip and spec.has(module_registry.module_of(path)) and _get(spec, f"{path}.type") != "LoadBalancer":
            out.append(
                problem(
                    f"{px}.{path}.loadBalancerIP",
                    lb_ip,
                    "only a LoadBalancer Service uses it",
                    f"set {path}.type: LoadBalancer or remove it",
                )
            )
    worker_type = _get(spec, "spark.worker.type")
    if worker_type not in (None, "ClusterIP"):
        out.append(
            problem(
                f"{px}.spark.worker.type",
                worker_type,
                "spark workers are reached through the master (their Service is headless)",
                "remove it; expose the master with spark.master.type",
            )
        )
    return out


def images(spec: FateSpec, px: str) -> list[Problem]:
    out: list[Problem] = []
    if spec.registry and not _REGISTRY.fullmatch(spec.registry):
        out.append(
            problem(
                f"{px}.registry",
                spec.registry,
                "not a registry prefix (host[:port][/path])",
                "use e.g. harbor.example.com/ or harbor.example.com:5000/mirror, or leave it empty for Docker Hub",
            )
        )
    return out


def resources(spec: FateSpec, px: str) -> list[Problem]:
    out: list[Problem] = []
    for path in spec.resource_paths():
        res = getattr(spec.block(path), "resources", None)
        if res is None:
            continue
        parsed: dict[str, dict[str, float]] = {"requests": {}, "limits": {}}
        for kind in ("requests", "limits"):
            for key, value in (getattr(res, kind) or {}).items():
                try:
                    parsed[kind][key] = parse_quantity(value)
                except ValueError as exc:
                    out.append(
                        problem(
                            f"{px}.{path}.resources.{kind}.{key}",
                            value,
                            str(exc),
                            "use a Kubernetes quantity such as 4, 500m or 8Gi",
                        )
                    )
        for key in parsed["requests"]:
            if "/" in key and key not in parsed["limits"]:
                out.append(
                    problem(
                        f"{px}.{path}.resources.requests.{key}",
                        res.requests[key],
                        "extended resources (GPUs and the like) must be set as limits",
                        f"move it to resources.limits.{key}",
                    )
                )
        for key, req in parsed["requests"].items():
            lim = parsed["limits"].get(key)
            if lim is not None and req > lim:
                out.append(
                    problem(
                        f"{px}.{path}.resources.requests.{key}",
                        res.requests[key],
                        f"request above its limit {res.limits[key]!r}",
                        "lower the request or raise the limit",
                    )
                )
    return out


def routes_and_ingress(spec: FateSpec, px: str) -> list[Problem]:
    out: list[Problem] = []
    if spec.nginx is not None and spec.nginx.route_table and spec.party_id in spec.nginx.route_table:
        out.append(
            problem(
                f"{px}.nginx.route_table.{spec.party_id}",
                "{...}",
                "the party's own nginx route is added by the cluster itself (facts §12.9)",
                "remove your own party from the table",
            )
        )
    if spec.osx is not None and any(p.party_id == spec.party_id for p in spec.osx.party_list or ()):
        out.append(
            problem(
                f"{px}.osx.partyList",
                spec.party_id,
                "the party's own route is added by the cluster itself",
                "remove your own party from osx.partyList",
            )
        )
    hosts: dict[str, str] = {}
    for part, ui_def in ((p, p.ui) for p in module_registry.PARTS if p.ui is not None):
        ui, module = ui_def.key, module_registry.module_of(part.path)
        cfg = getattr(spec.ingress, ui, None) if spec.ingress is not None else None
        if cfg is None:
            continue
        if not spec.has(module):
            out.append(
                problem(f"{px}.ingress.{ui}", "{...}", f"module {module!r} is not deployed", f"remove ingress.{ui}")
            )
        for i, host in enumerate(cfg.hosts or ()):
            field = f"{px}.ingress.{ui}.hosts[{i}].name"
            if host.path is not None and not host.path.startswith("/"):
                out.append(
                    problem(
                        f"{px}.ingress.{ui}.hosts[{i}].path",
                        host.path,
                        "an Ingress path is absolute",
                        f"use /{host.path}",
                    )
                )
            if host.name in hosts and hosts[host.name] != ui:
                out.append(
                    problem(
                        field,
                        host.name,
                        f"host already used by ingress.{hosts[host.name]}",
                        "give every UI its own host",
                    )
                )
            hosts.setdefault(host.name, ui)
    return out


RULES = (
    identity,
    refused_keys,
    modules_and_backend,
    persistence,
    services,
    images,
    resources,
    routes_and_ingress,
)


def all_problems(spec: FateSpec, px: str) -> list[Problem]:
    return [p for rule in RULES for p in rule(spec, px)]
