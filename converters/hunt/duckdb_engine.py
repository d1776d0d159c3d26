"""Run a converted rule in DuckDB on batches of records given as JSON text.

The engine declares the input table itself: one column per top-level field that the
query reads, nested fields as structs of strings, each value taken from the record with
a JSON pointer. A record that lacks a field gets NULL there, so a batch without any
``errorCode`` is evaluated like any other. No value type in a record can fail the query,
because a number or an object where a string is expected is read as its JSON text.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

from ..errors import EvaluatorError
from ..sql import SqlQuery, converted_query

# The batch arrives as two list parameters, files and records, zipped by unnest.
BATCH_SOURCE = (
    "(SELECT unnest($1::VARCHAR[]) AS _hunt_file, unnest($2::VARCHAR[])::JSON AS _hunt_record)"
)
FILE_COLUMN = "_hunt_file"
RECORD_COLUMN = "_hunt_record"
VALUES_COLUMN = "_hunt_values"
INPUT_TABLE = "cloudtrail"


def field_tree(fields: Sequence[str]) -> dict[str, Any]:
    """Nest dotted field names: {"a": {"b": None}} for "a.b"; None marks a leaf."""
    tree: dict[str, Any] = {}
    for name in fields:
        node = tree
        parts = name.split(".")
        for position, part in enumerate(parts):
            last = position == len(parts) - 1
            if last and part in node and node[part] is not None:
                raise EvaluatorError(_conflict_message(name))
            if not last and node.get(part, {}) is None:
                raise EvaluatorError(_conflict_message(name))
            node = node.setdefault(part, None if last else {})
    return tree


def _conflict_message(name: str) -> str:
    return (
        f"The rule reads both '{name}' and a field inside or around it as a string. "
        "The SQL engines read a field either as a string or as an object; use one form."
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pointer(path: Sequence[str]) -> str:
    # JSON pointer (RFC 6901): "~" is written "~0" and "/" is written "~1".
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def input_table_sql(fields: Sequence[str]) -> str:
    """Return the SELECT that turns (file, JSON record) rows into CloudTrail columns."""
    tree = field_tree(fields)
    pointers: list[str] = []

    def column(node: Any, path: list[str]) -> str:
        if node is None:
            pointers.append(_pointer(path))
            return f"{VALUES_COLUMN}[{len(pointers)}]"
        members = [f"{_quote(key)} := {column(child, [*path, key])}" for key, child in node.items()]
        return "struct_pack(" + ", ".join(members) + ")"

    columns = [f"{column(child, [key])} AS {_quote(key)}" for key, child in tree.items()]
    pointer_list = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in pointers) + "]"
    return (
        f"SELECT {FILE_COLUMN}, " + ", ".join(columns) + "\n"
        f"FROM (SELECT {FILE_COLUMN}, json_extract_string({RECORD_COLUMN}, {pointer_list}) AS {VALUES_COLUMN}"
        f" FROM {BATCH_SOURCE})"
    )


def _output_column(field: str) -> str:
    return ".".join(_quote(part) for part in field.split(".")) + f" AS {_quote(field)}"


def match_sql(query: SqlQuery) -> str:
    """Return the statement that selects the file and output fields of every match."""
    outputs = ", ".join(_output_column(field) for field in query.output_fields)
    return (
        f"WITH {INPUT_TABLE} AS (\n{input_table_sql(query.fields)}\n)\n"
        # The rule's query has a WITH clause of its own; DuckDB and Spark accept one
        # inside a subquery.
        f"SELECT {FILE_COLUMN}, {outputs} FROM (\n{query.text}\n) AS hunt_matches"
    )


def _duckdb() -> Any:
    # Imported on first use, not at the top: importing DuckDB takes about a tenth of a
    # second, which a hunt spends while its reader processes already run.
    return importlib.import_module("duckdb")


class DuckDbEngine:
    """A DuckDB connection that evaluates one query on batches of records."""

    def __init__(self, query: SqlQuery, threads: int | None = None) -> None:
        self.query = query
        self.threads = threads
        self.statement = match_sql(query)
        # Connected on first use: a hunt forks its reader processes first, and forking
        # a process that already runs DuckDB's threads can leave locks held in the child.
        self._connection: duckdb.DuckDBPyConnection | None = None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            self._connection = _duckdb().connect(":memory:")
            if self.threads:
                self._connection.execute(f"SET threads = {int(self.threads)}")
        return self._connection

    def matches(self, files: Sequence[str], records: Sequence[str]) -> list[dict[str, Any]]:
        """Return one dict per matching record: the output fields and "file"."""
        if not records:
            return []
        connection = self._connect()
        try:
            rows = connection.execute(self.statement, [list(files), list(records)]).fetchall()
        except _duckdb().Error as error:
            raise EvaluatorError(
                f"DuckDB could not run the {self.query.engine} query: {error}"
            ) from error
        names = self.query.output_fields
        return [{**dict(zip(names, row[1:], strict=True)), "file": row[0]} for row in rows]

    def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@lru_cache(maxsize=16)
def _engine_for(text: str) -> DuckDbEngine:
    return DuckDbEngine(converted_query(text), threads=1)


def evaluate_duckdb(text: str, record: Mapping[str, Any]) -> bool:
    """Return True when the DuckDB query from convert_duckdb matches one record."""
    return bool(_engine_for(text).matches(["record"], [json.dumps(record)]))
