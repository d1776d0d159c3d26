"""Shared parts of the project's own pySigma backends: explicit errors for what they do not emit."""

from __future__ import annotations

from typing import Any, NoReturn

from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionValueExpression
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError


class RejectUnsupportedMixin:
    """Raise a clear error for Sigma constructs that a backend does not convert.

    pySigma's TextQueryBackend falls back to a NotImplementedError without the field or
    the target in its message, or silently expands some values (CIDR). A backend that
    mixes this class in names the construct, the field and the target instead.
    """

    target: str = "this target"

    def _reject(self, construct: str, cond: Any) -> NoReturn:
        field = getattr(cond, "field", None)
        where = f" on field '{field}'" if field else ""
        raise SigmaFeatureNotSupportedByBackendError(
            f"{construct}{where} is not supported by the {self.target} backend. "
            "Rewrite the detection without it or convert the rule for another target.",
            source=getattr(cond, "source", None),
        )

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        self._reject("The 'cased' modifier", cond)

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        self._reject("The 'cidr' modifier", cond)

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        self._reject("A numeric comparison modifier (lt, lte, gt, gte)", cond)

    def convert_condition_field_eq_val_timestamp_part(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        self._reject("A timestamp part modifier", cond)

    def convert_condition_field_eq_query_expr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        self._reject("A query expression placeholder", cond)

    def convert_condition_val_str(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Any:
        self._reject("A keyword (a value without a field)", cond)

    def convert_condition_val_num(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Any:
        self._reject("A keyword (a value without a field)", cond)

    def convert_condition_val_re(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Any:
        self._reject("A keyword (a value without a field)", cond)


def check_plain_field_reference(backend: RejectUnsupportedMixin, cond: Any) -> None:
    """Reject a field reference combined with startswith, endswith or contains."""
    value = cond.value
    if value.starts_with or value.ends_with:
        backend._reject("A field reference with startswith, endswith or contains", cond)
