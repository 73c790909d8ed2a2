"""Two FATE parties and the exchange running together, each from what its stack deployed: per party its MySQL,
Pulsar broker, nginx and FATE-Flow pods, and the exchange's Traffic Server and nginx, every one started by
``PodRunner`` from the live API objects.

Each party and the exchange have a network namespace of their own (tests/workload/links.py says why); a party
reaches only the exchange's LoadBalancer addresses and the exchange only the parties', so whatever crosses
from one party to the other has gone through the exchange's Traffic Server (Pulsar data) or nginx (FATE-Flow's
control messages).

Inside a party's namespace the Services' cluster IPs lead to their pods as kube-proxy makes them
(tests/workload/kube_proxy.py): the party nginx's route table names its own nginx and FATE-Flow by the cluster
IPs the API server allocated, exactly as rendered.

What is substituted (docs/workload-fate.md, "The toy job"), only in the container's copy of a ConfigMap file:
FATE-Flow's ``default_engines`` computing/storage ``standalone`` instead of the rendered ``spark``/``hdfs``
(Spark 3.1.3 needs Java 8/11, only 17 is here, and there is no HDFS). The defects the toy found are fixed in
the renderers (the job-sized core budget, the pulsar route table's broker ports, the nginx self entry's
addresses). Federation stays the rendered ``pulsar``; everything else is as the API server holds it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.fate_cluster.modules_federation import PULSAR_PUBLIC
from tests.workload.fate_pods import party_addresses, statefulset_runner
from tests.workload.images_fate import MYSQL, PULSAR, profile_for_fate
from tests.workload.kube_proxy import ServiceProxy, proxy_services
from tests.workload.links import Link
from tests.workload.netns import NetNs
from tests.workload.runner import PodRunner, read_workload
from tests.workload.test_nginx_on_the_wire import service_addresses
from tests.workload.wire import EXCHANGE_NS, Wire, lb_address

START_TIMEOUT = 240  # a loaded 2-core machine: the JVM of a Pulsar standalone alone takes a minute there
RENDERED_ENGINES = "default_engines:\n  computing: spark\n  federation: pulsar\n  storage: hdfs\n"
TOY_ENGINES = "default_engines:\n  computing: standalone\n  federation: pulsar\n  storage: standalone\n"
FLOW_LOGS = "/data/projects/fate/fate_flow/logs"


def substitute(runner: PodRunner, filename: str, replacements: dict[str, str]) -> None:
    """Replace exact text in the container's copy of a ConfigMap file (the API object is untouched); every
    ``old`` must be there, so a change in what the stack renders fails here instead of going unnoticed."""
    for name, vol in runner.plan.volumes.items():
        files = []
        for f in vol.files:
            if f.path == filename:
                text = f.content.decode()
                for old, new in replacements.items():
                    if old not in text:
                        raise AssertionError(f"{filename} of {runner.plan.pod} has no {old!r}:\n{text}")
                    text = text.replace(old, new)
                f = dataclasses.replace(f, content=text.encode())
            files.append(f)
        runner.plan.volumes[name] = dataclasses.replace(vol, files=tuple(files))


def lb_addresses(api: Any, namespace: str) -> list[tuple[str, int]]:
    """(address, port) of every LoadBalancer Service of the namespace: what another network can reach."""
    out = []
    for svc in api.items(f"/api/v1/namespaces/{namespace}/services"):
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if svc["spec"].get("type") == "LoadBalancer" and ingress and ingress[0].get("ip"):
            out += [(ingress[0]["ip"], int(p["port"])) for p in svc["spec"]["ports"]]
    return out


@dataclass
class Party:
    party_id: int
    n: int  # the python pod is 127.97.<n>.2
    netns: NetNs
    pods: dict[str, PodRunner] = field(default_factory=dict)
    services: ServiceProxy | None = None

    @property
    def namespace(self) -> str:
        return f"fate-{self.party_id}"

    def start(self, api: Any, scratch: Path) -> None:
        ns = self.namespace
        addresses, pod_ip = party_addresses(api, ns, self.n)
        flow_image = next(
            c["image"]
            for c in read_workload(api, ns, "statefulset", "python")["spec"]["template"]["spec"]["containers"]
            if c["name"] == "fateflow"
        )
        mysql = statefulset_runner(
            api, ns, "mysql", "mysql", self.netns, scratch / "mysql", addresses["mysql"], addresses, MYSQL
        )
        pulsar = statefulset_runner(
            api, ns, "pulsar", "pulsar", self.netns, scratch / "pulsar", f"127.97.{self.n}.3", addresses, PULSAR
        )
        nginx = PodRunner.from_api(
            api, ns, "deployment", "nginx", "nginx", self.netns, scratch / "nginx", f"127.97.{self.n}.4", addresses
        )
        flow = statefulset_runner(
            api,
            ns,
            "python",
            "fateflow",
            self.netns,
            scratch / "python",
            pod_ip,
            addresses,
            profile_for_fate(flow_image),
        )
        substitute(flow, "service_conf.yaml", {RENDERED_ENGINES: TOY_ENGINES})
        self.services = proxy_services(api, ns, self.netns, addresses)
        self.pods = {"mysql": mysql, "pulsar": pulsar, "nginx": nginx, "fateflow": flow}
        mysql.start()
        pulsar.start()
        nginx.start()
        mysql.wait_listening(3306, timeout=START_TIMEOUT, host=addresses["mysql"])
        flow.start()
        nginx.wait_listening(9300, timeout=START_TIMEOUT, host=addresses["nginx"])
        pulsar.wait_listening(8080, timeout=START_TIMEOUT, host=addresses["pulsar"])
        pulsar.wait_listening(6651, timeout=START_TIMEOUT, host=addresses["pulsar"])
        flow.wait_listening(9380, timeout=START_TIMEOUT, host=pod_ip)

    def stop(self) -> None:
        for name in ("fateflow", "nginx", "pulsar", "mysql"):
            pod = self.pods.get(name)
            if pod is not None:
                pod.stop()
        if self.services is not None:
            self.services.stop()


@dataclass
class Federation:
    """The two parties, the exchange, and the links between their networks."""

    api: Any
    ca_pem: str
    scratch: Path
    parties: dict[int, Party] = field(default_factory=dict)
    exchange: NetNs | None = None
    wire: Wire | None = None
    exchange_nginx: PodRunner | None = None
    links: list[Link] = field(default_factory=list)

    def start(self, party_ids: list[int]) -> None:
        assert self.exchange is not None
        self.wire = Wire(self.api, self.exchange, self.scratch / "exchange", self.ca_pem)
        self.wire.start_ats()
        self.exchange_nginx = PodRunner.from_api(
            self.api,
            EXCHANGE_NS,
            "deployment",
            "nginx",
            "nginx",
            self.exchange,
            self.scratch / "exchange-nginx",
            service_addresses=service_addresses(self.api, EXCHANGE_NS),
        ).start()
        for party in self.parties.values():
            for host, port in lb_addresses(self.api, EXCHANGE_NS):
                self.links.append(Link(party.netns, self.exchange, host, port).start())
            for host, port in lb_addresses(self.api, party.namespace):
                self.links.append(Link(self.exchange, party.netns, host, port).start())
        for party_id in party_ids:
            self.parties[party_id].start(self.api, self.scratch / str(party_id))

    def stop(self) -> None:
        for party in self.parties.values():
            party.stop()
        if self.exchange_nginx is not None:
            self.exchange_nginx.stop()
        if self.wire is not None:
            self.wire.stop_all()
        for link in self.links:
            link.stop()

    def link(self, host: str, port: int, source: NetNs | None = None) -> Link | None:
        """The link that carries connections to ``host:port`` (made in ``source``, when given)."""
        return next(
            (lk for lk in self.links if (lk.host, lk.port) == (host, port) and source in (None, lk.source)), None
        )

    def pulsar_tls(self, party: int) -> tuple[str, int]:
        """Where the exchange's sni.yaml sends ``<party>.<domain>``: the party's public Pulsar Service (TLS port
        only; the in-cluster ``pulsar`` Service is ClusterIP)."""
        return lb_address(self.api, f"fate-{party}", PULSAR_PUBLIC), 6651


@contextlib.contextmanager
def running_federation(api: Any, ca_pem: str, scratch: Path, party_ids: list[int]) -> Iterator[Federation]:
    with contextlib.ExitStack() as stack:
        exchange = stack.enter_context(NetNs())
        fed = Federation(api, ca_pem, scratch, exchange=exchange)
        for n, party_id in enumerate(party_ids, start=1):
            fed.parties[party_id] = Party(party_id, n, stack.enter_context(NetNs()))
        try:
            fed.start(party_ids)
            yield fed
        finally:
            fed.stop()
