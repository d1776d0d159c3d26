"""Value model of the offline ES|QL evaluator: nulls, multi-values and rows built from documents.

A column value is ``None`` (null), a single ``bool``/``int``/``float``/``str``, or a
``MultiValue`` holding two or more of those. ES|QL has no empty multi-value: an empty list
reads as null (https://www.elastic.co/docs/reference/query-languages/esql/esql-multivalued-fields).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from converters.errors import EvaluatorError

#: Document keys that are Elasticsearch metadata, readable only through ``FROM ... METADATA``.
METADATA_KEYS = ("_id", "_index", "_version")

Row = dict[str, Any]


class MultiValue(tuple):
    """Two or more values at one position of an ES|QL column."""

    __slots__ = ()


class EvalContext:
    """Collects the warnings ES|QL would attach to a response while rows are evaluated."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


def make_value(values: Iterable[Any]) -> Any:
    """Return null for no values, the value itself for one, a MultiValue for more."""
    items = tuple(values)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return MultiValue(items)


def values_of(value: Any) -> tuple[Any, ...]:
    """Return the values at one position: () for null, (v,) for a single value."""
    if value is None:
        return ()
    if isinstance(value, MultiValue):
        return tuple(value)
    return (value,)


def is_multi(value: Any) -> bool:
    return isinstance(value, MultiValue)


def type_name(value: Any) -> str:
    """Name the ES|QL type family of a single value, as used in error messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "keyword"
    raise EvaluatorError(f"value {value!r} of Python type {type(value).__name__} has no ES|QL type")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_output(value: Any) -> Any:
    """Render a column value for callers: multi-values become lists."""
    if isinstance(value, MultiValue):
        return list(value)
    return value


# --- documents -> rows ---------------------------------------------------------------------


def document_row(
    document: Mapping[str, Any], unreadable: Iterable[str], metadata: Iterable[str]
) -> Row:
    """Turn an indexed JSON document into one ES|QL row of dotted column names.

    Nested objects and literal dotted keys both become dotted column names; arrays become
    multi-values; arrays of objects spread into multi-valued sub-columns, as Elasticsearch's
    ``object`` mapping does. Fields under an ``unreadable`` (flattened) root become one null
    column. Metadata keys appear only when listed in ``metadata``.
    """
    roots = frozenset(unreadable)
    leaves: dict[str, list[Any]] = {}
    for key, value in document.items():
        if key in METADATA_KEYS:
            continue
        _collect(key, value, roots, leaves)
    row: Row = {name: _doc_values(values) for name, values in leaves.items()}
    for key in metadata:
        row[key] = document.get(key)
    return row


def _collect(path: str, value: Any, roots: frozenset[str], leaves: dict[str, list[Any]]) -> None:
    if path in roots:
        leaves.setdefault(path, [])
        return
    if isinstance(value, Mapping):
        for key, child in value.items():
            _collect(f"{path}.{key}", child, roots, leaves)
    elif isinstance(value, list):
        for item in value:
            _collect(path, item, roots, leaves)
    elif value is not None:
        if not isinstance(value, (bool, int, float, str)):
            raise EvaluatorError(f"document field {path} holds {value!r}, which is not JSON")
        leaves.setdefault(path, []).append(value)


def _doc_values(values: list[Any]) -> Any:
    """Order multi-values as Elasticsearch doc values return them.

    keyword doc values are sorted and de-duplicated, numeric and boolean ones sorted
    (https://www.elastic.co/docs/reference/query-languages/esql/esql-multivalued-fields, "Duplicate
    values"). Mixed types keep their document order.
    """
    if len(values) < 2:
        return make_value(values)
    if all(isinstance(v, str) for v in values):
        return make_value(sorted(set(values)))
    if all(is_number(v) for v in values) or all(isinstance(v, bool) for v in values):
        return make_value(sorted(values))
    return make_value(values)
