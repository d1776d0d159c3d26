"""Build the Elasticsearch mappings that raw CloudTrail indexes need for the ES|QL rules.

ES|QL fails with "Unknown column" when no index in FROM maps a field the query names, and a
raw CloudTrail index maps a field only after the first record that has it. A component
template with explicit mappings lets the rule run before the first cluster snapshot copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sigma.pipelines.cloudtrail.esql_items import DERIVED_FIELDS

from .errors import ConversionError
from .evaluators.esql import parse_esql

# The raw CloudTrail record's event time; the raw Kibana rule uses it as its timestamp.
RAW_TIMESTAMP_FIELD = "eventTime"


def query_source_fields(query: str) -> list[str]:
    """List the document fields an ES|QL query reads, in query order."""
    return parse_esql(query).source_fields


def component_template(keyword_fields: Iterable[str], date_field: str, description: str) -> dict[str, Any]:
    """Build a component template that maps date_field as date and the other fields as keyword."""
    properties: dict[str, Any] = {}
    _add_field(properties, date_field, {"type": "date"})
    for name in dict.fromkeys(keyword_fields):
        if name in DERIVED_FIELDS or name == date_field:
            continue
        _add_field(properties, name, {"type": "keyword"})
    return {"template": {"mappings": {"properties": properties}}, "_meta": {"description": description}}


def raw_component_template(queries: list[str], kibana_rules: list[dict[str, Any]]) -> dict[str, Any]:
    """Map every field the raw-CloudTrail queries and Kibana rules read, for one index template."""
    fields = [name for query in queries for name in query_source_fields(query)]
    for rule in kibana_rules:
        fields += rule["investigation_fields"]["field_names"] + rule["alert_suppression"]["group_by"]
    return component_template(
        fields,
        date_field=RAW_TIMESTAMP_FIELD,
        description="Mappings of the raw CloudTrail fields that the cloudtrail-sigma ES|QL rules read",
    )


def _add_field(properties: dict[str, Any], name: str, mapping: dict[str, str]) -> None:
    parts = name.split(".")
    node = properties
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {"properties": {}})
        if "properties" not in child:
            raise _conflict(".".join(parts[: depth + 1]), name)
        node = child["properties"]
    existing = node.get(parts[-1])
    if existing is not None and existing != mapping:
        raise _conflict(name, name)
    node[parts[-1]] = mapping


def _conflict(leaf: str, name: str) -> ConversionError:
    return ConversionError(
        f"Cannot map '{name}' for raw CloudTrail indexes: '{leaf}' is both a value and an "
        "object in the fields the rules use. Compare a key inside the object instead."
    )
