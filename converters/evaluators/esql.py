"""Offline ES|QL evaluator: run a query the project emits against JSON documents, no cluster.

The query is parsed with Elastic's own ANTLR grammar (PyPI ``esql-parser``, generated from
Elasticsearch 9.1.3) and its tree is executed row by row. Commands: FROM, WHERE, EVAL, GROK,
DISSECT, KEEP, DROP, RENAME, LIMIT. Everything else raises UnsupportedQueryError naming the
construct. ``docs/evaluators.md`` describes how a query is read and where this differs from a
cluster.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from converters.ecs import FLATTENED_FIELDS
from converters.errors import EvaluatorError
from converters.evaluators.esql_commands import Command, From, Limit
from converters.evaluators.esql_tree import TreeReader
from converters.evaluators.esql_values import EvalContext, to_output

#: Rows an ES|QL query returns without a LIMIT, and the most any LIMIT returns
#: (https://www.elastic.co/docs/reference/query-languages/esql/limitations#esql-max-rows).
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "EsqlQuery", "parse_esql"]


class EsqlQuery:
    """A parsed ES|QL query, ready to run over documents as Elasticsearch indexed them."""

    def __init__(self, query: str, source: From, commands: list[Command]) -> None:
        self.query = query
        self._source = source
        self._commands = commands
        self.index_patterns: list[str] = list(source.patterns)
        self.metadata_fields: list[str] = list(source.metadata)
        self.source_fields: list[str] = _source_fields(commands)
        self.warnings: list[str] = []
        has_limit = any(isinstance(c, Limit) for c in commands)
        self._cap = MAX_LIMIT if has_limit else DEFAULT_LIMIT

    def rows(self, documents: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Run the query; return the result rows, multi-values as lists, missing columns absent."""
        ctx = EvalContext()
        rows = self._source.rows(documents)
        for command in self._commands:
            rows = command.apply(rows, ctx)
        self.warnings = ctx.warnings
        return [{k: to_output(v) for k, v in row.items()} for row in rows[: self._cap]]

    def matches(self, document: Mapping[str, Any]) -> bool:
        """Return True when the document yields at least one row."""
        return bool(self.rows([document]))


def parse_esql(query: str, *, flattened_fields: Collection[str] = FLATTENED_FIELDS) -> EsqlQuery:
    """Parse an ES|QL query; raise EvaluatorError on syntax errors, UnsupportedQueryError on gaps.

    ``flattened_fields`` names the fields mapped as ``flattened``, which ES|QL cannot read: a
    query that references one of them, or a key inside one, fails as it would on a cluster.
    The default is the Elastic AWS CloudTrail integration's flattened fields.
    """
    if not isinstance(query, str) or not query.strip():
        raise EvaluatorError("an ES|QL query must be a non-empty string")
    roots = frozenset(flattened_fields)
    source, commands = TreeReader(query, roots).read()
    parsed = EsqlQuery(query, source, commands)
    for name in parsed.source_fields:
        root = next((r for r in roots if name == r or name.startswith(r + ".")), None)
        if root is not None:
            raise EvaluatorError(
                f"ES|QL cannot read field [{name}]: [{root}] is mapped as flattened, an "
                "unsupported type in ES|QL (the query fails on a cluster); read the keyword "
                "string form instead"
            )
    return parsed


def _source_fields(commands: list[Command]) -> list[str]:
    """List the document fields the query reads, i.e. names not created by an earlier command."""
    defined: set[str] = set()
    fields: list[str] = []
    for command in commands:
        for name in command.reads():
            if name not in defined and name not in fields:
                fields.append(name)
        defined.update(command.defines())
    return fields
