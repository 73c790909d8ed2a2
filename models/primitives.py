"""The shared value checks every model uses, so a name, host, port or quantity is judged the same everywhere.

Why one place: a value that reaches a Kubernetes object, a rendered file or an export must be refused where
it enters, with the same rule wherever it enters. Each check raises ``PrimitiveError`` (why + fix);
pydantic adds the field path and ``models.errors.problems_of`` turns it into a Problem. Patterns are matched
with ``fullmatch``: ``re.match(r"...$")`` accepts a trailing newline, which then lands in rendered YAML.

Strict types: ``STRICT`` refuses silent coercion (``"030000"`` or ``true`` as an integer, ``1e20`` replicas);
``ConfigInt`` is the one exception, for the top-level scalars Pulumi hands to a program as text.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator
from typing_extensions import TypedDict

from models.errors import FieldProblem, PrimitiveError, Problem
from models.quantities import parse_quantity

T = TypeVar("T")


def strict_config(**more: Any) -> ConfigDict:
    """Unknown keys refused, no coercion; ``more`` for what a model family adds (e.g. its alias generator)."""
    return ConfigDict(extra="forbid", populate_by_name=True, strict=True, **more)


STRICT = strict_config()

NODE_PORT_RANGE = (30000, 32767)
MAX_LABEL = 63
MAX_SUBDOMAIN = 253

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_IMAGE_NAME = re.compile(r"[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*")
_REGISTRY_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
_DURATION = re.compile(r"(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+([-.+][A-Za-z0-9.]+)?")
_NAME_PART = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_STACK_PART = re.compile(r"[A-Za-z0-9_.-]+")


def _text(value: Any, example: str) -> str:
    if not isinstance(value, str):
        raise PrimitiveError(f"a {type(value).__name__} where text is expected", f"write it as text, e.g. {example!r}")
    if value != value.strip() or any(c in value for c in "\n\r\t"):
        raise PrimitiveError("contains whitespace or a line break", f"write {value.strip()!r}")
    return value


def _label_suggestion(value: str, max_len: int = MAX_LABEL) -> str:
    cleaned = re.sub(r"[^a-z0-9-]+", "-", value.strip().lower()).strip("-")[:max_len].strip("-")
    return cleaned or "fate-30000"


def _subdomain_suggestion(value: str) -> str:
    return ".".join(_label_suggestion(p) for p in value.split(".") if p.strip()) or "example.org"


def dns_label(value: Any) -> str:
    """RFC 1123 label: Kubernetes object and namespace names, one DNS label of a host."""
    text = _text(value, "fate-30000")
    if len(text) > MAX_LABEL or not _LABEL.fullmatch(text):
        raise PrimitiveError(
            f"not a DNS label (lowercase letters, digits and '-', starting and ending alphanumeric, "
            f"at most {MAX_LABEL} characters; this is {len(text)})",
            f"use e.g. {_label_suggestion(text)!r}",
        )
    return text


def dns_subdomain(value: Any) -> str:
    """RFC 1123 subdomain: storage classes, secret and config names that may contain dots."""
    text = _text(value, "vsan-default-storage-policy")
    labels = text.split(".")
    if len(text) > MAX_SUBDOMAIN or not all(len(p) <= MAX_LABEL and _LABEL.fullmatch(p) for p in labels):
        suggestion = _subdomain_suggestion(text)
        raise PrimitiveError(
            "not a DNS subdomain (dot-separated labels of lowercase letters, digits and '-', each at most "
            f"{MAX_LABEL} characters, {MAX_SUBDOMAIN} in all)",
            f"use e.g. {suggestion[:MAX_SUBDOMAIN]!r}",
        )
    return text


def host(value: Any) -> str:
    """An address another machine dials: an IP address or a DNS name, nothing else (no scheme, port, path)."""
    text = _text(value, "10.0.0.9")
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", text).split("/")[0]
    if bare != text or re.fullmatch(r"[^:]+:[0-9]+", text):
        without_port = re.sub(r":[0-9]+$", "", bare) if bare.count(":") == 1 else bare
        raise PrimitiveError(
            "a host is an address only, without scheme, port or path",
            f"write {without_port!r} (ports are separate keys)",
        )
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    labels = text.split(".")
    if len(text) > MAX_SUBDOMAIN or not all(len(p) <= MAX_LABEL and _LABEL.fullmatch(p) for p in labels):
        raise PrimitiveError(
            "not an IP address or a DNS name (lowercase labels of letters, digits and '-', each at most "
            f"{MAX_LABEL} characters)",
            f"use e.g. {'.'.join(_label_suggestion(p) for p in labels if p.strip()) or 'exchange.example.org'!r}",
        )
    return text


def dns_name(value: Any) -> str:
    """A DNS name an Ingress or a certificate serves: a subdomain with at least two labels, not an address."""
    text = _text(value, "kubefate.party-30000.fate.internal")
    host(text)
    try:
        ipaddress.ip_address(text)
        is_ip = True
    except ValueError:
        is_ip = False
    if is_ip or len(text.split(".")) < 2:
        raise PrimitiveError(
            "not a DNS name with at least two labels (an Ingress host is a name, not an address)",
            "use e.g. 'kubefate.party-30000.fate.internal'",
        )
    return text


def ip_address(value: Any) -> str:
    text = _text(value, "10.0.0.9")
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise PrimitiveError(
            "not an IP address", "give the IPv4/IPv6 address the load balancer should assign, or remove the key"
        ) from None
    return text


def balancer_address(value: Any) -> str:
    """A host FATE's nginx dials: its Lua hands ``host:port`` unresolved to ``ngx.balancer``, which refuses a
    name at run time ("no host allowed"), so only an IP address can work."""
    text = host(value)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise PrimitiveError(
            "a name, but FATE's nginx passes the host unresolved to its balancer, which accepts IP addresses only",
            "give the IP address it resolves to (the load balancer's or node's address)",
        ) from None
    return text


def stack_name(value: Any) -> str:
    """A Pulumi stack: ``stack`` or ``organization/project/stack``."""
    text = _text(value, "party-30000")
    parts = text.split("/")
    if len(parts) > 3 or not all(_STACK_PART.fullmatch(p) for p in parts):
        cleaned = "/".join(re.sub(r"[^A-Za-z0-9_.-]+", "-", p).strip("-") for p in parts[-3:] if p.strip())
        raise PrimitiveError(
            "not a Pulumi stack name (letters, digits, '_', '.', '-'; optionally organization/project/stack)",
            f"use e.g. {cleaned or 'party-30000'!r}",
        )
    return text


def qualified_name(value: Any) -> str:
    """A Kubernetes qualified name: label, annotation and node-selector keys, extended resource names
    (``[dns-subdomain/]name``, the name at most 63 characters, alphanumeric at both ends)."""
    text = _text(value, "example.org/role")
    prefix, slash, name = text.rpartition("/")
    ok = len(name) <= MAX_LABEL and _NAME_PART.fullmatch(name) is not None
    if slash:
        try:
            dns_subdomain(prefix)
        except PrimitiveError:
            ok = False
    if not ok:
        cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-_.")[:MAX_LABEL] or "role"
        raise PrimitiveError(
            "not a Kubernetes key ([prefix/]name: the name letters, digits, '-', '_', '.', alphanumeric at both "
            f"ends, at most {MAX_LABEL} characters; the prefix a lowercase DNS subdomain)",
            f"use e.g. {(_subdomain_suggestion(prefix) + '/' if slash else '') + cleaned!r}",
        )
    return text


def label_value(value: Any) -> str:
    """A label or node-selector value: empty, or at most 63 of letters, digits, '-', '_', '.'."""
    if not isinstance(value, str):
        raise PrimitiveError(f"not text ({type(value).__name__}); label values are text", f"quote it: {str(value)!r}")
    if len(value) > MAX_LABEL or not _LABEL_VALUE.fullmatch(value):
        cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", value).strip("-_.")[:MAX_LABEL]
        raise PrimitiveError(
            "not a label value (at most 63 of letters, digits, '-', '_', '.', alphanumeric at both ends)",
            f"use e.g. {cleaned or 'worker'!r}",
        )
    return value


def annotation_value(value: Any) -> str:
    """Annotation values are free text, but text: a number or boolean would be refused by the API server."""
    if not isinstance(value, str):
        raise PrimitiveError(
            f"not text ({type(value).__name__}); annotation values are text", f"quote it: {str(value)!r}"
        )
    return value


def _whole(value: Any, example: int) -> int:
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        raise PrimitiveError("a quoted number is text here", f"write {value.strip()} without quotes")
    if isinstance(value, bool) or not isinstance(value, int):
        raise PrimitiveError(
            f"a {type(value).__name__}, not a whole number", f"write a whole number without quotes, e.g. {example}"
        )
    return value


def port(value: Any) -> int:
    number = _whole(value, 9300)
    if not 1 <= number <= 65535:
        raise PrimitiveError("a TCP port is between 1 and 65535", "use a port in that range")
    return number


def node_port(value: Any) -> int:
    number = _whole(value, 30080)
    low, high = NODE_PORT_RANGE
    if not low <= number <= high:
        raise PrimitiveError(
            f"outside Kubernetes' default NodePort range {low}-{high}", f"use a port between {low} and {high}"
        )
    return number


def config_int(value: Any) -> int:
    """A top-level integer: Pulumi passes scalars as text, so digits are read, but only canonical ones."""
    if isinstance(value, str):
        if not re.fullmatch(r"-?(0|[1-9][0-9]*)", value):
            digits = value.strip().lstrip("0") or "0"
            fix = f"write {digits}" if _DECIMAL.fullmatch(digits) else "write a whole number, e.g. 30000"
            raise PrimitiveError("not a whole number in canonical form (digits only, no leading zero)", fix)
        return int(value)
    return _whole(value, 30000)


def quantity(value: Any) -> str | int | float:
    """A Kubernetes resource quantity (``4``, ``500m``, ``8Gi``)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PrimitiveError("not a Kubernetes quantity", "write e.g. 4, '500m', '8Gi' or '512Mi'")
    if isinstance(value, str):
        _text(value, "8Gi")
    try:
        number = parse_quantity(value)
    except ValueError:
        raise PrimitiveError("not a Kubernetes quantity", "write e.g. 4, '500m', '8Gi' or '512Mi'") from None
    if number != number or number in (float("inf"),) or number < 0:
        raise PrimitiveError("not a finite, non-negative quantity", "write e.g. 4, '500m', '8Gi' or '512Mi'")
    return value


