"""Offline evaluator for the Splunk SPL that the project's converters emit.

parse_spl() parses a query with a lark grammar (spl_grammar.lark) and returns a
SplQuery, whose evaluate() runs it against one event from splunk_event(). It
implements the search command (also the implied one before the first pipe), eval,
where, table and regex. Anything else raises UnsupportedQueryError naming the
construct, so that a query is never judged by a guess. docs/evaluators.md lists the
semantics and the Splunk pages they come from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lark import Lark, Tree
from lark.exceptions import UnexpectedInput, VisitError

from converters.errors import EvaluatorError, UnsupportedQueryError
from converters.evaluators import spl_values as values
from converters.evaluators.spl_event import splunk_event
from converters.evaluators.spl_expr import Expr, ExprBuilder, require_where_result
from converters.evaluators.spl_functions import make_call
from converters.evaluators.spl_regex import compile_pcre, unescape_spl
from converters.evaluators.spl_search import (
    EMPTY_VALUE_READING,
    EmptyValueError,
    SearchBuilder,
    SearchNode,
    field_values,
)

__all__ = ["SplQuery", "parse_spl", "splunk_event"]

Event = Mapping[str, "str | list[str]"]
Row = dict[str, "str | list[str]"]

_START_RULES = ["search_expr", "eval_args", "where_args", "regex_args", "table_args"]

_COMMAND_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_-]*)")

# "search" starts the base search as a command name unless a comparison follows it.
_LEADING_SEARCH = re.compile(r"\s*search(?=\s)(?!\s*(?:!=|<=|>=|=|<|>))")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("converters.evaluators").joinpath("spl_grammar.lark").read_text()
    return Lark(
        grammar, parser="lalr", lexer="contextual", start=_START_RULES, maybe_placeholders=False
    )


class Command:
    """One command of the pipeline. apply() returns the event to pass on, or None."""

    def apply(self, event: Row) -> Row | None:
        raise NotImplementedError


@dataclass(frozen=True)
class SearchCommand(Command):
    expression: SearchNode

    def apply(self, event: Row) -> Row | None:
        return event if self.expression.matches(event) else None


@dataclass(frozen=True)
class EvalCommand(Command):
    assignments: tuple[tuple[str, Expr], ...]

    def apply(self, event: Row) -> Row | None:
        # Assignments run left to right, and each one reads the fields that earlier ones set.
        for field, expression in self.assignments:
            stored = values.stored_value(expression.evaluate(event), field)
            if stored is None:
                event.pop(field, None)
            else:
                event[field] = stored
        return event


@dataclass(frozen=True)
class WhereCommand(Command):
    expression: Expr

    def apply(self, event: Row) -> Row | None:
        return event if require_where_result(self.expression.evaluate(event)) else None


@dataclass(frozen=True)
class TableCommand(Command):
    fields: tuple[str, ...]

    def apply(self, event: Row) -> Row | None:
        # A listed field that the event lacks has no key in the row (an empty cell).
        return {field: event[field] for field in self.fields if field in event}


@dataclass(frozen=True)
class RegexCommand(Command):
    """``regex field="pcre"``, which keeps events whose field matches (``!=`` keeps the others)."""

    field: str
    negated: bool
    pattern: re.Pattern[str]

    def apply(self, event: Row) -> Row | None:
        found = field_values(event, self.field)
        if found is None:
            if self.negated:
                # NOTE: the regex reference does not say whether field!="..." keeps an
                # event without the field, so the evaluator raises instead of guessing.
                raise UnsupportedQueryError(
                    f"regex {self.field}!=...: the event has no field {self.field!r}, and "
                    "Splunk does not document whether != keeps such events; add "
                    f"{self.field}=* to the search to make the field required"
                )
            return None
        if len(found) > 1:
            raise UnsupportedQueryError(
                f"regex {self.field}: the field has {len(found)} values, and Splunk does not "
                "document how the regex command treats multivalue fields"
            )
        matched = self.pattern.search(found[0]) is not None
        return event if matched != self.negated else None


class SplQuery:
    """A parsed SPL query that can run against events from splunk_event()."""

    def __init__(self, text: str, commands: tuple[Command, ...]) -> None:
        self.text = text
        self.commands = commands

    def evaluate(self, event: Event) -> dict[str, str | list[str]] | None:
        """Run the query on one event and return the output row, or None when it is filtered out."""
        row: Row = {
            name: list(value) if isinstance(value, (list, tuple)) else value
            for name, value in event.items()
        }
        for command in self.commands:
            passed = command.apply(row)
            if passed is None:
                return None
            row = passed
        return row

    def matches(self, event: Event) -> bool:
        """Return whether the event passes every filter of the query.

        When a search term meets an empty field value, whose meaning Splunk leaves
        undefined, the query runs once with empty values read as absent and once with
        them read as values; the verdict counts only when both runs agree.
        """
        try:
            return self.evaluate(event) is not None
        except EmptyValueError:
            verdicts = set()
            for reading in ("absent", "value"):
                token = EMPTY_VALUE_READING.set(reading)
                try:
                    verdicts.add(self.evaluate(event) is not None)
                finally:
                    EMPTY_VALUE_READING.reset(token)
            if len(verdicts) > 1:
                raise
            return verdicts.pop()

    def __repr__(self) -> str:
        return f"SplQuery({self.text!r})"


def parse_spl(query: str) -> SplQuery:
    """Parse an SPL query, raising EvaluatorError on invalid syntax and UnsupportedQueryError on unsupported SPL."""
    segments = split_pipeline(query)
    names = [_command_name(segment) for segment in segments[1:]]
    for name in names:
        if name not in _COMMAND_PARSERS:
            raise UnsupportedQueryError(
                f"SPL command | {name} is not supported by the offline SPL evaluator; "
                f"supported: {', '.join(sorted(_COMMAND_PARSERS))}"
            )
    base = _strip_match(_LEADING_SEARCH, segments[0])
    if not base.strip():
        raise EvaluatorError(
            f"the query {query!r} has an empty base search; start it with search terms such "
            "as eventName=CopyDBSnapshot, or with * to search every event"
        )
    commands: list[Command] = [SearchCommand(_parse_search(base))]
    for name, segment in zip(names, segments[1:]):
        arguments = _strip_match(_COMMAND_NAME, segment)
        commands.append(_COMMAND_PARSERS[name](arguments))
    return SplQuery(query, tuple(commands))


def split_pipeline(query: str) -> list[str]:
    """Cut a query into commands at pipes outside double-quoted strings."""
    segments: list[str] = []
    current: list[str] = []
    in_quotes = False
    i = 0
    while i < len(query):
        char = query[i]
        if char == "\\" and i + 1 < len(query):
            current.append(query[i : i + 2])
            i += 2
            continue
        if char == '"':
            in_quotes = not in_quotes
        elif not in_quotes and char == "|":
            segments.append("".join(current))
            current = []
            i += 1
            continue
        elif not in_quotes and char in "[`":
            construct = "subsearch [ ... ]" if char == "[" else "macro `...`"
            raise UnsupportedQueryError(f"a {construct} is not supported: {query!r}")
        current.append(char)
        i += 1
    if in_quotes:
        raise EvaluatorError(f"the query {query!r} has an unterminated double-quoted string")
    segments.append("".join(current))
    return segments


def _strip_match(prefix: re.Pattern[str], text: str) -> str:
    """Remove the prefix pattern from the start of the text, if it matches there."""
    found = prefix.match(text)
    return text[found.end() :] if found else text


def _command_name(segment: str) -> str:
    found = _COMMAND_NAME.match(segment)
    if found is None:
        raise EvaluatorError(f"a pipe must be followed by a command name, got {segment.strip()!r}")
    return found.group(1)


def _parse(text: str, start: str) -> Tree:
    try:
        return _parser().parse(text, start=start)
    except UnexpectedInput as exc:
        context = exc.get_context(text).rstrip()
        expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
        hint = f" Expected one of: {', '.join(sorted(expected))}." if expected else ""
        raise EvaluatorError(
            f"invalid SPL in the {start.split('_')[0]} command at line {exc.line}, column "
            f"{exc.column}:{hint}\n{context}"
        ) from exc


def _build(transformer, tree: Tree):  # type: ignore[no-untyped-def]
    # Lark wraps errors raised in transformer callbacks; surface our own errors.
    try:
        return transformer.transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, EvaluatorError):
            raise exc.orig_exc from None
        raise


def _parse_search(text: str) -> SearchNode:
    return _build(SearchBuilder(), _parse(text, "search_expr"))


def _parse_eval(text: str) -> Command:
    tree = _parse(text, "eval_args")
    builder = ExprBuilder(make_call)
    assignments = []
    for assignment in tree.children:
        target, expression = assignment.children
        name = str(target.children[0])
        if target.data == "quoted_target":
            name = name[1:-1]
        assignments.append((name, _build(builder, expression)))
    return EvalCommand(tuple(assignments))


def _parse_where(text: str) -> Command:
    tree = _parse(text, "where_args")
    return WhereCommand(_build(ExprBuilder(make_call), tree.children[0]))


def _parse_search_command(text: str) -> Command:
    return SearchCommand(_parse_search(text))


def _parse_table(text: str) -> Command:
    tree = _parse(text, "table_args")
    fields = []
    for item in tree.children:
        name = str(item.children[0])
        if item.data == "table_quoted":
            name = name[1:-1]
        if "*" in name:
            raise UnsupportedQueryError(
                f"| table {name}: wildcard field names in table are not supported; list the fields"
            )
        fields.append(name)
    return TableCommand(tuple(fields))


def _parse_regex(text: str) -> Command:
    tree = _parse(text, "regex_args")
    if tree.data == "regex_raw":
        raise UnsupportedQueryError(
            "| regex without a field matches the raw event text (_raw), which the offline "
            'SPL evaluator does not model; write | regex field="..."'
        )
    field, operator, quoted = (str(child) for child in tree.children)
    # The search language unescapes \" and \\ before PCRE sees the pattern ("SPL and
    # regular expressions", Search Manual).
    pattern = compile_pcre(unescape_spl(quoted[1:-1]), where=f"| regex {field}")
    return RegexCommand(field, operator == "!=", pattern)


_COMMAND_PARSERS = {
    "eval": _parse_eval,
    "where": _parse_where,
    "table": _parse_table,
    "regex": _parse_regex,
    "search": _parse_search_command,
}
