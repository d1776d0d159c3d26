"""Processing commands of the offline ES|QL evaluator: each maps a list of rows to a new list."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from converters.errors import EvaluatorError
from converters.evaluators.esql_expressions import Expr, single
from converters.evaluators.esql_grok import DissectPattern, GrokPattern
from converters.evaluators.esql_values import (
    EvalContext,
    Row,
    document_row,
    make_value,
    type_name,
    values_of,
)


class Command(Protocol):
    def apply(self, rows: list[Row], ctx: EvalContext) -> list[Row]: ...

    def reads(self) -> Iterator[str]: ...

    def defines(self) -> list[str]: ...


def name_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a column-name pattern in which ``*`` is the only wildcard."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


# --- FROM ------------------------------------------------------------------------------------

_BACKING_INDEX = re.compile(r"\.ds-(?P<stream>.+)-\d{4}\.\d{2}\.\d{2}-\d{6}")


@dataclass
class From:
    """``FROM patterns [METADATA ...]``: documents become rows, filtered by their ``_index``."""

    patterns: list[str]
    metadata: list[str]
    unreadable: frozenset[str] = frozenset()

    def rows(self, documents: Iterable[Mapping[str, Any]]) -> list[Row]:
        out = []
        for document in documents:
            if not isinstance(document, Mapping):
                raise EvaluatorError(
                    f"a document must be a JSON object, got {type(document).__name__}"
                )
            if self.accepts(document.get("_index")):
                out.append(document_row(document, self.unreadable, self.metadata))
        return out

    def accepts(self, index: Any) -> bool:
        """Keep a document without ``_index``; otherwise require an including, non-excluded match.

        A data stream's backing index (``.ds-<stream>-<date>-<generation>``) also matches
        patterns written for the data stream name, as Elasticsearch resolves them.
        """
        if index is None:
            return True
        names = [str(index)]
        backing = _BACKING_INDEX.fullmatch(names[0])
        if backing:
            names.append(backing.group("stream"))
        included = any(
            _index_match(p, n) for p in self.patterns if not p.startswith("-") for n in names
        )
        excluded = any(
            _index_match(p[1:], n) for p in self.patterns if p.startswith("-") for n in names
        )
        return included and not excluded


def _index_match(pattern: str, name: str) -> bool:
    if "*" in pattern and name.startswith(".") and not pattern.startswith("."):
        return False  # wildcards do not expand to hidden indices
    return bool(name_pattern(pattern).fullmatch(name))


# --- row filters and transforms --------------------------------------------------------------


@dataclass
class Where:
    condition: Expr

    def apply(self, rows: list[Row], ctx: EvalContext) -> list[Row]:
        # WHERE keeps a row only when the condition is true: false and null both drop it.
        kept = []
        for row in rows:
            value = single(self.condition.evaluate(row, ctx), ctx, self.condition.text)
            if value is not None and not isinstance(value, bool):
                raise EvaluatorError(
                    f"WHERE condition [{self.condition.text}] is {type_name(value)}, not boolean"
                )
            if value is True:
                kept.append(row)
        return kept

    def reads(self) -> Iterator[str]:
        yield from self.condition.columns()

    def defines(self) -> list[str]:
        return []


def _set_column(row: Row, name: str, value: Any) -> None:
    """Add a column at the end; a column of the same name is replaced (shadowed)."""
    row.pop(name, None)
    row[name] = value


@dataclass
class Eval:
    assignments: list[tuple[str, Expr]]

    def apply(self, rows: list[Row], ctx: EvalContext) -> list[Row]:
        out = []
        for row in rows:
            new = dict(row)
            for name, expr in self.assignments:
                _set_column(new, name, expr.evaluate(new, ctx))
            out.append(new)
        return out

    def reads(self) -> Iterator[str]:
        defined: set[str] = set()
        for name, expr in self.assignments:
            yield from (c for c in expr.columns() if c not in defined)
            defined.add(name)

    def defines(self) -> list[str]:
        return [name for name, _ in self.assignments]


@dataclass
class Extract:
    """GROK or DISSECT: each value of the input is parsed; matches add columns, misses add nulls."""

    keyword: str
    source: Expr
    parser: GrokPattern | DissectPattern

    def apply(self, rows: list[Row], ctx: EvalContext) -> list[Row]:
        return [self._extract(row, ctx) for row in rows]

    def _extract(self, row: Row, ctx: EvalContext) -> Row:
        found: dict[str, list[Any]] = {}
        for value in values_of(self.source.evaluate(row, ctx)):
            if not isinstance(value, str):
                raise EvaluatorError(
                    f"{self.keyword} input [{self.source.text}] must be a string, found "
                    f"{type_name(value)}"
                )
            for column, values in (self.parser.parse(value) or {}).items():
                found.setdefault(column, []).extend(values)
        new = dict(row)
        for column in self.parser.columns:
            _set_column(new, column, make_value(found.get(column, ())))
        return new

    def reads(self) -> Iterator[str]:
        yield from self.source.columns()

    def defines(self) -> list[str]:
        return list(self.parser.columns)


_EXACT, _PARTIAL, _ALL = 3, 2, 1


@dataclass
class Keep:
    """KEEP with its precedence: exact name > partial wildcard > ``*``; ties go rightmost."""

    patterns: list[str]
    compiled: list[re.Pattern[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.compiled = [name_pattern(p) for p in self.patterns]

    def _rank(self, pattern: str) -> int:
        return _EXACT if "*" not in pattern else _ALL if pattern == "*" else _PARTIAL

    def apply(self, rows: list[Row], ctx: EvalContext) -> list[Row]:
        return [self._keep(row) for row in rows]

    def _keep(self, row: Row) -> Row:
        owner: dict[str, int] = {}
        for column in row:
            best = None
            for index, (pattern, regex) in enumerate(
                zip(self.patterns, self.compiled, strict=True)
            ):
                if regex.fullmatch(column) and (
                    best is None or self._rank(pattern) >= self._rank(self.patterns[best])
                ):
                    best = index
            if best is not None:
                owner[column] = best
        out: Row = {}
        for index, pattern in enumerate(self.patterns):
            if self._rank(pattern) == _EXACT and pattern not in row:
                out[pattern] = None  # a mapped field that this document lacks reads as null
            for column in row:
                if owner.get(column) == index:
                    out[column] = row[column]
        return out

    def reads(self) -> Iterator[str]:
        return iter(())

    def defines(self) -> list[str]:
        return []


@dataclass
class Drop:
    patterns: list[str]

    def apply(self, rows: list[Row], ctx: EvalContext) -> list[Row]:
        compiled = [name_pattern(p) for p in self.patterns]
        return [
            {k: v for k, v in row.items() if not any(r.fullmatch(k) for r in compiled)}
            for row in rows
        ]

    def reads(self) -> Iterator[str]:
        return iter(())

    def defines(self) -> list[str]:
        return []


@dataclass
class Rename:
    """RENAME old AS new (or new = old), applied pair by pair like sequential commands."""

    pairs: list[tuple[str, str]]

    def apply(self, rows: list[Row], ctx: EvalContext) -> list[Row]:
        out = []
        for row in rows:
            for old, new in self.pairs:
                row = _rename(row, old, new)
            out.append(row)
        return out

    def reads(self) -> Iterator[str]:
        defined: set[str] = set()
        for old, new in self.pairs:
            if old not in defined:
                yield old
            defined.add(new)

    def defines(self) -> list[str]:
        return [new for _, new in self.pairs]


def _rename(row: Row, old: str, new: str) -> Row:
    if old not in row:
        renamed = {k: v for k, v in row.items() if k != new}
        renamed[new] = None
        return renamed
    return {(new if k == old else k): v for k, v in row.items() if k != new or k == old}


@dataclass
class Limit:
    count: int

    def apply(self, rows: list[Row], ctx: EvalContext) -> list[Row]:
        return rows[: self.count]

    def reads(self) -> Iterator[str]:
        return iter(())

    def defines(self) -> list[str]:
        return []
