"""Per-module blocks of the KubeFATE cluster YAML (chart ``fate`` v2.0.0), one model per block.

Keys upstream passes through but FATE 2.0.0 ignores, or that would put a password in the stack configuration,
are declared here as "rejected" fields (``Any``) so the top-level validator can refuse them *by name* with a
reason and a fix instead of the generic "unknown key". Every other key is honoured by the FateCluster
component.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from models.exposure import SourceRanges
from models.fateflow_auth import FateflowAuthentication

ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer"]
AccessMode = Literal["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"]
Quantity = str | int | float


class Block(BaseModel):
    """Base of every block: unknown keys are errors, camelCase keys as in the cluster YAML."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel)


class Resources(Block):
    requests: dict[str, Quantity] | None = None
    limits: dict[str, Quantity] | None = None


class Placement(Block):
    node_selector: dict[str, str] | None = None
    tolerations: list[dict[str, Any]] | None = None
    affinity: dict[str, Any] | None = None


class ImageKeys(Block):
    image: str | None = None
    image_tag: str | None = None


class Volume(Block):
    """Persistence keys; ``storageClass`` falls back to the top-level one (never to a module name, §12.6)."""

    existing_claim: str | None = None
    storage_class: str | None = None
    access_mode: AccessMode | None = None
    size: str | None = None
    sub_path: str | None = None


class Exposed(Block):
    type: ServiceType | None = None
    load_balancer_ip: str | None = Field(default=None, alias="loadBalancerIP")
    load_balancer_source_ranges: SourceRanges | None = Field(default=None, alias="loadBalancerSourceRanges")


class Workload(ImageKeys, Placement):
    resources: Resources | None = None


class OsxExchange(Block):
    ip: str
    port: int


class OsxParty(Block):
    party_id: int
    party_ip: str
    party_port: int


class OsxSpec(Workload, Exposed):
    node_port: int | None = None
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
    driver_host: str | None = None
    driver_host_type: Any = None  # rejected when set
    port_max_retries: int | None = Field(default=None, ge=0)
    driver_start_port: int | None = Field(default=None, ge=1, le=65535)
    block_manager_start_port: int | None = Field(default=None, ge=1, le=65535)
    pyspark_python: str | None = None


class PythonClusterManagerSpec(Block):
    cores_per_node: int | None = Field(default=None, ge=1, alias="cores_per_node")
    nodes: int | None = Field(default=None, ge=1)


class PythonHdfsSpec(Block):
    name_node: str | None = Field(default=None, alias="name_node")
    path_prefix: str | None = Field(default=None, alias="path_prefix")


class PythonPulsarSpec(Block):
    host: str | None = None
    port: int | None = None
    mng_port: int | None = Field(default=None, alias="mng_port")
    topic_ttl: int | None = Field(default=None, alias="topic_ttl")
    cluster: str | None = None
    tenant: str | None = None


class PythonNginxSpec(Block):
    host: str | None = None
    http_port: int | None = Field(default=None, alias="http_port")
    grpc_port: int | None = Field(default=None, alias="grpc_port")


class PythonSpec(Workload, Exposed, Volume):
    replicas: int | None = Field(default=None, ge=1)
    http_node_port: int | None = None
    grpc_node_port: int | None = None
    service_account_name: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] | None = None
    claim_name: str | None = None
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
    ip: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    database: str | None = None
    user: str | None = None
    claim_name: str | None = None
    password: Any = None  # rejected: generated


class SparkMasterSpec(Workload, Exposed):
    replicas: int | None = Field(default=None, ge=1)
    node_port: int | None = None


class SparkWorkerSpec(Workload, Exposed):
    replicas: int | None = Field(default=None, ge=1)


class SparkSpec(Block):
    master: SparkMasterSpec | None = None
    worker: SparkWorkerSpec | None = None


class NameNodeSpec(Workload, Exposed, Volume):
    node_port: int | None = None


class DataNodeSpec(Workload, Exposed, Volume):
    replicas: int | None = Field(default=None, ge=1)


class HdfsSpec(Block):
    namenode: NameNodeSpec | None = None
    datanode: DataNodeSpec | None = None


class NginxPartyEndpoint(Block):
    host: str
    http_port: int = Field(alias="http_port")
    grpc_port: int = Field(alias="grpc_port")


class NginxRoute(Block):
    proxy: list[NginxPartyEndpoint] | None = None
    fateflow: list[NginxPartyEndpoint] | None = None


class NginxSpec(Workload, Exposed):
    http_node_port: int | None = None
    grpc_node_port: int | None = None
    route_table: dict[int, NginxRoute] | None = Field(default=None, alias="route_table")
    exchange: Any = None  # rejected: comes from the exchange stack


class PulsarRoute(Block):
    host: str
    port: int
    ssl_port: int | None = None
    proxy: str | None = None


class PulsarConfs(Block):
    backlog_quota_default_limit_gb: int | None = Field(default=None, alias="backlogQuotaDefaultLimitGB", ge=0)
    broker_delete_inactive_topics_frequency_seconds: int | None = Field(default=None, ge=1)


class EnvVar(Block):
    name: str
    value: str | None = None


class Toggle(Block):
    enabled: bool = False


class PulsarSpec(Workload, Exposed, Volume):
    env: list[EnvVar] | None = None
    confs: PulsarConfs | None = None
    http_node_port: int | None = None
    https_node_port: int | None = None
    public_lb: Toggle | None = Field(default=None, alias="publicLB")
    route_table: dict[int, PulsarRoute] | None = Field(default=None, alias="route_table")
    exchange: Any = None  # rejected: comes from the exchange stack


class IngressHost(Block):
    name: str
    path: str | None = None


class IngressTls(Block):
    secret_name: str | None = None
    hosts: list[str] | None = None


class IngressUi(Block):
    annotations: dict[str, str] | None = None
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
    name: str