def size(value: Any) -> str:
    """A volume or database size: a quantity of bytes, written as text (``10Gi``)."""
    if not isinstance(value, str):
        raise PrimitiveError(f"a {type(value).__name__}, not a size", "write it with its unit, e.g. '10Gi'")
    try:
        quantity(value)
    except PrimitiveError as exc:
        raise PrimitiveError(exc.why.replace("quantity", "size"), "write e.g. '10Gi' or '500Mi'") from None
    if parse_quantity(value) == 0:
        raise PrimitiveError("a zero size holds no data", "write e.g. '10Gi' or '500Mi'")
    return value


def image_ref(value: Any) -> str:
    """``[registry/]repository[:tag][@sha256:digest]`` as a container runtime pulls it."""
    text = _text(value, "federatedai/fateflow:2.0.0-release")
    rest, _, digest = text.partition("@")
    if ":" in rest.rsplit("/", 1)[-1]:
        name, tag = rest.rsplit(":", 1)
    else:
        name, tag = rest, ""
    first, _, remainder = name.partition("/")
    has_registry = bool(remainder) and ("." in first or ":" in first or first == "localhost")
    path = remainder if has_registry else name
    ok = (
        bool(path)
        and _IMAGE_NAME.fullmatch(path) is not None
        and (not has_registry or _REGISTRY_HOST.fullmatch(first) is not None)
        and (not tag or _TAG.fullmatch(tag) is not None)
        and (not digest or _DIGEST.fullmatch(digest) is not None)
    )
    if not ok:
        raise PrimitiveError(
            "not an image reference ([registry/]repository[:tag][@sha256:digest], repository in lowercase)",
            "write e.g. 'federatedai/fateflow:2.0.0-release'",
        )
    return text


