"""The ES|QL pipelines' field names and GROK extraction, run with the offline ES|QL evaluator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sigma.backends.elasticsearch import ESQLBackend
from sigma.collection import SigmaCollection
from sigma.pipelines.cloudtrail import cloudtrail_ecs_esql_pipeline, cloudtrail_esql_pipeline
from sigma.pipelines.cloudtrail.ecs import (
    ECS_FIELDS,
    MAP_STRING_SOURCES,
    MAX_NESTING,
    extracted_column,
    grok_command,
)

from converters.ecs import to_ecs
from converters.evaluators.esql import parse_esql

from .conftest import load_cases

DATA = Path(__file__).parent / "data" / "elastic-integrations"
CASES = {case.label: case.record for case in load_cases()}
HEADER = """
title: Test
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
"""


def extract(raw_field: str, text: str) -> Any:
    column = extracted_column(raw_field)
    assert column is not None
    query = f"from logs | {grok_command(column).removeprefix('| ')} | keep {column.column}"
    rows = parse_esql(query).rows([{"aws": {"cloudtrail": {column.source.string_field.split('.')[-1]: text}}}])
    return rows[0].get(column.column)


def nested(levels: int) -> str:
    """Return a value nested `levels` deep, alternating maps and lists."""
    value = "x"
    for level in range(levels):
        value = f"{{k{level}={value}}}" if level % 2 else f"[{value}]"
    return value


GROK_TABLE = [
    ("{sourceRegion=us-east-1}", "us-east-1"),
    ("{copyTags=true, sourceRegion=us-east-1, kmsKeyId=k}", "us-east-1"),
    ("{sourceRegion=us-east-1, copyTags=true}", "us-east-1"),
    ("{copyTags=true, targetRegion=eu-west-1}", None),
    ("{xsourceRegion=eu-west-1, sourceRegion=us-east-1}", "us-east-1"),
    ("{preSignedUrl=https://rds.us-east-1.amazonaws.com/?SourceRegion=us-east-1&sourceRegion=x, a=b}", None),
    ("{tags=[{key=owner, value=ops}], sourceRegion=us-east-1}", "us-east-1"),
    ("{tags=[{key=sourceRegion, sourceRegion=eu-west-1}], sourceRegion=us-east-1}", "us-east-1"),
    ("{a=" + nested(MAX_NESTING) + ", sourceRegion=us-east-1}", "us-east-1"),
    ("{description=first, second, sourceRegion=us-east-1}", "us-east-1"),
    ("{sourceRegion=}", ""),
]


@pytest.mark.parametrize(
    ("text", "value"),
    GROK_TABLE,
    ids=[
        "only-key", "middle", "first", "missing", "longer-key-first", "inside-value", "after-list",
        "nested-key-first", "nested-max-levels", "comma-in-value", "empty-value",
    ],
)
def test_grok_extracts_request_parameter(text: str, value: str | None):
    assert extract("requestParameters.sourceRegion", text) == value


def _integration_documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted(DATA.glob("*-expected.json")):
        documents += [d for d in json.loads(path.read_text())["expected"] if d]
    return documents


def _scalar_keys(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    cloudtrail = document.get("aws", {}).get("cloudtrail", {})
    found = []
    for source in MAP_STRING_SOURCES:
        name = source.string_field.split(".")[-1]
        values = cloudtrail.get("flattened", {}).get(name, {})
        for key, value in values.items():
            if isinstance(value, str) and "," not in value and "}" not in value:
                found.append((source.raw_prefix + key, cloudtrail[name], value, key))
    return found


INTEGRATION_KEYS = [item for document in _integration_documents() for item in _scalar_keys(document)]


def test_grok_misses_key_after_deeper_nesting():
    # NOTE: MAX_NESTING bounds what the pattern skips; this documents the limit.
    text = "{a=" + nested(MAX_NESTING + 1) + ", sourceRegion=us-east-1}"
    assert extract("requestParameters.sourceRegion", text) is None


def test_integration_examples_have_keys():
    assert len(INTEGRATION_KEYS) >= 30


@pytest.mark.parametrize(
    ("raw_field", "text", "value", "key"), INTEGRATION_KEYS, ids=[f"{i}-{item[3]}" for i, item in enumerate(INTEGRATION_KEYS)]
)
def test_grok_matches_integration_flattened_copy(raw_field: str, text: str, value: str, key: str):
    assert extract(raw_field, text) == value


def test_ecs_fields_match_integration_examples():
    checked = set()
    for path in sorted(DATA.glob("*.log")):
        record = json.loads(path.read_text().splitlines()[0])
        expected = json.loads(Path(f"{path}-expected.json").read_text())["expected"][0]
        for raw, ecs in ECS_FIELDS.items():
            value = _get(record, raw)
            if raw == "eventTime":
                # The date processor writes milliseconds.
                value = value.replace("Z", ".000Z")
            if isinstance(value, str | bool) and raw not in ("requestParameters", "responseElements"):
                assert _get(expected, ecs) == value, f"{raw} -> {ecs} in {path.name}"
                checked.add(raw)
    assert len(checked) >= 14


def _get(document: dict[str, Any], dotted: str) -> Any:
    value: Any = document
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def run(detection: str, record: dict[str, Any], ecs: bool) -> bool:
    factory = cloudtrail_ecs_esql_pipeline if ecs else cloudtrail_esql_pipeline
    query = ESQLBackend(processing_pipeline=factory()).convert(SigmaCollection.from_yaml(HEADER + detection))[0]
    document = to_ecs(record) if ecs else record
    return parse_esql(query).matches(document)


NEGATED_FILTER = """
    selection:
        eventName: copydbsnapshot
    filter:
        userIdentity.invokedBy: BACKUP.amazonaws.com
    condition: selection and not filter
