"""The federation with the real engine on the local control plane: converge, no drift, drift repaired, Day 2,
destroy, each in the fewest stack runs. One federation per module (``deployed_federation``, the expensive
converge happens once); the tests run in file order and each builds on the state the previous one left,
ending with ``destroy``.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from tests.e2e import federation_fixtures as ff
from tests.e2e.federation_fixtures import EXCHANGE, PARTIES, Federation, config_map_with, lb_ip, service, wait_for
from tests.e2e.kubeapi import KubeApi

pytestmark = pytest.mark.e2e
# Fixtures of tests/e2e/federation_fixtures.py, made visible to this module.
local_volumes, project_factory, deployed_federation = ff.local_volumes, ff.project_factory, ff.deployed_federation

DOMAIN = "fate.org"
EXCHANGE_NS = "fate-exchange"
DAY2 = "local-party-50000"
WORKLOAD_KINDS = (("apps/v1", "deployments"), ("apps/v1", "statefulsets"), ("v1", "services"), ("v1", "configmaps"))


def party_id(stack: str) -> int:
    return int(stack.rsplit("-", 1)[1])


def namespace_of(stack: str) -> str:
    return f"fate-{party_id(stack)}"


def exchange_addresses(api: KubeApi) -> tuple[str, str]:
    """(nginx LB address, ATS LB address) as the API reports them."""
    lbs = [s for s in api.items(f"/api/v1/namespaces/{EXCHANGE_NS}/services") if s["spec"]["type"] == "LoadBalancer"]
    nginx = next(s for s in lbs if s["metadata"]["name"] == "nginx")
    ats = next(s for s in lbs if s["metadata"]["name"] != "nginx")
    return lb_ip(nginx), lb_ip(ats)


def assert_exchange_routes(api: KubeApi, stacks: list[str]) -> None:
    """sni.yaml and the exchange nginx table hold each party's actual LB addresses and TLS names."""
    sni = yaml.safe_load(config_map_with(api, EXCHANGE_NS, "sni.yaml")["data"]["sni.yaml"])["sni"]
    table = yaml.safe_load(config_map_with(api, EXCHANGE_NS, "route_table.yaml")["data"]["route_table.yaml"])
    expected_sni = []
    for stack in stacks:
        ns, pid = namespace_of(stack), party_id(stack)
        pulsar, nginx = lb_ip(service(api, ns, "pulsar-public-tls")), lb_ip(service(api, ns, "nginx"))
        expected_sni.append({"fqdn": f"{pid}.{DOMAIN}", "tunnel_route": f"{pulsar}:6651"})
        hop = {"host": nginx, "http_port": 9300, "grpc_port": 9310}
        assert table[pid] == {"proxy": [hop], "fateflow": [hop]}, table
    assert sorted(sni, key=lambda e: e["fqdn"]) == sorted(expected_sni, key=lambda e: e["fqdn"])
    assert set(table) == {party_id(s) for s in stacks}


def assert_party_points_at_exchange(api: KubeApi, stack: str) -> None:
    ns, pid = namespace_of(stack), party_id(stack)
    nginx_ip, ats_ip = exchange_addresses(api)
    nginx_table = yaml.safe_load(config_map_with(api, ns, "route_table.yaml")["data"]["route_table.yaml"])
    assert nginx_table["default"] == {"proxy": [{"host": nginx_ip, "http_port": 9300, "grpc_port": 9310}]}
    # Its own entries: the cluster IPs the API server allocated (FATE's balancer refuses the Services' names).
    own_nginx, own_flow = (service(api, ns, name)["spec"]["clusterIP"] for name in ("nginx", "fateflow-client"))
    assert nginx_table[pid] == {
        "proxy": [{"host": own_nginx, "http_port": 9300, "grpc_port": 9310}],
        "fateflow": [{"host": own_flow, "http_port": 9380, "grpc_port": 9360}],
    }
    pulsar_table = yaml.safe_load(
        config_map_with(api, ns, "pulsar_route_table.yaml")["data"]["pulsar_route_table.yaml"]
    )
    assert pulsar_table["default"] == {
        "proxy": f"{ats_ip}:443",
        "domain": DOMAIN,
        "brokerPort": 6650,
        "brokerSslPort": 6651,
    }
    assert pulsar_table[pid]["host"] == "pulsar"


