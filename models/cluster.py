"""The ``cluster`` block of a stack: which Kubernetes cluster a party or the exchange runs on.

Two modes because sites differ: ``tanzu`` provisions a Tanzu Kubernetes cluster in a vSphere Namespace (the
reference architecture), ``kubeconfig`` adopts a cluster that already exists (local trials, tests, sites whose
platform team hands out clusters). Secrets (kubeconfigs, the vSphere password) are never part of this model:
they arrive as secret Outputs, and ``check_cluster_secrets`` tells the loader which ones are missing.
Every key is described in docs/config-cluster.md.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from models import primitives
from models.errors import FieldProblem, PrimitiveError, Problem, problem
from models.primitives import STRICT, Labels, StrictModel, checked

CONFIG = STRICT
PREFIX = "cluster"

_TKR = re.compile(
    r"^v(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)"
    r"(?:(?:\+|---)(?P<build>vmware\.[0-9A-Za-z.-]+))?$"
)
_QUANTITY = re.compile(r"^[1-9]\d*(Gi|Ti)$")

# Sizes of the default VM classes (vCPU, GiB), facts §1.5; used for sizing findings only.
DEFAULT_CLASS_SIZES = {
    "xsmall": (2, 2),
    "small": (2, 4),
    "medium": (2, 8),
    "large": (4, 16),
    "xlarge": (4, 32),
    "2xlarge": (8, 64),
    "4xlarge": (16, 128),
    "8xlarge": (32, 128),
}
# A Spark worker of the reference architecture wants 8 vCPU / 16 GiB on one node.
MIN_WORKER_CPUS = 8
MIN_WORKER_GIB = 16


# --- pure helpers (also used by the renderers) -------------------------------------------------------------


def k8s_storage_class_name(policy_name: str) -> str:
    """The name the Supervisor gives the StorageClass of a vSphere storage policy (facts §1.5)."""
    ascii_name = unicodedata.normalize("NFKD", policy_name).encode("ascii", "ignore").decode().lower()
    name = re.sub(r"[^a-z0-9.]+", "-", ascii_name)
    if name[:1] in ("-", "."):
        name = "0" + name
    if name[-1:] in ("-", "."):
        name = name + "0"
    return name


class TkrVersion(BaseModel):
    """A parsed TKR version: TKC wants the ``---`` name, a CAPI Cluster the ``+`` version."""

    model_config = ConfigDict(frozen=True)

    major: int
    minor: int
    patch: int
    build: str | None = None

    @classmethod
    def parse(cls, text: str) -> TkrVersion | None:
        m = _TKR.fullmatch(text.strip())
        if not m:
            return None
        return cls(major=int(m["major"]), minor=int(m["minor"]), patch=int(m["patch"]), build=m["build"])

    @property
    def kubernetes(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"

    @property
    def tkr_name(self) -> str:
        """``v1.26.5---vmware.2-fips.1-tkg.1``: the TanzuKubernetesRelease object's name."""
        return f"{self.kubernetes}---{self.build}" if self.build else self.kubernetes

    @property
    def semver(self) -> str:
        """``v1.26.5+vmware.2-fips.1-tkg.1``: what ``Cluster.spec.topology.version`` takes."""
        return f"{self.kubernetes}+{self.build}" if self.build else self.kubernetes

    @property
    def is_full_tkr(self) -> bool:
        return bool(self.build) and re.search(r"-tkg\.\d+$", self.build or "") is not None


def duration_minutes(text: str) -> float | None:
    """Minutes in a Go-style duration (``60m``, ``1h30m``, ``3600s``); None when it is not one."""
    try:
        return primitives.duration_minutes(text)
    except PrimitiveError:
        return None


def _dns_label(field: str, value: str) -> str:
    return checked(field, value, primitives.dns_label)


def _compliant_storage_class(field: str, value: str) -> str:
    compliant = k8s_storage_class_name(value)
    if value != compliant:
        why = "TKC and CAPI clusters take a storage policy's Kubernetes name, not its vSphere name"
        raise FieldProblem(field, value, why, f"use {compliant!r}")
    return value


def _raise_all(problems: list[Problem]) -> None:
    """Report every cross-field problem at once: users fix configs in one round, not one error per run."""
    if problems:
        raise FieldProblem(problems)


# --- sub-models ------------------------------------------------------------------------------------------


