"""The eval functions the offline SPL evaluator implements.

Semantics follow the Splunk Search Reference 10.0, "Comparison and Conditional
functions", "Text functions", "Multivalue eval functions" and "Informational
functions" (https://help.splunk.com/en/splunk-enterprise/spl-search-reference/10.0/).
A function given a null argument returns null, except if, case, coalesce, isnull,
isnotnull and mvappend, whose documented purpose is to handle nulls.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from converters.errors import EvaluatorError, UnsupportedQueryError
from converters.evaluators import spl_values as values
from converters.evaluators.spl_expr import Call, Expr
from converters.evaluators.spl_regex import compile_pcre
from converters.evaluators.spl_values import FieldText, Value

Event = Mapping[str, object]
Impl = Callable[[tuple[Expr, ...], Event], Value]


@dataclass(frozen=True)
class Signature:
    impl: Impl
    min_args: int
    max_args: int | None


def make_call(name: str, arguments: tuple[Expr, ...]) -> Expr:
    """Build a call of a supported eval function, checking its argument count."""
    signature = FUNCTIONS.get(name)
    if signature is None:
        raise UnsupportedQueryError(
            f"eval function {name}() is not supported by the offline SPL evaluator; "
            f"supported: {', '.join(sorted(FUNCTIONS))}"
        )
    count = len(arguments)
    too_many = signature.max_args is not None and count > signature.max_args
    if count < signature.min_args or too_many:
        expected = _arity_text(signature)
        raise EvaluatorError(f"{name}() takes {expected} argument(s), got {count}")
    if name == "case" and count % 2:
        raise EvaluatorError(f"case() takes condition/value pairs, got an odd number ({count})")
    if name == "mvfilter":
        _check_mvfilter(arguments[0])
    return Call(name, arguments, signature.impl)


def _arity_text(signature: Signature) -> str:
    if signature.max_args is None:
        return f"at least {signature.min_args}"
    if signature.max_args == signature.min_args:
        return str(signature.min_args)
    return f"{signature.min_args} to {signature.max_args}"


def _single(value: Value, function: str) -> str:
    """Return a non-null single value as text for a function that rejects multivalues."""
    if isinstance(value, tuple):
        raise UnsupportedQueryError(
            f"{function}() of a multivalue field ({len(value)} values): the Search Reference "
            "says this function does not support multivalue fields"
        )
    return values.to_text(value, f"{function}()")


def _integer(value: Value, function: str) -> int:
    number = values.number_of(value)
    if number is None or not float(number).is_integer():
        raise EvaluatorError(f"{function}() needs an integer index, got {value!r}")
    return int(number)


def _evaluate_all(arguments: tuple[Expr, ...], event: Event) -> list[Value]:
    return [argument.evaluate(event) for argument in arguments]


# --- conditional functions -------------------------------------------------------


def _if(arguments: tuple[Expr, ...], event: Event) -> Value:
    condition = values.require_boolean(arguments[0].evaluate(event), "if()")
    # A null condition is not TRUE, so if() returns the false value.
    chosen = arguments[1] if condition is True else arguments[2]
    return chosen.evaluate(event)


def _case(arguments: tuple[Expr, ...], event: Event) -> Value:
    for condition, result in zip(arguments[::2], arguments[1::2]):
        if values.require_boolean(condition.evaluate(event), "case()") is True:
            return result.evaluate(event)
    return None


def _coalesce(arguments: tuple[Expr, ...], event: Event) -> Value:
    for argument in arguments:
        value = argument.evaluate(event)
        if value is not None:
            return value
    return None


def _isnull(arguments: tuple[Expr, ...], event: Event) -> Value:
    return arguments[0].evaluate(event) is None


def _isnotnull(arguments: tuple[Expr, ...], event: Event) -> Value:
    return arguments[0].evaluate(event) is not None


# --- pattern functions -------------------------------------------------------------


def _match(arguments: tuple[Expr, ...], event: Event) -> Value:
    subject, pattern = _evaluate_all(arguments, event)
    if subject is None or pattern is None:
        return None
    regex = compile_pcre(_single(pattern, "match"), where="match()")
    return regex.search(_single(subject, "match")) is not None


def _replace(arguments: tuple[Expr, ...], event: Event) -> Value:
    subject, pattern, replacement = _evaluate_all(arguments, event)
    if subject is None or pattern is None or replacement is None:
        return None
    regex = compile_pcre(_single(pattern, "replace"), where="replace()")
    template = _replacement_parts(_single(replacement, "replace"))
    return regex.sub(lambda found: _expand(template, found), _single(subject, "replace"))


def _replacement_parts(replacement: str) -> list[str | int]:
    """Split a replacement into literal text and group numbers (from \\1 ... \\9)."""
    parts: list[str | int] = []
    pieces = re.split(r"(\\.?)", replacement)
    for piece in pieces:
        if piece.startswith("\\"):
            if len(piece) == 2 and piece[1].isdigit():
                parts.append(int(piece[1]))
                continue
            raise UnsupportedQueryError(
                f"replace(): the replacement {replacement!r} uses {piece!r}; only \\1 to \\9 "
                "group references are supported"
            )
        if re.search(r"\$[\d{]", piece):
            raise UnsupportedQueryError(
                f"replace(): the replacement {replacement!r} uses '$' group syntax, which "
                "Splunk does not document; use \\1 to \\9"
            )
        parts.append(piece)
    return parts


def _expand(template: list[str | int], found: re.Match[str]) -> str:
    return "".join(
        part if isinstance(part, str) else (found.group(part) or "") for part in template
    )


def _like(arguments: tuple[Expr, ...], event: Event) -> Value:
    subject, pattern = _evaluate_all(arguments, event)
    if subject is None or pattern is None:
        return None
    pattern_text = _single(pattern, "like")
    if "\\" in pattern_text:
        raise UnsupportedQueryError(
            f"like(): the pattern {pattern_text!r} contains a backslash; Splunk does not "
            "document escaping % or _ in like()"
        )
    regex = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern_text
    )
    # Case-sensitive like the other eval comparisons.
    return re.fullmatch(regex, _single(subject, "like"), re.DOTALL) is not None


def _cidrmatch(arguments: tuple[Expr, ...], event: Event) -> Value:
    cidr, address = _evaluate_all(arguments, event)
    if cidr is None or address is None:
        return None
    cidr_text = _single(cidr, "cidrmatch")
    try:
        network = ipaddress.ip_network(cidr_text, strict=False)
    except ValueError as exc:
        raise EvaluatorError(f"cidrmatch(): {cidr_text!r} is not a CIDR subnet") from exc
    try:
        ip = ipaddress.ip_address(_single(address, "cidrmatch"))
    except ValueError:
        return False
    return ip.version == network.version and ip in network


# --- text functions -----------------------------------------------------------------


def _case_mapper(function: str, convert: Callable[[str], str]) -> Impl:
    # lower() and upper() accept multivalue fields and convert every value.
    def impl(arguments: tuple[Expr, ...], event: Event) -> Value:
        value = arguments[0].evaluate(event)
        converted = [
            convert(values.to_text(item, f"{function}()")) for item in values.as_values(value)
        ]
        return values.multivalue(converted)

    return impl


def _len(arguments: tuple[Expr, ...], event: Event) -> Value:
    value = arguments[0].evaluate(event)
    return None if value is None else len(_single(value, "len"))


def _substr(arguments: tuple[Expr, ...], event: Event) -> Value:
    evaluated = _evaluate_all(arguments, event)
    if any(value is None for value in evaluated):
        return None
    text = _single(evaluated[0], "substr")
    start = _integer(evaluated[1], "substr")
    length = _integer(evaluated[2], "substr") if len(evaluated) == 3 else None
    return sqlite_substr(text, start, length)


def sqlite_substr(text: str, start: int, length: int | None) -> str:
    """Return substr() with SQLite's rules: 1-based, negative start counts from the end."""
    if length is not None and length < 0:
        raise UnsupportedQueryError("substr() with a negative length is not supported")
    size = len(text)
    count = size if length is None else length
    if start < 0:
        start += size
        if start < 0:
            count = max(count + start, 0)
            start = 0
    elif start > 0:
        start -= 1
    elif count > 0:
        # Position 0 lies before the first character and uses up one of the length.
        count -= 1
    return text[start : start + count]


