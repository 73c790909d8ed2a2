"""Smallest program that exercises the real engine and pulumi-kubernetes against the local control plane.

Config: ``kubeconfigPath`` (the local cluster's kubeconfig). Everything lives in one namespace plus one
PersistentVolume, named after the stack, so stacks never collide.

There is no storage provisioner on the local control plane (no kubelet, no CSI). The StatefulSet's
volumeClaimTemplate is therefore served statically: the program creates the claim the StatefulSet
controller would create (``<template>-<statefulset>-0``, which the controller then adopts) and a
PersistentVolume, bound to each other through ``volumeName``/``claimRef``; the controller-manager's PV
binder completes the binding (Pulumi awaits the claim Bound), the scheduler places the pod, kwok reports
it Ready. Owning the claim also gives ``destroy`` the right order - StatefulSet, claim, volume - whereas a
claim left to the StatefulSet controller holds its volume (pv-protection) until the namespace goes.
"""

# pyright: reportArgumentType=false
# (a standalone program that writes its objects in the Kubernetes wire shape; components/provider_input.py
# says why such dicts never match the provider's snake_case TypedDicts)

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
stack = pulumi.get_stack()
with open(config.require("kubeconfigPath"), encoding="utf-8") as f:
    kubeconfig = f.read()

provider = k8s.Provider("local", kubeconfig=kubeconfig, enable_server_side_apply=True)
opts = pulumi.ResourceOptions(provider=provider)

ns = k8s.core.v1.Namespace("smoke", metadata={"name": f"kft-smoke-{stack}"}, opts=opts)
namespace = ns.metadata["name"]
# FATE-sized requests, so scheduling onto the kwok workers is part of what is proven.
resources = {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}

web_labels = {"app": "smoke-web"}
web = k8s.apps.v1.Deployment(
    "web",
    metadata={"name": "smoke-web", "namespace": namespace},
    spec={
        "replicas": 2,
        "selector": {"matchLabels": web_labels},
        "template": {
            "metadata": {"labels": web_labels},
            "spec": {
                "containers": [
                    {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}], "resources": resources}
                ]
            },
        },
    },
    opts=opts,
)

lb = k8s.core.v1.Service(
    "web-lb",
    metadata={"name": "smoke-web-lb", "namespace": namespace},
    spec={"type": "LoadBalancer", "selector": web_labels, "ports": [{"name": "http", "port": 80, "targetPort": 80}]},
    opts=opts,
)

storage_class = k8s.storage.v1.StorageClass(
    "local",
    metadata={"name": f"kft-smoke-{stack}"},
    provisioner="kubernetes.io/no-provisioner",
    volume_binding_mode="Immediate",
    reclaim_policy="Retain",
    opts=opts,
)

db_labels = {"app": "smoke-db"}
claim_name = "data-smoke-db-0"  # <volumeClaimTemplate name>-<statefulset name>-<ordinal>
pv_name = f"kft-smoke-{stack}-data-0"
pv = k8s.core.v1.PersistentVolume(
    "data",
    metadata={"name": pv_name},
    spec={
        "capacity": {"storage": "1Gi"},
        "accessModes": ["ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": "Retain",
        "storageClassName": storage_class.metadata["name"],
        "hostPath": {"path": f"/tmp/{pv_name}"},
        # Pre-bound to the claim below (which names this volume in volumeName).
        "claimRef": {"namespace": f"kft-smoke-{stack}", "name": claim_name},
    },
    opts=opts,
)
pvc = k8s.core.v1.PersistentVolumeClaim(
    "data",
    metadata={"name": claim_name, "namespace": namespace},
    spec={
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": storage_class.metadata["name"],
        "volumeName": pv.metadata["name"],
        "resources": {"requests": {"storage": "1Gi"}},
    },
    opts=opts,
)

db_headless = k8s.core.v1.Service(
    "db",
    metadata={"name": "smoke-db", "namespace": namespace},
    spec={"clusterIP": "None", "selector": db_labels, "ports": [{"name": "mysql", "port": 3306}]},
    opts=opts,
)

db = k8s.apps.v1.StatefulSet(
    "db",
    metadata={"name": "smoke-db", "namespace": namespace},
    spec={
        "serviceName": db_headless.metadata["name"],
        "replicas": 1,
        "selector": {"matchLabels": db_labels},
        "template": {
            "metadata": {"labels": db_labels},
            "spec": {
                "containers": [
                    {
                        "name": "db",
                        "image": "mysql:8.0",
                        "ports": [{"containerPort": 3306}],
                        "resources": resources,
                        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql"}],
                    }
                ]
            },
        },
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": storage_class.metadata["name"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        ],
    },
    opts=pulumi.ResourceOptions(provider=provider, depends_on=[pvc]),
)

pulumi.export("namespace", namespace)
pulumi.export("persistent_volume", pv.metadata["name"])
pulumi.export("claim_phase", pvc.status.apply(lambda s: s.phase))
pulumi.export("storage_class", storage_class.metadata["name"])
pulumi.export("lb_ip", lb.status.apply(lambda s: s.load_balancer.ingress[0].ip))
pulumi.export("db_ready_replicas", db.status.apply(lambda s: s.ready_replicas))
pulumi.export("web_ready_replicas", web.status.apply(lambda s: s.ready_replicas))
