"""The vSphere Namespace a Tanzu cluster lives in, for sites that manage it themselves (``vsphere.manage``).

Everything goes through an explicit ``vsphere.Provider`` built from the stack's config and secret password:
the ambient default provider would silently pick up whatever VSPHERE_* variables the operator's shell has.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_vsphere as vsphere

from models.cluster import ClusterConfig

# No field of these resources is ForceNew upstream, so a rename would be an in-place "update" of an object
# that doesn't exist under the new name (facts §0.5); replacing is what a rename means.
NAMESPACE_REPLACE_ON = ["name", "supervisor"]
VM_CLASS_REPLACE_ON = ["name"]


@dataclass
class VsphereNamespaceArgs:
    config: ClusterConfig
    password: pulumi.Input[str]


class VsphereNamespace(pulumi.ComponentResource):
    """Namespace + bound VM classes + storage policies + content libraries on one Supervisor."""

    namespace_name: pulumi.Output[str]
    storage_policy_ids: pulumi.Output[list[str]]
    namespace: vsphere.Namespace

    def __init__(self, name: str, args: VsphereNamespaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubefate:index:VsphereNamespace", name, None, opts)
        cfg = args.config
        vs = cfg.vsphere
        provider = vsphere.Provider(
            f"{name}-vsphere",
            vsphere_server=vs.server,
            user=vs.user,
            password=pulumi.Output.secret(args.password),
            allow_unverified_ssl=vs.allow_unverified_ssl,
            opts=pulumi.ResourceOptions(parent=self),
        )
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=provider)
        self.storage_policy_ids = pulumi.Output.all(
            *[vsphere.get_policy_output(name=policy, opts=invoke).id for policy in vs.storage_policies]
        )
        library_ids = pulumi.Output.all(
            *[vsphere.get_content_library_output(name=lib, opts=invoke).id for lib in vs.content_libraries]
        )
        classes = [
            vsphere.VirtualMachineClass(
                f"{name}-class-{c.name}",
                name=c.name,
                cpus=c.cpus,
                memory=c.memory_mib,
                cpu_reservation=c.reservation,
                memory_reservation=c.reservation,
                opts=pulumi.ResourceOptions(parent=self, provider=provider, replace_on_changes=VM_CLASS_REPLACE_ON),
            )
            for c in vs.custom_vm_classes
        ]
        vm_service = vsphere.NamespaceVmServiceArgs(content_libraries=library_ids, vm_classes=cfg.bound_vm_classes)
        self.namespace = vsphere.Namespace(
            f"{name}-namespace",
            name=cfg.vsphere_namespace,
            supervisor=vs.supervisor_id,
            storage_policies=self.storage_policy_ids,
            vm_services=[vm_service],
            opts=pulumi.ResourceOptions(
                parent=self, provider=provider, depends_on=classes, replace_on_changes=NAMESPACE_REPLACE_ON
            ),
        )
        self.namespace_name = self.namespace.name
        self.register_outputs({"namespace_name": self.namespace_name, "storage_policy_ids": self.storage_policy_ids})