def _trim(arguments: tuple[Expr, ...], event: Event) -> Value:
    evaluated = _evaluate_all(arguments, event)
    if any(value is None for value in evaluated):
        return None
    # Without trim characters, trim() removes spaces and tabs.
    characters = _single(evaluated[1], "trim") if len(evaluated) == 2 else " \t"
    return _single(evaluated[0], "trim").strip(characters)


def _split(arguments: tuple[Expr, ...], event: Event) -> Value:
    subject, delimiter = _evaluate_all(arguments, event)
    if subject is None or delimiter is None:
        return None
    text = _single(subject, "split")
    separator = _single(delimiter, "split")
    # An empty delimiter splits into one value per character.
    pieces = list(text) if separator == "" else text.split(separator)
    return values.multivalue(pieces)


# --- multivalue functions ---------------------------------------------------------


def _mvindex(arguments: tuple[Expr, ...], event: Event) -> Value:
    evaluated = _evaluate_all(arguments, event)
    if any(value is None for value in evaluated):
        return None
    items = values.as_values(evaluated[0])
    start = _position(_integer(evaluated[1], "mvindex"), len(items))
    end = start if len(evaluated) == 2 else _position(_integer(evaluated[2], "mvindex"), len(items))
    # "If the indexes are out of range or invalid, the result is NULL."
    if start is None or end is None or end < start:
        return None
    return values.multivalue(items[start : end + 1])


