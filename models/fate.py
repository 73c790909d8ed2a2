"""The ``fate`` stack config: a KubeFATE cluster YAML for chart ``fate`` v2.0.0, plus a few conveniences.

Conveniences on top of the upstream format (all optional, documented in docs/config-fate.md):
``backend`` (shorthand for computing/federation/storage/modules), ``fateVersion`` (default image tags),
``storageClass`` (default for every volume) and ``keepVolumesOnDestroy``.

Validation is strict where upstream only printed warnings (facts §1.2, §12.14): unknown keys, inconsistent
modules/backends and keys this program cannot honour are errors naming the field, the value and the fix,
raised
before any resource is registered. Messages are built from the ``prefix`` in the validation context
(``FateSpec.model_validate(data, context={"prefix": "fate"})``, default ``fate``), so a file loaded through
``kubefateClusterYaml`` can report its own name.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from models import fate_defaults as d
from models import modules as module_registry
from models.cross_field import CrossChecked
from models.engines import BACKEND_ENGINES, Backend, backend_named, backend_of_computing
from models.errors import FieldProblem, Problem, from_validation_error
from models.fate_modules import (
    Block,
    ClientSpec,
    ClusterManagerSpec,
    FateboardSpec,
    HdfsSpec,
    IngressSpec,
    MysqlSpec,
    NginxSpec,
    NodeManagerSpec,
    OsxSpec,
    PullSecret,
    PulsarSpec,
    PythonSpec,
    Resources,
    ServingSpec,
    SparkSpec,
    Toggle,
    Volume,
)
from models.primitives import DnsLabel, DnsSubdomain, Host, Port, Version
from models.quantities import parse_quantity


def _prefix(info: ValidationInfo | None) -> str:
    ctx = (info.context if info is not None else None) or {}
    return str(ctx.get("prefix", "fate"))


class FateSpec(Block, CrossChecked):
    """One party's FATE cluster, in the shape of ``kubefate cluster install -f`` files (chart fate v2.0.0)."""

    name: DnsLabel | None = None  # always a str after validation: default fate-<partyId>
    namespace: DnsLabel | None = None  # always a str after validation: default fate-<partyId>
    chart_name: str | None = None
    chart_version: str | None = None
    party_id: int
    registry: str | None = ""
    pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    image_pull_secrets: list[PullSecret] | None = None
    persistence: bool = False
    storage_class: DnsSubdomain | None = None
    keep_volumes_on_destroy: bool = True
    istio: Toggle | None = None
    pod_security_policy: Toggle | None = None
    ingress_class_name: DnsSubdomain | None = None
    modules: list[str] | None = None
    # Lax only to take the enum's value from a string; bytes are refused by ``_backend_is_text``.
    backend: Backend | None = Field(default=None, strict=False)
    computing: str | None = None
    federation: str | None = None
    storage: str | None = None
    algorithm: Literal["Basic", "NN", "ALL"] | None = None
    device: Literal["CPU", "IPCL", "GPU"] | None = None
    skipped_keys: list[str] | None = None
    ingress: IngressSpec | None = None
    fate_version: Version = d.FATE_VERSION
    osx: OsxSpec | None = None
    python: PythonSpec | None = None
    clustermanager: ClusterManagerSpec | None = None
    nodemanager: NodeManagerSpec | None = None
    client: ClientSpec | None = None
    mysql: MysqlSpec | None = None
    fateboard: FateboardSpec | None = None
    spark: SparkSpec | None = None
    hdfs: HdfsSpec | None = None
    nginx: NginxSpec | None = None
    pulsar: PulsarSpec | None = None
    serving_ip: Host | None = None
    serving_port: Port | None = None
    serving: ServingSpec | None = None
    # Accepted only to be refused by name (models/fate_rules.py says why and what to do instead).
    rabbitmq: Any = None
    lbrollsite: Any = None
    rollsite: Any = None
    image_tag: Any = None
    external_mysql_ip: Any = None
    external_mysql_port: Any = None
    external_mysql_database: Any = None
    external_mysql_user: Any = None
    external_mysql_password: Any = None

    # -- shorthand and normalisation ---------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _expand_backend(cls, data: Any, info: ValidationInfo) -> Any:
        """``backend`` fills computing/federation/storage/modules; explicit values must agree with it."""
        if not isinstance(data, dict) or not data.get("backend"):
            return data
        backend = data["backend"]
        named = backend_named(backend)
        if named is None:
            return data  # the field's type reports it
        engines = BACKEND_ENGINES[named]
        computing, federation, storage = str(engines.computing), str(engines.federation), str(engines.storage)
        prefix = _prefix(info)
        data = dict(data)
        problems = []
        for key, wanted in (("computing", computing), ("federation", federation), ("storage", storage)):
            given = data.get(key)
            if given is None:
                data[key] = wanted
            elif given != wanted:
                problems.append(
                    Problem(
                        f"{prefix}.{key}",
                        given,
                        f"backend {backend!r} means {key} {wanted!r}",
                        f"remove {key} (backend sets it) or make it {wanted!r}",
                    )
                )
        if data.get("modules") is None:
            data["modules"] = list(module_registry.backend_modules(named))
        if problems:
            raise FieldProblem(problems)
        return data

    @field_validator("backend", mode="before")
    @classmethod
    def _backend_is_text(cls, value: Any, info: ValidationInfo) -> Any:
        """The lax enum would read ``!!binary`` YAML as a backend name."""
        if isinstance(value, bytes):
            names = [repr(str(b)) for b in Backend]
            raise FieldProblem(
                f"{_prefix(info)}.backend",
                value,
                f"a backend is text: {', '.join(names[:-1])} or {names[-1]}",
                f"write it without a YAML tag, e.g. backend: {Backend.SPARK_PULSAR}",
            )
        return value

    @field_validator("party_id", mode="before")
    @classmethod
    def _no_bool_party_id(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML ``yes``/``true`` would otherwise become party 1."""
        if isinstance(value, bool):
            raise FieldProblem(
                f"{_prefix(info)}.partyId", value, "a boolean is not a party id", "use the party's id, e.g. 30000"
            )
        return value

    @field_validator("registry")
    @classmethod
    def _normalise_registry(cls, value: str | None) -> str:
        """Upstream v2.0.0 concatenates the registry verbatim (§12.4); a prefix with or without ``/`` both
        work."""
        value = (value or "").strip()
        if value and not value.endswith("/"):
            value += "/"
        return value

    @classmethod
    def prefix_of(cls, context: dict[str, Any]) -> str:
        return str(context.get("prefix", "fate"))

    def cross_problems(self, context: dict[str, Any]) -> list[Problem]:
        from models.fate_rules import all_problems

        return all_problems(self, self.prefix_of(context))

    @model_validator(mode="after")
    def _derive_names(self) -> FateSpec:
        # Upstream requires both; deriving them from the party id keeps the seeds' convention fate-<partyId>.
        self.name = self.name or f"fate-{self.party_id}"
        self.namespace = self.namespace or f"fate-{self.party_id}"
        return self

    @property
    def cluster_name(self) -> str:
        """``name`` as validation left it (typed ``str``: the field is optional only on input)."""
        return self.name or f"fate-{self.party_id}"

    @property
    def cluster_namespace(self) -> str:
        """``namespace`` as validation left it (typed ``str``: the field is optional only on input)."""
        return self.namespace or f"fate-{self.party_id}"

    # -- backend -----------------------------------------------------------------------------------------

    @property
    def backend_name(self) -> Backend:
        """The backend whose computing engine this party runs (validation guarantees there is one)."""
        return backend_of_computing(self.computing) or Backend.SPARK_PULSAR

    @property
    def module_set(self) -> frozenset[str]:
        return frozenset(self.modules or ())

    def has(self, module: str) -> bool:
        return module in self.module_set

    # -- effective values (defaults included) ------------------------------------------------------------

    def block(self, path: str) -> Any:
        """The block at a dotted path (``spark.worker``) or None."""
        node: Any = self
        for part in path.split("."):
            node = getattr(node, part, None) if node is not None else None
        return node

    def effective_resources(self, path: str) -> dict[str, dict[str, Any]]:
        """Requests/limits as they will be rendered: the user's values over the defaults, without ever
        putting a default request above a user limit (Kubernetes would refuse the pod)."""
        block = self.block(path)
        res: Resources | None = getattr(block, "resources", None)
        user_requests: dict[str, Any] = dict((res.requests if res else None) or {})
        user_limits: dict[str, Any] = dict((res.limits if res else None) or {})
        requests: dict[str, Any] = {k: v for k, v in d.RESOURCE_DEFAULTS.get(path, {}).items() if k not in user_limits}
        requests.update(user_requests)
        out: dict[str, dict[str, Any]] = {"requests": requests}
        if user_limits:
            out["limits"] = user_limits
        return out

    def effective_request(self, path: str, key: str) -> float | None:
        """What the scheduler will reserve: request, else limit (Kubernetes copies it), else None."""
        res = self.effective_resources(path)
        value = res["requests"].get(key, res.get("limits", {}).get(key))
        return None if value is None else parse_quantity(value)

    def volume(self, path: str) -> Volume:
        """The persistence keys of a volume path with defaults filled in (storage class from the top
        level)."""
        block = self.block(path)
        keys = {k: getattr(block, k, None) for k in Volume.model_fields} if block is not None else {}
        return Volume(
            existing_claim=keys.get("existing_claim") or None,
            storage_class=keys.get("storage_class") or self.storage_class,
            access_mode=keys.get("access_mode") or "ReadWriteOnce",
            size=keys.get("size") or d.VOLUME_DEFAULTS[path],
            sub_path=keys.get("sub_path") or None,
        )

    def volume_paths(self) -> list[str]:
        """Volume paths of the deployed modules, in a stable order."""
        return [p for p in d.VOLUME_DEFAULTS if self.has(module_registry.module_of(p))]

    def resource_paths(self) -> list[str]:
        return [p for p in d.RESOURCE_DEFAULTS if self.has(module_registry.module_of(p))]

    # -- sizing against the reference architecture -------------------------------------------------------

    def sizing_findings(self, prefix: str = "fate") -> list[Problem]:
        """House-format problems where effective sizes are below the reference architecture's minimums."""
        from models.fate_sizing import sizing_findings

        return sizing_findings(self, prefix)


def parse_fate_spec(data: dict[str, Any], prefix: str = "fate", source: str = "stack configuration") -> FateSpec:
    """Validate ``data``; every problem becomes one line of a ConfigError (pydantic's and ours alike)."""
    try:
        return FateSpec.model_validate(data, context={"prefix": prefix})
    except ValidationError as exc:
        raise from_validation_error(exc, prefix, source, FateSpec) from None
