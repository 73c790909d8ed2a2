"""The exchange on the wire: its real Traffic Server from the API server, the parties' TLS endpoints as their
stacks deployed them, and a client that checks what a party's Pulsar would see through the tunnel.

Everything lives in one network namespace of the test's own (tests/workload/netns.py), on the LoadBalancer
addresses the local control plane assigned, so sni.yaml's tunnel routes and the exchange's advertised address
work unchanged.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from federation import pulsar_wire
from tests.workload.netns import NetNs
from tests.workload.runner import PodRunner
from tests.workload.standins import PulsarTlsStandIn, pulsar_cert

EXCHANGE_NS = "fate-exchange"
DOMAIN = "fate.org"
SNI_FILE = "/opt/trafficserver/etc/trafficserver/sni/sni.yaml"
DIAGS = "/opt/trafficserver/var/log/trafficserver/diags.log"


def lb_address(api: Any, namespace: str, name: str) -> str:
    svc = api.get(f"/api/v1/namespaces/{namespace}/services/{name}")
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    assert ingress, f"Service {namespace}/{name} has no LoadBalancer address: {svc.get('status')}"
    return ingress[0].get("ip") or ingress[0]["hostname"]


@dataclass
class TunnelResult:
    peer_pem: str
    reply: pulsar_wire.Command | None


@dataclass
class Wire:
    api: Any
    netns: NetNs
    scratch: Path
    ca_pem: str
    ats: PodRunner | None = None
    parties: dict[int, PulsarTlsStandIn] = field(default_factory=dict)

    # --- the exchange's ATS ------------------------------------------------------------------------------------

    def start_ats(self) -> PodRunner:
        """The traffic-server pod as the API server has it now (a rollout = stop, re-read, start)."""
        if self.ats is not None:
            self.ats.stop()
        self.ats = PodRunner.from_api(
            self.api,
            EXCHANGE_NS,
            "deployment",
            "traffic-server",
            "traffic-server",
            self.netns,
            self.scratch / "traffic-server",
        ).start()
        address = lb_address(self.api, EXCHANGE_NS, "traffic-server")
        self.ats.wait_listening(self.ats_port(), host=address, timeout=60)
        self.wait_diags("Traffic Server is fully initialized")
        return self.ats

    def ats_port(self) -> int:
        svc = self.api.get(f"/api/v1/namespaces/{EXCHANGE_NS}/services/traffic-server")
        return next(p["port"] for p in svc["spec"]["ports"] if p.get("name") == "tls")

    def diags(self) -> str:
        assert self.ats is not None
        return self.ats.read(DIAGS)

    def wait_diags(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if text in self.diags():
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{text!r} not in ATS diags.log after {timeout}s:\n{self._diags_tail()}")

    def _diags_tail(self) -> str:
        try:
            return "\n".join(self.diags().splitlines()[-40:])
        except (FileNotFoundError, RuntimeError) as exc:
            return f"(no diags.log: {exc}; container log:\n{self.ats.log() if self.ats else ''})"

    def sni_routes(self) -> dict[str, str]:
        """fqdn -> tunnel_route, from the sni.yaml the running ATS has mounted."""
        assert self.ats is not None
        doc = yaml.safe_load(self.ats.read(SNI_FILE)) or {}
        return {e["fqdn"]: e["tunnel_route"] for e in doc.get("sni") or []}

    # --- the parties' endpoints --------------------------------------------------------------------------------

    def start_party(self, party_id: int, cert_pem: str | None = None, key_pem: str | None = None) -> PulsarTlsStandIn:
        """Party ``party_id``'s Pulsar TLS endpoint at the address sni.yaml routes its name to."""
        self.stop_party(party_id)
        route = self.sni_routes().get(f"{party_id}.{DOMAIN}")
        assert route, f"sni.yaml routes no {party_id}.{DOMAIN}: {self.sni_routes()}"
        host, port = route.rsplit(":", 1)
        secret = pulsar_cert(self.api, f"fate-{party_id}")
        standin = PulsarTlsStandIn(
            host.strip("[]"),
            int(port),
            cert_pem or secret["broker.cert.pem"],
            key_pem or secret["broker.key-pk8.pem"],
            self.netns,
        ).start()
        self.parties[party_id] = standin
        return standin

    def stop_party(self, party_id: int) -> None:
        standin = self.parties.pop(party_id, None)
        if standin is not None:
            standin.stop()

    def stop_all(self) -> None:
        for party_id in list(self.parties):
            self.stop_party(party_id)
        if self.ats is not None:
            self.ats.stop()
            self.ats = None

    # --- a client of the exchange ------------------------------------------------------------------------------

    def _context(self, verify: bool) -> ssl.SSLContext:
        context = ssl.create_default_context(cadata=self.ca_pem)
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(
        self,
        server_name: str,
        verify: bool,
        timeout: float,
        talk: Callable[[ssl.SSLSocket], pulsar_wire.Command | None] | None,
    ) -> TunnelResult:
        """TLS to the exchange's advertised ATS address with ``server_name`` as SNI (verified against the
        federation CA and the name when ``verify``, as a party's Pulsar client does), then ``talk``."""
        address, port = lb_address(self.api, EXCHANGE_NS, "traffic-server"), self.ats_port()
        context = self._context(verify)

        def run() -> TunnelResult:
            with (
                socket.create_connection((address, port), timeout=timeout) as raw,
                context.wrap_socket(raw, server_hostname=server_name) as tls,
            ):
                der = tls.getpeercert(binary_form=True)
                assert der is not None
                return TunnelResult(ssl.DER_cert_to_PEM_cert(der), talk(tls) if talk else None)

        return self.netns.call(run)

    def handshake(self, server_name: str, verify: bool = True, timeout: float = 10) -> str:
        """Only the TLS handshake; the certificate presented."""
        return self._connect(server_name, verify, timeout, None).peer_pem

    def tunnel(self, server_name: str, verify: bool = True, timeout: float = 10) -> TunnelResult:
        """The handshake, then a Pulsar CONNECT; ``reply`` is what came back (None if the peer closed)."""
        return self._connect(server_name, verify, timeout, _pulsar_connect)


def _pulsar_connect(tls: ssl.SSLSocket) -> pulsar_wire.Command | None:
    tls.sendall(pulsar_wire.encode_connect("kubefate-tanzu-wire-test"))
    buffer = b""
    while True:
        chunk = tls.recv(4096)
        if not chunk:
            return None
        buffer += chunk
        split = pulsar_wire.split_frame(buffer)
        if split is not None:
            return pulsar_wire.decode_command(split[0])