def _position(index: int, size: int) -> int | None:
    position = index + size if index < 0 else index
    return position if 0 <= position < size else None


def _mvcount(arguments: tuple[Expr, ...], event: Event) -> Value:
    value = arguments[0].evaluate(event)
    return None if value is None else len(values.as_values(value))


def _mvappend(arguments: tuple[Expr, ...], event: Event) -> Value:
    collected: list[Value] = []
    for value in _evaluate_all(arguments, event):
        collected.extend(values.to_text(item, "mvappend()") for item in values.as_values(value))
    return values.multivalue(collected)


def _mvfilter(arguments: tuple[Expr, ...], event: Event) -> Value:
    predicate = arguments[0]
    field = next(iter(predicate.field_refs()))
    matching_values = []
    for item in values.as_values(values.read_field(event, field)):
        # The predicate sees one value of the field at a time.
        single_value_event = {**event, field: str(item)}
        verdict = values.require_boolean(predicate.evaluate(single_value_event), "mvfilter()")
        if verdict is True:
            matching_values.append(FieldText(item))
    return values.multivalue(matching_values)


def _check_mvfilter(predicate: Expr) -> None:
    fields = set(predicate.field_refs())
    if len(fields) != 1:
        raise UnsupportedQueryError(
            f"mvfilter() must reference exactly one field (it references {sorted(fields)}); "
            "the Search Reference allows only one field in its Boolean expression"
        )


def _constant(value: Value) -> Impl:
    def impl(arguments: tuple[Expr, ...], event: Event) -> Value:
        return value

    return impl


FUNCTIONS: dict[str, Signature] = {
    "if": Signature(_if, 3, 3),
    "case": Signature(_case, 2, None),
    "coalesce": Signature(_coalesce, 1, None),
    "isnull": Signature(_isnull, 1, 1),
    "isnotnull": Signature(_isnotnull, 1, 1),
    "match": Signature(_match, 2, 2),
    "replace": Signature(_replace, 3, 3),
    "like": Signature(_like, 2, 2),
    "cidrmatch": Signature(_cidrmatch, 2, 2),
    "lower": Signature(_case_mapper("lower", str.lower), 1, 1),
    "upper": Signature(_case_mapper("upper", str.upper), 1, 1),
    "len": Signature(_len, 1, 1),
    "substr": Signature(_substr, 2, 3),
    "trim": Signature(_trim, 1, 2),
    "split": Signature(_split, 2, 2),
    "mvindex": Signature(_mvindex, 2, 3),
    "mvcount": Signature(_mvcount, 1, 1),
    "mvappend": Signature(_mvappend, 1, None),
    "mvfilter": Signature(_mvfilter, 1, 1),
    "true": Signature(_constant(True), 0, 0),
    "false": Signature(_constant(False), 0, 0),
    "null": Signature(_constant(None), 0, 0),
}