def assert_certificate_chains(api: KubeApi, stack: str, ca_pem: str) -> None:
    """pulsar-cert holds the party's certificate, issued by the federation CA for <partyId>.<domain>, for the
    party's own key."""
    data = pulsar_cert(api, stack)
    assert set(data) == {"broker.cert.pem", "broker.key-pk8.pem", "ca.cert.pem"}
    assert data["ca.cert.pem"].strip() == ca_pem.strip()
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    cert = x509.load_pem_x509_certificate(data["broker.cert.pem"].encode())
    cert.verify_directly_issued_by(ca)  # raises when the signature or issuer do not match
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert f"{party_id(stack)}.{DOMAIN}" in sans.get_values_for_type(x509.DNSName)
    assert data["broker.key-pk8.pem"].startswith("-----BEGIN PRIVATE KEY-----")
    key = load_pem_private_key(data["broker.key-pk8.pem"].encode(), password=None)
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert key.public_key().public_bytes(*spki) == cert.public_key().public_bytes(*spki)


PEM_KEY = re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.S)


def strings(value: Any) -> list[str]:
    """Every string anywhere in a JSON document (outputs, inputs, property values), with the newlines of
    strings that hold JSON themselves (e.g. a last-applied-configuration annotation) unescaped."""
    if isinstance(value, str):
        return [value.replace("\\n", "\n")]
    if isinstance(value, dict):
        return [t for v in value.values() for t in strings(v)]
    if isinstance(value, list):
        return [t for v in value for t in strings(v)]
    return []


def private_keys(document: Any) -> dict[bytes, str]:
    """The PEM private keys (PKCS#1, SEC1, PKCS#8) found in a state export, by their public key (DER
    SubjectPublicKeyInfo). pulumi-tls also stores each key in OpenSSH form, next to its PEM forms in the same
    resource: those are compared as text (``openssh_keys``)."""
    found = {}
    for text in strings(document):
        for match in PEM_KEY.finditer(text):
            if match.group(1) == "OPENSSH ":
                continue
            key = load_pem_private_key(match.group(0).encode(), None)
            found[key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)] = match.group(0)
    return found


def openssh_keys(document: Any) -> set[str]:
    return {m.group(0) for t in strings(document) for m in PEM_KEY.finditer(t) if m.group(1) == "OPENSSH "}


def pulsar_cert(api: KubeApi, stack: str) -> dict[str, str]:
    secret = api.get(f"/api/v1/namespaces/{namespace_of(stack)}/secrets/pulsar-cert")
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def exported(fed: Federation, stack: str, *flags: str) -> dict[str, Any]:
    return json.loads(fed.stack(stack).run("stack", "export", *flags).stdout)


def passes(stdout: str) -> int:
    match = re.search(r"converged after (\d+) pass", stdout)
    assert match, stdout[-3000:]
    return int(match.group(1))


def stack_updates(stdout: str) -> int:
    match = re.search(r"converged after \d+ pass\(es\), (\d+) stack update", stdout)
    assert match, stdout[-3000:]
    return int(match.group(1))


def ran(stdout: str, stack: str, operation: str = "up") -> list[str]:
    """The pass lines of one stack's runs of ``operation`` (skipped stacks print ``skip``), not the closing
    time-per-stack lines (``up 2x 46.1s``)."""
    return [
        ln
        for ln in stdout.splitlines()
        if re.match(rf"\s+{stack}\s+{operation}\s", ln) and not re.match(rf"\s+{stack}\s+{operation} \d+x ", ln)
    ]


def state_urn(fed: Federation, stack: str, type_: str, namespace: str, name: str) -> str:
    resources = fed.stack(stack).run("stack", "export").stdout
    for res in json.loads(resources)["deployment"]["resources"]:
        meta = (res.get("outputs") or {}).get("metadata") or {}
        if res["type"] == type_ and meta.get("name") == name and meta.get("namespace") == namespace:
            return res["urn"]
    raise AssertionError(f"{type_} {namespace}/{name} not in the state of {stack}")


def changed_urns(preview: dict[str, Any]) -> dict[str, str]:
    """Steps that change something (a refresh step only re-reads the object)."""
    return {s["urn"]: s["op"] for s in preview.get("steps", []) if s.get("op") not in ("same", "read", "refresh")}


