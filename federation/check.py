"""``python -m federation check``: every hop of the federation's traffic, tested from this machine.

``up`` proves the stacks converged; it does not prove a party's gradients can reach another party. The check
walks each path in the order traffic takes it and stops a row at its first failure, so the report names the
broken hop rather than a pile of consequences:

* ``exchange-nginx-http`` / ``exchange-nginx-grpc``: the exchange nginx (control messages), DNS -> TCP ->
  an HTTP/1.1 status line / an HTTP/2 SETTINGS frame.
* one row per party: the exchange's ``sniRoutes`` against the party's ``pulsarEndpoint`` (route), then DNS
  and TCP to the exchange ATS, a TLS handshake with SNI ``<partyId>.<domain>`` through the tunnel, the
  presented certificate against the exchange's ``caCert`` (cert), and a Pulsar CONNECT/CONNECTED (protocol).

Everything comes from stack outputs (the same ones ``status`` prints); a missing or malformed output is a
failure of the row's ``outputs`` hop, never a crash, because "not deployed yet" is a normal state to report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import yaml

from components import contracts
from components.exchange.ats_config import tunnel_target
from components.exchange.endpoints import parse_pulsar_endpoint
from federation import plan, probes
from federation.probes import ProbeResult, hostport

HOPS = ("outputs", "route", "dns", "tcp", "tls", "cert", "protocol")
OK, FAIL, SKIPPED, NA = "ok", "fail", "skipped", "n/a"
CELLS = {OK: "ok", FAIL: "FAIL", SKIPPED: "skipped", NA: "n/a"}
UP = "run `python -m federation up`"

Outputs = Mapping[str, Any]


@dataclass
class Hop:
    hop: str
    status: str
    target: str = ""
    detail: str = ""
    fix: str = ""


@dataclass
class Row:
    name: str
    party: int | None
    stack: str
    hops: list[Hop] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(h.status != FAIL for h in self.hops)

    @property
    def failure(self) -> Hop | None:
        return next((h for h in self.hops if h.status == FAIL), None)


@dataclass(frozen=True)
class Step:
    """One hop of a row: ``probe`` gets the results of the hops before it (the cert hop needs the TLS hop's
    certificate); ``fix`` turns a failed result into what to do. No probe means the hop does not apply."""

    hop: str
    target: str = ""
    probe: Callable[[dict[str, ProbeResult]], ProbeResult] | None = None
    fix: Callable[[ProbeResult], str] = lambda _r: ""


def run_steps(name: str, party: int | None, stack: str, steps: list[Step]) -> Row:
    """The hops in HOPS order; after the first failure every remaining applicable hop is skipped."""
    by_hop = {s.hop: s for s in steps}
    row = Row(name, party, stack)
    results: dict[str, ProbeResult] = {}
    failed = False
    for hop in HOPS:
        step = by_hop.get(hop)
        if step is None or step.probe is None:
            row.hops.append(Hop(hop, NA, step.target if step else ""))
            continue
        if failed:
            row.hops.append(Hop(hop, SKIPPED, step.target))
            continue
        try:
            result = step.probe(results)
        except Exception as exc:  # a probe bug must still produce a row, not a traceback
            result = ProbeResult(False, f"{type(exc).__name__}: {exc}")
        results[hop] = result
        if result.ok:
            row.hops.append(Hop(hop, OK, step.target, result.detail))
        else:
            failed = True
            row.hops.append(Hop(hop, FAIL, step.target, result.detail, step.fix(result)))
    return row


# --- stack outputs -> what to probe (pure) ---------------------------------------------------------------------


def _port(value: Any) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON numbers from state may come back as floats
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535 else None


def _host(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class ExchangeView:
    """The exchange outputs the check uses; ``problem`` says why they are unusable (then nothing else is)."""

    stack: str
    problem: str | None = None
    fix: str = ""
    host: str = ""
    http_port: int = 0
    grpc_port: int = 0
    ats_host: str = ""
    ats_port: int = 0
    domain: str = ""
    ca_pem: str | None = None
    sni_routes: list[dict[str, Any]] | None = None
    sni_problem: str | None = None
    pending: tuple[int, ...] = ()


def parse_sni_routes(value: Any) -> tuple[list[dict[str, Any]] | None, str | None]:
    """The ``sniRoutes`` output: the rendered sni.yaml text (``sni: [{fqdn, tunnel_route}]``), or the list."""
    if value is None:
        return None, "the exchange exports no sniRoutes"
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            return None, f"sniRoutes is not YAML: {exc}"
    if isinstance(value, dict):
        value = value.get("sni")
    if value is None:
        return [], None  # an empty sni.yaml: nothing routed yet
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        return None, f"sniRoutes is not a list of {{fqdn, tunnel_route}}: {str(value)[:80]}"
    return value, None


def exchange_view(stack: str, outputs: Outputs | None, error: str | None = None) -> ExchangeView:
    if error is not None:
        return ExchangeView(
            stack,
            f"reading the outputs of {stack} failed: {error}",
            "check the backend and its passphrase (--backend, PULUMI_CONFIG_PASSPHRASE_FILE)",
        )
    if outputs is None:
        return ExchangeView(stack, f"stack {stack} has no outputs (not deployed)", UP)
    ep = outputs.get(contracts.EXCHANGE_ENDPOINT)
    if not isinstance(ep, dict):
        return ExchangeView(
            stack,
            f"{stack} exports no {contracts.EXCHANGE_ENDPOINT} (null until the exchange's "
            "load balancers have addresses)",
            "check the exchange's Services traffic-server and nginx have an external address "
            f"(kubectl -n <exchange namespace, default fate-exchange> get svc), then {UP}",
        )
    host, ats_host, domain = _host(ep.get("host")), _host(ep.get("atsHost")), _host(ep.get("domain"))
    http, grpc, ats = _port(ep.get("nginxHttpPort")), _port(ep.get("nginxGrpcPort")), _port(ep.get("atsPort"))
    if host is None or ats_host is None or domain is None or http is None or grpc is None or ats is None:
        return ExchangeView(
            stack,
            f"{stack} exports a malformed {contracts.EXCHANGE_ENDPOINT}: {ep}",
            f"{UP} (the exchange stack renders it; an older program version may differ)",
        )
    ca = outputs.get(contracts.CA_CERT)
    routes, sni_problem = parse_sni_routes(outputs.get("sniRoutes"))
    pending = outputs.get(contracts.PENDING_PARTIES) or []
    return ExchangeView(
        stack,
        host=host,
        http_port=http,
        grpc_port=grpc,
        ats_host=ats_host,
        ats_port=ats,
        domain=domain,
        ca_pem=ca if isinstance(ca, str) and ca.strip() else None,
        sni_routes=routes,
        sni_problem=sni_problem,
        pending=tuple(int(p) for p in pending if isinstance(p, (int, float))),
    )


@dataclass(frozen=True)
class PartyView:
    stack: str
    party_id: int | None = None
    pulsar: Mapping[str, Any] | None = None
    problem: str | None = None
    fix: str = ""


def party_view(stack: str, outputs: Outputs | None, error: str | None = None) -> PartyView:
    if error is not None:
        return PartyView(
            stack,
            problem=f"reading the outputs of {stack} failed: {error}",
            fix="check the backend and its passphrase (--backend, PULUMI_CONFIG_PASSPHRASE_FILE)",
        )
    if outputs is None:
        return PartyView(stack, problem=f"stack {stack} has no outputs (not deployed)", fix=UP)
    raw_id = outputs.get(contracts.PARTY_ID)
    party_id = int(raw_id) if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool) else None
    if party_id is None:
        return PartyView(stack, problem=f"{stack} exports no {contracts.PARTY_ID}", fix=UP)
    pulsar = parse_pulsar_endpoint(outputs.get(contracts.PULSAR_ENDPOINT))
    if pulsar is None:
        namespace = outputs.get("fateNamespace") or f"fate-{party_id}"
        return PartyView(
            stack,
            party_id,
            problem=f"{stack} exports no usable {contracts.PULSAR_ENDPOINT} "
            f"(got {outputs.get(contracts.PULSAR_ENDPOINT)!r})",
            fix=f"check Service pulsar-public-tls in namespace {namespace} has an external address, then {UP}",
        )
    return PartyView(stack, party_id, pulsar)


def route_result(exchange: ExchangeView, party: PartyView) -> ProbeResult:
    """The exchange's rendered SNI route for the party against the party's current Pulsar endpoint."""
    fqdn = f"{party.party_id}.{exchange.domain}"
    want = tunnel_target(party.pulsar)  # type: ignore[arg-type]  # how the exchange renders it
    if exchange.sni_routes is None:
        return ProbeResult(False, exchange.sni_problem or "no sniRoutes")
    routed = [e for e in exchange.sni_routes if str(e.get("fqdn", "")).lower() == fqdn.lower()]
    if not routed:
        pending = " (the exchange lists it in pendingParties)" if party.party_id in exchange.pending else ""
        return ProbeResult(
            False, f"{fqdn} is missing from the exchange's sniRoutes{pending}; the party's Pulsar is {want}"
        )
    got = str(routed[-1].get("tunnel_route", ""))
    if got != want:
        return ProbeResult(False, f"sniRoutes sends {fqdn} to {got}, but the party's Pulsar is {want}")
    return ProbeResult(True, f"{fqdn} -> {got}")


# --- rows ------------------------------------------------------------------------------------------------------


def _outputs_step(problem: str | None, fix: str, detail: str) -> Step:
    result = ProbeResult(problem is None, problem or detail)
    return Step("outputs", probe=lambda _r: result, fix=lambda _r: fix)


NGINX_ROWS = (
    ("exchange-nginx-http", "http", probes.http_status, "an HTTP/1.1 status line"),
    ("exchange-nginx-grpc", "grpc", probes.h2_settings, "an HTTP/2 SETTINGS frame (gRPC)"),
)


def nginx_row(
    ex: ExchangeView,
    name: str,
    kind: str,
    protocol: Callable[[str, int, float], ProbeResult],
    answer: str,
    timeout: float,
) -> Row:
    port = ex.http_port if kind == "http" else ex.grpc_port
    target = hostport(ex.host, port)
    steps = [_outputs_step(ex.problem, ex.fix, f"{ex.stack}: nginx {kind} {target}")]
    if ex.problem is None:
        steps += [
            Step(
                "dns",
                ex.host,
                lambda _r: probes.resolve(ex.host, port, timeout),
                lambda _r: (
                    f"publish a DNS record for {ex.host} (the exchange nginx's load balancer), or set "
                    "exchange.advertisedHost to an address this machine resolves"
                ),
            ),
            Step(
                "tcp",
                target,
                lambda _r: probes.tcp_connect(ex.host, port, timeout),
                lambda _r: (
                    f"check the exchange's nginx Service has an address and exposes its {kind} port, "
                    f"and that firewalls let {target} through"
                ),
            ),
            Step(
                "protocol",
                target,
                lambda _r: protocol(ex.host, port, timeout),
                lambda _r: (
                    f"something other than the exchange nginx answers on {target}: check the nginx "
                    "pods in the exchange namespace (default fate-exchange) are running and answer "
                    f"{answer} there"
                ),
            ),
        ]
    return run_steps(name, None, ex.stack, steps)


def party_row(ex: ExchangeView, party: PartyView, timeout: float) -> Row:
    name = f"party {party.party_id}" if party.party_id is not None else party.stack
    problem, fix = party.problem, party.fix
    if ex.problem is not None:
        problem, fix = ex.problem, ex.fix
    elif problem is None and ex.ca_pem is None:
        problem, fix = f"{ex.stack} exports no {contracts.CA_CERT}", UP
    if problem is not None:
        return run_steps(name, party.party_id, party.stack, [_outputs_step(problem, fix, "")])
    fqdn = f"{party.party_id}.{ex.domain}"
    ca_pem = ex.ca_pem or ""  # never empty here: a missing CA returned above
    ssl_port = (party.pulsar or {}).get("sslPort")
    pulsar = tunnel_target(party.pulsar)  # type: ignore[arg-type]
    ats = hostport(ex.ats_host, ex.ats_port)
    tunnel = f"{ats} with SNI {fqdn}"
    steps = [
        _outputs_step(None, "", f"{ex.stack}, {party.stack}: party {party.party_id}, Pulsar {pulsar}"),
        Step(
            "route",
            f"{fqdn} -> {pulsar}",
            lambda _r: route_result(ex, party),
            lambda _r: f"{UP}: the exchange's next pass renders sni.yaml from the parties' current endpoints",
        ),
        Step(
            "dns",
            ex.ats_host,
            lambda _r: probes.resolve(ex.ats_host, ex.ats_port, timeout),
            lambda _r: (
                f"publish a DNS record for {ex.ats_host} (the exchange ATS's load balancer), or set "
                "exchange.advertisedHost to an address this machine resolves"
            ),
        ),
        Step(
            "tcp",
            ats,
            lambda _r: probes.tcp_connect(ex.ats_host, ex.ats_port, timeout),
            lambda _r: (
                f"check the exchange's traffic-server Service has an address and that firewalls let {ats} through"
            ),
        ),
        Step(
            "tls",
            tunnel,
            lambda _r: probes.tls_handshake(ex.ats_host, ex.ats_port, fqdn, timeout),
            lambda _r: (
                f"check the exchange's sni.yaml has {fqdn} -> {pulsar} and that port "
                f"{ssl_port} is in proxy.config.http.connect_ports; then that the "
                f"party's Pulsar answers TLS on {pulsar} from the exchange"
            ),
        ),
        Step(
            "cert",
            tunnel,
            lambda r: probes.verify_chain(r["tls"].peer_chain, ca_pem, fqdn),
            lambda _r: (
                f"the server behind {fqdn} must present the party's certificate from the exchange "
                f"output pulsarCert{party.party_id} (Secret pulsar-cert in the party's FATE namespace): "
                f"{UP}, and check the tunnel ends at the party's own Pulsar ({pulsar})"
            ),
        ),
        Step(
            "protocol",
            tunnel,
            lambda _r: probes.pulsar_connect(ex.ats_host, ex.ats_port, fqdn, timeout, ex.ca_pem),
            lambda _r: (
                f"the tunnel to {pulsar} does not end at a working Pulsar broker: check the party's "
                "pulsar pod is running with TLS on its sslPort (brokerServicePortTls) and its logs"
            ),
        ),
    ]
    return run_steps(name, party.party_id, party.stack, steps)


def _read(outputs: Callable[[str], Outputs | None], stack: str) -> tuple[Outputs | None, str | None]:
    try:
        return outputs(stack), None
    except Exception as exc:  # an unreadable stack is a row failure, not a crash
        return None, str(exc) or type(exc).__name__


def run_check(
    fed: plan.Federation, outputs: Callable[[str], Outputs | None], timeout: float = 5.0, parallel: int = 8
) -> list[Row]:
    """Every row, probed concurrently (each row's hops stay in order); rows come back in report order."""
    ex = exchange_view(fed.exchange, *_read(outputs, fed.exchange))
    parties = [party_view(stack, *_read(outputs, stack)) for stack in fed.parties]
    jobs: list[Callable[[], Row]] = [partial(nginx_row, ex, *spec, timeout) for spec in NGINX_ROWS]
    jobs += [partial(party_row, ex, p, timeout) for p in parties]
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(jobs)))) as pool:
        return list(pool.map(lambda job: job(), jobs))


