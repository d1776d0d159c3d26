"""The KQL engine (duckdb-kql) on AWSCloudTrail rows: the Kusto semantics our queries rely on.

Each expectation is Kusto's documented behaviour (learn.microsoft.com, Kusto Query
Language reference: string operators, isempty(), parse_json(), split(), case(), not()).
"""

from __future__ import annotations

import pytest

from converters.errors import EvaluatorError, UnsupportedQueryError
from converters.evaluators.kql import (
    cached_kql,
    parse_kql,
    translate_kql,
    translate_many,
    translator_path,
)

RECORD = {
    "eventSource": "rds.amazonaws.com",
    "eventName": "CopyDBSnapshot",
    "awsRegion": "us-west-2",
    "userAgent": "aws-cli/2.13.0",
    "readOnly": False,
    "requestParameters": {
        "sourceDBSnapshotIdentifier": "arn:aws:rds:US-EAST-1:123456789012:snapshot:orders",
        "copyTags": True,
        "nested": {"key": "value"},
    },
}

PREDICATES = [
    ("== is case-sensitive", 'EventName == "copydbsnapshot"', False),
    ("== matches exact case", 'EventName == "CopyDBSnapshot"', True),
    ("=~ ignores case", 'EventName =~ "copydbsnapshot"', True),
    ("!= is case-sensitive", 'EventName != "copydbsnapshot"', True),
    ("in~ ignores case", 'EventName in~ ("copydbsnapshot", "x")', True),
    ("in is case-sensitive", 'EventName in ("copydbsnapshot", "x")', False),
    ("contains ignores case", 'UserAgent contains "AWS-CLI"', True),
    ("startswith ignores case", 'UserAgent startswith "AWS-"', True),
    ("endswith ignores case", 'UserAgent endswith ".0"', True),
    ("missing string column is empty", "isempty(ErrorCode)", True),
    ("missing string is not null", "isnull(ErrorCode)", False),
    ("present column is not empty", "isnotempty(EventName)", True),
    ("bool column", "ReadOnly == false", True),
    ("missing bool column is null", "isnull(ManagementEvent)", True),
    ("dynamic access", 'tostring(parse_json(RequestParameters).nested.key) == "value"', True),
    (
        "missing dynamic key is empty",
        "isempty(tostring(parse_json(RequestParameters).absent))",
        True,
    ),
    (
        "missing JSON column is empty",
        "isempty(tostring(parse_json(ResponseElements).sourceRegion))",
        True,
    ),
    ("dynamic bool as text", 'tostring(parse_json(RequestParameters).copyTags) == "true"', True),
    (
        "split index",
        'tostring(split(tostring(parse_json(RequestParameters).sourceDBSnapshotIdentifier), ":")[3]) == "US-EAST-1"',
        True,
    ),
    ("split index out of range", 'isempty(tostring(split(EventName, ":")[3]))', True),
    ("matches regex is case-sensitive", 'EventName matches regex "^copy"', False),
    ("matches regex", 'EventName matches regex "^Copy"', True),
    ("tolower", 'tolower(AWSRegion) == "us-west-2"', True),
    ("not function", 'not(EventName =~ "x")', True),
    (
        "case picks first true branch",
        'case(EventName == "x", "a", AWSRegion == "us-west-2", "b", "c") == "b"',
        True,
    ),
    ("case falls back", 'case(EventName == "x", "a", "c") == "c"', True),
    ("iff", 'iff(EventName == "x", "a", "") == ""', True),
    ("and binds tighter than or", 'EventName == "x" and false or true', True),
]


def where(predicate: str) -> str:
    return f"AWSCloudTrail | where {predicate}"


@pytest.fixture(scope="module", autouse=True)
def translations() -> None:
    # One run of duckdb-kql for the whole table instead of one per query.
    translate_many(where(p[1]) for p in PREDICATES)


@pytest.mark.parametrize(
    ("predicate", "expected"), [p[1:] for p in PREDICATES], ids=[p[0] for p in PREDICATES]
)
def test_kql_engine_predicate(predicate: str, expected: bool):
    assert parse_kql(where(predicate)).matches(RECORD) is expected


def test_kql_engine_rows_return_projection():
    query = parse_kql(
        "AWSCloudTrail | extend Region = tolower(AWSRegion) | project EventName, Region"
    )
    assert query.rows(RECORD) == [{"EventName": "CopyDBSnapshot", "Region": "us-west-2"}]


def test_kql_engine_table_holds_one_record():
    query = parse_kql("AWSCloudTrail | project EventName")
    query.rows(RECORD)
    assert query.rows(RECORD | {"eventName": "Other"}) == [{"EventName": "Other"}]


def test_kql_engine_caches_translation():
    assert cached_kql("AWSCloudTrail | take 1") is cached_kql("AWSCloudTrail | take 1")


def test_kql_engine_rejects_unsupported_operator():
    with pytest.raises(UnsupportedQueryError, match="duckdb-kql does not implement"):
        parse_kql("AWSCloudTrail | evaluate bag_unpack(RequestParameters)")


def test_kql_engine_rejects_invalid_syntax():
    with pytest.raises(EvaluatorError, match="Invalid KQL"):
        parse_kql("AWSCloudTrail | where (")


@pytest.mark.xfail(
    strict=True,
    reason="duckdb-kql 1.1.2 returns null for parse_json of invalid JSON; Kusto returns the string",
)
def test_kql_engine_parse_json_of_text():
    query = parse_kql('AWSCloudTrail | where tostring(parse_json(EventName)) == "CopyDBSnapshot"')
    assert query.matches(RECORD)


def test_kql_translator_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path):
    missing = tmp_path / "duckdb-kql"
    monkeypatch.setenv("DUCKDB_KQL", str(missing))
    with pytest.raises(EvaluatorError, match=f"not found at {missing}"):
        translator_path()


def test_kql_translate_names_failing_query():
    good = "AWSCloudTrail | take 1"
    bad = "AWSCloudTrail | where ("
    with pytest.raises(EvaluatorError, match="Invalid KQL"):
        translate_many([good, bad])
    assert translate_kql(good).startswith("WITH")