def snapshot(api: KubeApi, namespace: str) -> dict[str, tuple[str, Any]]:
    """uid and generation (workloads) or resourceVersion (everything else) of the FATE objects."""
    out = {}
    for group, plural in WORKLOAD_KINDS:
        base = "/api/v1" if group == "v1" else f"/apis/{group}"
        for obj in api.items(f"{base}/namespaces/{namespace}/{plural}"):
            meta = obj["metadata"]
            if meta["name"] == "kube-root-ca.crt":
                continue
            marker = meta.get("generation") if plural in ("deployments", "statefulsets") else meta["resourceVersion"]
            out[f"{plural}/{meta['name']}"] = (meta["uid"], marker)
    return out


# --- 1. converge from empty -----------------------------------------------------------------------------------


def test_federation_converges_from_empty(deployed_federation) -> None:
    fed, up, seconds = deployed_federation
    api = fed.api
    print(f"federation up from empty: {seconds:.0f}s, {passes(up.stdout)} pass(es), {stack_updates(up.stdout)} runs")
    # parties (key, request, endpoints), exchange (CA, signatures, routes), parties (certificate, exchange
    # endpoint): 2N+1, after which no stack's inputs changed, so no confirming pass
    assert passes(up.stdout) == 1 and stack_updates(up.stdout) == 5, up.stdout[-4000:]
    assert len(ran(up.stdout, EXCHANGE)) == 1 and all(len(ran(up.stdout, p)) == 2 for p in PARTIES)
    assert re.search(r"\[\d+:\d\d\] local-party-30000: up done in [\d.]+s", up.stdout), up.stdout[-3000:]
    assert "== time per stack" in up.stdout and "== time per pass" in up.stdout
    exchange = fed.outputs(EXCHANGE)
    assert sorted(int(p) for p in exchange["federatedParties"]) == [30000, 40000]
    assert exchange["pendingParties"] == []
    nginx_ip, ats_ip = exchange_addresses(api)
    assert exchange["exchangeEndpoint"]["host"] == nginx_ip
    assert exchange["exchangeEndpoint"]["atsHost"] == ats_ip
    assert_exchange_routes(api, list(PARTIES))
    for stack in PARTIES:
        assert_party_points_at_exchange(api, stack)
        assert_certificate_chains(api, stack, exchange["caCert"])
        out = fed.outputs(stack)
        assert out["federation"]["exchange"] == "connected"
        assert out["nginxEndpoint"]["host"] == lb_ip(service(api, namespace_of(stack), "nginx"))
        # Only what the public load balancer offers: the TLS port of pulsar-public-tls.
        assert out["pulsarEndpoint"] == {
            "host": lb_ip(service(api, namespace_of(stack), "pulsar-public-tls")),
            "sslPort": 6651,
        }
    # The printout make demo shows: endpoints, the exchange route table, who is federated.
    assert "federatedParties=[30000, 40000]" in up.stdout.replace("30000.0", "30000").replace("40000.0", "40000")

    again = fed.command("up")
    assert passes(again.stdout) == 1 and stack_updates(again.stdout) == 0, again.stdout
    assert all(ran(again.stdout, s, "skip") for s in (EXCHANGE, *PARTIES)), again.stdout


# --- 2. keys stay with their party ------------------------------------------------------------------------------


def test_the_exchange_state_holds_no_party_key(deployed_federation) -> None:
    """The whole exchange state, secrets decrypted, holds only its own two keys (CA, ATS); each party's key is
    in that party's state, and there only as a secret."""
    fed, _, _ = deployed_federation
    exchange = exported(fed, EXCHANGE, "--show-secrets")
    exchange_text = json.dumps(exchange)
    own = private_keys(exchange)
    key_resources = [r for r in exchange["deployment"]["resources"] if r["type"] == "tls:index/privateKey:PrivateKey"]
    assert sorted(r["urn"].rsplit("::", 1)[1] for r in key_resources) == ["exchange-pki-ats-key", "exchange-pki-ca-key"]
    assert len(own) == 2, sorted(pem[:40] for pem in own.values())
    for stack in PARTIES:
        installed = pulsar_cert(fed.api, stack)["broker.key-pk8.pem"]
        public = load_pem_private_key(installed.encode(), password=None).public_key()
        assert public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) not in own, stack
        lines = installed.strip().splitlines()[1:-1]  # the key's base64 lines, each 64 characters
        assert not [ln for ln in lines if len(ln) == 64 and ln in exchange_text], stack
        plain = json.dumps(exported(fed, stack))
        assert "PRIVATE KEY-----" not in plain, f"{stack}: a private key in clear in its state"
        party_state = exported(fed, stack, "--show-secrets")
        assert public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) in private_keys(party_state), stack
        assert not openssh_keys(party_state) & openssh_keys(exchange), stack


