"""The party stack's configuration (``role: party``): one organisation's cluster, KubeFATE and FATE cluster.

The FATE cluster comes either inline (``fate``) or from an existing ``kubefate cluster install -f`` file
(``kubefateClusterYaml``), so teams migrating from KubeFATE keep their file as the source of truth. The file
is read by the loader (models/config.py), which hands the parsed spec in as ``fate`` and keeps the path for
messages; this model then checks that everything agrees with the party id.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from models.cluster import ClusterConfig
from models.cross_field import CrossChecked
from models.errors import FieldProblem, Problem, problem
from models.fate import FateSpec
from models.key_policy import DEFAULT_DOMAIN, KeyPolicy, federation_domain
from models.kubefate_service import NAMESPACE as KUBEFATE_NAMESPACE
from models.kubefate_service import KubeFateServiceConfig
from models.primitives import STRICT, ConfigInt, StackName, StrictModel

CONFIG = STRICT
MAX_PARTY_ID = 2**31 - 1  # FATE keeps party ids in Java ints


class PartyCertificate(KeyPolicy):
    """The party's own Pulsar key (generated in this stack, never exported) and the O= of its request."""

    model_config = CONFIG
    block_prefix = "exchange.certificate"


class ExchangeLink(StrictModel):
    """The party side of the federation: which stack deploys the exchange this party joins, and what goes into
    the certificate request the exchange's CA signs (``<partyId>.<domain>``: the exchange's domain)."""

    model_config = CONFIG

    stack: StackName
    domain: str = DEFAULT_DOMAIN
    certificate: PartyCertificate = Field(default_factory=lambda: PartyCertificate.model_validate({}))

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        return federation_domain("exchange.domain", v)


class PartyConfig(CrossChecked):
    """Everything a party stack deploys; README.md lists every key."""

    model_config = CONFIG

    role: Literal["party"] = "party"
    party_id: ConfigInt = Field(alias="partyId")
    sizing: Literal["production", "trial"] = "production"
    cluster: ClusterConfig
    kubefate: KubeFateServiceConfig
    fate: FateSpec | None = None
    kubefate_cluster_yaml: str | None = Field(None, alias="kubefateClusterYaml")
    exchange: ExchangeLink | None = None

    @field_validator("party_id")
    @classmethod
    def _party_id(cls, v: int) -> int:
        if not 1 <= v <= MAX_PARTY_ID:
            raise FieldProblem(
                "partyId",
                v,
                "party ids are positive integers (FATE keeps them in 32 bits)",
                "use the organisation's FATE party id, e.g. 30000",
            )
        return v

    def cross_problems(self, context: dict[str, Any]) -> list[Problem]:
        ctx = context
        fate_prefix = ctx.get("fate_prefix", "fate")
        problems: list[Problem] = []
        own_stack = str(ctx.get("stack") or "").rsplit("/", 1)[-1]
        if own_stack and self.exchange is not None and self.exchange.stack.rsplit("/", 1)[-1] == own_stack:
            problems.append(
                problem(
                    "exchange.stack",
                    self.exchange.stack,
                    f"this is the party's own stack ({own_stack!r}), not its exchange",
                    "name the exchange's stack, e.g. exchange",
                )
            )
        if self.fate is None and not ctx.get("fate_reported"):
            problems.append(
                problem(
                    "fate",
                    None,
                    "a party needs its FATE cluster",
                    "set fate (the cluster YAML keys) or kubefateClusterYaml (a path)",
                )
            )
        if self.fate is not None and self.fate.party_id != self.party_id:
            problems.append(
                problem(
                    f"{fate_prefix}.partyId",
                    self.fate.party_id,
                    f"disagrees with the stack's partyId {self.party_id}",
                    f"make both {self.party_id} (or leave the FATE one out)",
                )
            )
        if self.kubefate.storage_class is None and self.fate is not None and self.fate.storage_class:
            # One storage class per party unless told otherwise: the DB volume sits next to FATE's.
            self.kubefate = self.kubefate.model_copy(update={"storage_class": self.fate.storage_class})
        if self.fate is not None:  # otherwise the fallback is unknown and the FATE problem says enough
            problems += self.kubefate.missing_storage_class()
        return problems

    # -- derived --------------------------------------------------------------------------------------------

    @property
    def spec(self) -> FateSpec:
        """The FATE cluster; always set once the loader accepted the config."""
        assert self.fate is not None, "PartyConfig without fate: load it with models.config.load_stack_config"
        return self.fate

    @property
    def fate_prefix(self) -> str:
        return f"kubefateClusterYaml[{self.kubefate_cluster_yaml}]" if self.kubefate_cluster_yaml else "fate"

    @property
    def workload_namespaces(self) -> list[str]:
        """Namespaces the cluster must prepare (pod security) before the party's pods arrive."""
        names = [self.kubefate_namespace] if self.kubefate.enabled else []
        return [*names, self.spec.namespace or f"fate-{self.party_id}"]

    @property
    def kubefate_namespace(self) -> str:
        return KUBEFATE_NAMESPACE

    def sizing_findings(self) -> list[Problem]:
        """Everything below the reference architecture: the FATE pods and volumes, the KubeFATE database and,
        when this stack provisions the cluster, its worker nodes."""
        findings = self.spec.sizing_findings(self.fate_prefix)
        findings += self.kubefate.sizing_findings()
        if self.cluster.mode == "tanzu":
            findings += self.cluster.sizing_findings()
        return findings
