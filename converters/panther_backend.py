"""A pySigma backend that emits the body of a Panther Python rule: one boolean expression.

The expression reads the event with Panther's ``event.deep_get`` (a missing key or a
null value is None) and compares strings case-insensitively, as Sigma does by default.
It calls small helpers (HELPERS_SOURCE) that the generated rule module defines.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.pipelines.cloudtrail.panther import DERIVED_FIELD_CALLS
from sigma.types import SigmaBool, SigmaNumber, SigmaRegularExpressionFlag, SigmaString

from .backend_support import RejectUnsupportedMixin, check_plain_field_reference

# Python's inline flags for Sigma's regular expression flags.
REGEX_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: "i",
    SigmaRegularExpressionFlag.MULTILINE: "m",
    SigmaRegularExpressionFlag.DOTALL: "s",
}

# Helpers the expression may call, by name. _text gives the lower-case text of a string or
# number and None for anything else, so a comparison with a missing field is False.
HELPERS_SOURCE = {
    "_text": (
        "def _text(value):\n"
        "    if isinstance(value, str):\n"
        "        return value.lower()\n"
        "    if isinstance(value, (int, float)) and not isinstance(value, bool):\n"
        "        return str(value).lower()\n"
        "    return None\n"
    ),
    "_wildcard": (
        "def _wildcard(value, pattern):\n"
        "    # Sigma wildcards match the whole value, case-insensitively.\n"
        "    text = _text(value)\n"
        "    return text is not None and re.fullmatch(pattern, text, re.IGNORECASE | re.DOTALL) is not None\n"
    ),
    "_regex": (
        "def _regex(value, pattern):\n"
        "    # Sigma regular expressions match anywhere in the value, case-sensitively.\n"
        "    return isinstance(value, str) and re.search(pattern, value) is not None\n"
    ),
    "_same_text": (
        "def _same_text(left, right):\n"
        "    text = _text(left)\n"
        "    return text is not None and text == _text(right)\n"
    ),
}


def python_string(text: str) -> str:
    """Return a double-quoted Python string literal for text."""
    # A JSON string literal is a valid Python string literal with the same value.
    return json.dumps(text)


class PantherPythonBackend(RejectUnsupportedMixin, TextQueryBackend):
    """Convert Sigma detections to a Python expression over a Panther event."""

    name: ClassVar[str] = "Panther Python rule"
    identifier: ClassVar[str] = "panther_python"
    target = "Panther Python"
    formats: ClassVar[dict[str, str]] = {"default": "Python boolean expression over `event`"}
    requires_pipeline: ClassVar[bool] = True

    precedence: ClassVar[tuple[type, type, type]] = (ConditionNOT, ConditionAND, ConditionOR)
    group_expression: ClassVar[str] = "({expr})"
    or_token: ClassVar[str] = "or"
    and_token: ClassVar[str] = "and"
    not_token: ClassVar[str] = "not"
    eq_token: ClassVar[str] = " == "
    str_quote: ClassVar[str] = '"'
    escape_char: ClassVar[str] = "\\"

    convert_or_as_in: ClassVar[bool] = True
    convert_and_as_in: ClassVar[bool] = False
    in_expressions_allow_wildcards: ClassVar[bool] = False
    field_in_list_expression: ClassVar[str] = "_text({field}) {op} {{{list}}}"
    or_in_operator: ClassVar[str] = "in"
    list_separator: ClassVar[str] = ", "

    field_null_expression: ClassVar[str] = "{field} is None"
    field_exists_expression: ClassVar[str] = "{field} is not None"
    field_not_exists_expression: ClassVar[str] = "{field} is None"
    field_equals_field_expression: ClassVar[str] = "_same_text({field1}, {field2})"

    def escape_and_quote_field(self, field_name: str) -> str:
        """Return the Python expression that reads a field from the event."""
        if field_name in DERIVED_FIELD_CALLS:
            return DERIVED_FIELD_CALLS[field_name]
        keys = field_name.split(".")
        if not all(keys):
            raise self._field_error(field_name)
        return "event.deep_get(" + ", ".join(python_string(key) for key in keys) + ")"

    def _field_error(self, field_name: str) -> Exception:
        from sigma.exceptions import SigmaFeatureNotSupportedByBackendError

        return SigmaFeatureNotSupportedByBackendError(
            f"The field name '{field_name}' has an empty path segment, which the Panther Python "
            "backend cannot read with event.deep_get. Fix the field name in the rule."
        )

    def convert_value_str(self, s: SigmaString, state: ConversionState) -> str:
        """Return the lower-case Python literal of a plain Sigma string."""
        return python_string(s.to_plain().lower())

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        field = self.escape_and_quote_field(cond.field)
        value: SigmaString = cond.value
        if value.contains_special():
            pattern = value.to_regex().regexp.to_plain()
            return f"_wildcard({field}, {python_string(pattern)})"
        return f"_text({field}) == {self.convert_value_str(value, state)}"

    def convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> str:
        field = self.escape_and_quote_field(cond.args[0].field)
        literals = sorted({self._in_literal(arg.value, state) for arg in cond.args})
        return f"_text({field}) in {{{', '.join(literals)}}}"

    def _in_literal(self, value: Any, state: ConversionState) -> str:
        if isinstance(value, SigmaString):
            return self.convert_value_str(value, state)
        return python_string(str(value.number).lower())

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        number: SigmaNumber = cond.value
        field = self.escape_and_quote_field(cond.field)
        return f"_text({field}) == {python_string(str(number.number).lower())}"

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        value: SigmaBool = cond.value
        return f"{self.escape_and_quote_field(cond.field)} is {value.boolean}"

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        flags = "".join(sorted(REGEX_FLAGS[flag] for flag in cond.value.flags))
        pattern = (f"(?{flags})" if flags else "") + cond.value.regexp.to_plain()
        return f"_regex({self.escape_and_quote_field(cond.field)}, {python_string(pattern)})"

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        check_plain_field_reference(self, cond)
        return self.field_equals_field_expression.format(
            field1=self.escape_and_quote_field(cond.field),
            field2=self.escape_and_quote_field(cond.value.field),
        )


def helpers_used(expression: str) -> list[str]:
    """Return the source of every helper that an expression calls, _text always included."""
    names = [name for name in HELPERS_SOURCE if name == "_text" or f"{name}(" in expression]
    return [HELPERS_SOURCE[name] for name in names]
