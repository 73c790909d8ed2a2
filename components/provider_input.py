"""The type of a rendered value handed to a provider resource's arguments.

The renderers return the Kubernetes (and TLS provider) wire shape, plain dicts with camelCase keys, so they
are tested without Pulumi. The providers take that shape at run time, but their Python TypedDicts spell the
keys in snake_case, so a rendered dict never matches them for a type checker. Annotating the renderer's
result as ``ProviderInput`` says that once at the boundary instead of a cast at every call.
"""

from __future__ import annotations

from typing import Any

ProviderInput = Any


def rendered(value: Any) -> ProviderInput:
    """A dict written inline in the wire shape, passed on as ``ProviderInput`` (see the module docstring)."""
    return value
