"""What kube-proxy does for a pod: a connection to a Service's cluster IP and port reaches the Service's pods.

On a cluster every node translates ``clusterIP:port`` to a ready endpoint at the ``targetPort``. In a test's
network namespace nothing does, so an address the stacks render from ``spec.clusterIP`` (the party nginx's
own route entries) would lead nowhere. ``ServiceProxy`` gives every ClusterIP-backed Service of a namespace the
same translation: its cluster IP becomes a local address of the namespace, and one nftables DNAT rule per port
(output hook, as tests/workload/links.py) sends ``clusterIP:port`` to the address the test gives that Service's
pods (tests/workload/fate_pods.py ``party_addresses``) at the target port. A port the Service does not have is
refused, as kube-proxy's rules leave it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.workload.netns import Dnat, NetNs


@dataclass(frozen=True)
class Rule:
    cluster_ip: str
    port: int
    pod_address: str
    target_port: int


def service_rules(services: list[dict[str, Any]], pod_addresses: Mapping[str, str]) -> list[Rule]:
    """One rule per TCP port of every Service with a cluster IP (headless and ExternalName ones have none).
    Every such Service must have a pod address: a Service the test forgot would otherwise fail far away."""
    rules: list[Rule] = []
    for svc in services:
        name, spec = svc["metadata"]["name"], svc.get("spec") or {}
        cluster_ip = spec.get("clusterIP")
        if spec.get("type") == "ExternalName" or not cluster_ip or cluster_ip == "None":
            continue
        if ipaddress.ip_address(cluster_ip).version != 4:
            raise AssertionError(f"Service {name}: cluster IP {cluster_ip!r} is not IPv4 (the tables here are ip)")
        if name not in pod_addresses:
            raise AssertionError(f"Service {name} ({cluster_ip}) has no pod address: add it to the test's addresses")
        for port in spec.get("ports") or []:
            if port.get("protocol", "TCP") != "TCP":
                continue
            target = port.get("targetPort", port["port"])
            if not isinstance(target, int):
                raise AssertionError(f"Service {name}: named targetPort {target!r}, which only pods resolve")
            rules.append(Rule(cluster_ip, int(port["port"]), pod_addresses[name], target))
    return rules


@dataclass
class ServiceProxy:
    """The rules of ``service_rules`` installed in ``netns``; ``stop`` removes them and the addresses."""

    netns: NetNs
    rules: list[Rule]
    _dnat: Dnat | None = None
    _addresses: list[str] = field(default_factory=list)

    def start(self) -> ServiceProxy:
        self._dnat = Dnat(self.netns, "kft_svc").start()
        for ip in sorted({r.cluster_ip for r in self.rules}):
            self.netns.cmd(["ip", "addr", "add", f"{ip}/32", "dev", "lo"])
            self._addresses.append(ip)
        for r in self.rules:
            self._dnat.add(r.cluster_ip, r.port, r.pod_address, r.target_port)
        return self

    def stop(self) -> None:
        if self._dnat is not None:
            self._dnat.stop()
            self._dnat = None
        for ip in self._addresses:
            self.netns.cmd(["ip", "addr", "del", f"{ip}/32", "dev", "lo"], check=False)
        self._addresses.clear()


def proxy_services(api: Any, namespace: str, netns: NetNs, pod_addresses: Mapping[str, str]) -> ServiceProxy:
    """kube-proxy's translation for the namespace's Services as the API server holds them, started."""
    services = api.items(f"/api/v1/namespaces/{namespace}/services")
    return ServiceProxy(netns, service_rules(services, pod_addresses)).start()