def image_repository(value: Any) -> str:
    """An image without tag or digest: where a separate ``imageTag`` key (and ``registry``) complete it."""
    text = image_ref(value)
    if "@" in text or ":" in text.rsplit("/", 1)[-1]:
        bare = text.split("@")[0].rsplit(":", 1)[0] if ":" in text.rsplit("/", 1)[-1] else text.split("@")[0]
        raise PrimitiveError(
            "an image repository without tag or digest here (the tag comes from imageTag)",
            f"write {bare!r} and put the tag in imageTag",
        )
    return text


def image_tag(value: Any) -> str:
    """A tag that does not move: ``latest`` would make two runs deploy different code and a review cannot tell
    which."""
    text = _text(value, "2.0.0-release")
    if text == "latest":
        raise PrimitiveError(
            "'latest' moves, so two `pulumi up` runs may deploy different code and a review cannot tell which",
            "pin a release tag, e.g. '2.0.0-release'",
        )
    if not _TAG.fullmatch(text):
        raise PrimitiveError(
            "not an image tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')",
            "write e.g. '2.0.0-release'",
        )
    return text


def pinned_tag(value: Any) -> str:
    """A tag or ``sha256:`` digest that does not move: ``latest`` would make two runs deploy different code."""
    text = _text(value, "2.0.0-release")
    if not (_TAG.fullmatch(text) or _DIGEST.fullmatch(text)) or text == "latest":
        raise PrimitiveError(
            "an explicit, fixed image tag is required (a moving tag makes rollouts unrepeatable)",
            "set a release tag such as 2.0.0-release, or a digest sha256:<hex>",
        )
    return text