class ControlPlane(StrictModel):
    model_config = CONFIG

    replicas: int = 1
    vm_class: str = Field("best-effort-small", alias="vmClass")
    storage_class: str | None = Field(None, alias="storageClass")

    @field_validator("replicas")
    @classmethod
    def _odd(cls, v: int) -> int:
        if v not in (1, 3):
            why = "etcd needs an odd quorum and TKG supports 1 or 3 control-plane nodes"
            raise FieldProblem(
                f"{PREFIX}.controlPlane.replicas", v, why, "use 1 (trials) or 3 (production, survives one node loss)"
            )
        return v

    @field_validator("storage_class")
    @classmethod
    def _sc(cls, v: str | None) -> str | None:
        return None if v is None else _compliant_storage_class(f"{PREFIX}.controlPlane.storageClass", v)


class NodePool(StrictModel):
    model_config = CONFIG

    name: str = "workers"
    replicas: int = Field(3, ge=1)
    vm_class: str = Field("best-effort-2xlarge", alias="vmClass")
    storage_class: str | None = Field(None, alias="storageClass")
    containerd_volume: str | None = Field("32Gi", alias="containerdVolume")
    failure_domain: str | None = Field(None, alias="failureDomain")
    labels: Labels = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _dns_label(f"{PREFIX}.nodePools[].name", v)

    @field_validator("storage_class")
    @classmethod
    def _sc(cls, v: str | None) -> str | None:
        return None if v is None else _compliant_storage_class(f"{PREFIX}.nodePools[].storageClass", v)

    @field_validator("containerd_volume")
    @classmethod
    def _volume(cls, v: str | None) -> str | None:
        if v is not None and not _QUANTITY.fullmatch(v):
            raise FieldProblem(
                f"{PREFIX}.nodePools[].containerdVolume",
                v,
                "not a size in Gi or Ti",
                "use e.g. '32Gi' (the reference architecture), or null for no separate volume",
            )
        return v


class Network(StrictModel):
    model_config = CONFIG

    cni: Literal["antrea", "calico"] = "antrea"
    pods: list[str] = Field(default_factory=lambda: ["192.168.0.0/16"])
    services: list[str] = Field(default_factory=lambda: ["10.96.0.0/12"])
    service_domain: str = Field("cluster.local", alias="serviceDomain")

    @field_validator("pods", "services")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for cidr in v:
            try:
                ipaddress.ip_network(cidr)
            except ValueError as exc:
                raise FieldProblem(
                    f"{PREFIX}.network", cidr, f"not a CIDR block ({exc})", "use e.g. '192.168.0.0/16'"
                ) from None
        if not v:
            raise FieldProblem(f"{PREFIX}.network", v, "empty list", "give at least one CIDR block")
        return v


class Timeouts(StrictModel):
    """How long Pulumi waits for the cluster: a TKC takes far longer than pulumi-kubernetes' 10 minutes."""

    model_config = CONFIG

    create: str = "60m"
    update: str = "60m"
    delete: str = "30m"


class CustomVmClass(StrictModel):
    """A VM class this stack creates, e.g. a guaranteed size the Supervisor doesn't ship."""

    model_config = CONFIG

    name: str
    cpus: int = Field(ge=1)
    memory_mib: int = Field(alias="memoryMiB", ge=1024)
    reservation: int = Field(100, ge=0, le=100)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _dns_label(f"{PREFIX}.vsphere.customVmClasses[].name", v)


class VsphereConfig(StrictModel):
    """The vSphere side; ``manage: false`` (default) means the vSphere admin hands out the namespace."""

    model_config = CONFIG

    manage: bool = False
    server: str | None = None
    user: str | None = None
    allow_unverified_ssl: bool = Field(False, alias="allowUnverifiedSsl")
    supervisor_id: str | None = Field(None, alias="supervisorId")
    storage_policies: list[str] = Field(default_factory=list, alias="storagePolicies")
    content_libraries: list[str] = Field(default_factory=list, alias="contentLibraries")
    custom_vm_classes: list[CustomVmClass] = Field(default_factory=list, alias="customVmClasses")


