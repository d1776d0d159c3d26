"""Terms of the SPL search command and how they match one event."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from lark import Token, Transformer, v_args

from converters.errors import EvaluatorError, UnsupportedQueryError
from converters.evaluators.spl_regex import unescape_spl

Event = Mapping[str, "str | list[str]"]

# Field names the search command accepts unquoted here: CloudTrail's JSON paths.
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.{}]*")

# Search modifiers that look like field=value but select time ranges, tags or saved
# searches ("Index expression options" and "Time options" of the search command).
_SEARCH_MODIFIERS = frozenset(
    {
        "earliest",
        "latest",
        "starttime",
        "endtime",
        "timeformat",
        "eventtype",
        "eventtypetag",
        "hosttag",
        "tag",
        "savedsearch",
        "savedsplunk",
        "splunk_server",
    }
)

# Unquoted values that Splunk reads as operators. The search reference requires quotes for them.
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "IN", "XOR"})

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

_CIDR = re.compile(r"[0-9A-Fa-f:.]+/\d{1,3}")


class SearchNode:
    """A node of a parsed search expression."""

    def matches(self, event: Event) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class MatchAll(SearchNode):
    """The lone ``*`` search, which every event matches."""

    def matches(self, event: Event) -> bool:
        return True


@dataclass(frozen=True)
class AllOf(SearchNode):
    parts: tuple[SearchNode, ...]

    def matches(self, event: Event) -> bool:
        return all(part.matches(event) for part in self.parts)


@dataclass(frozen=True)
class AnyOf(SearchNode):
    parts: tuple[SearchNode, ...]

    def matches(self, event: Event) -> bool:
        return any(part.matches(event) for part in self.parts)


@dataclass(frozen=True)
class Negation(SearchNode):
    part: SearchNode

    def matches(self, event: Event) -> bool:
        return not self.part.matches(event)


@dataclass(frozen=True)
class WildcardValue:
    """A search value, compared case-insensitively with the whole field value.

    Searches are case-insensitive unless CASE() is used ("Use CASE() and TERM() to match
    phrases", Search Manual 10.0).
    """

    text: str
    pattern: re.Pattern[str]

    @classmethod
    def from_text(cls, text: str) -> WildcardValue:
        # "*" is always a wildcard: SPL has no escape for it ("Backslashes",
        # https://help.splunk.com/splunk-enterprise/search/search-manual/9.4/search-primer/backslashes),
        # so a backslash before "*" stays a literal backslash, as every unknown
        # backslash sequence does.
        regex = ".*".join(re.escape(piece) for piece in text.split("*"))
        return cls(text, re.compile(regex, re.IGNORECASE | re.DOTALL))

    def matches(self, value: str) -> bool:
        return self.pattern.fullmatch(value) is not None


@dataclass(frozen=True)
class FieldCompare(SearchNode):
    """``field=value``, ``field!=value`` or an ordering comparison such as ``field>5``."""

    field: str
    operator: str
    value: WildcardValue

    def matches(self, event: Event) -> bool:
        values = field_values(event, self.field)
        if values is None:
            # Neither = nor != matches an event without the field ("Difference between
            # != and NOT", Search Manual); NOT field=value does.
            return False
        if self.operator == "=":
            return any(self.value.matches(value) for value in values)
        if self.operator == "!=":
            return self._not_equal(values)
        return any(_ordered(value, self.operator, self.value.text) for value in values)

    def _not_equal(self, values: Sequence[str]) -> bool:
        if self.value.text == "*":
            return False
        if len(values) > 1:
            raise UnsupportedQueryError(
                f"{self.field}!={self.value.text}: Splunk does not document how != treats a "
                f"multivalue field, and {self.field!r} has {len(values)} values here; "
                f"use NOT {self.field}={self.value.text} to exclude any matching value"
            )
        return not self.value.matches(values[0])


@dataclass(frozen=True)
class FieldIn(SearchNode):
    """``field IN (v1, v2*)``: the same as ``field=v1 OR field=v2*``."""

    field: str
    values: tuple[WildcardValue, ...]

    def matches(self, event: Event) -> bool:
        values = field_values(event, self.field)
        if values is None:
            return False
        return any(pattern.matches(value) for pattern in self.values for value in values)


class EmptyValueError(UnsupportedQueryError):
    """A search term meets a field whose value is the empty string."""


# How search terms read an empty field value. Splunk does not document whether
# `field=*` or `field=""` match "", so the default is to raise; SplQuery.matches runs
# the query under both readings and keeps the verdict only when they agree.
EMPTY_VALUE_READING: ContextVar[Literal["raise", "absent", "value"]] = ContextVar(
    "EMPTY_VALUE_READING", default="raise"
)


def field_values(event: Event, field: str) -> list[str] | None:
    """Return the values of a field for search matching, or None when it is absent."""
    raw = event.get(field)
    if raw is None:
        return None
    values = [raw] if isinstance(raw, str) else list(raw)
    if not values:
        return None
    if "" in values:
        reading = EMPTY_VALUE_READING.get()
        if reading == "raise":
            raise EmptyValueError(
                f"field {field!r} has an empty value in this event, and Splunk does not "
                'document whether search terms such as field=* or field="" match it; '
                "write the query so that both readings give the same verdict, or test "
                "this case with a where command"
            )
        if reading == "absent":
            values = [value for value in values if value != ""]
            return values or None
    return values


def _ordered(value: str, operator: str, bound: str) -> bool:
    # "< > <= >= numerically compare two numbers and lexicographically compare other
    # values" (search command, Comparison expression options); lexicographic order is
    # UTF-8 byte order, the same as code point order.
    if _NUMBER.fullmatch(value) and _NUMBER.fullmatch(bound):
        left: float | str = float(value)
        right: float | str = float(bound)
    else:
        left, right = value, bound
    if operator == "<":
        return left < right  # type: ignore[operator]
    if operator == "<=":
        return left <= right  # type: ignore[operator]
    if operator == ">":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


@v_args(inline=True)
class SearchBuilder(Transformer):
    """Turn the parse tree of a search expression into SearchNode objects."""

    def search_expr(self, node: SearchNode) -> SearchNode:
        return node

    def s_and(self, *parts: SearchNode) -> SearchNode:
        return parts[0] if len(parts) == 1 else AllOf(parts)

    def s_or(self, *parts: SearchNode) -> SearchNode:
        return parts[0] if len(parts) == 1 else AnyOf(parts)

    def s_negation(self, part: SearchNode) -> SearchNode:
        return Negation(part)

    def s_value(self, token: Token) -> Token:
        return token

    def s_compare(self, field: Token, operator: Token, value: Token) -> SearchNode:
        name = _check_field(field)
        text = _value_text(value)
        if operator in ("<", "<=", ">", ">=") and "*" in text:
            raise UnsupportedQueryError(
                f"{name}{operator}{value}: a wildcard in an ordering comparison has no "
                "documented meaning; compare with a plain number or string"
            )
        return FieldCompare(name, str(operator), WildcardValue.from_text(text))

    def s_in(self, field: Token, *values: Token) -> SearchNode:
        name = _check_field(field)
        return FieldIn(name, tuple(WildcardValue.from_text(_value_text(v)) for v in values))

    def s_quoted_field(self, field: Token, operator: Token, value: Token) -> SearchNode:
        raise UnsupportedQueryError(
            f"double-quoted field name {field}{operator}{value}: Splunk does not document a "
            "double-quoted field name in the search command; write the name unquoted "
            "(resources{}.ARN=...) or compare it in a where command with single quotes"
        )

    def s_keyword(self, token: Token) -> SearchNode:
        if token == "*":
            return MatchAll()
        if token in ("TERM", "CASE"):
            raise UnsupportedQueryError(f"the {token}() search directive is not supported")
        raise UnsupportedQueryError(
            f"keyword term {token}: a search term without a field matches the raw event "
            "text (_raw), which the offline SPL evaluator does not model; write field=value"
        )


def _check_field(token: Token) -> str:
    name = str(token)
    base = name.split("::", 1)[0]
    if base in _SEARCH_MODIFIERS:
        raise UnsupportedQueryError(
            f"search modifier {name}: time, tag and saved-search modifiers are not supported"
        )
    if not _FIELD_NAME.fullmatch(name):
        raise EvaluatorError(
            f"invalid field name {name!r} in a search term; valid names start with a letter "
            "or underscore and contain letters, digits, '_', '.', '{' and '}'"
        )
    return name


def _value_text(token: Token) -> str:
    raw = str(token)
    if token.type == "QUOTED":
        text = unescape_spl(raw[1:-1])
    elif raw in _OPERATOR_WORDS:
        raise EvaluatorError(
            f'the value {raw} is an SPL operator; quote it ("{raw}") to search for the word'
        )
    else:
        text = unescape_spl(raw)
    if "*" not in text and _CIDR.fullmatch(text) and _is_network(text):
        raise UnsupportedQueryError(
            f"CIDR value {text!r} in a search term: Splunk matches it against IP addresses, "
            "which the offline SPL evaluator does not implement in search terms; "
            "use | where cidrmatch(...)"
        )
    return text


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True
