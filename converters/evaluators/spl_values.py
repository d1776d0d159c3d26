"""Runtime values of eval expressions and the rules for comparing and combining them.

An eval value is one of these types. None is null, bool a Boolean, and int or float a
number. str is a string literal or a string computed by a function. FieldText is the
text of a field value, which Splunk reads as a number when it looks like one. A tuple
of two or more strings is a multivalue. Sources: the eval command's "Operators" section
(https://help.splunk.com/en/splunk-enterprise/spl-search-reference/10.0/search-commands/eval).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from converters.errors import EvaluatorError, UnsupportedQueryError


class FieldText(str):
    """The text of a field value, which compares as a number when it looks like one."""


Value = None | bool | int | float | str | tuple

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def read_field(event: Mapping[str, object], name: str) -> Value:
    """Return a field of the working event as an eval value (None when absent)."""
    raw = event.get(name)
    if raw is None:
        return None
    if isinstance(raw, str):
        return FieldText(raw)
    if isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
        return multivalue(FieldText(item) for item in raw)
    raise EvaluatorError(
        f"invalid value for field {name!r}: {type(raw).__name__} {raw!r}. Event values must be "
        "strings or lists of strings, so build events with splunk_event()"
    )


def multivalue(values: Iterable[Value]) -> Value:
    """Return a list of values as one eval value: null, a single value or a multivalue."""
    items = tuple(values)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return items


def as_values(value: Value) -> tuple:
    """Return the values of a single value or multivalue as a tuple (empty for null)."""
    if value is None:
        return ()
    if isinstance(value, tuple):
        return value
    return (value,)


def to_text(value: Value, context: str) -> str:
    """Return a single non-null value as text, as concatenation and string functions read it."""
    if isinstance(value, bool):
        raise EvaluatorError(f"{context}: a Boolean cannot be used as a string; wrap it in if()")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise UnsupportedQueryError(
            f"{context}: Splunk's text form of the number {value} depends on its precision "
            "rules, which the offline SPL evaluator does not model"
        )
    if isinstance(value, tuple):
        raise UnsupportedQueryError(
            f"{context}: a multivalue operand ({len(value)} values) is not supported here"
        )
    return str(value)


def number_of(value: Value) -> float | int | None:
    """Return the number a value stands for, or None when it is not numeric."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, FieldText) and _NUMBER.fullmatch(value):
        return float(value)
    return None


def compare(operator: str, left: Value, right: Value) -> bool | None:
    """Compare two values with an eval operator, returning null when either side is null.

    NOTE: null propagation is observed Splunk behaviour, which the Search Reference
    does not state for each operator.
    """
    if left is None or right is None:
        return None
    for side in (left, right):
        if isinstance(side, tuple):
            raise UnsupportedQueryError(
                f"comparison {operator} with a multivalue operand ({len(side)} values): Splunk "
                "does not document its result; use mvfilter() or mvindex() first"
            )
        if isinstance(side, bool):
            raise UnsupportedQueryError(
                f"comparison {operator} of a Boolean: use the Boolean directly"
            )
    left_number, right_number = number_of(left), number_of(right)
    if left_number is not None and right_number is not None:
        return _apply(operator, left_number, right_number)
    if isinstance(left, (int, float)) or isinstance(right, (int, float)):
        raise UnsupportedQueryError(
            f"comparison {left!r} {operator} {right!r} mixes a number and a string; the eval "
            "operators accept two numbers or two strings, so write both sides the same way"
        )
    if operator in ("=", "==", "!=") or (left_number is None and right_number is None):
        # Two strings compare case-sensitively. A numeric field value equals a quoted
        # string with the same text, as in the Search Reference example
        # where status in("400", "401"). Code point order equals UTF-8 byte order.
        return _apply(operator, str(left), str(right))
    raise UnsupportedQueryError(
        f"comparison {left!r} {operator} {right!r} orders a numeric field value against a "
        "quoted string, which Splunk does not document; compare with a number literal"
    )


def _apply(operator: str, left: object, right: object) -> bool:
    if operator in ("=", "=="):
        return left == right
    if operator == "!=":
        return left != right
    if operator == "<":
        return left < right  # type: ignore[operator]
    if operator == "<=":
        return left <= right  # type: ignore[operator]
    if operator == ">":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def require_boolean(value: Value, context: str) -> bool | None:
    """Return a Boolean or null operand, or raise when the operand is another type."""
    if value is None or isinstance(value, bool):
        return value
    raise EvaluatorError(
        f'{context} needs a Boolean, got {value!r}; compare the value (x="...") or use isnotnull(x)'
    )


def logical_and(left: bool | None, right: bool | None) -> bool | None:
    """Three-valued AND: false wins over null, null wins over true."""
    if left is False or right is False:
        return False
    if left is None or right is None:
        return None
    return True


def logical_or(left: bool | None, right: bool | None) -> bool | None:
    """Three-valued OR: true wins over null, null wins over false."""
    if left is True or right is True:
        return True
    if left is None or right is None:
        return None
    return False


def logical_xor(left: bool | None, right: bool | None) -> bool | None:
    """Return the XOR of two Booleans, or null when either side is null."""
    if left is None or right is None:
        return None
    return left != right


def stored_value(value: Value, field: str) -> str | list[str] | None:
    """Convert an eval result to what eval stores in a field (None removes the field)."""
    if isinstance(value, bool):
        # "The result of an eval expression cannot be a Boolean" (eval command).
        raise EvaluatorError(
            f"eval {field}=...: the result is a Boolean, which eval cannot store; "
            'wrap the condition in if(condition, "true", "false")'
        )
    if value is None:
        return None
    if isinstance(value, tuple):
        return [to_text(item, f"eval {field}") for item in value]
    return to_text(value, f"eval {field}")
