"""A pySigma backend that emits the KQL predicate of a Microsoft Sentinel query.

Sigma compares strings case-insensitively, so equality is ``=~`` and lists are ``in~``;
``startswith``, ``endswith`` and ``contains`` are case-insensitive in KQL already. A
string column is never null in Kusto (a missing value is the empty string), so Sigma's
null and existence tests become ``isempty`` and ``isnotempty``. The pipeline
(sigma.pipelines.cloudtrail.sentinel) maps CloudTrail fields to AWSCloudTrail columns
and puts the predicate under the table.
"""

from __future__ import annotations

from typing import ClassVar

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError, SigmaTransformationError
from sigma.pipelines.cloudtrail.sentinel import (
    BOOL_COLUMNS,
    DATETIME_COLUMNS,
    field_expression,
)
from sigma.types import SigmaBool, SigmaRegularExpressionFlag, SigmaString, SpecialChars

from .backend_support import RejectUnsupportedMixin, check_plain_field_reference

# KQL regular expressions are RE2; Sigma's flags become an inline group.
REGEX_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: "i",
    SigmaRegularExpressionFlag.MULTILINE: "m",
    SigmaRegularExpressionFlag.DOTALL: "s",
}


def kql_string(text: str) -> str:
    """Return a double-quoted KQL string literal for text."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


class SentinelKqlBackend(RejectUnsupportedMixin, TextQueryBackend):
    """Convert Sigma detections to a KQL predicate over Sentinel's AWSCloudTrail columns."""

    name: ClassVar[str] = "Microsoft Sentinel KQL (AWSCloudTrail)"
    identifier: ClassVar[str] = "sentinel_kql"
    target = "Sentinel KQL"
    formats: ClassVar[dict[str, str]] = {"default": "KQL query over AWSCloudTrail"}
    requires_pipeline: ClassVar[bool] = True

    precedence: ClassVar[tuple[type, type, type]] = (ConditionNOT, ConditionAND, ConditionOR)
    group_expression: ClassVar[str] = "({expr})"
    or_token: ClassVar[str] = "or"
    and_token: ClassVar[str] = "and"
    not_token: ClassVar[str] = "not"
    eq_token: ClassVar[str] = " =~ "

    convert_or_as_in: ClassVar[bool] = True
    convert_and_as_in: ClassVar[bool] = False
    in_expressions_allow_wildcards: ClassVar[bool] = False
    field_in_list_expression: ClassVar[str] = "{field} {op} ({list})"
    or_in_operator: ClassVar[str] = "in~"
    list_separator: ClassVar[str] = ", "

    def escape_and_quote_field(self, field_name: str) -> str:
        """Return the column or JSON path expression of a CloudTrail field."""
        try:
            return field_expression(field_name)
        except SigmaTransformationError as error:
            raise SigmaFeatureNotSupportedByBackendError(str(error)) from error

    def convert_value_str(self, s: SigmaString, state: ConversionState) -> str:
        """Return the KQL literal of a plain Sigma string."""
        return kql_string(s.to_plain())

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> str:
        # KQL's not is a function: not(expression).
        inner = self.convert_condition(cond.args[0], state)
        return f"not({inner})"

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        field = self.escape_and_quote_field(cond.field)
        value: SigmaString = cond.value
        if not value.contains_special():
            return f"{field} =~ {self.convert_value_str(value, state)}"
        inner = value[1:-1] if len(value) > 1 else value
        if _only_outer_wildcards(value, "both") and not inner.contains_special():
            return f"{field} contains {self.convert_value_str(inner, state)}"
        if _only_outer_wildcards(value, "end") and not value[:-1].contains_special():
            return f"{field} startswith {self.convert_value_str(value[:-1], state)}"
        if _only_outer_wildcards(value, "start") and not value[1:].contains_special():
            return f"{field} endswith {self.convert_value_str(value[1:], state)}"
        pattern = "(?is)^" + value.to_regex().regexp.to_plain() + "$"
        return f"{field} matches regex {kql_string(pattern)}"

    def convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> str:
        field = self.escape_and_quote_field(cond.args[0].field)
        literals = []
        for arg in cond.args:
            if not isinstance(arg.value, SigmaString):
                self._reject("A number in a list of values", arg)
            literals.append(self.convert_value_str(arg.value, state))
        return f"{field} in~ ({', '.join(literals)})"

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        # CloudTrail numbers sit in JSON strings; tostring compares their text form.
        field = self.escape_and_quote_field(cond.field)
        return f"tostring({field}) == {kql_string(str(cond.value.number))}"

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        value: SigmaBool = cond.value
        field = self.escape_and_quote_field(cond.field)
        literal = "true" if value.boolean else "false"
        if field in BOOL_COLUMNS:
            return f"{field} == {literal}"
        return f"{field} =~ {kql_string(literal)}"

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        flags = "".join(sorted(REGEX_FLAGS[flag] for flag in cond.value.flags))
        pattern = (f"(?{flags})" if flags else "") + cond.value.regexp.to_plain()
        return f"{self.escape_and_quote_field(cond.field)} matches regex {kql_string(pattern)}"

    def convert_condition_field_eq_val_null(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"{_empty_test(self.escape_and_quote_field(cond.field))}"

    def convert_condition_field_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"{_empty_test(self.escape_and_quote_field(cond.field), negate=True)}"

    def convert_condition_field_not_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"{_empty_test(self.escape_and_quote_field(cond.field))}"

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        check_plain_field_reference(self, cond)
        left = self.escape_and_quote_field(cond.field)
        right = self.escape_and_quote_field(cond.value.field)
        # Both sides must be known: Sigma does not call two missing fields equal.
        return f"(isnotempty({left}) and {left} =~ {right})"


def _empty_test(field: str, negate: bool = False) -> str:
    if field in BOOL_COLUMNS or field in DATETIME_COLUMNS:
        return f"isnotnull({field})" if negate else f"isnull({field})"
    return f"isnotempty({field})" if negate else f"isempty({field})"


def _only_outer_wildcards(value: SigmaString, where: str) -> bool:
    starts = value.startswith(SpecialChars.WILDCARD_MULTI)
    ends = value.endswith(SpecialChars.WILDCARD_MULTI)
    if where == "both":
        return starts and ends and len(value) > 2
    if where == "end":
        return ends and not starts
    return starts and not ends
