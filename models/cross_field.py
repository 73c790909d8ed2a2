"""Cross-field rules that still run when a field of the same block is bad, so one run reports everything.

pydantic runs a model's ``after`` validators only when every field validated, so a block with a typo in one
key and a node-port clash in two others used to report the typo, then (next run) the clash. ``CrossChecked``
runs the block's rules once more on the fields that did validate (the bad ones left to their defaults) and
reports both sets together. A rule's problem that names a bad key (at its field, in its reason or its fix) is
dropped: it may be about the default that stood in for the bad value, and the bad value is reported anyway.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import ValidationError, ValidationInfo, model_validator
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from models.errors import FieldProblem, Problem, problems_of
from models.primitives import StrictModel

_PARTIAL = "_cross_field_partial"


class CrossChecked(StrictModel):
    """A block with rules across its fields: override ``cross_problems``; ``block_prefix`` is where the block
    sits (its problems' field paths), or ``prefix_of`` when that depends on the validation context."""

    block_prefix: ClassVar[str] = ""

    @classmethod
    def prefix_of(cls, context: dict[str, Any]) -> str:
        return cls.block_prefix

    def cross_problems(self, context: dict[str, Any]) -> list[Problem]:
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _all_at_once(cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        context = dict(info.context or {})
        try:
            model = handler(data)
        except ValidationError as exc:
            bad = {e["loc"][0] for e in exc.errors() if e["loc"]}
            if context.get(_PARTIAL) or not bad or not isinstance(data, dict):
                raise
            problems = problems_of(exc, cls.prefix_of(context), cls)
            raise FieldProblem(problems + cls._rules_on_the_valid_fields(data, bad, problems, context)) from None
        if not context.get(_PARTIAL):
            problems = model.cross_problems(context)
            if problems:
                raise FieldProblem(problems)
        return model

    @classmethod
    def _rules_on_the_valid_fields(
        cls, data: dict[str, Any], bad: set[Any], found: list[Problem], context: dict[str, Any]
    ) -> list[Problem]:
        keys = set(bad)
        for name, field in cls.model_fields.items():
            if name in bad or field.alias in bad:
                keys |= {name, field.alias}
        try:
            partial = cls.model_validate(
                {k: v for k, v in data.items() if k not in keys}, context={**context, _PARTIAL: True}
            )
        except ValidationError:
            return []  # a required field was the bad one: nothing to judge the rules on
        names = re.compile(r"\b(" + "|".join(re.escape(str(k)) for k in keys if k) + r")\b")
        return [
            p
            for p in partial.cross_problems(context)
            if p not in found and not names.search(" ".join((p.field.rsplit("]", 1)[-1], p.why, p.fix)))
        ]
