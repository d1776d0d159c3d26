"""Conversion of minimal inline rules to KQL over AWSCloudTrail: exact output, runs and errors."""

from __future__ import annotations

import pytest
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.pipelines.cloudtrail import cloudtrail_sentinel_pipeline

from converters.evaluators.kql import parse_kql, translate_many
from converters.kql_backend import SentinelKqlBackend, kql_string

HEADER = """
title: Test
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
"""


def convert(detection: str) -> str:
    rule = SigmaCollection.from_yaml(HEADER + detection)
    backend = SentinelKqlBackend(processing_pipeline=cloudtrail_sentinel_pipeline())
    return backend.convert(rule)[0]


def selection(item: str) -> str:
    return f"    selection:\n        {item}\n    condition: selection\n"


CONVERSIONS = [
    ("plain", "eventName: CopyDBSnapshot", 'EventName =~ "CopyDBSnapshot"'),
    ("user identity column", "userIdentity.arn: x", 'UserIdentityArn =~ "x"'),
    (
        "json path",
        "requestParameters.sourceRegion: us-east-1",
        'tostring(parse_json(RequestParameters).sourceRegion) =~ "us-east-1"',
    ),
    (
        "json key quoted",
        "requestParameters.a-b: x",
        "tostring(parse_json(RequestParameters)['a-b']) =~ \"x\"",
    ),
    ("list", "eventName:\n            - A\n            - B", 'EventName in~ ("A", "B")'),
    ("null", "errorCode: null", "isempty(ErrorCode)"),
    ("exists", "errorCode|exists: true", "isnotempty(ErrorCode)"),
    ("bool column exists", "readOnly|exists: true", "isnotnull(ReadOnly)"),
    ("contains", "userAgent|contains: cli", 'UserAgent contains "cli"'),
    ("startswith", "userAgent|startswith: aws", 'UserAgent startswith "aws"'),
    ("endswith", "userAgent|endswith: '.0'", 'UserAgent endswith ".0"'),
    ("inner wildcard", "userAgent: 'aws*cli'", 'UserAgent matches regex "(?is)^aws.*cli$"'),
    ("regex", "userAgent|re: '^Boto3'", 'UserAgent matches regex "^Boto3"'),
    ("bool", "readOnly: false", "ReadOnly == false"),
    (
        "fieldref",
        "recipientAccountId|fieldref: userIdentity.accountId",
        "(isnotempty(RecipientAccountId) and RecipientAccountId =~ UserIdentityAccountId)",
    ),
    ("quote", "eventName: 'a\"b\\c'", 'EventName =~ "a\\"b\\\\c"'),
]


@pytest.mark.parametrize(
    ("detection", "expected"), [c[1:] for c in CONVERSIONS], ids=[c[0] for c in CONVERSIONS]
)
def test_kql_backend_converts_item(detection: str, expected: str):
    assert convert(selection(detection)) == f"AWSCloudTrail\n| where {expected}"


def test_kql_backend_not_is_a_function():
    query = convert("""
    a:
        eventName: A
    b:
        awsRegion: us-east-1
        eventSource: rds.amazonaws.com
    condition: a and not b
""")
    assert query == (
        'AWSCloudTrail\n| where EventName =~ "A"\n    and '
        'not(AWSRegion =~ "us-east-1" and EventSource =~ "rds.amazonaws.com")'
    )
    record = {"eventName": "A", "eventSource": "rds.amazonaws.com"}
    assert parse_kql(query).matches(record | {"awsRegion": "us-east-1"}) is False
    assert parse_kql(query).matches(record | {"awsRegion": "eu-west-1"}) is True


RUNS = [
    ("equality ignores case", "eventName: copydbsnapshot", {"eventName": "CopyDBSnapshot"}, True),
    ("null matches missing", "errorCode: null", {}, True),
    ("null matches empty", "errorCode: null", {"errorCode": ""}, True),
    ("null misses a value", "errorCode: null", {"errorCode": "AccessDenied"}, False),
    (
        "json path value",
        "requestParameters.sourceRegion: US-EAST-1",
        {"requestParameters": {"sourceRegion": "us-east-1"}},
        True,
    ),
    ("inner wildcard anchored", "userAgent: 'aws*cli'", {"userAgent": "aws-cli/2"}, False),
    ("inner wildcard ignores case", "userAgent: 'aws*cli*'", {"userAgent": "AWS-CLI/2"}, True),
    ("regex is case-sensitive", "userAgent|re: 'boto3'", {"userAgent": "Boto3/1"}, False),
    (
        "fieldref ignores case",
        "recipientAccountId|fieldref: userIdentity.accountId",
        {"recipientAccountId": "ABC", "userIdentity": {"accountId": "abc"}},
        True,
    ),
    ("fieldref of two missing", "recipientAccountId|fieldref: userIdentity.accountId", {}, False),
]


@pytest.fixture(scope="module", autouse=True)
def translations() -> None:
    # One run of duckdb-kql for every query these tests execute.
    translate_many(convert(selection(run[1])) for run in RUNS)


@pytest.mark.parametrize(
    ("detection", "record", "expected"), [r[1:] for r in RUNS], ids=[r[0] for r in RUNS]
)
def test_kql_backend_semantics(detection: str, record: dict, expected: bool):
    base = {"eventSource": "rds.amazonaws.com", "eventName": "CopyDBSnapshot"}
    assert parse_kql(convert(selection(detection))).matches(base | record) is expected


UNSUPPORTED = [
    (
        "unknown field",
        "sessionCredentialFromConsole: 'true'",
        "has no column in the Sentinel AWSCloudTrail table",
    ),
    ("cidr", "sourceIPAddress|cidr: 192.0.2.0/24", "'cidr' modifier"),
    ("compare", "eventVersion|gt: 1", "numeric comparison"),
    (
        "fieldref contains",
        "userAgent|fieldref|contains: eventName",
        "field reference with startswith",
    ),
]


@pytest.mark.parametrize(
    ("detection", "message"), [u[1:] for u in UNSUPPORTED], ids=[u[0] for u in UNSUPPORTED]
)
def test_kql_backend_rejects_construct(detection: str, message: str):
    with pytest.raises(Exception, match="Sentinel") as caught:
        convert(selection(detection))
    assert message in str(caught.value)


def test_kql_backend_rejects_number_in_list():
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match="A number in a list"):
        convert(selection("eventVersion:\n            - 1\n            - 2"))


def test_kql_string_escapes():
    assert kql_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
