"""Run KQL over Microsoft Sentinel's AWSCloudTrail table offline, with duckdb-kql and DuckDB.

duckdb-kql (pre-alpha) translates KQL to DuckDB SQL with a parser built on the grammar
of Microsoft's Kusto-Query-Language repository, and fails on anything it does not
implement. Its ANTLR runtime pin clashes with esql-parser's, so its command line runs
from a virtual environment of its own (`make` builds .venv-kql) and only translates.
The SQL it writes needs no duckdb-kql at run time, only DuckDB with the session time
zone set to UTC, and runs here. Each record becomes one AWSCloudTrail row
(sentinel_row.py), and a query matches the record when it returns at least one row.
tests/test_evaluator_kql.py checks the Kusto semantics the emitted queries depend on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
from sigma.pipelines.cloudtrail.sentinel import TABLE

from converters.errors import EvaluatorError, UnsupportedQueryError
from converters.evaluators.sentinel_row import ALL_COLUMNS, column_type, sentinel_row

__all__ = ["KqlQuery", "cached_kql", "parse_kql", "sentinel_row", "translate_kql"]

# Lookup order of the duckdb-kql command: $DUCKDB_KQL, else .venv-kql in the current
# folder (where `make` creates it), else the PATH.
TRANSLATOR_VARIABLE = "DUCKDB_KQL"
TRANSLATOR_DEFAULT = Path(".venv-kql") / "bin" / "duckdb-kql"
TRANSLATE_TIMEOUT_SECONDS = 120
# duckdb-kql's command line reports a construct it does not implement with this text.
UNSUPPORTED_MARKER = "unsupported KQL construct"

# SQL already translated, by KQL text.
_TRANSLATIONS: dict[str, str] = {}


def translator_path() -> Path:
    """Return the duckdb-kql command, or raise EvaluatorError naming how to install it."""
    configured = os.environ.get(TRANSLATOR_VARIABLE)
    candidates = [Path(configured)] if configured else [TRANSLATOR_DEFAULT]
    found = shutil.which("duckdb-kql")
    if not configured and found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file():
            return candidate.absolute()
    raise EvaluatorError(
        f"The duckdb-kql command was not found at {candidates[0]}. Run 'make install' or any "
        f"make target that runs KQL, or set {TRANSLATOR_VARIABLE} to the duckdb-kql executable."
    )


def translate_kql(text: str) -> str:
    """Translate one KQL query to DuckDB SQL; raise UnsupportedQueryError on what it lacks."""
    if text not in _TRANSLATIONS:
        translate_many([text])
    return _TRANSLATIONS[text]


def translate_many(texts: Iterable[str]) -> None:
    """Translate queries in one run of duckdb-kql, or one by one to name the failing one."""
    pending = list(dict.fromkeys(t for t in texts if t not in _TRANSLATIONS))
    if not pending:
        return
    with tempfile.TemporaryDirectory(prefix="kql-") as folder:
        sources = [Path(folder) / f"query{i}.kql" for i in range(len(pending))]
        for source, text in zip(sources, pending, strict=True):
            source.write_text(text, encoding="utf-8")
        # With one input, -o names the output file, with several an output folder.
        output = Path(folder) / "sql"
        targets = [output / f"{source.stem}.sql" for source in sources]
        target_argument = targets[0] if len(sources) == 1 else output
        result = _run_translator([*map(str, sources), "-o", str(target_argument)])
        if result.returncode == 0:
            for target, text in zip(targets, pending, strict=True):
                _TRANSLATIONS[text] = target.read_text(encoding="utf-8")
            return
    if len(pending) == 1:
        raise _translation_error(pending[0], result.stderr)
    for text in pending:
        translate_kql(text)


def _run_translator(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    command = [str(translator_path()), "translate", "--no-header", *arguments]
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=TRANSLATE_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise EvaluatorError(
            f"duckdb-kql timed out after {TRANSLATE_TIMEOUT_SECONDS} s translating KQL."
        ) from error
    except OSError as error:
        raise EvaluatorError(f"Cannot run duckdb-kql ({command[0]}): {error.strerror}.") from error


def _translation_error(text: str, stderr: str) -> EvaluatorError:
    message = " ".join(stderr.split())
    if UNSUPPORTED_MARKER in message:
        return UnsupportedQueryError(
            f"duckdb-kql does not implement a construct of the KQL query: {message} "
            "Change the converter to emit KQL that it runs, or extend the evaluator."
        )
    return EvaluatorError(f"Invalid KQL: {message} Query: {text!r}")


@dataclass
class KqlQuery:
    """A KQL query translated to DuckDB SQL, ready to run on one record at a time."""

    text: str
    sql: str
    connection: duckdb.DuckDBPyConnection

    def rows(self, record: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Return the rows the query outputs for a table that contains only this record."""
        row = sentinel_row(record)
        placeholders = ", ".join("?" for _ in ALL_COLUMNS)
        self.connection.execute(f'DELETE FROM "{TABLE}"')
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
    """Translate a KQL query and prepare an AWSCloudTrail table to run it on."""
    sql = translate_kql(text)
    connection = duckdb.connect(":memory:")
    # duckdb-kql's SQL assumes a UTC session: KQL datetimes are UTC.
    connection.execute("SET TimeZone='UTC'")
    connection.execute(_table_sql())
    return KqlQuery(text, sql, connection)


@lru_cache(maxsize=64)
def cached_kql(text: str) -> KqlQuery:
    """Return the prepared query for text, translating it once."""
    return parse_kql(text)