# --- 3. no drift right after ----------------------------------------------------------------------------------


def test_every_stack_previews_without_changes(deployed_federation) -> None:
    fed, _, _ = deployed_federation
    for stack in (EXCHANGE, *PARTIES):
        proc = fed.stack(stack).preview("--expect-no-changes", check=False)
        assert proc.returncode == 0, f"{stack}:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"


# --- 4. out-of-band changes are reported and undone ------------------------------------------------------------


def test_out_of_band_changes_are_reported_and_undone(deployed_federation) -> None:
    fed, _, _ = deployed_federation
    api = fed.api
    stack, ns = "local-party-30000", "fate-30000"
    deployments = api.items(f"/apis/apps/v1/namespaces/{ns}/deployments")
    assert len(deployments) >= 2, [d["metadata"]["name"] for d in deployments]
    scaled, reimaged = deployments[0], deployments[1]
    scaled_name, reimaged_name = scaled["metadata"]["name"], reimaged["metadata"]["name"]
    replicas = scaled["spec"]["replicas"]
    container = reimaged["spec"]["template"]["spec"]["containers"][0]
    image = container["image"]
    tables = config_map_with(api, ns, "route_table.yaml")
    table_name, table_data = tables["metadata"]["name"], tables["data"]
    victim = next(
        s["metadata"]["name"]
        for s in api.items(f"/api/v1/namespaces/{ns}/services")
        if s["spec"]["type"] == "ClusterIP"
    )
    urns = {
        "scale": state_urn(fed, stack, "kubernetes:apps/v1:Deployment", ns, scaled_name),
        "image": state_urn(fed, stack, "kubernetes:apps/v1:Deployment", ns, reimaged_name),
        "configmap": state_urn(fed, stack, "kubernetes:core/v1:ConfigMap", ns, table_name),
        "service": state_urn(fed, stack, "kubernetes:core/v1:Service", ns, victim),
    }

    api.merge_patch(f"/apis/apps/v1/namespaces/{ns}/deployments/{scaled_name}", {"spec": {"replicas": replicas + 2}})
    api.request(
        "PATCH",
        f"/apis/apps/v1/namespaces/{ns}/deployments/{reimaged_name}",
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": container["name"], "image": "busybox:1.36-tampered"}]}}
            }
        },
        "application/strategic-merge-patch+json",
    )
    api.merge_patch(f"/api/v1/namespaces/{ns}/configmaps/{table_name}", {"data": {"route_table.yaml": "tampered: 1\n"}})
    api.delete(f"/api/v1/namespaces/{ns}/services/{victim}")
    wait_for(lambda: api.get_or_none(f"/api/v1/namespaces/{ns}/services/{victim}") is None, what=f"{victim} gone")

    # Every edit moved the fields it touched to another field manager; the federation's environment lets
    # server-side apply take them back (federation_env, docs/e2e.md "Drift").
    preview = fed.preview_changes(stack, "--refresh")
    changed = changed_urns(preview)
    for what, urn in urns.items():
        assert urn in changed, f"{what}: {urn} not among the changes {changed}"

    # Nothing the stacks read changed, so only `--refresh` finds the drift: every stack is previewed with
    # refresh and only the drifted party is updated.
    repair = fed.command("up", "--refresh")
    assert stack_updates(repair.stdout) == 1 and len(ran(repair.stdout, stack)) == 1, repair.stdout[-4000:]
    for other in (EXCHANGE, "local-party-40000"):
        assert not ran(repair.stdout, other) and ran(repair.stdout, other, "preview"), repair.stdout[-4000:]
    assert api.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{scaled_name}")["spec"]["replicas"] == replicas
    live = api.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{reimaged_name}")["spec"]["template"]["spec"]
    assert next(c for c in live["containers"] if c["name"] == container["name"])["image"] == image
    assert config_map_with(api, ns, "route_table.yaml")["data"] == table_data
    assert api.get_or_none(f"/api/v1/namespaces/{ns}/services/{victim}") is not None
    # The rollbacks bump status fields and revision annotations after `up` saved its outputs: a refresh takes
    # them in, then nothing may be left to change.
    fed.stack(stack).run("refresh", "--yes", "--skip-preview")
    proc = fed.stack(stack).preview("--refresh", "--expect-no-changes", check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]