"""


@pytest.mark.parametrize("ecs", [False, True], ids=["raw", "ecs"])
def test_negated_filter_matches_missing_field(ecs: bool):
    record = CASES["db snapshot cross-region, ARN is the only hint"]
    assert "invokedBy" not in record["userIdentity"]
    assert run(NEGATED_FILTER, record, ecs) is True


@pytest.mark.parametrize("ecs", [False, True], ids=["raw", "ecs"])
def test_negated_filter_drops_matching_value(ecs: bool):
    record = json.loads(json.dumps(CASES["db snapshot cross-region, ARN is the only hint"]))
    record["userIdentity"]["invokedBy"] = "backup.amazonaws.com"
    assert run(NEGATED_FILTER, record, ecs) is False


@pytest.mark.parametrize("ecs", [False, True], ids=["raw", "ecs"])
def test_request_parameter_any_key_order(ecs: bool):
    detection = """
    selection:
        requestParameters.targetDBSnapshotIdentifier: COPY-1
    condition: selection
"""
    record = CASES["db snapshot cross-region, ARN is the only hint"]
    reordered = dict(record, requestParameters=dict(reversed(list(record["requestParameters"].items()))))
    assert run(detection, record, ecs) is True
    assert run(detection, reordered, ecs) is True


REGION_ROWS = [
    ("reference: snapshot copied cross-region", "us-east-1", "us-west-2"),
    ("ARN region in upper case, cross-region", "us-east-1", "us-west-1"),
    ("snapshot name holds the destination region", "us-east-1", "us-west-2"),
    ("db snapshot same region, plain name", "us-east-1", "us-east-1"),
    ("only the response names another region", "eu-west-3", "us-east-1"),
]


@pytest.mark.parametrize("ecs", [False, True], ids=["raw", "ecs"])
@pytest.mark.parametrize(("case", "source", "destination"), REGION_ROWS, ids=[row[0] for row in REGION_ROWS])
def test_region_fields_derived(case: str, source: str, destination: str, ecs: bool):
    factory = cloudtrail_ecs_esql_pipeline if ecs else cloudtrail_esql_pipeline
    query = ESQLBackend(processing_pipeline=factory()).convert(SigmaCollection.from_yaml(HEADER + """
    selection:
        requestParameters.sourceRegion|fieldref: awsRegion
    condition: selection or not selection
"""))[0]
    document = to_ecs(CASES[case]) if ecs else CASES[case]
    rows = parse_esql(query + " | keep rds_source_region, rds_destination_region").rows([document])
    assert rows == [{"rds_source_region": source, "rds_destination_region": destination}]


@pytest.mark.parametrize("ecs", [False, True], ids=["raw", "ecs"])
def test_negated_selector_matches_missing_field(ecs: bool):
    detection = """
    selection:
        eventName: CopyDBSnapshot
    filter_main_backup:
        userIdentity.invokedBy: backup.amazonaws.com
    condition: selection and not 1 of filter_main_*
"""
    assert run(detection, CASES["db snapshot cross-region, ARN is the only hint"], ecs) is True
