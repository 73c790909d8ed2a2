"""Node ports across stacks on one control plane, judged by the federation command before any stack runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from federation import plan
from models.node_ports import cluster_identity, shared_cluster_clashes

NS = "kubefate-tanzu"
LOCAL = {"mode": "kubeconfig", "kubeconfigPath": ".local/cluster/kubeconfig"}


def exchange(cluster: dict[str, Any], *, ats: int | None = 30443, kind: str = "NodePort") -> dict[str, Any]:
    return {
        f"{NS}:role": "exchange",
        f"{NS}:cluster": cluster,
        f"{NS}:exchange": {
            "advertisedHost": "10.0.0.9",
            "trafficServer": {"imageTag": "9.2.5", "type": kind, "nodePort": ats},
            "parties": [{"partyId": 30000, "stack": "party-30000"}, {"partyId": 40000, "stack": "party-40000"}],
        },
    }


def party(cluster: dict[str, Any], port: int | None, kind: str = "NodePort", **fate: Any) -> dict[str, Any]:
    return {
        f"{NS}:role": "party",
        f"{NS}:cluster": cluster,
        f"{NS}:fate": {"backend": "spark-pulsar", "nginx": {"type": kind, "httpNodePort": port}, **fate},
    }


def write(root: Path, stacks: dict[str, dict[str, Any]]) -> None:
    for name, config in stacks.items():
        (root / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}))


def test_party_and_exchange_on_one_cluster_clash_before_any_stack_runs(tmp_path):
    write(
        tmp_path, {"exchange": exchange(LOCAL), "party-30000": party(LOCAL, 30443), "party-40000": party(LOCAL, None)}
    )
    with pytest.raises(plan.PlanError) as exc:
        plan.resolve(tmp_path)
    text = str(exc.value)
    assert "party-30000: fate.nginx.httpNodePort = 30443" in text
    assert "'exchange' (exchange.trafficServer.nodePort)" in text and "Fix: " in text


def test_two_parties_on_one_cluster_clash(tmp_path):
    stacks = {"exchange": exchange(LOCAL, ats=None, kind="LoadBalancer")}
    stacks |= {"party-30000": party(LOCAL, 30090), "party-40000": party(LOCAL, 30090, kind="LoadBalancer")}
    problems = shared_cluster_clashes(stacks, tmp_path)
    assert [(p.field, p.value) for p in problems] == [("party-40000: fate.nginx.httpNodePort", 30090)]


def test_other_clusters_contexts_and_closed_ports_do_not_clash(tmp_path):
    other = {**LOCAL, "context": "other"}
    stacks = {
        "exchange": exchange(LOCAL),
        "party-30000": party(other, 30443),  # another context of the same file: another cluster
        "party-40000": party(LOCAL, 30443, kind="ClusterIP"),  # a ClusterIP Service opens no node port
    }
    assert shared_cluster_clashes(stacks, tmp_path) == []
    write(tmp_path, stacks)
    assert plan.resolve(tmp_path).parties == ("party-30000", "party-40000")


def test_a_module_that_is_not_deployed_opens_no_port(tmp_path):
    stacks = {
        "exchange": exchange(LOCAL),
        "party-30000": party(LOCAL, None, osx={"type": "NodePort", "nodePort": 30443}),
    }
    assert shared_cluster_clashes(stacks, tmp_path) == []  # spark-pulsar has no osx


def test_cluster_yaml_file_is_read_for_its_ports_but_only_inside_the_project(tmp_path):
    root = tmp_path / "project"
    (root / "clusters").mkdir(parents=True)
    (root / "clusters" / "p.yaml").write_text(
        "partyId: 30000\nbackend: spark-pulsar\npulsar:\n  type: NodePort\n  httpsNodePort: 30443\n"
    )
    (tmp_path / "outside.yaml").write_text((root / "clusters" / "p.yaml").read_text())
    inside = {f"{NS}:role": "party", f"{NS}:cluster": LOCAL, f"{NS}:kubefateClusterYaml": "clusters/p.yaml"}
    outside = {**inside, f"{NS}:kubefateClusterYaml": "../outside.yaml"}
    found = shared_cluster_clashes({"exchange": exchange(LOCAL), "party-30000": inside}, root)
    assert [p.field for p in found] == ["party-30000: kubefateClusterYaml[clusters/p.yaml].pulsar.httpsNodePort"]
    assert shared_cluster_clashes({"exchange": exchange(LOCAL), "party-30000": outside}, root) == []


@pytest.mark.parametrize(
    ("cluster", "identity"),
    [
        (LOCAL, ("kubeconfig", ".local/cluster/kubeconfig", "")),
        (
            {**LOCAL, "kubeconfigPath": "./.local/cluster/../cluster/kubeconfig"},
            ("kubeconfig", ".local/cluster/kubeconfig", ""),
        ),
        ({"mode": "tanzu", "name": "fate", "vsphereNamespace": "ns"}, ("tanzu", "ns", "fate")),
        ({"mode": "kubeconfig"}, None),  # the kubeconfig is a secret: nothing to compare
        ("not a mapping", None),
    ],
)
def test_cluster_identity(cluster, identity):
    assert cluster_identity(cluster) == identity
