"""Issue 11 (5): every pod every shipped stack renders is hardened, checked on the rendered manifests."""

from __future__ import annotations

import pytest

from components.hardening import EXCEPTIONS
from models.errors import ConfigError
from models.fate import parse_fate_spec
from tests.rendered import containers, pod_specs, render_stack
from tests.stack_runner import shipped_stacks

# The only pods that call the Kubernetes API.
API_CALLERS = {"Deployment/kube-fate/kubefate"}
ALLOWED_ADDS = {cap for e in EXCEPTIONS.values() for cap in e.add}


@pytest.fixture(scope="module", params=shipped_stacks())
def rendered(request):
    return request.param, render_stack(request.param)


def test_every_container_drops_capabilities_and_cannot_escalate(rendered):
    stack, manifests = rendered
    pods = pod_specs(manifests)
    assert pods, f"{stack} renders no workload"
    for where, pod in pods:
        for c in containers(pod):
            sc = c.get("securityContext") or {}
            assert sc.get("allowPrivilegeEscalation") is False, (where, c["name"], sc)
            assert sc.get("seccompProfile") == {"type": "RuntimeDefault"}, (where, c["name"])
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], (where, c["name"])
            added = set(sc.get("capabilities", {}).get("add") or [])
            assert added <= ALLOWED_ADDS, (where, c["name"], added - ALLOWED_ADDS)
            assert not added & {"NET_RAW", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_NICE"}
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where


def test_only_kubefate_mounts_a_service_account_token(rendered):
    _, manifests = rendered
    for where, pod in pod_specs(manifests):
        assert pod["automountServiceAccountToken"] is (where in API_CALLERS), where


def test_every_container_has_a_memory_limit(rendered):
    _, manifests = rendered
    for where, pod in pod_specs(manifests):
        for c in containers(pod):
            assert c.get("resources", {}).get("limits", {}).get("memory"), (where, c["name"])


def test_namespaces_the_stacks_own_are_at_most_baseline(rendered):
    _, manifests = rendered
    for ns in (m for m in manifests if m["kind"] == "Namespace"):
        labels = ns["metadata"].get("labels") or {}
        if ns["metadata"]["name"] == "kube-fate":
            continue  # KubeFATE's own pods pass "restricted" (test_kubefate_service_manifests.py)
        assert labels.get("pod-security.kubernetes.io/enforce") == "baseline", ns["metadata"]["name"]


def test_every_capability_exception_gives_its_reason():
    for profile, exception in EXCEPTIONS.items():
        assert exception.reason and (profile == "none") == (not exception.add), profile


def test_a_user_memory_limit_is_kept_and_a_request_becomes_the_limit():
    from components.fate_cluster.objects import bounded_resources

    spec = parse_fate_spec(
        {
            "partyId": 30000,
            "backend": "spark-pulsar",
            "python": {"resources": {"requests": {"memory": "4Gi"}, "limits": {"memory": "6Gi"}}},
            "fateboard": {"resources": {"requests": {"memory": "768Mi"}}},
        }
    )
    assert bounded_resources(spec, "python")["limits"] == {"memory": "6Gi"}
    assert bounded_resources(spec, "fateboard")["limits"] == {"memory": "768Mi"}


@pytest.mark.parametrize("module", ["python", "nginx", "pulsar", "mysql", "client"])
def test_latest_is_refused_for_every_fate_module(module):
    with pytest.raises(ConfigError) as exc:
        parse_fate_spec({"partyId": 30000, "backend": "spark-pulsar", module: {"imageTag": "latest"}})
    (problem,) = exc.value.problems
    assert problem.startswith(f"fate.{module}.imageTag = 'latest': 'latest' moves") and "Fix: pin a release" in problem
