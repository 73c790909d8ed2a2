"""The harness itself: it must see registrations, parents, providers and StackReference outputs."""

import pulumi
import pulumi_kubernetes as k8s


class _Box(pulumi.ComponentResource):
    def __init__(self, name: str, provider: k8s.Provider):
        super().__init__("kubefate:index:Box", name, None, None)
        self.cm = k8s.core.v1.ConfigMap(
            f"{name}-cm",
            metadata={"name": "x", "namespace": "ns"},
            data={"a": "b"},
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        self.register_outputs({})


def test_records_children_with_parent_and_provider(harness):
    def program():
        provider = k8s.Provider("k", kubeconfig="{}")
        return _Box("box", provider)

    box = harness.run(program)
    cm = harness.mocks.one("kubernetes:core/v1:ConfigMap")
    assert cm.parent_type == "kubefate:index:Box"
    assert cm.provider and "pulumi:providers:kubernetes" in cm.provider
    assert cm.inputs["data"] == {"a": "b"}
    assert harness.value(box.cm.metadata.name) == "x"


def test_stack_reference_outputs_and_missing(harness):
    harness.mocks.stack_outputs["organization/kubefate-tanzu/party-30000"] = {"x": 1}

    def program():
        ref = pulumi.StackReference("organization/kubefate-tanzu/party-30000")
        other = pulumi.StackReference("organization/kubefate-tanzu/party-40000")
        return ref.get_output("x"), other.get_output("x")

    x, missing = harness.run(program)
    assert harness.value(x) == 1
    assert harness.value(missing) is None
