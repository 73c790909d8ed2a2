"""``python -m federation check`` against the running exchange: the real ATS and nginx of the local federation,
the parties' TLS endpoints with the certificates their stacks deployed. It passes; with one party's endpoint
stopped, or presenting a certificate from another CA, it fails naming that party and that hop.

The command runs as a user would run it, as a process (inside the test's network namespace, where the
LoadBalancer addresses live), reading the stacks' outputs from their backend.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.federation_fixtures import EXCHANGE, PARTIES, REPO, Federation
from tests.workload.netns import NetNs
from tests.workload.runner import PodRunner
from tests.workload.wire import DOMAIN, EXCHANGE_NS, Wire, lb_address

pytestmark = pytest.mark.workload
PARTY_IDS = [int(s.rsplit("-", 1)[1]) for s in PARTIES]


@pytest.fixture(scope="module")
def live(
    workload_federation, netns: NetNs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Federation, Wire]]:
    fed: Federation = workload_federation[0]
    scratch = tmp_path_factory.mktemp("check")
    w = Wire(fed.api, netns, scratch, fed.outputs(EXCHANGE)["caCert"])
    w.start_ats()
    for party_id in PARTY_IDS:
        w.start_party(party_id)
    nginx = PodRunner.from_api(fed.api, EXCHANGE_NS, "deployment", "nginx", "nginx", netns, scratch / "nginx").start()
    nginx.wait_listening(9300, host=lb_address(fed.api, EXCHANGE_NS, "nginx"))
    try:
        yield fed, w
    finally:
        nginx.stop()
        w.stop_all()


def run_check(fed: Federation, netns: NetNs, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        *netns.prefix(),
        sys.executable,
        "-m",
        "federation",
        "check",
        "--variant",
        "local",
        "--config-dir",
        str(fed.root),
        "--timeout",
        "5",
        *extra,
    ]
    return subprocess.run(cmd, cwd=REPO, env=fed.env, capture_output=True, text=True, timeout=300, check=False)


def rows(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"no JSON from check (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}") from None
    return {r["name"]: r for r in doc["rows"]}


def first_failure(row: dict[str, Any]) -> dict[str, Any] | None:
    return next((h for h in row["hops"] if h["status"] == "fail"), None)


def party_row(table: dict[str, dict[str, Any]], party_id: int) -> dict[str, Any]:
    return next(r for r in table.values() if r["party"] == party_id)


def test_check_passes_on_the_running_exchange(live, netns: NetNs) -> None:
    fed, _ = live
    proc = run_check(fed, netns, "--json")
    table = rows(proc)
    failures = {name: first_failure(r) for name, r in table.items() if first_failure(r)}
    assert proc.returncode == 0 and not failures, json.dumps(failures, indent=1) + proc.stderr[-2000:]
    assert {r["party"] for r in table.values() if r["party"] is not None} == set(PARTY_IDS)
    for party_id in PARTY_IDS:
        assert [h["hop"] for h in party_row(table, party_id)["hops"] if h["status"] == "ok"][-1] == "protocol"
    human = run_check(fed, netns)
    assert human.returncode == 0, human.stdout[-3000:]


def test_check_names_the_party_whose_endpoint_is_down(live, netns: NetNs) -> None:
    fed, wire = live
    wire.stop_party(40000)
    try:
        proc = run_check(fed, netns, "--json")
        table = rows(proc)
        assert proc.returncode == 1, proc.stdout[-3000:]
        failing = {r["party"] for r in table.values() if first_failure(r)}
        assert failing == {40000}, json.dumps(table, indent=1)
        hop = first_failure(party_row(table, 40000))
        assert hop is not None and hop["hop"] == "tls", hop
        human = run_check(fed, netns)
        assert human.returncode == 1
        assert "party 40000" in human.stdout and "hop tls" in human.stdout, human.stdout[-3000:]
    finally:
        wire.start_party(40000)


def _foreign_cert(name: str) -> tuple[str, str]:
    """A certificate for ``name`` from a CA that is not the federation's."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone else's CA")])
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def test_check_names_a_certificate_from_another_ca(live, netns: NetNs) -> None:
    fed, wire = live
    cert, key = _foreign_cert(f"40000.{DOMAIN}")
    wire.start_party(40000, cert_pem=cert, key_pem=key)
    try:
        proc = run_check(fed, netns, "--json")
        table = rows(proc)
        assert proc.returncode == 1
        assert {r["party"] for r in table.values() if first_failure(r)} == {40000}
        hop = first_failure(party_row(table, 40000))
        assert hop is not None and hop["hop"] == "cert", hop
        assert "someone else's CA" in hop["detail"], hop
    finally:
        wire.start_party(40000)