def pinned_image(value: Any) -> str:
    """An image reference that carries its own fixed tag or digest (no separate imageTag key)."""
    text = image_ref(value)
    rest, _, digest = text.partition("@")
    tag = rest.rsplit("/", 1)[-1].rpartition(":")[2] if ":" in rest.rsplit("/", 1)[-1] else ""
    if not (tag or digest):
        raise PrimitiveError("no tag or digest, so the runtime pulls 'latest'", f"pin a release: {text + ':<tag>'!r}")
    if tag == "latest" and not digest:
        raise PrimitiveError(
            "'latest' moves, so two `pulumi up` runs may deploy different code", "pin a release tag or a sha256 digest"
        )
    return text


def version(value: Any) -> str:
    text = _text(value, "2.0.0")
    if not _VERSION.fullmatch(text):
        raise PrimitiveError("not a version (MAJOR.MINOR.PATCH with an optional suffix)", "write e.g. '2.0.0'")
    return text


def duration_minutes(value: Any) -> float:
    """Minutes in a Go-style duration (``60m``, ``1h30m``, ``3600s``)."""
    text = _text(value, "60m")
    m = _DURATION.fullmatch(text)
    if not m or not any(m.groupdict().values()):
        raise PrimitiveError("not a duration", "write hours, minutes and seconds like '60m', '1h30m' or '3600s'")
    return int(m["h"] or 0) * 60 + int(m["m"] or 0) + int(m["s"] or 0) / 60


def duration(value: Any) -> str:
    duration_minutes(value)
    return value


def sub_path(value: Any) -> str:
    """A ``subPath`` inside a volume: relative, and never climbing out with ``..``."""
    text = _text(value, "fate/mysql")
    parts = PurePosixPath(text).parts
    if text.startswith("/") or ".." in parts or "\\" in text or not parts:
        cleaned = "/".join(p for p in parts if p not in ("..", "/", ".")) or "data"
        raise PrimitiveError("a subPath is a relative path inside the volume, without '..'", f"write {cleaned!r}")
    return text


def inside_project(value: Any, project_dir: Path) -> Path:
    """``value`` resolved against ``project_dir``; refused (and never opened) when it resolves outside it."""
    text = _text(value, "clusters/party-30000.yaml")
    candidate = Path(text)
    if candidate.is_absolute():
        raise PrimitiveError(
            "absolute paths break on other machines and may point outside the project",
            "give a path relative to the project directory (next to Pulumi.yaml)",
        )
    root = project_dir.resolve()
    resolved = (root / candidate).resolve()
    if resolved != root and root not in resolved.parents:
        raise PrimitiveError(
            f"resolves outside the project directory {str(root)!r}",
            "copy the file into the project directory and give its relative path",
        )
    return resolved


