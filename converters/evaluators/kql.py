"""Run KQL over Microsoft Sentinel's AWSCloudTrail table offline, with duckdb-kql.

duckdb-kql (pre-alpha) translates KQL to DuckDB SQL with a parser built on the grammar
of Microsoft's Kusto-Query-Language repository, and raises KqlUnsupportedError on
anything it does not implement. Each record becomes one AWSCloudTrail row
(sentinel_row.py); a query matches the record when it returns at least one row.
tests/test_evaluator_kql.py checks the Kusto semantics the emitted queries depend on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import duckdb
import duckdb_kql
from sigma.pipelines.cloudtrail.sentinel import TABLE

from converters.errors import EvaluatorError, UnsupportedQueryError
from converters.evaluators.sentinel_row import ALL_COLUMNS, column_type, sentinel_row

__all__ = ["KqlQuery", "parse_kql", "sentinel_row"]


@dataclass
class KqlQuery:
    """A KQL query translated to DuckDB SQL, ready to run on one record at a time."""

    text: str
    sql: str
    connection: duckdb.DuckDBPyConnection

    def rows(self, record: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Return the rows the query outputs for a table that holds only this record."""
        row = sentinel_row(record)
        self.connection.execute(f'DELETE FROM "{TABLE}"')
        placeholders = ", ".join("?" for _ in ALL_COLUMNS)
        self.connection.execute(
            f'INSERT INTO "{TABLE}" VALUES ({placeholders})', [row[c] for c in ALL_COLUMNS]
        )
        try:
            cursor = self.connection.execute(self.sql)
        except duckdb.Error as error:
            raise EvaluatorError(
                f"The KQL query failed on the record: {error}. Query: {self.text!r}"
            ) from error
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Return True when the query outputs a row for the record."""
        return bool(self.rows(record))


def _table_sql() -> str:
    columns = ", ".join(f'"{name}" {column_type(name)}' for name in ALL_COLUMNS)
    return f'CREATE TABLE "{TABLE}" ({columns})'


# TODO: duckdb-kql 1.1.2 turns parse_json of text that is not JSON into null, where Kusto
# keeps the text as a string value. The Sentinel connector writes RequestParameters and
# ResponseElements as JSON, so the emitted queries do not meet this, but a query that
# parses another text column would be judged wrongly here.
def parse_kql(text: str) -> KqlQuery:
    """Translate a KQL query; raise UnsupportedQueryError on what duckdb-kql does not implement."""
    try:
        sql = str(duckdb_kql.to_sql(text))
    except duckdb_kql.KqlUnsupportedError as error:
        raise UnsupportedQueryError(
            f"duckdb-kql does not implement a construct of the KQL query: {error}. "
            "Change the converter to emit KQL that it runs, or extend the evaluator."
        ) from error
    except duckdb_kql.KqlError as error:
        raise EvaluatorError(f"Invalid KQL: {error}. Query: {text!r}") from error
    connection = duckdb_kql.connect()
    connection.execute(_table_sql())
    return KqlQuery(text, sql, connection)


@lru_cache(maxsize=64)
def cached_kql(text: str) -> KqlQuery:
    """Return the translated query for text, translating it once."""
    return parse_kql(text)
