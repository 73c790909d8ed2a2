"""The exchange's real Traffic Server on what the local federation deployed: it loads its own certificate,
tunnels every federated party's SNI name to that party's Pulsar TLS endpoint, follows Day 2 (a party joins,
a party leaves) after the rollout a route change causes.

One federation for the workload package (``workload_federation``); tests run in file order and build on it.
"""

from __future__ import annotations

import base64
import re
import ssl
from collections.abc import Iterator

import pytest
from cryptography import x509

from tests.e2e.federation_fixtures import EXCHANGE, PARTIES, Federation
from tests.workload.netns import NetNs
from tests.workload.standins import pulsar_cert
from tests.workload.wire import DOMAIN, EXCHANGE_NS, Wire

pytestmark = pytest.mark.workload

DAY2_STACK = "local-party-50000"
PARTY_IDS = [int(s.rsplit("-", 1)[1]) for s in PARTIES]


@pytest.fixture(scope="module")
def wire(workload_federation, netns: NetNs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wire]:
    fed: Federation = workload_federation[0]
    w = Wire(fed.api, netns, tmp_path_factory.mktemp("wire"), fed.outputs(EXCHANGE)["caCert"])
    yield w
    w.stop_all()


def subject(pem: str) -> str:
    return x509.load_pem_x509_certificate(pem.encode()).subject.rfc4514_string()


def test_traffic_server_starts_and_loads_its_certificate(wire: Wire) -> None:
    wire.start_ats()
    errors = [ln for ln in wire.diags().splitlines() if re.search(r"\b(ERROR|FATAL|ALERT|EMERGENCY)\b", ln)]
    assert not errors, "ATS diags.log:\n" + "\n".join(errors)
    # A name no tunnel is configured for is answered by ATS itself, with the certificate of its Secret.
    presented = wire.handshake(f"proxy.{DOMAIN}")
    secret = wire.api.get(f"/api/v1/namespaces/{EXCHANGE_NS}/secrets/traffic-server-cert")
    assert presented.strip() == base64.b64decode(secret["data"]["proxy.cert.pem"]).decode().strip()


@pytest.mark.parametrize("party_id", PARTY_IDS)
def test_each_party_is_tunnelled_to_its_pulsar_tls_endpoint(wire: Wire, party_id: int) -> None:
    standin = wire.start_party(party_id)
    result = wire.tunnel(f"{party_id}.{DOMAIN}")
    deployed = pulsar_cert(wire.api, f"fate-{party_id}")["broker.cert.pem"]
    assert result.peer_pem.strip() == deployed.strip(), subject(result.peer_pem)
    assert result.reply is not None and type(result.reply).__name__ == "Connected", result.reply
    assert standin.connections >= 1


def ats_template(wire: Wire) -> dict:
    return wire.api.get(f"/apis/apps/v1/namespaces/{EXCHANGE_NS}/deployments/traffic-server")["spec"]["template"]


def _set_parties(fed: Federation, stacks: list[str]) -> None:
    doc = fed.stack_config(EXCHANGE)
    doc["config"]["kubefate-tanzu:exchange"]["parties"] = [
        {"partyId": int(s.rsplit("-", 1)[1]), "stack": s} for s in stacks
    ]
    fed.write_stack_config(EXCHANGE, doc)


def test_a_joining_party_is_tunnelled_after_the_rollout(wire: Wire, workload_federation) -> None:
    fed: Federation = workload_federation[0]
    before = wire.sni_routes()
    assert f"50000.{DOMAIN}" not in before
    template = ats_template(wire)
    _set_parties(fed, [*PARTIES, DAY2_STACK])
    fed.command("up")
    assert ats_template(wire) != template, "the route change did not change the pod template (no rollout)"
    wire.start_ats()  # what the rollout does: a new pod on the new template
    assert f"50000.{DOMAIN}" in wire.sni_routes()
    wire.start_party(50000)
    result = wire.tunnel(f"50000.{DOMAIN}")
    assert result.peer_pem.strip() == pulsar_cert(wire.api, "fate-50000")["broker.cert.pem"].strip()
    for party_id in PARTY_IDS:  # the others still go through the new pod
        wire.start_party(party_id)
        assert wire.tunnel(f"{party_id}.{DOMAIN}").reply is not None


def test_a_removed_party_is_no_longer_tunnelled(wire: Wire, workload_federation) -> None:
    fed: Federation = workload_federation[0]
    template = ats_template(wire)
    _set_parties(fed, list(PARTIES))
    fed.command("up")
    assert ats_template(wire) != template, "removing a party did not roll the ATS Deployment out"
    wire.start_ats()
    assert f"50000.{DOMAIN}" not in wire.sni_routes()
    standin = wire.parties[50000]
    seen = standin.connections
    # ATS now answers that name itself: the client gets the exchange's own certificate, which is not valid
    # for 50000.fate.org, and nothing reaches the old endpoint.
    presented = wire.handshake(f"50000.{DOMAIN}", verify=False)
    assert f"CN=proxy.{DOMAIN}" in subject(presented)
    with pytest.raises(ssl.SSLCertVerificationError):
        wire.tunnel(f"50000.{DOMAIN}")
    assert standin.connections == seen
    for party_id in PARTY_IDS:
        wire.start_party(party_id)
        assert wire.tunnel(f"{party_id}.{DOMAIN}").reply is not None
