"""Names, labels and image references of the exchange's objects, shared by its sub-components."""

from __future__ import annotations

from components.labels import kubefate_labels, selector_labels

CLUSTER_KIND = "fate-exchange"
ATS_MODULE = "traffic-server"
NGINX_MODULE = "nginx"
ATS_CERT_SECRET = "traffic-server-cert"
# KubeFATE's release name for an exchange (its ``name`` label), kept so KubeFATE tooling finds these pods.
RELEASE_NAME = "fate-exchange"


def image_ref(image: str, tag: str) -> str:
    """``image:tag``, or ``image@sha256:...`` when the pin is a digest."""
    return f"{image}@{tag}" if tag.startswith("sha256:") else f"{image}:{tag}"


def labels(party_id: int, module: str) -> dict[str, str]:
    return kubefate_labels(RELEASE_NAME, party_id, module, cluster_kind=CLUSTER_KIND)


def selector(party_id: int, module: str) -> dict[str, str]:
    return selector_labels(RELEASE_NAME, party_id, module)
