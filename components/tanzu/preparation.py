"""What the workload cluster needs before KubeFATE and FATE can run on it.

Only cluster-scoped or kube-system objects live here. The namespaces KubeFATE and FATE use belong to the
components that create them; they receive the Pod Security Admission labels from ``namespace_labels`` so a
Namespace never has two owners fighting over its labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.tanzu.containerd_remount import remount_daemonset
from components.tanzu.pod_security import psp_binding
from models.cluster import ClusterConfig

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


@dataclass
class WorkloadPreparationArgs:
    config: ClusterConfig
    provider: k8s.Provider
    workload_namespaces: list[str] = field(default_factory=list)


class WorkloadPreparation(pulumi.ComponentResource):
    psp_binding: k8s.rbac.v1.ClusterRoleBinding | None
    default_storage_class: k8s.storage.v1.StorageClassPatch | None
    containerd_remount: k8s.apps.v1.DaemonSet | None

    def __init__(self, name: str, args: WorkloadPreparationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubefate:index:WorkloadPreparation", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.psp_binding = None
        if cfg.pod_security_mode == "psp":
            if args.workload_namespaces:
                body = psp_binding(f"{name}-psp-privileged", args.workload_namespaces)
                self.psp_binding = k8s.rbac.v1.ClusterRoleBinding(
                    f"{name}-psp-privileged",
                    metadata=body["metadata"],
                    role_ref=body["roleRef"],
                    subjects=body["subjects"],
                    opts=child,
                )
            else:
                pulumi.log.warn(
                    "cluster.preparation: PodSecurityPolicy cluster but no workload namespaces "
                    "given, so no service account may use the privileged policy",
                    self,
                )
        # A provisioned cluster gets its default class from the cluster spec (TKG owns the StorageClass);
        # an adopted one is annotated in place, as a patch that leaves every other field to its owner.
        self.default_storage_class = None
        if cfg.mode == "kubeconfig" and cfg.make_default_storage_class:
            self.default_storage_class = k8s.storage.v1.StorageClassPatch(
                f"{name}-default-storage-class",
                metadata={"name": cfg.storage_class, "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
                opts=child,
            )
        self.containerd_remount = None
        if cfg.preparation.containerd_remount:
            body = remount_daemonset(f"{name}-containerd-fstab", cfg.preparation.remount_image)
            self.containerd_remount = k8s.apps.v1.DaemonSet(
                f"{name}-containerd-fstab", metadata=body["metadata"], spec=body["spec"], opts=child
            )
        self.register_outputs({})
