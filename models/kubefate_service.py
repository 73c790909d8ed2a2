"""The ``kubefate`` block of a party stack: the KubeFATE service (REST API + CLI backend) in ``kube-fate``.

Platform teams keep KubeFATE next to the Pulumi-managed FATE cluster so operators can still use ``kubefate
cluster describe`` and ``job ls``. Upstream's manifest (facts §7) ships an ``example.com`` ingress host and
``admin/admin`` credentials and keeps its metadata on emptyDir (§12.16, §12.18); here the host is required and
checked, credentials are generated and the database lives on a retained volume.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from models.cross_field import CrossChecked
from models.errors import FieldProblem, Problem, problem
from models.primitives import (
    STRICT,
    Annotations,
    DnsName,
    DnsSubdomain,
    PinnedImage,
    ResourceMap,
    Size,
    requests_above_limits,
)
from models.quantities import GIB, parse_quantity

PREFIX = "kubefate"
NAMESPACE = "kube-fate"  # fixed: the kubefate CLI docs and existing tooling look for it there
UPSTREAM_HOST = "example.com"
DEFAULT_IMAGE = "federatedai/kubefate:v1.4.5"
DEFAULT_MARIADB_IMAGE = "mariadb:10.11"
DEFAULT_REPO_URL = "https://federatedai.github.io/KubeFATE"
MIN_DB_GIB = 5

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")

CONFIG = STRICT


class KubeFateServiceConfig(CrossChecked):
    """Every key is optional except ``host`` (when enabled); docs in README.md, "kubefate"."""

    model_config = CONFIG

    enabled: bool = True
    host: DnsName | None = None
    ingress_class_name: DnsSubdomain | None = Field(None, alias="ingressClassName")
    tls_secret_name: DnsSubdomain | None = Field(None, alias="tlsSecretName")
    ingress_annotations: Annotations = Field(default_factory=dict, alias="ingressAnnotations")
    await_ingress: bool = Field(True, alias="awaitIngress")
    image: PinnedImage = DEFAULT_IMAGE
    mariadb_image: PinnedImage = Field(DEFAULT_MARIADB_IMAGE, alias="mariadbImage")
    image_pull_secrets: list[DnsSubdomain] = Field(default_factory=list, alias="imagePullSecrets")
    storage_class: DnsSubdomain | None = Field(None, alias="storageClass")
    database_size: Size = Field("5Gi", alias="databaseSize")
    keep_database_on_destroy: bool = Field(True, alias="keepDatabaseOnDestroy")
    admin_username: str = Field("admin", alias="adminUsername")
    repo_url: str = Field(DEFAULT_REPO_URL, alias="repoUrl")
    log_level: Literal["debug", "info", "warn", "error"] = Field("info", alias="logLevel")
    istio: bool = False
    resources: ResourceMap | None = None

    @field_validator("host")
    @classmethod
    def _host(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if v == UPSTREAM_HOST:
            why = (
                "upstream's default host: every KubeFATE left at it collides with the others on a shared "
                "ingress, and the CLI would talk to whichever answers"
            )
            raise FieldProblem(
                f"{PREFIX}.host", v, why, "use a host of your own per party, e.g. 'kubefate.party-30000.fate.internal'"
            )
        return v

    @field_validator("admin_username")
    @classmethod
    def _username(cls, v: str) -> str:
        if not _USERNAME.fullmatch(v):
            raise FieldProblem(
                f"{PREFIX}.adminUsername",
                v,
                "not a plain user name",
                "use letters, digits, '_', '.' and '-', starting with a letter (default 'admin')",
            )
        return v

    @field_validator("repo_url")
    @classmethod
    def _repo(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", v):
            raise FieldProblem(
                f"{PREFIX}.repoUrl", v, "not an http(s) URL", f"use the chart repository URL, e.g. {DEFAULT_REPO_URL!r}"
            )
        return v

    block_prefix = PREFIX

    def cross_problems(self, context: dict[str, Any]) -> list[Problem]:
        problems = requests_above_limits(f"{PREFIX}.resources", self.resources)
        if self.enabled and self.host is None:
            problems.append(
                problem(
                    f"{PREFIX}.host",
                    None,
                    "the KubeFATE service is reached through an Ingress and needs its own host name",
                    "set it, e.g. 'kubefate.party-30000.fate.internal', or set kubefate.enabled: false",
                )
            )
        return problems

    # -- derived --------------------------------------------------------------------------------------------

    @property
    def url(self) -> str | None:
        if not self.enabled or self.host is None:
            return None
        return f"{'https' if self.tls_secret_name else 'http'}://{self.host}"

    def sizing_findings(self) -> list[Problem]:
        """Below-reference sizes; the party config refuses them under production and warns under trial."""
        if not self.enabled:
            return []
        if parse_quantity(self.database_size) < MIN_DB_GIB * GIB:
            return [
                problem(
                    f"{PREFIX}.databaseSize",
                    self.database_size,
                    f"volumes below {MIN_DB_GIB} GiB are under the reference architecture",
                    f"use at least {MIN_DB_GIB}Gi, or use sizing: trial",
                )
            ]
        return []

    def missing_storage_class(self) -> list[Problem]:
        if self.enabled and not self.storage_class:
            why = (
                "the KubeFATE metadata database needs a persistent volume (upstream's emptyDir loses "
                "every cluster and job record on a pod restart)"
            )
            fix = "set kubefate.storageClass or fate.storageClass, e.g. 'vsan-default-storage-policy'"
            return [problem(f"{PREFIX}.storageClass", None, why, fix)]
        return []
