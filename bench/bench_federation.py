"""How the exchange scales with the number of parties, and what each FATE backend costs to build.

Run: ``python -m bench.bench_federation``. Prints ratios against a one-party exchange (and the slim backend)
measured in the same invocation; never asserts on time.
"""

from __future__ import annotations

import sys

import pulumi
import pulumi_kubernetes as k8s

from bench.measure import measure, report
from components.contracts import NginxEndpoint, PulsarEndpoint
from components.exchange import Exchange, ExchangeArgs
from components.exchange.ats_config import sni_yaml
from components.exchange.endpoints import PartyEndpoints
from components.exchange.routes import nginx_route_table_yaml
from components.fate_cluster import FateCluster, FateClusterArgs
from models.exchange import ExchangeConfig
from models.fate import FateSpec
from tests.harness import Harness, new_event_loop
from tests.x509_fixtures import request

PARTY_COUNTS = (10, 50, 200)


def _endpoints(i: int) -> PartyEndpoints:
    host = f"10.{i // 250}.{i % 250}.1"
    return {
        "nginx": {"host": host, "httpPort": 9300, "grpcPort": 9310},
        "pulsar": {"host": host, "sslPort": 6651},
    }


def _ids(n: int) -> list[int]:
    return [10000 + i for i in range(n)]


def party_request(party_id: int) -> str:
    """A real request for ``<partyId>.fate.org`` (ECDSA P-256, made once per id): the exchange parses and signs it."""
    return request(str(party_id), f"{party_id}.fate.org")


def _exchange_program(n: int):
    ids = _ids(n)
    cfg = ExchangeConfig.model_validate(
        {
            "trafficServer": {"imageTag": "9.2.5"},
            "parties": [{"partyId": p, "stack": f"party-{p}"} for p in ids],
        }
    )
    parties: dict[int, pulumi.Input[PartyEndpoints | None]] = {p: _endpoints(i) for i, p in enumerate(ids)}
    requests: dict[int, str | None] = {p: party_request(p) for p in ids}

    def run():
        new_event_loop()
        harness = Harness(stack="exchange")
        harness.run(
            lambda: Exchange(
                "exchange",
                ExchangeArgs(
                    config=cfg, provider=k8s.Provider("k8s", kubeconfig="{}"), parties=parties, requests=requests
                ),
            )
        )

    return run


def _render(n: int):
    parties = {p: _endpoints(i) for i, p in enumerate(_ids(n))}
    nginx: dict[int, NginxEndpoint | None] = {p: e["nginx"] for p, e in parties.items()}
    pulsar: dict[int, PulsarEndpoint | None] = {p: e["pulsar"] for p, e in parties.items()}
    return lambda: (nginx_route_table_yaml(nginx), sni_yaml("fate.org", pulsar))


def _fate_program(backend: str):
    spec = FateSpec.model_validate({"partyId": 30000, "backend": backend})

    def run():
        new_event_loop()
        harness = Harness()
        harness.run(
            lambda: FateCluster("fate", FateClusterArgs(spec=spec, provider=k8s.Provider("k8s", kubeconfig="{}")))
        )

    return run


def main() -> int:
    base = measure("exchange, 1 party", _exchange_program(1), repeats=3)
    print(
        report(
            "Exchange under mocks (ratios vs 1 party)",
            base,
            [measure(f"exchange, {n} parties", _exchange_program(n), repeats=3) for n in PARTY_COUNTS],
        )
    )
    print()
    base = measure("route tables, 1 party", _render(1))
    print(
        report(
            "Pure route-table rendering (ratios vs 1 party)",
            base,
            [measure(f"route tables, {n} parties", _render(n)) for n in PARTY_COUNTS],
        )
    )
    print()
    base = measure("FateCluster spark-local-pulsar", _fate_program("spark-local-pulsar"), repeats=3)
    print(
        report(
            "FateCluster under mocks (ratios vs slim backend)",
            base,
            [measure(f"FateCluster {b}", _fate_program(b), repeats=3) for b in ("spark-pulsar", "eggroll")],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
