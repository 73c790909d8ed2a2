"""Per-module blocks of the KubeFATE cluster YAML (chart ``fate`` v2.0.0), one model per block.

Keys upstream passes through but FATE 2.0.0 ignores, or that would put a password in the stack configuration,
are declared here as "rejected" fields (``Any``) so the top-level validator can refuse them *by name* with a
reason and a fix instead of the generic "unknown key". Every other key is honoured by the FateCluster
component.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from pydantic.alias_generators import to_camel

from models.exposure import SourceRanges
from models.fateflow_auth import FateflowAuthentication
from models.primitives import (
    Annotations,
    BalancerAddress,
    ConfigInt,
    DnsSubdomain,
    Host,
    ImageRepository,
    ImageTag,
    Labels,
    NodePort,
    Port,
    QualifiedName,
    Quantity,
    Size,
    StrictModel,
    SubPath,
    Toleration,
    strict_config,
)

ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer"]
AccessMode = Literal["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"]


class Block(StrictModel):
    """Base of every block: unknown keys are errors, camelCase keys as in the cluster YAML."""

    model_config = strict_config(alias_generator=to_camel)


class Resources(Block):
    requests: dict[QualifiedName, Quantity] | None = None
    limits: dict[QualifiedName, Quantity] | None = None


class Placement(Block):
    node_selector: Labels | None = None
    tolerations: list[Toleration] | None = None
    affinity: dict[str, Any] | None = None


class ImageKeys(Block):
    image: ImageRepository | None = None
    image_tag: ImageTag | None = None


class Volume(Block):
    """Persistence keys; ``storageClass`` falls back to the top-level one (never to a module name, §12.6)."""

    existing_claim: DnsSubdomain | None = None
    storage_class: DnsSubdomain | None = None
    access_mode: AccessMode | None = None
    size: Size | None = None
    sub_path: SubPath | None = None


class Exposed(Block):
    type: ServiceType | None = None
    load_balancer_ip: Host | None = Field(default=None, alias="loadBalancerIP")
    load_balancer_source_ranges: SourceRanges | None = Field(default=None, alias="loadBalancerSourceRanges")


class Workload(ImageKeys, Placement):
    resources: Resources | None = None


class OsxExchange(Block):
    ip: Host
    port: Port


class OsxParty(Block):
    party_id: int
    party_ip: Host
    party_port: Port


class OsxSpec(Workload, Exposed):
    node_port: NodePort | None = None
    exchange: OsxExchange | None = None
    party_list: list[OsxParty] | None = None
    enable_tls: bool | None = Field(default=None, alias="enableTLS")
    polling: Any = None  # rejected when enabled


class ClusterManagerSpec(Workload):
    mysql_server_timezone: str | None = None


class NodeManagerSpec(Workload, Volume):
    replicas: int | None = Field(default=None, ge=1)
    session_processors_per_node: int | None = Field(default=None, ge=1)


class PythonSparkSpec(Block):
    cores_per_node: int | None = Field(default=None, ge=1, alias="cores_per_node")
    nodes: int | None = Field(default=None, ge=1)
    master: str | None = None
    driver_host: Host | None = None
    driver_host_type: Any = None  # rejected when set
    port_max_retries: int | None = Field(default=None, ge=0)
    driver_start_port: Port | None = None
    block_manager_start_port: Port | None = None
    pyspark_python: str | None = None


class PythonClusterManagerSpec(Block):
    cores_per_node: int | None = Field(default=None, ge=1, alias="cores_per_node")
    nodes: int | None = Field(default=None, ge=1)


class PythonHdfsSpec(Block):
    name_node: str | None = Field(default=None, alias="name_node")
    path_prefix: str | None = Field(default=None, alias="path_prefix")


class PythonPulsarSpec(Block):
    host: Host | None = None
    port: Port | None = None
    mng_port: Port | None = Field(default=None, alias="mng_port")
    topic_ttl: int | None = Field(default=None, alias="topic_ttl")
    cluster: str | None = None
    tenant: str | None = None


class PythonNginxSpec(Block):
    host: Host | None = None
    http_port: Port | None = Field(default=None, alias="http_port")
    grpc_port: Port | None = Field(default=None, alias="grpc_port")


class PythonSpec(Workload, Exposed, Volume):
    replicas: int | None = Field(default=None, ge=1)
    http_node_port: NodePort | None = None
    grpc_node_port: NodePort | None = None
    service_account_name: DnsSubdomain | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] | None = None
    claim_name: DnsSubdomain | None = None
    spark: PythonSparkSpec | None = None
    clustermanager: PythonClusterManagerSpec | None = None
    hdfs: PythonHdfsSpec | None = None
    pulsar: PythonPulsarSpec | None = None
    nginx: PythonNginxSpec | None = None
    authentication: FateflowAuthentication | None = None
    # rejected by name (see models/fate_rules.py)
    failed_task_auto_retry_times: Any = None
    failed_task_auto_retry_delay: Any = None
    dependent_distribution: Any = Field(default=None, alias="dependent_distribution")
    hive: Any = None
    rabbitmq: Any = None


class FateboardSpec(Workload, Exposed):
    username: str | None = None
    password: Any = None  # rejected: generated


class ClientSpec(Workload, Volume):
    notebook_hashed_password: str | None = Field(default=None, alias="notebook_hashed_password")


class MysqlSpec(Workload, Exposed, Volume):
    ip: Host | None = None
    port: Port | None = None
    database: str | None = None
    user: str | None = None
    claim_name: DnsSubdomain | None = None
    password: Any = None  # rejected: generated


class SparkMasterSpec(Workload, Exposed):
    replicas: int | None = Field(default=None, ge=1)
    node_port: NodePort | None = None


class SparkWorkerSpec(Workload, Exposed):
    replicas: int | None = Field(default=None, ge=1)


class SparkSpec(Block):
    master: SparkMasterSpec | None = None
    worker: SparkWorkerSpec | None = None


class NameNodeSpec(Workload, Exposed, Volume):
    node_port: NodePort | None = None


class DataNodeSpec(Workload, Exposed, Volume):
    replicas: int | None = Field(default=None, ge=1)


class HdfsSpec(Block):
    namenode: NameNodeSpec | None = None
    datanode: DataNodeSpec | None = None


class NginxPartyEndpoint(Block):
    host: BalancerAddress
    http_port: Port = Field(alias="http_port")
    grpc_port: Port = Field(alias="grpc_port")


class NginxRoute(Block):
    proxy: list[NginxPartyEndpoint] | None = None
    fateflow: list[NginxPartyEndpoint] | None = None


class NginxSpec(Workload, Exposed):
    http_node_port: NodePort | None = None
    grpc_node_port: NodePort | None = None
    route_table: dict[ConfigInt, NginxRoute] | None = Field(default=None, alias="route_table")
    exchange: Any = None  # rejected: comes from the exchange stack


class PulsarRoute(Block):
    host: Host
    port: Port
    ssl_port: Port | None = None
    proxy: str | None = None


class PulsarConfs(Block):
    backlog_quota_default_limit_gb: int | None = Field(default=None, alias="backlogQuotaDefaultLimitGB", ge=0)
    broker_delete_inactive_topics_frequency_seconds: int | None = Field(default=None, ge=1)


class EnvVar(Block):
    free_text = frozenset({"value"})

    name: str
    value: str | None = None


class Toggle(Block):
    enabled: bool = False


class PulsarSpec(Workload, Exposed, Volume):
    env: list[EnvVar] | None = None
    confs: PulsarConfs | None = None
    http_node_port: NodePort | None = None
    https_node_port: NodePort | None = None
    public_lb: Toggle | None = Field(default=None, alias="publicLB")
    route_table: dict[ConfigInt, PulsarRoute] | None = Field(default=None, alias="route_table")
    exchange: Any = None  # rejected: comes from the exchange stack


class IngressHost(Block):
    name: Host
    path: str | None = None


class IngressTls(Block):
    secret_name: DnsSubdomain | None = None
    hosts: list[Host] | None = None


class IngressUi(Block):
    annotations: Annotations | None = None
    hosts: list[IngressHost] | None = None
    tls: list[IngressTls] | None = None


class IngressSpec(Block):
    fateboard: IngressUi | None = None
    client: IngressUi | None = None
    spark: IngressUi | None = None
    pulsar: IngressUi | None = None
    rabbitmq: Any = None  # rejected with the rabbitmq module


class ZookeeperSpec(Block):
    hosts: list[str] | None = None
    use_acl: bool | None = Field(default=None, alias="use_acl")
    user: str | None = None
    password: Any = None  # rejected


class ServingSpec(Block):
    use_registry: bool | None = None
    zookeeper: ZookeeperSpec | None = None


class PullSecret(Block):
    name: DnsSubdomain