DnsLabel = Annotated[str, BeforeValidator(dns_label)]
DnsSubdomain = Annotated[str, BeforeValidator(dns_subdomain)]
Host = Annotated[str, BeforeValidator(host)]
Port = Annotated[int, BeforeValidator(port)]
NodePort = Annotated[int, BeforeValidator(node_port)]
ConfigInt = Annotated[int, BeforeValidator(config_int)]
Quantity = Annotated[str | int | float, BeforeValidator(quantity)]
Size = Annotated[str, BeforeValidator(size)]
ImageRef = Annotated[str, BeforeValidator(image_ref)]
ImageRepository = Annotated[str, BeforeValidator(image_repository)]
ImageTag = Annotated[str, BeforeValidator(image_tag)]
PinnedTag = Annotated[str, BeforeValidator(pinned_tag)]
PinnedImage = Annotated[str, BeforeValidator(pinned_image)]
Version = Annotated[str, BeforeValidator(version)]
Duration = Annotated[str, BeforeValidator(duration)]
SubPath = Annotated[str, BeforeValidator(sub_path)]
DnsName = Annotated[str, BeforeValidator(dns_name)]
IpAddress = Annotated[str, BeforeValidator(ip_address)]
BalancerAddress = Annotated[str, BeforeValidator(balancer_address)]
StackName = Annotated[str, BeforeValidator(stack_name)]
QualifiedName = Annotated[str, BeforeValidator(qualified_name)]
LabelValue = Annotated[str, BeforeValidator(label_value)]
AnnotationValue = Annotated[str, BeforeValidator(annotation_value)]
Labels = dict[QualifiedName, LabelValue]


class Toleration(TypedDict, total=False):
    """A pod toleration as Kubernetes takes it; a TypedDict so it reaches the pod spec as the mapping written."""

    __pydantic_config__ = STRICT  # type: ignore[misc]

    key: QualifiedName
    operator: Literal["Exists", "Equal"]
    value: LabelValue
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
    tolerationSeconds: int


ResourceMap = dict[Literal["requests", "limits"], dict[QualifiedName, Quantity]]
Annotations = dict[QualifiedName, AnnotationValue]
PlainText = Annotated[str, AfterValidator(lambda v: _text(v, "a value"))]


def requests_above_limits(prefix: str, resources: ResourceMap | None) -> list[Problem]:
    """``requests.<r>`` above ``limits.<r>``: the API server refuses such a pod, long after ``pulumi up``
    started."""
    requests, limits = (resources or {}).get("requests") or {}, (resources or {}).get("limits") or {}
    out = []
    for key, wanted in requests.items():
        if key in limits and parse_quantity(wanted) > parse_quantity(limits[key]):
            out.append(
                Problem(
                    f"{prefix}.requests.{key}",
                    wanted,
                    f"request above its limit {limits[key]!r}",
                    "lower the request or raise the limit",
                )
            )
    return out


def refusal(field: str, value: Any, check: Callable[[Any], Any]) -> Problem | None:
    """``check``'s verdict on ``value`` as a Problem at ``field`` (None when it passes), for rules that
    know the field path themselves."""
    try:
        check(value)
    except PrimitiveError as exc:
        return Problem(field, value, exc.why, exc.fix)
    return None


def checked(field: str, value: Any, check: Callable[[Any], T]) -> T:
    """``check(value)``, raising the FieldProblem a field validator reports."""
    try:
        return check(value)
    except PrimitiveError as exc:
        raise FieldProblem(field, value, exc.why, exc.fix) from None


class StrictModel(BaseModel):
    """Base of every configuration model: ``STRICT``, and no text field (or list of texts) with surrounding
    whitespace or a control character, which would otherwise reach a rendered file or object as written.
    Mappings that reach objects are typed by what Kubernetes takes (``Labels``, ``Annotations``,
    ``Toleration``, ``ResourceMap``); ``free_text`` names fields whose whitespace is meaningful."""

    model_config = STRICT
    free_text: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls.free_text:
            return value
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and (text != text.strip() or any(ord(c) < 32 or ord(c) == 127 for c in text)):
                raise PrimitiveError(
                    "contains surrounding whitespace or a control character (a line break?)", f"write {text.strip()!r}"
                )
        return value
