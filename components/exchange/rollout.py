"""Pod-template annotations that turn a route change into a rollout, and name the party in the preview diff.

ATS never re-reads ``sni.yaml`` by itself and FATE's nginx keeps removed parties cached until restart (facts
§11, §12.17); a changed pod template makes Kubernetes replace the pods, so neither needs a manual step. One
annotation per party means ``pulumi preview --diff`` shows ``route.kubefate.io/party-40000`` changing rather
than an opaque checksum.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from components.contracts import NginxEndpoint, PartyKey, PulsarEndpoint

CHECKSUM_ANNOTATION = "checksum.kubefate.io/config"
ROUTE_ANNOTATION_PREFIX = "route.kubefate.io/party-"


def checksum(*documents: str) -> str:
    digest = hashlib.sha256()
    for doc in documents:
        digest.update(doc.encode())
        digest.update(b"\0")  # keeps ("ab", "c") distinct from ("a", "bc")
    return digest.hexdigest()


def nginx_route_annotations(parties: Mapping[PartyKey, NginxEndpoint | None]) -> dict[str, str]:
    return {
        f"{ROUTE_ANNOTATION_PREFIX}{party_id}": f"{e['host']}:{e['httpPort']}/{e['grpcPort']}"
        for party_id, e in sorted(parties.items(), key=lambda item: int(item[0]))
        if e is not None
    }


def sni_route_annotations(domain: str, parties: Mapping[PartyKey, PulsarEndpoint | None]) -> dict[str, str]:
    return {
        f"{ROUTE_ANNOTATION_PREFIX}{party_id}": f"{party_id}.{domain} -> {e['host']}:{e['sslPort']}"
        for party_id, e in sorted(parties.items(), key=lambda item: int(item[0]))
        if e is not None
    }


def pod_annotations(route_annotations: Mapping[str, str], *documents: str) -> dict[str, str]:
    return {CHECKSUM_ANNOTATION: checksum(*documents), **route_annotations}
