"""A FATE party's pods as the workload layer starts them: StatefulSet pods with their claim volumes, the
addresses the party's Services resolve to in the test's network, the Secret values a probe needs.

Shared by tests/workload/test_fate_flow_on_the_rendered_config.py and test_fate_toy_across_the_exchange.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from tests.workload import podspec
from tests.workload.images import ImageProfile
from tests.workload.netns import NetNs
from tests.workload.runner import PodRunner, api_lookup, cluster_hosts, read_workload

PYTHON_SERVICES = ("fateflow", "fateflow-client")  # select the python pod: its address


def statefulset_runner(
    api: Any,
    namespace: str,
    name: str,
    container: str,
    netns: NetNs,
    scratch: Path,
    pod_ip: str,
    service_addresses: dict[str, str],
    profile: ImageProfile,
) -> PodRunner:
    """``PodRunner.from_api`` for pod ``<name>-0`` of a StatefulSet with ``volumeClaimTemplates``: the
    StatefulSet controller adds one claim volume per template (``<template>-<name>-0``) to the pod it creates,
    so the template's mounts of those names resolve (the pod template alone does not define them)."""
    workload = read_workload(api, namespace, "statefulset", name)
    template = json.loads(json.dumps(workload["spec"]["template"]))
    volumes = template["spec"].setdefault("volumes", [])
    defined = {v["name"] for v in volumes}
    for claim in workload["spec"].get("volumeClaimTemplates") or []:
        vname = claim["metadata"]["name"]
        if vname not in defined:
            volumes.append({"name": vname, "persistentVolumeClaim": {"claimName": f"{vname}-{name}-0"}})
    services = api.items(f"/api/v1/namespaces/{namespace}/services")
    plan = podspec.plan_container(
        template, container, profile, api_lookup(api, namespace), namespace, f"{name}-0", pod_ip, services
    )
    return PodRunner(plan, profile, netns, scratch, cluster_hosts(services, namespace, service_addresses))


def party_addresses(api: Any, namespace: str, n: int) -> tuple[dict[str, str], str]:
    """(Service name -> address in the test's network, the python pod's address). A LoadBalancer address when
    the local control plane gave one, else 127.97.<n>.<10+i>; the python pod is 127.97.<n>.2 and the Services
    selecting it (headless ``fateflow``, ``fateflow-client``) resolve to it, as the pod listens on its own IP."""
    pod_ip = f"127.97.{n}.2"
    out: dict[str, str] = {}
    for i, svc in enumerate(
        sorted(api.items(f"/api/v1/namespaces/{namespace}/services"), key=lambda s: s["metadata"]["name"])
    ):
        name = svc["metadata"]["name"]
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if name in PYTHON_SERVICES:
            out[name] = pod_ip
        elif ingress and ingress[0].get("ip"):
            out[name] = ingress[0]["ip"]
        else:
            out[name] = f"127.97.{n}.{10 + i}"
    return out, pod_ip


def secret_value(api: Any, namespace: str, name: str, key: str) -> str:
    secret = api.get(f"/api/v1/namespaces/{namespace}/secrets/{name}")
    return base64.b64decode(secret["data"][key]).decode()
