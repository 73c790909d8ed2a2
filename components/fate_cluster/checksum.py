"""The pod-template annotation that rolls pods when their rendered configuration changes.

Computed from the rendered text itself (apply-time exchange data included), so a change of any file, and
only a real change, restarts the pods that read it; no kubectl rollout needed.
"""

from __future__ import annotations

import hashlib

ANNOTATION = "checksum/config"


def config_checksum(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name].encode())
        digest.update(b"\0")
    return digest.hexdigest()
