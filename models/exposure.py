"""Who may reach a Service a stack exposes outside its cluster.

``loadBalancerSourceRanges`` is the one control an operator has at the load balancer itself: a bank's
security review wants the exchange's (and the partner parties') addresses there, not the whole internet.
Checked here so a typo is an error naming the field before anything is registered, not a Service the API
server rejects halfway through an update.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator


def _check_cidrs(values: list[str]) -> list[str]:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a CIDR block ({exc}); use e.g. 203.0.113.0/24 or 198.51.100.7/32"
            ) from None
    if not values:
        raise ValueError("an empty list would admit every source; leave the key out for that")
    return values


SourceRanges = Annotated[list[str], AfterValidator(_check_cidrs)]
