"""The exchange stack's configuration: the federation's hub, its parties and its certificate policy.

The party list is the federation's membership: each entry names the party stack whose exported endpoints the
exchange routes to, so adding or removing a party is one entry here (docs/federation.md, Day 2).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from models import primitives
from models.cluster import ClusterConfig
from models.cross_field import CrossChecked
from models.errors import PrimitiveError, Problem
from models.exposure import SourceRanges
from models.key_policy import DEFAULT_DOMAIN, KeyPolicy, federation_domain, rsa_bits
from models.primitives import (
    STRICT,
    BalancerAddress,
    DnsSubdomain,
    ImageRepository,
    IpAddress,
    NodePort,
    PinnedTag,
    Port,
    ResourceMap,
    StackName,
    StrictModel,
    checked,
    requests_above_limits,
)

CONFIG = STRICT

ServiceType = Literal["LoadBalancer", "NodePort", "ClusterIP"]

# FATE reads party ids as integers and uses them as SNI labels; upstream examples use 1..99999 and 9999/10000.
MAX_PARTY_ID = 2**31 - 1
# A certificate that never expires is never rotated: ten years for the parties', twenty for the CA.
MAX_VALIDITY_HOURS = 10 * 8760
MAX_CA_VALIDITY_HOURS = 20 * 8760


class PartyRef(StrictModel):
    """One member of the federation: its party id and the Pulumi stack that deploys it."""

    model_config = CONFIG

    party_id: int = Field(alias="partyId")
    stack: StackName

    @field_validator("party_id")
    @classmethod
    def _party_id(cls, v: int) -> int:
        if not 1 <= v <= MAX_PARTY_ID:
            raise PrimitiveError(
                "party ids are positive integers", "use the FATE party id of that organisation, e.g. 30000"
            )
        return v


class TrafficServerConfig(StrictModel):
    """Apache Traffic Server: the SNI proxy that tunnels Pulsar TLS to ``<partyId>.<domain>``."""

    model_config = CONFIG

    type: ServiceType = "LoadBalancer"
    load_balancer_ip: IpAddress | None = Field(None, alias="loadBalancerIP")
    load_balancer_source_ranges: SourceRanges | None = Field(None, alias="loadBalancerSourceRanges")
    node_port: NodePort | None = Field(None, alias="nodePort")
    port: Port = 443
    replicas: int = Field(1, ge=1)
    image: ImageRepository = "federatedai/trafficserver"
    # No default: upstream publishes this image only as ``latest`` (facts §12.10), so every site pins the tag
    # (or ``sha256:`` digest) of the copy it mirrored.
    image_tag: PinnedTag = Field(alias="imageTag")
    resources: ResourceMap | None = None


class NginxConfig(CrossChecked):
    """The FATE OpenResty proxy that routes control traffic (HTTP and gRPC) by ``dest-party-id``."""

    model_config = CONFIG

    type: ServiceType = "LoadBalancer"
    load_balancer_ip: IpAddress | None = Field(None, alias="loadBalancerIP")
    load_balancer_source_ranges: SourceRanges | None = Field(None, alias="loadBalancerSourceRanges")
    http_port: Port = Field(9300, alias="httpPort")
    grpc_port: Port = Field(9310, alias="grpcPort")
    http_node_port: NodePort | None = Field(None, alias="httpNodePort")
    grpc_node_port: NodePort | None = Field(None, alias="grpcNodePort")
    replicas: int = Field(1, ge=1)
    image: ImageRepository = "federatedai/nginx"
    image_tag: PinnedTag = Field("2.0.0-release", alias="imageTag")
    resources: ResourceMap | None = None

    block_prefix = "exchange.nginx"

    def cross_problems(self, context: dict[str, Any]) -> list[Problem]:
        problems = requests_above_limits(f"{self.block_prefix}.resources", self.resources)
        if self.http_port == self.grpc_port:
            problems.append(
                Problem(
                    "exchange.nginx.grpcPort",
                    self.grpc_port,
                    "HTTP and gRPC need their own ports",
                    "keep the defaults 9300/9310 or pick two different ports",
                )
            )
        return problems


class CertificatesConfig(KeyPolicy):
    """Policy for the federation CA, the ATS certificate and the party certificates the CA signs (pulumi-tls
    renews them on ``up``). The key settings are the CA's and the ATS key's: each party picks its own."""

    model_config = CONFIG

    validity_hours: int = Field(8760, alias="validityHours", ge=24, le=MAX_VALIDITY_HOURS)
    early_renewal_hours: int = Field(720, alias="earlyRenewalHours", ge=0)
    ca_validity_hours: int = Field(87600, alias="caValidityHours", ge=24, le=MAX_CA_VALIDITY_HOURS)
    ca_rsa_bits: int = Field(4096, alias="caRsaBits")

    @field_validator("ca_rsa_bits")
    @classmethod
    def _ca_bits(cls, v: int) -> int:
        return rsa_bits("exchange.certificates.caRsaBits", v)

    block_prefix = "exchange.certificates"

    def cross_problems(self, context: dict[str, Any]) -> list[Problem]:
        problems = []
        if self.early_renewal_hours >= self.validity_hours:
            problems.append(
                Problem(
                    "exchange.certificates.earlyRenewalHours",
                    self.early_renewal_hours,
                    "a certificate would be due for renewal as soon as it is issued",
                    f"keep it below validityHours ({self.validity_hours})",
                )
            )
        if self.ca_validity_hours < self.validity_hours:
            problems.append(
                Problem(
                    "exchange.certificates.caValidityHours",
                    self.ca_validity_hours,
                    "party certificates would outlive the CA that signs them",
                    f"set it to at least validityHours ({self.validity_hours})",
                )
            )
        return problems


class ExchangeConfig(CrossChecked):
    """The ``exchange`` object of the exchange stack; docs/config-exchange.md lists every key."""

    model_config = CONFIG

    domain: str = DEFAULT_DOMAIN
    party_id: int = Field(1, alias="partyId", ge=1, le=MAX_PARTY_ID)
    namespace: str = "fate-exchange"
    advertised_host: BalancerAddress | None = Field(None, alias="advertisedHost")
    """Also the parties' nginx ``default`` route, hence an address (FATE's balancer resolves no names)."""
    parties: list[PartyRef] = Field(default_factory=list)
    traffic_server: TrafficServerConfig = Field(alias="trafficServer")
    nginx: NginxConfig = Field(default_factory=lambda: NginxConfig.model_validate({}))
    certificates: CertificatesConfig = Field(default_factory=lambda: CertificatesConfig.model_validate({}))
    image_pull_secrets: list[DnsSubdomain] = Field(default_factory=list, alias="imagePullSecrets")

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        return federation_domain("exchange.domain", v)

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, v: str) -> str:
        return checked("exchange.namespace", v, primitives.dns_label)

    block_prefix = "exchange"

    def cross_problems(self, context: dict[str, Any]) -> list[Problem]:
        """Every cross-field problem at once: membership, self-reference, exposure, node ports, resources."""
        own_stack = (context.get("stack") or "").rsplit("/", 1)[-1]
        problems: list[Problem] = []
        seen_ids: dict[int, int] = {}
        seen_stacks: dict[str, int] = {}
        for i, party in enumerate(self.parties):
            if party.party_id in seen_ids:
                problems.append(
                    Problem(
                        f"exchange.parties[{i}].partyId",
                        party.party_id,
                        f"duplicate party id (also exchange.parties[{seen_ids[party.party_id]}])",
                        "list each party once",
                    )
                )
            if party.stack in seen_stacks:
                problems.append(
                    Problem(
                        f"exchange.parties[{i}].stack",
                        party.stack,
                        f"duplicate stack (also exchange.parties[{seen_stacks[party.stack]}])",
                        "each party has its own stack",
                    )
                )
            if own_stack and party.stack.rsplit("/", 1)[-1] == own_stack:
                problems.append(
                    Problem(
                        f"exchange.parties[{i}].stack",
                        party.stack,
                        f"this is the exchange's own stack ({own_stack!r}), not a party's",
                        "name the party's stack, e.g. party-30000",
                    )
                )
            if party.party_id == self.party_id:
                problems.append(
                    Problem(
                        f"exchange.parties[{i}].partyId",
                        party.party_id,
                        "the exchange's own partyId cannot also be a member party",
                        "give the exchange another exchange.partyId (default 1)",
                    )
                )
            seen_ids.setdefault(party.party_id, i)
            seen_stacks.setdefault(party.stack, i)
        problems += self._exposure_problems()
        problems += requests_above_limits("exchange.trafficServer.resources", self.traffic_server.resources)
        return problems

    def _exposure_problems(self) -> list[Problem]:
        ats, nginx = self.traffic_server, self.nginx
        problems: list[Problem] = []
        if ats.type == "NodePort" and ats.node_port is None:
            problems.append(
                Problem(
                    "exchange.trafficServer.nodePort",
                    None,
                    "type NodePort needs a fixed node port so parties can be told where to connect",
                    "set a port in 30000-32767",
                )
            )
        if nginx.type == "NodePort" and (nginx.http_node_port is None or nginx.grpc_node_port is None):
            problems.append(
                Problem(
                    "exchange.nginx.httpNodePort",
                    nginx.http_node_port,
                    "type NodePort needs fixed httpNodePort and grpcNodePort",
                    "set both in 30000-32767",
                )
            )
        if "NodePort" in (ats.type, nginx.type) and not self.advertised_host:
            problems.append(
                Problem(
                    "exchange.advertisedHost",
                    None,
                    "with a NodePort Service the exchange cannot discover the address parties reach it at",
                    "set a node IP or DNS name",
                )
            )
        node_ports = [
            ("exchange.trafficServer.nodePort", ats.node_port, ats.type),
            ("exchange.nginx.httpNodePort", nginx.http_node_port, nginx.type),
            ("exchange.nginx.grpcNodePort", nginx.grpc_node_port, nginx.type),
        ]
        seen: dict[int, str] = {}
        for field, port, svc_type in node_ports:
            if port is None:
                continue
            if svc_type == "ClusterIP":
                problems.append(
                    Problem(
                        field,
                        port,
                        "a ClusterIP Service opens no node port, so this one would be dropped",
                        f"set {field.rsplit('.', 1)[0]}.type: NodePort, or remove it",
                    )
                )
            if port in seen:
                problems.append(
                    Problem(field, port, f"node port already used by {seen[port]}", "give each node port its own")
                )
            seen.setdefault(port, field)
        return problems

    @property
    def party_stacks(self) -> dict[int, str]:
        return {p.party_id: p.stack for p in self.parties}

    def fqdn(self, party_id: int) -> str:
        """The SNI name a party's Pulsar is reached at, and its certificate's CN/SAN."""
        return f"{party_id}.{self.domain}"

    @property
    def proxy_fqdn(self) -> str:
        return f"proxy.{self.domain}"


class ExchangeStackConfig(StrictModel):
    """The whole exchange stack (``role: exchange``): what the loader validates before any resource exists."""

    model_config = CONFIG

    role: Literal["exchange"] = "exchange"
    sizing: Literal["production", "trial"] = "production"
    cluster: ClusterConfig
    exchange: ExchangeConfig
