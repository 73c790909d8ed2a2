"""The kube-proxy translation the workload layer installs (tests/workload/kube_proxy.py), without root.

If it translated differently from kube-proxy (wrong port, a headless Service given an address), the workload
layer would prove routes a cluster does not have.
"""

from __future__ import annotations

import pytest

from tests.workload.kube_proxy import Rule, service_rules


def svc(name: str, cluster_ip: str | None, *ports: tuple[int, object], **spec: object) -> dict:
    body: dict = {"ports": [{"port": p, "targetPort": t, "protocol": "TCP"} for p, t in ports], **spec}
    if cluster_ip is not None:
        body["clusterIP"] = cluster_ip
    return {"metadata": {"name": name}, "spec": body}


def test_each_port_of_each_cluster_ip_leads_to_the_pods_at_the_target_port():
    services = [
        svc("nginx", "10.96.0.10", (9300, 9300), (9310, 9310), type="LoadBalancer"),
        svc("fateflow-client", "10.96.0.11", (9380, 9380), (9360, 9360)),
        svc("mysql", "10.96.0.12", (3307, 3306)),
        svc("fateflow", "None", (9380, 9380)),  # headless: the pods' own addresses, nothing to translate
    ]
    addresses = {"nginx": "127.96.1.1", "fateflow-client": "127.97.1.2", "mysql": "127.97.1.12"}
    assert service_rules(services, {**addresses, "fateflow": "127.97.1.2"}) == [
        Rule("10.96.0.10", 9300, "127.96.1.1", 9300),
        Rule("10.96.0.10", 9310, "127.96.1.1", 9310),
        Rule("10.96.0.11", 9380, "127.97.1.2", 9380),
        Rule("10.96.0.11", 9360, "127.97.1.2", 9360),
        Rule("10.96.0.12", 3307, "127.97.1.12", 3306),
    ]


def test_a_service_without_a_pod_address_or_with_a_named_target_port_is_an_error():
    with pytest.raises(AssertionError, match=r"Service mysql \(10\.96\.0\.12\) has no pod address"):
        service_rules([svc("mysql", "10.96.0.12", (3306, 3306))], {})
    with pytest.raises(AssertionError, match="named targetPort 'http'"):
        service_rules([svc("web", "10.96.0.13", (80, "http"))], {"web": "127.0.0.9"})


def test_udp_ports_and_external_names_are_left_alone():
    services = [
        {"metadata": {"name": "dns"}, "spec": {"clusterIP": "10.96.0.53", "ports": [{"port": 53, "protocol": "UDP"}]}},
        {"metadata": {"name": "ext"}, "spec": {"type": "ExternalName", "externalName": "example.org"}},
    ]
    assert service_rules(services, {"dns": "127.0.0.53"}) == []
