"""The key and subject organisation a certificate's owner chooses: the exchange for its CA and ATS key, each
party for its own Pulsar broker key (which never leaves the party's stack; only its request does)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from models import primitives
from models.cross_field import CrossChecked
from models.errors import FieldProblem
from models.primitives import checked

RSA_SIZES = (2048, 3072, 4096)
DEFAULT_DOMAIN = "fate.org"
DEFAULT_ORGANIZATION = "kubefate-tanzu federation"


def rsa_bits(field: str, value: int) -> int:
    if value not in RSA_SIZES:
        raise FieldProblem(field, value, "unsupported RSA key size", "use 2048, 3072 or 4096")
    return value


def federation_domain(field: str, value: Any) -> str:
    """Parties are ``<partyId>.<domain>``: the SNI name ATS routes by and the name in each party's certificate."""
    checked(field, value, primitives.dns_subdomain)
    if len(value) > 200 or len(value.split(".")) < 2:
        raise FieldProblem(
            field,
            value,
            "not a lower-case DNS domain with at least two labels",
            "use a domain such as fate.org; parties become <partyId>.<domain>",
        )
    return value


class KeyPolicy(CrossChecked):
    """Algorithm and size of a key, and the O= of the certificate made for it."""

    key_algorithm: Literal["RSA", "ECDSA"] = Field("RSA", alias="keyAlgorithm")
    rsa_bits: int = Field(2048, alias="rsaBits")
    ecdsa_curve: Literal["P256", "P384", "P521"] = Field("P256", alias="ecdsaCurve")
    organization: str = DEFAULT_ORGANIZATION

    @field_validator("rsa_bits")
    @classmethod
    def _rsa_bits(cls, v: int) -> int:
        return rsa_bits(f"{cls.block_prefix}.rsaBits", v)
