"""FATE's nginx (``federatedai/nginx``) on what the local federation deployed: the real nginx accepts the
configuration each stack renders, the exchange's starts from its pod command on its Service's address, and
routes a party's control message to the nginx address the exchange's route table holds for that party.

nginx is Debian's, laid out as the image (tests/workload/images.py ``FATE_NGINX``, docs/workload.md "nginx
(federatedai/nginx)"); the image's own vhost and Lua files are stand-ins written from their documented
behaviour (tests/workload/fate_proxy/). tests/workload/test_exchange_wire.py runs first in this package and
leaves the exchange with parties 30000 and 40000.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from federation.probes import h2_settings, http_status
from tests.e2e.federation_fixtures import lb_ip, service
from tests.workload.netns import Dnat, NetNs
from tests.workload.runner import PodRunner

pytestmark = pytest.mark.workload

EXCHANGE_NS = "fate-exchange"
PARTY_NS = "fate-30000"
CONFIG_TEST = ["openresty", "-t"]
ROUTE_TABLE = "/data/projects/fate/proxy/nginx/conf/modifiable/route_table.yaml"
ROUTE_TABLE_LUA = "/data/projects/fate/proxy/nginx/lua/route_table.lua"
# Headless Services (fateflow) have no address of their own; the cluster's DNS answers their pods' addresses.
POD_ADDRESS = "127.0.0.2"


def service_addresses(api: Any, namespace: str) -> dict[str, str]:
    """What the namespace's Service names resolve to in a pod: the LoadBalancer address (local in the test's
    network namespace), else the ClusterIP, else (headless) a pod's address."""
    out: dict[str, str] = {}
    for svc in api.items(f"/api/v1/namespaces/{namespace}/services"):
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        cluster_ip = (svc.get("spec") or {}).get("clusterIP")
        if ingress and ingress[0].get("ip"):
            out[svc["metadata"]["name"]] = ingress[0]["ip"]
        elif cluster_ip and cluster_ip != "None":
            out[svc["metadata"]["name"]] = cluster_ip
        else:
            out[svc["metadata"]["name"]] = POD_ADDRESS
    return out


def config_test(
    api: Any, namespace: str, netns: NetNs, scratch: Path, addresses: dict[str, str] | None
) -> tuple[int, str]:
    """``openresty -t`` in the nginx container of ``namespace`` (its volumes, env, user, image layout)."""
    runner = PodRunner.from_api(
        api, namespace, "deployment", "nginx", "nginx", netns, scratch, service_addresses=addresses, argv=CONFIG_TEST
    ).start()
    code = runner.wait(timeout=60)
    return code, runner.log()


# --- the party's address, seen from the exchange ------------------------------------------------------------


@contextlib.contextmanager
def redirected(netns: NetNs, host: str, port: int, to_port: int) -> Iterator[None]:
    """Connections made inside ``netns`` to ``host:port`` land on ``host:to_port``.

    The exchange nginx listens on ``*:9300`` (the image's vhost), and inside one network namespace that socket
    owns port 9300 of every local address, party 40000's included: nothing else can listen there, and a
    connection to it would be the exchange talking to itself. Translating the destination port of exactly that
    address (nftables, output hook) gives the party's address a listener of its own while the exchange still
    connects to the address and port its route table names."""
    dnat = Dnat(netns)
    try:
        dnat.start().add(host, port, host, to_port)
        yield
    finally:
        dnat.stop()


