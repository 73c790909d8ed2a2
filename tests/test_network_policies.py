"""Issue 11 (3): the NetworkPolicies every shipped stack renders, evaluated by a NetworkPolicy engine
(np-guard's netpol-analyzer) against the flow matrix: every needed flow allowed, every other pair denied.

The matrix below is written from what the programs do (who connects to whom on which port), independently
of the flow description the policies are generated from (components/fate_cluster/flows.py). Two extra
workloads join every analysis: a pod in an unrelated namespace (``intruder``) and FATE's toy check Job.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.network_policy import Allow, policies
from federation.toy_job import GuestImage, ToyRun, render_job
from tests.netpol_eval import EXTERNAL, Conn, allowed
from tests.rendered import EGGROLL_PARTY, render_stack
from tests.stack_runner import PARTY, shipped_stacks

ALL = "all"
# (source workload, destination workload) -> ports, within one party namespace.
PARTY_NEEDS: dict[tuple[str, str], Any] = {
    **{(s, "mysql"): {3306} for s in ("python", "clustermanager", "nodemanager")},
    **{(s, "python"): {9360, 9380} for s in ("client", "fateboard", "nginx", "osx", "fate-toy")},
    ("spark-worker", "python"): ALL,
    **{(s, "pulsar"): {6650, 8080} for s in ("python", "spark-worker")},
    **{(s, "spark-master"): {7077} for s in ("python", "spark-worker")},
    **{(s, "spark-worker"): ALL for s in ("python", "spark-master", "spark-worker")},
    **{(s, "namenode"): {9000} for s in ("python", "spark-worker", "datanode")},
    **{(s, "datanode"): {9864, 9866, 9867} for s in ("python", "spark-worker", "datanode")},
    **{(s, "clustermanager"): {4670} for s in ("python", "nodemanager", "osx")},
    **{(s, "nodemanager"): ALL for s in ("python", "clustermanager", "nodemanager", "osx")},
}
# Published to the federation (any address): the LoadBalancer ports.
OPEN_TO_ALL = {"nginx": {9300, 9310}, "pulsar": {6651}, "osx": {9370}, "traffic-server": {443}}
# Behind an Ingress (any pod of any namespace, where the ingress controller runs).
BEHIND_INGRESS = {"fateboard": {8080}, "client": {20000}, "kubefate": {8080}}
OTHER_NEEDS = {("kubefate", "mariadb"): {3306}}
OWNED_PREFIXES = ("fate-", "kube-fate")


def expected(src: str, dst: str) -> Conn:
    dst_ns, dst_name = dst.split("/")
    same_ns = src != EXTERNAL and src.split("/")[0] == dst_ns
    src_name = src.split("/")[-1]
    need = (PARTY_NEEDS | OTHER_NEEDS).get((src_name, dst_name)) if same_ns else None
    if need == ALL:
        return Conn(all=True)
    ports = set(need or ()) | OPEN_TO_ALL.get(dst_name, set())
    if src != EXTERNAL:
        ports |= BEHIND_INGRESS.get(dst_name, set())
    return Conn(tcp=frozenset(ports))


def extra_workloads(namespaces: list[str]) -> list[dict[str, Any]]:
    pod = {"containers": [{"name": "c", "image": "busybox:1.36"}]}
    out: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "intruder"}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "intruder", "namespace": "intruder"},
            "spec": {
                "selector": {"matchLabels": {"app": "intruder"}},
                "template": {"metadata": {"labels": {"app": "intruder"}}, "spec": pod},
            },
        },
    ]
    for ns in namespaces:
        if ns.startswith("fate-") and ns != "fate-exchange":
            run = ToyRun(1, 2, ns, GuestImage("federatedai/fateflow:2.0.0-release"), 600.0, "np")
            job = render_job(run)
            job["metadata"]["name"] = "fate-toy"
            out.append(job)
    return out


def evaluate(manifests: list[dict[str, Any]], tmp_path) -> None:
    namespaces = [m["metadata"]["name"] for m in manifests if m["kind"] == "Namespace"]
    owned = [n for n in namespaces if n.startswith(OWNED_PREFIXES)]
    assert owned
    everything = manifests + extra_workloads(namespaces)
    got = allowed(everything, tmp_path)
    workloads = [
        f"{m['metadata']['namespace']}/{m['metadata']['name']}"
        for m in everything
        if m["kind"] in ("Deployment", "StatefulSet", "Job")
    ]
    checked = 0
    for dst in workloads:
        if not dst.startswith(OWNED_PREFIXES):
            continue
        for src in [*workloads, EXTERNAL]:
            if src == dst:
                continue
            want, have = expected(src, dst), got.get((src, dst), Conn())
            assert have == want, f"{src} -> {dst}: allowed {have}, the flow matrix says {want}"
            checked += 1
    assert checked > len(workloads)


@pytest.mark.parametrize("stack", shipped_stacks())
def test_shipped_stack_policies_allow_exactly_the_flow_matrix(stack, tmp_path):
    manifests = render_stack(stack)
    namespaces = {m["metadata"]["name"] for m in manifests if m["kind"] == "Namespace"}
    for ns in namespaces:
        deny = [
            m
            for m in manifests
            if m["kind"] == "NetworkPolicy"
            and m["metadata"]["namespace"] == ns
            and m["metadata"]["name"] == "default-deny-ingress"
        ]
        assert len(deny) == 1 and deny[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}, ns
    evaluate(manifests, tmp_path)


def test_eggroll_backend_policies_allow_exactly_the_flow_matrix(tmp_path):
    evaluate(render_stack("party-30000", EGGROLL_PARTY), tmp_path)


def test_the_spark_ui_behind_its_ingress_gets_its_port(tmp_path):
    fate = {**PARTY["fate"], "ingress": {"spark": {"hosts": [{"name": "spark.30000.fate.local"}]}}}
    got = allowed([*render_stack("party-30000", {**PARTY, "fate": fate}), *extra_workloads([])], tmp_path)
    assert got[("intruder/intruder", "fate-30000/spark-master")] == Conn(tcp=frozenset({8080}))


def test_a_workload_without_a_flow_description_is_refused():
    with pytest.raises(ValueError, match=r"no flow description for workload\(s\) \['newmodule'\]"):
        policies("ns", {}, {"a": [Allow((1,), ("b",))]}, {"a": {"x": "a"}, "newmodule": {"x": "n"}})
