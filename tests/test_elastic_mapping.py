"""Mappings for raw CloudTrail indexes, built from the fields the raw ES|QL rules read."""

from __future__ import annotations

from typing import Any

import pytest

from converters.elastic import DATA_SOURCES, convert_esql, kibana_rule
from converters.elastic_mapping import (
    component_template,
    query_source_fields,
    raw_component_template,
)
from converters.errors import ConversionError
from converters.rules import LoadedRule


def mapped_type(template: dict[str, Any], name: str) -> str | None:
    node: dict[str, Any] = {"properties": template["template"]["mappings"]["properties"]}
    for part in name.split("."):
        node = node.get("properties", {}).get(part, {})
    return node.get("type")


@pytest.fixture(scope="module")
def raw_template(project_rule: LoadedRule) -> dict[str, Any]:
    source = DATA_SOURCES["raw"]
    query = convert_esql(project_rule, source)
    return raw_component_template([query], [kibana_rule(project_rule, source, query)])


def test_raw_template_maps_query_fields(raw_template: dict[str, Any], project_rule: LoadedRule):
    fields = query_source_fields(convert_esql(project_rule, DATA_SOURCES["raw"]))
    assert "requestParameters.sourceDBClusterSnapshotIdentifier" in fields
    assert "responseElements.sourceRegion" in fields
    for name in fields:
        assert mapped_type(raw_template, name) == "keyword", name


def test_raw_template_maps_rule_fields(raw_template: dict[str, Any]):
    assert mapped_type(raw_template, "eventTime") == "date"
    assert mapped_type(raw_template, "userIdentity.arn") == "keyword"
    assert mapped_type(raw_template, "sourceIPAddress") == "keyword"


def test_raw_template_skips_derived_fields(raw_template: dict[str, Any]):
    properties = raw_template["template"]["mappings"]["properties"]
    assert "rds_source_region" not in properties
    assert "rds_destination_region" not in properties


@pytest.mark.parametrize(
    "fields",
    [["requestParameters", "requestParameters.sourceRegion"], ["requestParameters.sourceRegion", "requestParameters"]],
    ids=["object-after-value", "value-after-object"],
)
def test_component_template_conflict_raises(fields: list[str]):
    with pytest.raises(ConversionError, match="'requestParameters' is both a value and an object"):
        component_template(fields, "eventTime", "test")