# --- reports ---------------------------------------------------------------------------------------------------


def format_matrix(rows: list[Row]) -> str:
    header = ["row", *HOPS]
    table = [header] + [[r.name, *(CELLS[h.status] for h in r.hops)] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in table)


def failure_line(row: Row) -> str:
    hop = row.failure
    assert hop is not None
    where = f"{hop.target}: " if hop.target else ""
    return f"{row.name}, hop {hop.hop}: {where}{hop.detail}." + (f" Fix: {hop.fix}" if hop.fix else "")


def format_report(rows: list[Row]) -> str:
    failed = [r for r in rows if not r.ok]
    lines = [format_matrix(rows), ""]
    lines += [failure_line(r) for r in failed]
    lines.append(f"{len(failed)} of {len(rows)} rows failed" if failed else f"all {len(rows)} rows passed")
    return "\n".join(lines)


def to_json(rows: list[Row]) -> str:
    return json.dumps({"ok": all(r.ok for r in rows), "rows": [asdict(r) for r in rows]}, indent=2)


def main(
    fed: plan.Federation,
    outputs: Callable[[str], Outputs | None],
    timeout: float,
    as_json: bool,
    out: Callable[[str], None],
) -> int:
    rows = run_check(fed, outputs, timeout)
    out(to_json(rows) if as_json else format_report(rows))
    return 0 if all(r.ok for r in rows) else 1
