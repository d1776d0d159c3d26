"""Converting rules to DuckDB and Spark SQL, with each Sigma construct run in DuckDB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from converters.errors import ConversionError
from converters.hunt.duckdb_engine import DuckDbEngine, evaluate_duckdb
from converters.rules import LoadedRule, load_rule
from converters.sql import convert_duckdb, convert_sql, converted_query

RULE_HEAD = (
    "title: Test rule\nid: 0b6a8a0e-5b4f-4d55-9d0a-2f3c6e0c9e11\nstatus: test\n"
    "logsource:\n    product: aws\n    service: cloudtrail\n"
    "fields:\n    - userIdentity.arn\nlevel: low\n"
)


def inline_rule(tmp_path: Path, detection: str) -> LoadedRule:
    path = tmp_path / "rule.yml"
    path.write_text(RULE_HEAD + "detection:\n" + detection, encoding="utf-8")
    return load_rule(path)


def duckdb_verdicts(rule: LoadedRule, records: list[dict[str, Any]]) -> list[bool]:
    engine = DuckDbEngine(convert_sql(rule, "duckdb"), threads=1)
    files = [str(i) for i in range(len(records))]
    matched = {m["file"] for m in engine.matches(files, [json.dumps(r) for r in records])}
    return [name in matched for name in files]


def test_convert_sql_fields_of_project_rule(project_rule: LoadedRule):
    query = convert_sql(project_rule, "duckdb")
    assert query.output_fields[0] == "eventID"
    assert "userIdentity.arn" in query.output_fields
    assert set(query.fields) >= {
        "eventSource",
        "eventName",
        "errorCode",
        "awsRegion",
        "requestParameters.sourceDBSnapshotIdentifier",
        "responseElements.sourceRegion",
    }
    assert not {"rds_source_region", "rds_destination_region"} & set(query.fields)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_convert_sql_case_insensitive_comparisons(project_rule: LoadedRule, engine):
    text = convert_sql(project_rule, engine).text
    assert "lower(eventName) = lower('CopyDBSnapshot')" in text
    assert "NOT coalesce((rds_source_region = rds_destination_region), false)" in text


# Each construct: detection YAML, then (record, expected verdict) pairs.
CONSTRUCTS = {
    "plain value any case": (
        "    sel:\n        eventName: DeleteTrail\n    condition: sel\n",
        [({"eventName": "deletetrail"}, True), ({"eventName": "DeleteTrailX"}, False), ({}, False)],
    ),
    "negated filter on missing field": (
        (
            "    sel:\n        eventName: CopyDBSnapshot\n"
            "    filter:\n        userIdentity.invokedBy: backup.amazonaws.com\n    condition: sel and not filter\n"
        ),
        [
            ({"eventName": "CopyDBSnapshot"}, True),
            (
                {
                    "eventName": "CopyDBSnapshot",
                    "userIdentity": {"invokedBy": "BACKUP.amazonaws.com"},
                },
                False,
            ),
            ({"eventName": "CopyDBSnapshot", "userIdentity": {"type": "Root"}}, True),
        ],
    ),
    "quote and backslash in value": (
        "    sel:\n        requestParameters.name: 'it''s a \\\\path'\n    condition: sel\n",
        [
            ({"requestParameters": {"name": "IT'S A \\path"}}, True),
            ({"requestParameters": {"name": "its"}}, False),
        ],
    ),
    "startswith": (
        "    sel:\n        userAgent|startswith: aws-cli/\n    condition: sel\n",
        [({"userAgent": "AWS-CLI/2.1"}, True), ({"userAgent": "boto3 aws-cli/"}, False)],
    ),
    "endswith": (
        "    sel:\n        userAgent|endswith: '.exe'\n    condition: sel\n",
        [({"userAgent": "tool.EXE"}, True), ({"userAgent": "tool.exe.bak"}, False)],
    ),
    "contains": (
        "    sel:\n        userAgent|contains: 'terraform'\n    condition: sel\n",
        [({"userAgent": "x Terraform/1.6 y"}, True), ({"userAgent": "pulumi"}, False)],
    ),
    "wildcard in the middle": (
        "    sel:\n        eventName: 'Copy*Snap?hot'\n    condition: sel\n",
        [
            ({"eventName": "copydbclustersnapshot"}, True),
            ({"eventName": "CopyDBSnapshots"}, False),
            ({"eventName": "Copy.Snap\nhot"}, True),
        ],
    ),
    "regex special characters with wildcard": (
        "    sel:\n        eventName: 'a.b(c)*'\n    condition: sel\n",
        [({"eventName": "A.B(C)xyz"}, True), ({"eventName": "aXb(c)"}, False)],
    ),
    "null value": (
        "    sel:\n        errorCode: null\n    condition: sel\n",
        [({}, True), ({"errorCode": None}, True), ({"errorCode": ""}, False)],
    ),
    "exists false": (
        "    sel:\n        errorCode|exists: false\n    condition: sel\n",
        [({}, True), ({"errorCode": "AccessDenied"}, False)],
    ),
    "negated or group": (
        (
            "    sel:\n        eventName: A\n    f1:\n        errorCode: X\n    f2:\n        awsRegion: r\n"
            "    condition: sel and not 1 of f*\n"
        ),
        [
            ({"eventName": "a"}, True),
            ({"eventName": "a", "awsRegion": "R"}, False),
            ({"eventName": "a", "errorCode": "y"}, True),
        ],
    ),
}


@pytest.mark.parametrize("construct", CONSTRUCTS.values(), ids=list(CONSTRUCTS))
def test_duckdb_sql_construct_verdicts(construct, tmp_path: Path):
    detection, expectations = construct
    rule = inline_rule(tmp_path, detection)
    verdicts = duckdb_verdicts(rule, [record for record, _ in expectations])
    assert verdicts == [expected for _, expected in expectations]


def test_duckdb_sql_rejects_regex_value(tmp_path: Path):
    rule = inline_rule(tmp_path, "    sel:\n        eventName|re: '^Copy'\n    condition: sel\n")
    with pytest.raises(ConversionError, match="cannot convert to duckdb SQL"):
        convert_sql(rule, "duckdb")


def test_spark_sql_keeps_regex_value(tmp_path: Path):
    rule = inline_rule(tmp_path, "    sel:\n        eventName|re: '^Copy'\n    condition: sel\n")
    assert "eventName rlike '^Copy'" in convert_sql(rule, "spark").text


def test_convert_sql_rejects_keyword_detection(tmp_path: Path):
    rule = inline_rule(
        tmp_path, "    keywords:\n        - CopyDBSnapshot\n    condition: keywords\n"
    )
    with pytest.raises(ConversionError, match="keyword"):
        convert_sql(rule, "duckdb")


def test_evaluate_duckdb_single_record(project_rule: LoadedRule):
    text = convert_duckdb(project_rule)
    record = {
        "eventSource": "rds.amazonaws.com",
        "eventName": "CopyDBSnapshot",
        "awsRegion": "us-west-2",
        "requestParameters": {"sourceDBSnapshotIdentifier": "arn:aws:rds:us-east-1:1:snapshot:s"},
    }
    assert evaluate_duckdb(text, record) is True
    assert evaluate_duckdb(text, dict(record, awsRegion="us-east-1")) is False


def test_converted_query_unknown_text():
    with pytest.raises(ConversionError, match="did not come from convert_duckdb"):
        converted_query("SELECT 1")