# --- 5. Day 2: a third party ----------------------------------------------------------------------------------


def test_a_third_party_joins_without_touching_the_others(deployed_federation) -> None:
    fed, _, _ = deployed_federation
    api = fed.api
    before = {stack: snapshot(api, namespace_of(stack)) for stack in PARTIES}
    doc = fed.stack_config(EXCHANGE)
    doc["config"]["kubefate-tanzu:exchange"]["parties"].append({"partyId": 50000, "stack": DAY2})
    fed.write_stack_config(EXCHANGE, doc)

    up = fed.command("up")
    print(f"Day 2: {passes(up.stdout)} pass(es), {stack_updates(up.stdout)} runs")
    # the new party (key, request, endpoints), the exchange (signature, routes), the new party (certificate)
    assert len(ran(up.stdout, EXCHANGE)) == 1 and len(ran(up.stdout, DAY2)) == 2, up.stdout[-4000:]
    # What party 40000 reads from the exchange did not change: not run. Party 30000 was refreshed by hand in
    # the test before (its state is not the one its record describes): at most one run, changing nothing.
    assert not ran(up.stdout, "local-party-40000"), up.stdout[-4000:]
    again = ran(up.stdout, "local-party-30000")
    assert len(again) <= 1 and all("no changes" in ln for ln in again), up.stdout[-4000:]
    assert stack_updates(up.stdout) == 3 + len(again)
    exchange = fed.outputs(EXCHANGE)
    assert sorted(int(p) for p in exchange["federatedParties"]) == [30000, 40000, 50000]
    assert_exchange_routes(api, [*PARTIES, DAY2])
    assert_party_points_at_exchange(api, DAY2)
    assert_certificate_chains(api, DAY2, exchange["caCert"])
    for stack in PARTIES:
        assert snapshot(api, namespace_of(stack)) == before[stack], stack
        assert_certificate_chains(api, stack, exchange["caCert"])


# --- 6. destroy --------------------------------------------------------------------------------------------------


def test_destroy_leaves_no_fate_objects_but_keeps_the_volumes_it_should(deployed_federation) -> None:
    fed, _, _ = deployed_federation
    api = fed.api
    stacks = [*PARTIES, DAY2]
    claims_before = {
        ns: {c["metadata"]["name"] for c in api.items(f"/api/v1/namespaces/{ns}/persistentvolumeclaims")}
        for ns in ("fate-30000", "kube-fate")
    }
    assert claims_before["fate-30000"] and claims_before["kube-fate"], claims_before

    started = time.monotonic()
    fed.command("destroy", "--yes")
    print(f"federation destroy: {time.monotonic() - started:.0f}s")
    for stack in (*stacks, EXCHANGE):
        assert fed.stack(stack).resource_count() == 0, stack
    try:
        namespaces = [namespace_of(s) for s in stacks] + [EXCHANGE_NS, "kube-fate"]

        def fate_objects() -> list[str]:
            left = []
            for ns in namespaces:
                for group, plural in WORKLOAD_KINDS:
                    base = "/api/v1" if group == "v1" else f"/apis/{group}"
                    left += [
                        f"{ns}/{plural}/{o['metadata']['name']}"
                        for o in api.items(f"{base}/namespaces/{ns}/{plural}")
                        if o["metadata"]["name"] != "kube-root-ca.crt"
                    ]
            return left

        wait_for(lambda: not fate_objects(), timeout=180, what="FATE objects to go")
        for ns in ("fate-40000", "fate-50000", EXCHANGE_NS):  # keepVolumesOnDestroy false / exchange: gone
            obj = api.get_or_none(f"/api/v1/namespaces/{ns}")
            assert obj is None or obj["metadata"].get("deletionTimestamp"), ns
        # keepVolumesOnDestroy: true (party 30000) and keepDatabaseOnDestroy (KubeFATE): claims are still there.
        for ns, names in claims_before.items():
            kept = {c["metadata"]["name"] for c in api.items(f"/api/v1/namespaces/{ns}/persistentvolumeclaims")}
            assert kept == names, ns
            assert not api.get(f"/api/v1/namespaces/{ns}")["metadata"].get("deletionTimestamp"), ns
    finally:
        # The kept namespaces would make the next run's namespace creation fail: a test cluster starts empty.
        for ns in ("fate-30000", "kube-fate"):
            api.delete(f"/api/v1/namespaces/{ns}")