@dataclass
class MarkerListener:
    """A tiny HTTP server standing in for a party's nginx: answers 200 with ``marker`` and keeps the requests."""

    host: str
    netns: NetNs
    marker: str = field(default_factory=lambda: f"party-nginx-{uuid.uuid4().hex}")
    requests: list[bytes] = field(default_factory=list)
    port: int = 0
    _sock: socket.socket | None = None
    _thread: threading.Thread | None = None

    def start(self) -> MarkerListener:
        def listen() -> socket.socket:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((self.host, 0))
            s.listen(8)
            s.settimeout(0.5)
            return s

        self._sock = self.netns.call(listen)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"marker-{self.host}")
        self._thread.start()
        return self

    def _serve(self) -> None:
        while self._sock is not None:
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                with contextlib.suppress(OSError):
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                self.requests.append(data)
                body = self.marker.encode()
                with contextlib.suppress(OSError):
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\nConnection: close\r\n\r\n"
                        + body
                    )

    def stop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def http_request(
    netns: NetNs,
    host: str,
    port: int,
    headers: dict[str, str],
    path: str = "/v1/federation",
    method: str = "POST",
    timeout: float = 10,
) -> tuple[int, bytes]:
    """One HTTP/1.1 request from inside the network namespace; (status, body)."""

    def run() -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request(method, path, body=b"" if method == "POST" else None, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    return netns.call(run)


# --- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exchange_nginx(workload_federation, netns: NetNs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodRunner]:
    """The exchange's nginx started from its pod command, as the API server holds the Deployment now."""
    api = workload_federation[0].api
    runner = PodRunner.from_api(
        api,
        EXCHANGE_NS,
        "deployment",
        "nginx",
        "nginx",
        netns,
        tmp_path_factory.mktemp("exchange-nginx"),
        service_addresses=service_addresses(api, EXCHANGE_NS),
    ).start()
    try:
        yield runner
    finally:
        runner.stop()


# --- configuration tests ------------------------------------------------------------------------------------


def test_party_nginx_accepts_its_rendered_configuration(workload_federation, netns: NetNs, tmp_path: Path) -> None:
    api = workload_federation[0].api
    code, log = config_test(api, PARTY_NS, netns, tmp_path / "t", service_addresses(api, PARTY_NS))
    assert code == 0 and "test is successful" in log, log


def test_party_nginx_cannot_start_before_the_fateflow_name_resolves(
    workload_federation, netns: NetNs, tmp_path: Path
) -> None:
    """The party's upstream placeholders name its FATE-Flow; nginx resolves them once, at start. fateflow is a
    headless Service: until a python pod is ready the name does not resolve and nginx exits (the pod restarts
    until then)."""
    api = workload_federation[0].api
    addresses = {k: v for k, v in service_addresses(api, PARTY_NS).items() if k != "fateflow"}
    code, log = config_test(api, PARTY_NS, netns, tmp_path / "t", addresses)
    assert code != 0 and 'host not found in upstream "fateflow:9380"' in log, log


def test_exchange_nginx_accepts_its_rendered_configuration_without_any_name_to_resolve(
    workload_federation, netns: NetNs, tmp_path: Path
) -> None:
    """The exchange has no FATE-Flow; its placeholders are addresses, so no Service name has to resolve."""
    code, log = config_test(workload_federation[0].api, EXCHANGE_NS, netns, tmp_path / "t", None)
    assert code == 0 and "test is successful" in log, log


# --- party 30000's nginx, running ---------------------------------------------------------------------------


def test_party_nginx_starts_from_its_pod_command_and_answers_its_probe(
    workload_federation, netns: NetNs, tmp_path: Path
) -> None:
    """The Deployment's startup/readiness/liveness probe (``httpGet``) gets its answer from the running nginx;
    stopped before the exchange's starts (both listen on ``*:9300`` in the one network namespace)."""
    api = workload_federation[0].api
    workload = api.get(f"/apis/apps/v1/namespaces/{PARTY_NS}/deployments/nginx")
    container = next(c for c in workload["spec"]["template"]["spec"]["containers"] if c["name"] == "nginx")
    probe = container["readinessProbe"]["httpGet"]
    runner = PodRunner.from_api(
        api,
        PARTY_NS,
        "deployment",
        "nginx",
        "nginx",
        netns,
        tmp_path / "nginx",
        pod_ip=POD_ADDRESS,
        service_addresses=service_addresses(api, PARTY_NS),
    ).start()
    try:
        runner.wait_listening(int(probe["port"]), host=POD_ADDRESS, timeout=30)
        status, body = http_request(netns, POD_ADDRESS, int(probe["port"]), {}, path=probe["path"], method="GET")
        assert (status, body) == (200, b"ok"), f"{status} {body!r}\n{runner.log()}"
        assert "[error]" not in runner.log(), runner.log()  # the route table loaded (lyaml, the mount)
    finally:
        runner.stop()


# --- the exchange's nginx, running ---------------------------------------------------------------------------


def test_exchange_nginx_serves_http_and_grpc_on_its_load_balancer_address(
    workload_federation, exchange_nginx: PodRunner, netns: NetNs
) -> None:
    api = workload_federation[0].api
    svc = service(api, EXCHANGE_NS, "nginx")
    address = lb_ip(svc)
    ports = {p["name"]: p["port"] for p in svc["spec"]["ports"]}
    exchange_nginx.wait_listening(ports["http"], host=address, timeout=30)
    exchange_nginx.wait_listening(ports["grpc"], host=address, timeout=30)
    http = netns.call(lambda: http_status(address, ports["http"], 5))
    assert http.ok, f"{http.detail}\n{exchange_nginx.log()}"
    h2 = netns.call(lambda: h2_settings(address, ports["grpc"], 5))
    assert h2.ok, f"{h2.detail}\n{exchange_nginx.log()}"
    # The pod's command pointed FATE's Lua at the directory-mounted route table before starting nginx.
    assert "conf/modifiable/route_table.yaml" in exchange_nginx.read(ROUTE_TABLE_LUA)


def test_a_message_for_party_40000_reaches_that_partys_nginx_through_the_exchange(
    workload_federation, exchange_nginx: PodRunner, netns: NetNs
) -> None:
    """FATE's Lua picks ``route[dest-party-id][service]`` (HTTP/1.x: its http_port); a party's FATE-Flow asks
    for service ``fateflow`` of the other party, which the exchange routes to that party's nginx."""
    api = workload_federation[0].api
    svc = service(api, EXCHANGE_NS, "nginx")
    address = lb_ip(svc)
    http_port = next(p["port"] for p in svc["spec"]["ports"] if p["name"] == "http")
    exchange_nginx.wait_listening(http_port, host=address, timeout=30)
    route = yaml.safe_load(exchange_nginx.read(ROUTE_TABLE))[40000]["fateflow"][0]
    party = lb_ip(service(api, "fate-40000", "nginx"))
    assert route["host"] == party, (route, party)
    listener = MarkerListener(party, netns).start()
    try:
        with redirected(netns, party, int(route["http_port"]), listener.port):
            status, body = http_request(netns, address, http_port, {"dest-party-id": "40000", "service": "fateflow"})
    finally:
        listener.stop()
    assert (status, body) == (200, listener.marker.encode()), f"{status} {body[:300]!r}\n{exchange_nginx.log()}"
    assert len(listener.requests) == 1 and b"dest-party-id: 40000" in listener.requests[0], listener.requests
