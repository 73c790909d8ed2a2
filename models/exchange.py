"""The exchange stack's configuration: the federation's hub, its parties and its certificate policy.

The party list is the federation's membership: each entry names the party stack whose exported endpoints the
exchange routes to, so adding or removing a party is one entry here (docs/federation.md, Day 2).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.cluster import ClusterConfig
from models.errors import FieldProblem
from models.exposure import SourceRanges

CONFIG = ConfigDict(extra="forbid", populate_by_name=True)

ServiceType = Literal["LoadBalancer", "NodePort", "ClusterIP"]

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$")
# FATE reads party ids as integers and uses them as SNI labels; upstream examples use 1..99999 and 9999/10000.
MAX_PARTY_ID = 2**31 - 1


def _check_tag(field: str, tag: str) -> str:
    if not tag or tag == "latest" or tag.startswith("@") or (":" in tag and not tag.startswith("sha256:")):
        raise FieldProblem(
            field,
            tag,
            "an explicit, fixed image tag is required (a moving tag makes rollouts unrepeatable)",
            "set a release tag such as 2.0.0-release, or a digest sha256:<hex>",
        )
    return tag


def _check_ip(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise FieldProblem(
            field,
            value,
            "not an IP address",
            "give the IPv4/IPv6 address the load balancer should assign, or remove the key",
        ) from None
    return value


class PartyRef(BaseModel):
    """One member of the federation: its party id and the Pulumi stack that deploys it."""

    model_config = CONFIG

    party_id: int = Field(alias="partyId")
    stack: str

    @field_validator("party_id")
    @classmethod
    def _party_id(cls, v: int) -> int:
        if not 1 <= v <= MAX_PARTY_ID:
            raise FieldProblem(
                "exchange.parties[].partyId",
                v,
                "party ids are positive integers",
                "use the FATE party id of that organisation, e.g. 30000",
            )
        return v

    @field_validator("stack")
    @classmethod
    def _stack(cls, v: str) -> str:
        if not _STACK_NAME.match(v):
            raise FieldProblem(
                "exchange.parties[].stack",
                v,
                "not a Pulumi stack name",
                "use the stack name (party-30000) or org/project/stack",
            )
        return v


class TrafficServerConfig(BaseModel):
    """Apache Traffic Server: the SNI proxy that tunnels Pulsar TLS to ``<partyId>.<domain>``."""

    model_config = CONFIG

    type: ServiceType = "LoadBalancer"
    load_balancer_ip: str | None = Field(None, alias="loadBalancerIP")
    load_balancer_source_ranges: SourceRanges | None = Field(None, alias="loadBalancerSourceRanges")
    node_port: int | None = Field(None, alias="nodePort", ge=30000, le=32767)
    port: int = Field(443, ge=1, le=65535)
    replicas: int = Field(1, ge=1)
    image: str = "federatedai/trafficserver"
    # No default: upstream publishes this image only as ``latest`` (facts §12.10), so every site pins the tag
    # (or ``sha256:`` digest) of the copy it mirrored.
    image_tag: str = Field(alias="imageTag")
    resources: dict[str, Any] | None = None

    @field_validator("image_tag")
    @classmethod
    def _tag(cls, v: str) -> str:
        return _check_tag("exchange.trafficServer.imageTag", v)

    @field_validator("load_balancer_ip")
    @classmethod
    def _ip(cls, v: str | None) -> str | None:
        return _check_ip("exchange.trafficServer.loadBalancerIP", v)


class NginxConfig(BaseModel):
    """The FATE OpenResty proxy that routes control traffic (HTTP and gRPC) by ``dest-party-id``."""

    model_config = CONFIG

    type: ServiceType = "LoadBalancer"
    load_balancer_ip: str | None = Field(None, alias="loadBalancerIP")
    load_balancer_source_ranges: SourceRanges | None = Field(None, alias="loadBalancerSourceRanges")
    http_port: int = Field(9300, alias="httpPort", ge=1, le=65535)
    grpc_port: int = Field(9310, alias="grpcPort", ge=1, le=65535)
    http_node_port: int | None = Field(None, alias="httpNodePort", ge=30000, le=32767)
    grpc_node_port: int | None = Field(None, alias="grpcNodePort", ge=30000, le=32767)
    replicas: int = Field(1, ge=1)
    image: str = "federatedai/nginx"
    image_tag: str = Field("2.0.0-release", alias="imageTag")
    resources: dict[str, Any] | None = None

    @field_validator("image_tag")
    @classmethod
    def _tag(cls, v: str) -> str:
        return _check_tag("exchange.nginx.imageTag", v)

    @field_validator("load_balancer_ip")
    @classmethod
    def _ip(cls, v: str | None) -> str | None:
        return _check_ip("exchange.nginx.loadBalancerIP", v)

    @model_validator(mode="after")
    def _distinct_ports(self) -> NginxConfig:
        if self.http_port == self.grpc_port:
            raise FieldProblem(
                "exchange.nginx.grpcPort",
                self.grpc_port,
                "HTTP and gRPC need their own ports",
                "keep the defaults 9300/9310 or pick two different ports",
            )
        return self


class CertificatesConfig(BaseModel):
    """Policy for the federation CA and the certificates it issues (pulumi-tls renews them on ``up``)."""

    model_config = CONFIG

    validity_hours: int = Field(8760, alias="validityHours", ge=24)
    early_renewal_hours: int = Field(720, alias="earlyRenewalHours", ge=0)
    ca_validity_hours: int = Field(87600, alias="caValidityHours", ge=24)
    key_algorithm: Literal["RSA", "ECDSA"] = Field("RSA", alias="keyAlgorithm")
    rsa_bits: int = Field(2048, alias="rsaBits")
    ca_rsa_bits: int = Field(4096, alias="caRsaBits")
    ecdsa_curve: Literal["P256", "P384", "P521"] = Field("P256", alias="ecdsaCurve")
    organization: str = "kubefate-tanzu federation"

    @field_validator("rsa_bits", "ca_rsa_bits")
    @classmethod
    def _bits(cls, v: int, info) -> int:
        if v not in (2048, 3072, 4096):
            key = "rsaBits" if info.field_name == "rsa_bits" else "caRsaBits"
            raise FieldProblem(f"exchange.certificates.{key}", v, "unsupported RSA key size", "use 2048, 3072 or 4096")
        return v

    @model_validator(mode="after")
    def _renewal(self) -> CertificatesConfig:
        if self.early_renewal_hours >= self.validity_hours:
            raise FieldProblem(
                "exchange.certificates.earlyRenewalHours",
                self.early_renewal_hours,
                "a certificate would be due for renewal as soon as it is issued",
                f"keep it below validityHours ({self.validity_hours})",
            )
        if self.ca_validity_hours < self.validity_hours:
            raise FieldProblem(
                "exchange.certificates.caValidityHours",
                self.ca_validity_hours,
                "party certificates would outlive the CA that signs them",
                f"set it to at least validityHours ({self.validity_hours})",
            )
        return self


class ExchangeConfig(BaseModel):
    """The ``exchange`` object of the exchange stack; docs/config-exchange.md lists every key."""

    model_config = CONFIG

    domain: str = "fate.org"
    party_id: int = Field(1, alias="partyId", ge=1, le=MAX_PARTY_ID)
    namespace: str = "fate-exchange"
    advertised_host: str | None = Field(None, alias="advertisedHost")
    parties: list[PartyRef] = Field(default_factory=list)
    traffic_server: TrafficServerConfig = Field(alias="trafficServer")
    nginx: NginxConfig = Field(default_factory=NginxConfig)
    certificates: CertificatesConfig = Field(default_factory=CertificatesConfig)
    image_pull_secrets: list[str] = Field(default_factory=list, alias="imagePullSecrets")

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        labels = v.split(".")
        if len(v) > 200 or len(labels) < 2 or not all(_DNS_LABEL.match(label) for label in labels):
            raise FieldProblem(
                "exchange.domain",
                v,
                "not a lower-case DNS domain with at least two labels",
                "use a domain such as fate.org; parties become <partyId>.<domain>",
            )
        return v

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, v: str) -> str:
        if not _DNS_LABEL.match(v):
            raise FieldProblem(
                "exchange.namespace",
                v,
                "not a valid Kubernetes namespace name",
                "use lower-case letters, digits and '-', e.g. fate-exchange",
            )
        return v

    @model_validator(mode="after")
    def _membership(self) -> ExchangeConfig:
        seen_ids: dict[int, int] = {}
        seen_stacks: dict[str, int] = {}
        for i, party in enumerate(self.parties):
            if party.party_id in seen_ids:
                raise FieldProblem(
                    f"exchange.parties[{i}].partyId",
                    party.party_id,
                    f"duplicate party id (also exchange.parties[{seen_ids[party.party_id]}])",
                    "list each party once",
                )
            if party.stack in seen_stacks:
                raise FieldProblem(
                    f"exchange.parties[{i}].stack",
                    party.stack,
                    f"duplicate stack (also exchange.parties[{seen_stacks[party.stack]}])",
                    "each party has its own stack",
                )
            if party.party_id == self.party_id:
                raise FieldProblem(
                    f"exchange.parties[{i}].partyId",
                    party.party_id,
                    "the exchange's own partyId cannot also be a member party",
                    "give the exchange another exchange.partyId (default 1)",
                )
            seen_ids[party.party_id] = i
            seen_stacks[party.stack] = i
        self._check_exposure()
        return self

    def _check_exposure(self) -> None:
        ats, nginx = self.traffic_server, self.nginx
        if ats.type == "NodePort" and ats.node_port is None:
            raise FieldProblem(
                "exchange.trafficServer.nodePort",
                None,
                "type NodePort needs a fixed node port so parties can be told where to connect",
                "set a port in 30000-32767",
            )
        if nginx.type == "NodePort" and (nginx.http_node_port is None or nginx.grpc_node_port is None):
            raise FieldProblem(
                "exchange.nginx.httpNodePort",
                nginx.http_node_port,
                "type NodePort needs fixed httpNodePort and grpcNodePort",
                "set both in 30000-32767",
            )
        if "NodePort" in (ats.type, nginx.type) and not self.advertised_host:
            raise FieldProblem(
                "exchange.advertisedHost",
                None,
                "with a NodePort Service the exchange cannot discover the address parties reach it at",
                "set a node IP or DNS name",
            )

    @property
    def party_stacks(self) -> dict[int, str]:
        return {p.party_id: p.stack for p in self.parties}

    def fqdn(self, party_id: int) -> str:
        """The SNI name a party's Pulsar is reached at, and its certificate's CN/SAN."""
        return f"{party_id}.{self.domain}"

    @property
    def proxy_fqdn(self) -> str:
        return f"proxy.{self.domain}"


class ExchangeStackConfig(BaseModel):
    """The whole exchange stack (``role: exchange``): what the loader validates before any resource exists."""

    model_config = CONFIG

    role: Literal["exchange"] = "exchange"
    sizing: Literal["production", "trial"] = "production"
    cluster: ClusterConfig
    exchange: ExchangeConfig
