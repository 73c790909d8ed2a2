"""FATE's toy example between party 30000 (guest) and 40000 (host), for real, on what the stacks deployed (issue 10).

Every program runs from its pod in the API server (tests/workload/fate_federation.py): per party MySQL 9.7.4,
Pulsar 2.10.2 standalone (the rendered standalone.conf and pulsar-cert Secret), nginx and FATE-Flow 2.0.0 (the
pod's own command, the rendered service_conf.yaml and pulsar route table); the exchange's Traffic Server and
nginx. Each party and the exchange have their own network; a party reaches only the exchange's LoadBalancer
addresses. fate-client 2.0.0's ``flow test toy`` runs in the guest's fateflow pod, as the product's toy Job
does (federation/toy_job.py ``toy_script``), and its output is judged by the product's ``classify_log``.

What it proves: FATE-Flow's control messages cross guest nginx -> exchange nginx -> host nginx; the toy's data
goes guest broker -> exchange ATS (SNI tunnel, the brokers' own TLS) -> host broker and back, by Pulsar
geo-replication to the cluster the guest's FATE created from the rendered route table; the job succeeds at
both parties; each party's FATE-Flow reaches itself through its nginx at the cluster IPs the route table holds
as rendered (tests/workload/kube_proxy.py plays kube-proxy). The one substitution (computing/storage
standalone) is in fate_federation.py and docs/workload-fate.md "The toy job". A failure names the first failing
hop and the log line that shows it.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator

import pytest
import yaml

from federation import toy_job
from tests.e2e.federation_fixtures import EXCHANGE
from tests.workload.fate_federation import FLOW_LOGS, Federation, running_federation
from tests.workload.images_fate import runtime_env
from tests.workload.test_nginx_on_the_wire import ROUTE_TABLE
from tests.workload.wire import DOMAIN, EXCHANGE_NS, lb_address

pytestmark = pytest.mark.workload

GUEST, HOST = 30000, 40000
TOY_TIMEOUT = 300  # fate-client's own bound; the task workers import torch on a loaded 2-core machine
ERROR_LINE = re.compile(r"\b(ERROR|Exception|Traceback|Failed to)\b")
# FATE-Flow's federated call answered with a server error by an nginx on the control path.
CONTROL_ERROR = re.compile(r"\b5\d\d Server Error\b.*\bnginx\b")
NGINX_ERROR = re.compile(r"\[(error|crit|alert|emerg)\]")


@pytest.fixture(scope="module")
def live(workload_federation, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    fed = workload_federation[0]
    runtime_env()  # the cached FATE runtime (make test builds it)
    with running_federation(
        fed.api, fed.outputs(EXCHANGE)["caCert"], tmp_path_factory.mktemp("toy"), [GUEST, HOST]
    ) as running:
        yield running


def last_line(text: str, pattern: re.Pattern[str] = ERROR_LINE) -> str:
    """The latest line showing a failure (a broker's log also holds those of earlier jobs)."""
    return next((ln.strip() for ln in reversed(text.splitlines()) if pattern.search(ln)), "")


def task_errors(fed: Federation, party: int) -> str:
    pod = fed.parties[party].pods["fateflow"]
    proc = pod.exec(["bash", "-c", f"cat {FLOW_LOGS}/2*/*/*/*/root/INFO {FLOW_LOGS}/fate_flow/INFO.log 2>/dev/null"])
    return last_line(proc.stdout, re.compile(r"\[ERROR\]|Traceback"))


def hop_report(fed: Federation, verdict: toy_job.LogVerdict, output: str) -> str:
    """The first failing hop, in toy_job's vocabulary (client, fateflow, federation, job) refined along the
    control path (a federated call answered 5xx: the first nginx with an error line, guest, exchange, host) or
    the data path, and the log line that shows it."""
    api = fed.api
    ats = (lb_address(api, EXCHANGE_NS, "traffic-server"), 443)
    lines = [f"toy: hop {verdict.hop}: {verdict.detail}", f"  flow: {verdict.first_line or output[-300:]}"]
    if CONTROL_ERROR.search(output):
        # The job was never created: the control messages failed, the data path was never used.
        for name, pod in (
            (f"{GUEST} nginx", fed.parties[GUEST].pods.get("nginx")),
            ("exchange nginx", fed.exchange_nginx),
            (f"{HOST} nginx", fed.parties[HOST].pods.get("nginx")),
        ):
            line = last_line(pod.log(2000), NGINX_ERROR) if pod is not None else ""
            if line:
                lines.append(f"  hop {name}: {line}")
                return "\n".join(lines)
    if verdict.hop in ("federation", "job"):
        for src, dst in ((GUEST, HOST), (HOST, GUEST)):
            broker = fed.parties[src].pods["pulsar"].log(2000)
            to_ats = fed.link(*ats, source=fed.parties[src].netns)
            host_tls = fed.pulsar_tls(dst)
            from_ats = fed.link(*host_tls)
            if to_ats is None or to_ats.connections == 0:
                refused = to_ats.refused if to_ats else 0
                lines.append(
                    f"  hop {src} pulsar -> exchange ATS {ats[0]}:443: no connection ({refused} refused); "
                    f"broker: {last_line(broker)}"
                )
                break
            if from_ats is None or from_ats.connections == 0:
                try:
                    diags = fed.wire.diags() if fed.wire else ""
                except (RuntimeError, FileNotFoundError) as exc:
                    diags = f"(no diags.log: {exc})"
                lines.append(
                    f"  hop exchange ATS -> {dst}.{DOMAIN} pulsar {host_tls[0]}:6651: no connection; "
                    f"ATS: {last_line(diags) or last_line(broker)}"
                )
                break
        for party in (GUEST, HOST):
            err = task_errors(fed, party)
            if err:
                lines.append(f"  hop task at {party}: {err}")
                break
    return "\n".join(lines)


def broker_cluster(fed: Federation, party: int, cluster: int) -> dict:
    address = fed.pulsar_tls(party)[0]
    url = f"http://{address}:8080/admin/v2/clusters/{cluster}"
    return fed.parties[party].netns.call(lambda: json.loads(urllib.request.urlopen(url, timeout=10).read()))


def run_toy(fed: Federation, timeout: int) -> tuple[int, str, toy_job.LogVerdict]:
    """``flow init`` + ``flow test toy`` in the guest's fateflow pod, as the product's toy Job runs them."""
    venv = runtime_env()["KFT_FATE_VENV"]
    for link in fed.links:  # what the report and the assertions count is this run's traffic
        link.connections = link.refused = 0
    started = time.monotonic()
    proc = (
        fed.parties[GUEST]
        .pods["fateflow"]
        .exec(
            ["bash", "-c", toy_job.toy_script(GUEST, HOST, toy_job.budget(timeout + 60))],
            env={"PATH": f"{venv}/bin:/usr/bin:/bin", "HOME": "/root"},
            timeout=timeout + 120,
        )
    )
    output = proc.stdout + proc.stderr
    print(f"toy took {time.monotonic() - started:.0f}s:\n{output[-1500:]}")
    return proc.returncode, output, toy_job.classify_log(output)


def own_routes(fed: Federation, party: int) -> tuple[dict, dict]:
    """(the party's own entry in the route table its nginx reads, the cluster IPs of nginx/fateflow-client)."""
    table = yaml.safe_load(fed.parties[party].pods["nginx"].read(ROUTE_TABLE))
    ips = {
        name: fed.api.get(f"/api/v1/namespaces/fate-{party}/services/{name}")["spec"]["clusterIP"]
        for name in ("nginx", "fateflow-client")
    }
    return table[party], ips


def test_the_toy_job_succeeds_between_the_two_parties_across_the_exchange(live: Federation) -> None:
    # FATE-Flow's messages to its own party go through its nginx: to the cluster IPs rendered, unchanged in the
    # pod's copy (kube_proxy.py leads them to the pods, as kube-proxy does).
    for party in (GUEST, HOST):
        own, ips = own_routes(live, party)
        assert [e["host"] for e in own["proxy"]] == [ips["nginx"]], (own, ips)
        assert [e["host"] for e in own["fateflow"]] == [ips["fateflow-client"]], (own, ips)
    code, output, verdict = run_toy(live, TOY_TIMEOUT)
    assert verdict.ok and code == 0, hop_report(live, verdict, output)

    # The data crossed the exchange both ways: each broker tunnelled to the other through the ATS, with SNI.
    api = live.api
    ats = (lb_address(api, EXCHANGE_NS, "traffic-server"), 443)
    for src, dst in ((GUEST, HOST), (HOST, GUEST)):
        to_ats = live.link(*ats, source=live.parties[src].netns)
        assert to_ats is not None and to_ats.connections > 0, f"party {src}'s broker never reached the exchange"
        into = live.link(*live.pulsar_tls(dst))
        assert into is not None and into.connections > 0, f"the exchange never reached party {dst}'s broker"
        # The remote cluster FATE created on the broker, from the rendered pulsar route table (read from
        # conf/pulsar_route_table.yaml, where the fixed command puts it: the package's example table names
        # proxy.fate.org instead).
        cluster = broker_cluster(live, src, dst)
        assert cluster["brokerServiceUrlTls"] == f"pulsar+ssl://{dst}.{DOMAIN}:6651", cluster
        assert cluster["proxyServiceUrl"] == f"pulsar+ssl://{ats[0]}:443" and cluster["proxyProtocol"] == "SNI"


def test_without_the_exchange_the_toy_fails_naming_the_hop_and_the_brokers_line(live: Federation) -> None:
    """The exchange's Traffic Server stopped: the control messages still cross (nginx), the job starts at both
    parties, and its data cannot leave the guest's broker. The report names that hop and the broker's line."""
    assert live.wire is not None
    if live.wire.ats is not None:
        live.wire.ats.stop()
    _, output, verdict = run_toy(live, 90)
    assert not verdict.ok, output[-2000:]
    report = hop_report(live, verdict, output)
    print(report)
    assert verdict.hop in ("federation", "job"), report
    hop = f"hop {GUEST} pulsar -> exchange ATS "
    assert hop in report, report
    broker_line = report.split(hop, 1)[1]
    assert "broker: " in broker_line and len(broker_line.split("broker: ", 1)[1].strip()) > 0, report
