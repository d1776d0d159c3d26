"""Scalar functions the offline ES|QL evaluator implements, with their null/multi-value rules.

Unless a function's reference page says otherwise it returns null for a null argument and null
plus a warning for a multi-valued one
(https://www.elastic.co/docs/reference/query-languages/esql/esql-multivalued-fields#esql-multivalued-fields-functions).
Documented exceptions implemented here: TO_LOWER/TO_UPPER work per value (ES 9.1),
COALESCE and CASE pass values through, the MV_* functions read every value, SPLIT returns one.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from converters.errors import EvaluatorError, UnsupportedQueryError
from converters.evaluators.esql_expressions import Call, Expr, Literal, require_boolean, single
from converters.evaluators.esql_values import (
    EvalContext,
    Row,
    is_multi,
    make_value,
    type_name,
    values_of,
)

Impl = Callable[[Call, Row, EvalContext], Any]

#: Argument kinds: s string, i integer, a any single value.
_KIND_CHECKS: dict[str, Callable[[Any], bool]] = {
    "s": lambda v: isinstance(v, str),
    "i": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "a": lambda v: True,
}
_KIND_NAMES = {"s": "a string", "i": "an integer", "a": "a value"}


@dataclass(frozen=True)
class Function:
    """A function's arity and implementation; ``max_args`` None means variadic."""

    min_args: int
    max_args: int | None
    impl: Impl


def _strict(kinds: str, fn: Callable[..., Any]) -> Impl:
    """Evaluate every argument; null or multi-valued (warning) input gives null."""

    def impl(call: Call, row: Row, ctx: EvalContext) -> Any:
        values = []
        for position, arg in enumerate(call.args):
            value = single(arg.evaluate(row, ctx), ctx, call.text)
            if value is None:
                return None
            kind = kinds[min(position, len(kinds) - 1)]
            if not _KIND_CHECKS[kind](value):
                raise EvaluatorError(
                    f"[{call.text}]: argument {position + 1} must be {_KIND_NAMES[kind]}, found "
                    f"{type_name(value)} {value!r}"
                )
            values.append(value)
        try:
            return fn(*values)
        except _RowError as exc:  # ES|QL turns a per-row exception into null and a warning
            ctx.warn(f"evaluation of [{call.text}] failed, treating result as null: {exc}")
            return None

    return impl


class _RowError(Exception):
    """An argument value that makes one row's evaluation fail (null plus a warning in ES|QL)."""


def _change_case(convert: Callable[[str], str]) -> Impl:
    """TO_LOWER/TO_UPPER: applied to each value of a multi-valued input since ES 9.1."""

    def impl(call: Call, row: Row, ctx: EvalContext) -> Any:
        values = values_of(call.args[0].evaluate(row, ctx))
        for value in values:
            if not isinstance(value, str):
                raise EvaluatorError(f"[{call.text}] needs a string, found {type_name(value)}")
        return make_value(convert(v) for v in values)

    return impl


def _java_whitespace(char: str) -> bool:
    """Java's Character.isWhitespace, which ES|QL's TRIM uses."""
    if char in "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f":
        return True
    return unicodedata.category(char) in ("Zs", "Zl", "Zp") and char not in "\u00a0\u2007\u202f"