class Preparation(StrictModel):
    """What the component sets up inside the workload cluster before KubeFATE and FATE arrive."""

    model_config = CONFIG

    enabled: bool | None = None
    pod_security: Literal["auto", "psa", "psp", "none"] = Field("auto", alias="podSecurity")
    default_storage_class: bool | None = Field(None, alias="defaultStorageClass")
    containerd_remount: bool = Field(False, alias="containerdRemount")
    remount_image: str = Field("busybox:1.36", alias="remountImage")


# --- the block ------------------------------------------------------------------------------------------


class ClusterConfig(StrictModel):
    """Where the stack's workloads run; see docs/config-cluster.md for every key."""

    model_config = CONFIG

    mode: Literal["tanzu", "kubeconfig"] = "tanzu"
    # adopt mode
    kubeconfig_path: str | None = Field(None, alias="kubeconfigPath")
    context: str | None = None
    # tanzu mode
    name: str | None = None
    vsphere_namespace: str | None = Field(None, alias="vsphereNamespace")
    supervisor_context: str | None = Field(None, alias="supervisorContext")
    api_flavor: Literal["tkc", "capi"] = Field("tkc", alias="apiFlavor")
    tkr_version: str | None = Field(None, alias="tkrVersion")
    os_image: Literal["ubuntu", "photon"] | None = Field(None, alias="osImage")
    control_plane: ControlPlane = Field(default_factory=lambda: ControlPlane.model_validate({}), alias="controlPlane")
    node_pools: list[NodePool] = Field(default_factory=lambda: [NodePool.model_validate({})], alias="nodePools")
    storage_class: str = Field("vsan-default-storage-policy", alias="storageClass")
    vm_classes: list[str] = Field(default_factory=list, alias="vmClasses")
    network: Network = Field(default_factory=lambda: Network.model_validate({}))
    timeouts: Timeouts = Field(default_factory=lambda: Timeouts.model_validate({}))
    vsphere: VsphereConfig = Field(default_factory=lambda: VsphereConfig.model_validate({}))
    preparation: Preparation = Field(default_factory=lambda: Preparation.model_validate({}))

    @field_validator("name", "vsphere_namespace")
    @classmethod
    def _names(cls, v: str | None, info: ValidationInfo) -> str | None:
        alias = {"name": "name", "vsphere_namespace": "vsphereNamespace"}[str(info.field_name)]
        return None if v is None else _dns_label(f"{PREFIX}.{alias}", v)

    @field_validator("storage_class")
    @classmethod
    def _sc(cls, v: str) -> str:
        return _compliant_storage_class(f"{PREFIX}.storageClass", v)

    @field_validator("tkr_version")
    @classmethod
    def _tkr(cls, v: str | None) -> str | None:
        if v is not None and TkrVersion.parse(v) is None:
            raise FieldProblem(
                f"{PREFIX}.tkrVersion",
                v,
                "not a TKR version",
                "use the TKR name as `kubectl get tkr` lists it, e.g. "
                "'v1.26.5---vmware.2-fips.1-tkg.1' (or 'v1.26.5+vmware.2-fips.1-tkg.1')",
            )
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> ClusterConfig:
        _raise_all(self._problems())
        return self

    # -- derived --------------------------------------------------------------------------------------------

    @property
    def tkr(self) -> TkrVersion | None:
        return TkrVersion.parse(self.tkr_version) if self.tkr_version else None

    @property
    def prepare(self) -> bool:
        """Preparation is on by default for provisioned clusters, off for adopted ones (local trials)."""
        if self.preparation.enabled is not None:
            return self.preparation.enabled
        return self.mode == "tanzu"

    @property
    def make_default_storage_class(self) -> bool:
        if self.preparation.default_storage_class is not None:
            return self.preparation.default_storage_class
        return self.mode == "tanzu"

    @property
    def pod_security_mode(self) -> Literal["psa", "psp", "none"]:
        """``auto`` follows the TKR: PodSecurityPolicy up to 1.24, Pod Security Admission from 1.25."""
        if self.preparation.pod_security != "auto":
            return self.preparation.pod_security
        tkr = self.tkr
        if tkr is not None and (tkr.major, tkr.minor) <= (1, 24):
            return "psp"
        return "psa"

    @property
    def bound_vm_classes(self) -> list[str]:
        """The classes the vSphere Namespace binds: the listed ones plus those this stack creates."""
        names = list(self.vm_classes)
        names += [c.name for c in self.vsphere.custom_vm_classes if c.name not in names]
        return names

    def timeout_minutes(self) -> dict[str, float]:
        return {k: duration_minutes(getattr(self.timeouts, k)) or 0 for k in ("create", "update", "delete")}

    # -- validation -----------------------------------------------------------------------------------------

    def _problems(self) -> list[Problem]:
        if self.mode == "kubeconfig":
            return self._adopt_problems()
        problems = self._required_tanzu()
        problems += self._timeout_problems()
        problems += self._vm_class_problems()
        problems += self._pool_problems()
        problems += self._vsphere_problems()
        tkr = self.tkr
        if tkr is not None and self.api_flavor == "tkc" and not tkr.is_full_tkr:
            problems.append(
                problem(
                    f"{PREFIX}.tkrVersion",
                    self.tkr_version,
                    "a TanzuKubernetesCluster references the TKR by its full name",
                    "give the full name from `kubectl get tkr`, e.g. "
                    "'v1.26.5---vmware.2-fips.1-tkg.1', or use apiFlavor 'capi'",
                )
            )
        return problems

    def _adopt_problems(self) -> list[Problem]:
        if self.vsphere.manage:
            why = "mode 'kubeconfig' adopts an existing cluster and creates nothing on vSphere"
            return [problem(f"{PREFIX}.vsphere.manage", True, why, "set mode 'tanzu' or manage false")]
        return []

    def _required_tanzu(self) -> list[Problem]:
        missing = [
            (alias, example)
            for alias, value, example in (
                ("name", self.name, "'fate-30000'"),
                ("vsphereNamespace", self.vsphere_namespace, "'fate-party-30000'"),
                ("tkrVersion", self.tkr_version, "'v1.26.5---vmware.2-fips.1-tkg.1'"),
            )
            if value is None
        ]
        return [
            problem(f"{PREFIX}.{alias}", None, "required in mode 'tanzu'", f"set it, e.g. {example}")
            for alias, example in missing
        ]

    def _timeout_problems(self) -> list[Problem]:
        problems = []
        floors = {"create": 30, "update": 10, "delete": 5}
        for key, floor in floors.items():
            text = getattr(self.timeouts, key)
            minutes = duration_minutes(text)
            if minutes is None:
                problems.append(
                    problem(
                        f"{PREFIX}.timeouts.{key}", text, "not a duration", "use minutes or hours, e.g. '60m' or '1h'"
                    )
                )
            elif minutes < floor:
                why = f"a Tanzu Kubernetes cluster needs longer than {floor} minutes for this"
                problems.append(
                    problem(
                        f"{PREFIX}.timeouts.{key}",
                        text,
                        why,
                        f"use at least '{floor}m' ('60m' is the default for create)",
                    )
                )
            elif minutes > 24 * 60:
                problems.append(
                    problem(
                        f"{PREFIX}.timeouts.{key}", text, "longer than a day hides a stuck cluster", "use at most '24h'"
                    )
                )
        return problems

    def _vm_class_problems(self) -> list[Problem]:
        if not (self.vsphere.manage or self.vm_classes):
            return []
        bound = self.bound_vm_classes
        used = [("controlPlane.vmClass", self.control_plane.vm_class)]
        used += [(f"nodePools[{i}].vmClass", p.vm_class) for i, p in enumerate(self.node_pools)]
        return [
            problem(
                f"{PREFIX}.{where}",
                cls,
                f"the vSphere Namespace does not bind this VM class (bound: {bound})",
                f"add {cls!r} to cluster.vmClasses (or vsphere.customVmClasses) or use a bound class",
            )
            for where, cls in used
            if cls not in bound
        ]

    def _pool_problems(self) -> list[Problem]:
        problems = []
        names = [p.name for p in self.node_pools]
        if not names:
            problems.append(
                problem(
                    f"{PREFIX}.nodePools",
                    [],
                    "a cluster without workers cannot run FATE",
                    "give at least one node pool",
                )
            )
        for dup in sorted({n for n in names if names.count(n) > 1}):
            problems.append(
                problem(f"{PREFIX}.nodePools[].name", dup, "duplicate node pool name", "give every pool its own name")
            )
        return problems

    def _vsphere_problems(self) -> list[Problem]:
        vs = self.vsphere
        if not vs.manage:
            return []
        problems = [
            problem(
                f"{PREFIX}.vsphere.{alias}", None, "required when vsphere.manage is true", f"set it, e.g. {example}"
            )
            for alias, value, example in (
                ("server", vs.server, "'vcenter.example.org'"),
                ("user", vs.user, "'administrator@vsphere.local'"),
                (
                    "supervisorId",
                    vs.supervisor_id,
                    "the Supervisor id from `dcli com vmware vcenter namespacemanagement supervisors summaries list`",
                ),
            )
            if value is None
        ]
        if not vs.storage_policies:
            fix = "list vSphere storage policy names, e.g. ['vSAN Default Storage Policy']"
            why = "the namespace gets no storage"
            problems.append(problem(f"{PREFIX}.vsphere.storagePolicies", [], why, fix))
        offered = {k8s_storage_class_name(p) for p in vs.storage_policies}
        used = {self.storage_class, self.control_plane.storage_class}
        used |= {p.storage_class for p in self.node_pools}
        for sc in sorted(s for s in used if s):
            if offered and sc not in offered:
                why = f"no storage policy of the managed namespace gives it (offered: {sorted(offered)})"
                problems.append(
                    problem(
                        f"{PREFIX}.storageClass",
                        sc,
                        why,
                        "add its policy to vsphere.storagePolicies or use an offered class",
                    )
                )
        return problems

    def _class_shape(self, vm_class: str) -> tuple[int, float, bool] | None:
        """(vCPU, GiB, guaranteed) of a class whose size is known here; None for site-specific classes."""
        for c in self.vsphere.custom_vm_classes:
            if c.name == vm_class:
                return c.cpus, c.memory_mib / 1024, c.reservation == 100
        for kind in ("best-effort-", "guaranteed-"):
            size = vm_class.removeprefix(kind)
            if vm_class.startswith(kind) and size in DEFAULT_CLASS_SIZES:
                cpus, gib = DEFAULT_CLASS_SIZES[size]
                return cpus, gib, kind == "guaranteed-"
        return None

    def sizing_findings(self) -> list[Problem]:
        """Where worker pools fall short of the reference architecture; the loader decides warn or refuse."""
        findings = []
        for i, pool in enumerate(self.node_pools):
            field = f"{PREFIX}.nodePools[{i}].vmClass"
            shape = self._class_shape(pool.vm_class)
            if shape is None:
                continue
            cpus, gib, guaranteed = shape
            if not guaranteed:
                better = pool.vm_class.replace("best-effort-", "guaranteed-")
                why = "best-effort classes reserve no CPU or memory, so FATE jobs compete with other tenants"
                fix = f"use {better!r} or another guaranteed class"
                findings.append(problem(field, pool.vm_class, why, fix))
            if cpus < MIN_WORKER_CPUS or gib < MIN_WORKER_GIB:
                why = (
                    f"{cpus} vCPU / {gib:g} GiB per node is below the reference architecture's "
                    f"{MIN_WORKER_CPUS} vCPU / {MIN_WORKER_GIB} GiB (one Spark worker)"
                )
                findings.append(problem(field, pool.vm_class, why, "use a 2xlarge class or larger"))
        return findings


def check_cluster_secrets(
    cfg: ClusterConfig, has_kubeconfig: bool, has_supervisor_kubeconfig: bool, has_vsphere_password: bool
) -> list[Problem]:
    """Which secrets the chosen mode needs but the stack lacks; the loader raises them as a ConfigError."""
    problems = []
    if cfg.mode == "kubeconfig":
        if not has_kubeconfig and not cfg.kubeconfig_path:
            fix = "`pulumi config set --secret kubeconfig < kubeconfig.yaml` or set cluster.kubeconfigPath"
            why = "mode 'kubeconfig' needs the workload cluster's kubeconfig"
            problems.append(problem("kubeconfig", None, why, fix))
        return problems
    if not has_supervisor_kubeconfig:
        fix = "`pulumi config set --secret supervisorKubeconfig < supervisor.kubeconfig`"
        why = "mode 'tanzu' creates the cluster through the Supervisor"
        problems.append(problem("supervisorKubeconfig", None, why, fix))
    if cfg.vsphere.manage and not has_vsphere_password:
        problems.append(
            problem(
                "vspherePassword",
                None,
                "vsphere.manage is true, so vCenter credentials are needed",
                "`pulumi config set --secret vspherePassword` (or set vsphere.manage false)",
            )
        )
    return problems
