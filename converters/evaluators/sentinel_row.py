"""Convert a raw CloudTrail record into a row of Microsoft Sentinel's AWSCloudTrail table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sigma.pipelines.cloudtrail.sentinel import (
    BOOL_COLUMNS,
    COLUMNS,
    DATETIME_COLUMNS,
    JSON_COLUMNS,
    TABLE,
)

# Columns of AWSCloudTrail that no single CloudTrail field fills, with how they are
# filled. The Azure Monitor table reference lists them; Resources is the JSON array.
EXTRA_COLUMNS = ("Resources", "Type", "SourceSystem")

# Every column the table has here, in a stable order.
ALL_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys([*COLUMNS.values(), *JSON_COLUMNS.values(), *EXTRA_COLUMNS])
)


def column_type(column: str) -> str:
    """Return the DuckDB type that stores a column: BOOLEAN, TIMESTAMP or VARCHAR."""
    if column in BOOL_COLUMNS:
        return "BOOLEAN"
    if column in DATETIME_COLUMNS:
        return "TIMESTAMP"
    return "VARCHAR"


def sentinel_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return the AWSCloudTrail row for a CloudTrail record.

    Kusto string columns hold no nulls: a missing string is the empty string. Bool and
    datetime columns are null when the record has no value. JSON objects are stored as
    their JSON text, as the Sentinel AWS connector writes them.
    """
    row: dict[str, Any] = {}
    for field, column in COLUMNS.items():
        row[column] = _typed(column, _lookup(record, field))
    for field, column in JSON_COLUMNS.items():
        row[column] = _json_text(record.get(field))
    row["Resources"] = _json_text(record.get("resources"))
    row["Type"] = TABLE
    row["SourceSystem"] = ""
    return row


def _lookup(record: Mapping[str, Any], field: str) -> Any:
    value: Any = record
    for key in field.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _typed(column: str, value: Any) -> Any:
    if column in BOOL_COLUMNS:
        return _bool(value)
    if column in DATETIME_COLUMNS:
        return _datetime(value)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    # CloudTrail writes mfaAuthenticated as the text "true" or "false".
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))