def _trim(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _java_whitespace(text[start]):
        start += 1
    while end > start and _java_whitespace(text[end - 1]):
        end -= 1
    return text[start:end]


def _start_index(length: int, start: int) -> int:
    """ES|QL string positions are 1-based; 0 counts as 1 and negatives count from the end."""
    index = start - 1 if start > 0 else length + start if start < 0 else 0
    return min(max(0, index), length)


def _substring(text: str, start: int, length: int | None = None) -> Any:
    if not text:
        return None
    begin = _start_index(len(text), start)
    if length is None:
        return text[begin:]
    if length < 0:
        raise _RowError(f"Length parameter cannot be negative, found [{length}]")
    return text[begin : min(len(text), begin + length)]


def _locate(text: str, sub: str, start: int = 0) -> int:
    if len(text.encode()) < len(sub.encode()):
        return 0
    return 1 + text.find(sub, _start_index(len(text), start))


def _split(text: str, delim: str) -> Any:
    if len(delim.encode()) != 1:
        raise _RowError("delimiter must be single byte for now")
    return make_value(text.split(delim))


def _cidr_match(address: str, *blocks: str) -> Any:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as exc:
        raise _RowError(f"'{address}' is not an IP string literal") from exc
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for block in blocks:
        try:
            network = ipaddress.ip_network(block, strict=False)
        except ValueError as exc:
            raise _RowError(f"'{block}' is not a CIDR block") from exc
        if ip.version == network.version and ip in network:
            return True
    return False


def _coalesce(call: Call, row: Row, ctx: EvalContext) -> Any:
    for arg in call.args:
        value = arg.evaluate(row, ctx)
        if value is not None:
            return value
    return None


def _case(call: Call, row: Row, ctx: EvalContext) -> Any:
    """CASE(c1, v1, ..., [else]): a null or multi-valued condition counts as false."""
    args = call.args
    for index in range(0, len(args) - 1, 2):
        condition = args[index].evaluate(row, ctx)
        if is_multi(condition):
            ctx.warn(
                f"evaluation of [{args[index].text}] failed, treating result as false: "
                "CASE expects a single-valued boolean"
            )
            continue
        require_boolean(condition, args[index].text)
        if condition is True:
            return args[index + 1].evaluate(row, ctx)
    return args[-1].evaluate(row, ctx) if len(args) % 2 else None


def _mv(fn: Callable[[tuple[Any, ...]], Any]) -> Impl:
    """MV_COUNT/MV_FIRST/MV_LAST: read every value of the first argument."""

    def impl(call: Call, row: Row, ctx: EvalContext) -> Any:
        values = values_of(call.args[0].evaluate(row, ctx))
        return fn(values) if values else None

    return impl


def _mv_slice(call: Call, row: Row, ctx: EvalContext) -> Any:
    """MV_SLICE(field, start[, end]): 0-based inclusive offsets, negatives from the end."""
    values = values_of(call.args[0].evaluate(row, ctx))
    offsets = [single(arg.evaluate(row, ctx), ctx, call.text) for arg in call.args[1:]]
    if not values or None in offsets:
        return None
    start, end = offsets[0], offsets[-1]
    if any(not isinstance(o, int) or isinstance(o, bool) for o in (start, end)):
        raise EvaluatorError(f"[{call.text}]: start and end must be integers")
    if start > end or (start < 0 <= end):
        reason = (
            "Start offset is greater than end offset"
            if start > end
            else ("Start and end offset have different signs")
        )
        ctx.warn(f"evaluation of [{call.text}] failed, treating result as null: {reason}")
        return None
    count = len(values)
    first = max(0, start + count if start < 0 else start)
    last = min(count - 1, end + count if end < 0 else end)
    if first >= count or last < 0:
        return None
    return make_value(values[first : last + 1])


FUNCTIONS: dict[str, Function] = {
    "TO_LOWER": Function(1, 1, _change_case(str.lower)),
    "TO_UPPER": Function(1, 1, _change_case(str.upper)),
    "STARTS_WITH": Function(2, 2, _strict("ss", str.startswith)),
    "ENDS_WITH": Function(2, 2, _strict("ss", str.endswith)),
    "LENGTH": Function(1, 1, _strict("s", len)),
    "SUBSTRING": Function(2, 3, _strict("sii", _substring)),
    "CONCAT": Function(2, None, _strict("s", lambda *parts: "".join(parts))),
    "TRIM": Function(1, 1, _strict("s", _trim)),
    "SPLIT": Function(2, 2, _strict("ss", _split)),
    "LOCATE": Function(2, 3, _strict("ssi", _locate)),
    "CIDR_MATCH": Function(2, None, _strict("s", _cidr_match)),
    "COALESCE": Function(1, None, _coalesce),
    "CASE": Function(2, None, _case),
    "MV_COUNT": Function(1, 1, _mv(len)),
    "MV_FIRST": Function(1, 1, _mv(lambda values: values[0])),
    "MV_LAST": Function(1, 1, _mv(lambda values: values[-1])),
    "MV_SLICE": Function(2, 3, _mv_slice),
}

# MV_CONTAINS parses (function names are identifiers in the grammar) but ships only from
# Elasticsearch 9.2.0 as a preview; the pinned grammar is 9.1.3, whose server rejects it.
_REFUSED = {
    "MV_CONTAINS": "MV_CONTAINS exists only from Elasticsearch 9.2.0 (preview); the grammar and "
    "target here are 9.1.3, where the function is unknown",
}


def build_call(name: str, args: list[Expr], text: str) -> Call:
    """Check a function name and arity and bind its implementation."""
    upper = name.upper()
    if upper in _REFUSED:
        raise UnsupportedQueryError(f"function {upper} is not supported: {_REFUSED[upper]}")
    spec = FUNCTIONS.get(upper)
    if spec is None:
        raise UnsupportedQueryError(
            f"function {upper} is not implemented by the offline ES|QL evaluator; implemented: "
            f"{', '.join(sorted(FUNCTIONS))}"
        )
    if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
        expected = (
            f"{spec.min_args}"
            if spec.min_args == spec.max_args
            else f"at least {spec.min_args}"
            if spec.max_args is None
            else f"{spec.min_args} to {spec.max_args}"
        )
        raise EvaluatorError(f"[{text}]: {upper} takes {expected} arguments, got {len(args)}")
    delimiter = args[1] if upper == "SPLIT" else None
    literal = delimiter.value if isinstance(delimiter, Literal) else None
    if isinstance(literal, str) and len(literal.encode()) != 1:
        raise EvaluatorError(f"[{text}]: delimiter must be single byte for now")
    return Call(upper, args, spec.impl, text)
