"""Conversion of minimal inline rules to Panther Python expressions: exact output and errors."""

from __future__ import annotations

import pytest
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.pipelines.cloudtrail import cloudtrail_panther_pipeline

from converters.evaluators.panther import run_rule
from converters.panther_backend import (
    HELPERS_SOURCE,
    PantherPythonBackend,
    helpers_used,
    python_string,
)

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
    backend = PantherPythonBackend(processing_pipeline=cloudtrail_panther_pipeline())
    return backend.convert(rule)[0]


def module(expression: str) -> str:
    """Return a minimal rule module around an expression, for running it."""
    helpers = "\n\n".join(helpers_used(expression))
    return f"import re\n\n\ndef rule(event):\n    return bool({expression})\n\n\n{helpers}"


CONVERSIONS = [
    (
        "plain",
        "eventName: CopyDBSnapshot",
        '_text(event.deep_get("eventName")) == "copydbsnapshot"',
    ),
    (
        "nested",
        "userIdentity.type: Root",
        '_text(event.deep_get("userIdentity", "type")) == "root"',
    ),
    (
        "list",
        "eventName:\n            - B\n            - A",
        '_text(event.deep_get("eventName")) in {"a", "b"}',
    ),
    ("null", "errorCode: null", 'event.deep_get("errorCode") is None'),
    ("exists", "errorCode|exists: true", 'event.deep_get("errorCode") is not None'),
    ("not exists", "errorCode|exists: false", 'event.deep_get("errorCode") is None'),
    ("wildcard", "userAgent: 'aws-cli/*'", '_wildcard(event.deep_get("userAgent"), "aws-cli/.*")'),
    (
        "regex",
        "userAgent|re: '^Boto3/1\\.'",
        '_regex(event.deep_get("userAgent"), "^Boto3/1\\\\.")',
    ),
    ("regex flag", "userAgent|re|i: 'boto3'", '_regex(event.deep_get("userAgent"), "(?i)boto3")'),
    ("number", "eventVersion: 1", '_text(event.deep_get("eventVersion")) == "1"'),
    ("bool", "readOnly: false", 'event.deep_get("readOnly") is False'),
    (
        "fieldref",
        "recipientAccountId|fieldref: userIdentity.accountId",
        '_same_text(event.deep_get("recipientAccountId"), event.deep_get("userIdentity", "accountId"))',
    ),
    ("quote", "eventName: 'a\"b'", '_text(event.deep_get("eventName")) == "a\\"b"'),
]


@pytest.mark.parametrize(
    ("detection", "expected"), [c[1:] for c in CONVERSIONS], ids=[c[0] for c in CONVERSIONS]
)
def test_panther_backend_converts_item(detection: str, expected: str):
    assert convert(f"    selection:\n        {detection}\n    condition: selection\n") == expected


def test_panther_backend_negation_and_or():
    expression = convert("""
    a:
        eventName: A
    b:
        eventName: B
    c:
        awsRegion: us-east-1
    condition: (a or b) and not c
""")
    assert expression == (
        '(_text(event.deep_get("eventName")) in {"a", "b"}) and '
        'not _text(event.deep_get("awsRegion")) == "us-east-1"'
    )


def test_panther_backend_region_comparison():
    expression = convert("""
    filter:
        requestParameters.sourceRegion|fieldref: awsRegion
    condition: not filter
""")
    assert expression == "not _same_text(rds_source_region(event), rds_destination_region(event))"


RUNS = [
    (
        "case-insensitive equality",
        "eventName: copydbsnapshot",
        {"eventName": "CopyDBSnapshot"},
        True,
    ),
    ("missing field is not equal", "errorCode: AccessDenied", {}, False),
    ("null equals a missing field", "errorCode: null", {}, True),
    ("null equals JSON null", "errorCode: null", {"errorCode": None}, True),
    ("null is not an empty string", "errorCode: null", {"errorCode": ""}, False),
    ("empty string matches empty", "errorCode: ''", {"errorCode": ""}, True),
    ("wildcard matches whole value", "userAgent: 'aws-cli*'", {"userAgent": "AWS-CLI/2.13"}, True),
    ("wildcard is anchored", "userAgent: 'cli*'", {"userAgent": "aws-cli/2"}, False),
    ("wildcard dot is literal", "userAgent: 'a.c*'", {"userAgent": "abc"}, False),
    ("regex is case-sensitive", "userAgent|re: 'boto3'", {"userAgent": "Boto3/1.2"}, False),
    ("regex searches anywhere", "userAgent|re: 'to3'", {"userAgent": "Boto3/1.2"}, True),
    ("keys are case-insensitive", "eventName: X", {"EventName": "x"}, True),
    ("dict value is not text", "requestParameters: x", {"requestParameters": {"a": "x"}}, False),
    ("number matches text", "eventVersion: 1", {"eventVersion": "1"}, True),
    ("bool is not the text", "readOnly: true", {"readOnly": "true"}, False),
]


@pytest.mark.parametrize(
    ("detection", "record", "expected"), [r[1:] for r in RUNS], ids=[r[0] for r in RUNS]
)
def test_panther_backend_semantics(detection: str, record: dict, expected: bool):
    expression = convert(f"    selection:\n        {detection}\n    condition: selection\n")
    assert run_rule(module(expression), record) is expected


UNSUPPORTED = [
    ("cidr", "sourceIPAddress|cidr: 192.0.2.0/24", "'cidr' modifier on field 'sourceIPAddress'"),
    ("compare", "eventVersion|gt: 1", "numeric comparison"),
    ("cased", "eventName|cased: CopyDBSnapshot", "'cased' modifier"),
    (
        "fieldref startswith",
        "userAgent|fieldref|startswith: eventName",
        "field reference with startswith",
    ),
]


@pytest.mark.parametrize(
    ("detection", "message"), [u[1:] for u in UNSUPPORTED], ids=[u[0] for u in UNSUPPORTED]
)
def test_panther_backend_rejects_construct(detection: str, message: str):
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match="Panther Python") as caught:
        convert(f"    selection:\n        {detection}\n    condition: selection\n")
    assert message in str(caught.value)


def test_panther_backend_rejects_keywords():
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match="keyword"):
        convert("    keywords:\n        - CopyDBSnapshot\n    condition: keywords\n")


def test_panther_backend_rejects_other_logsource():
    rule = SigmaCollection.from_yaml(
        HEADER.replace("service: cloudtrail", "service: s3")
        + ("    selection:\n        eventName: x\n    condition: selection\n")
    )
    backend = PantherPythonBackend(processing_pipeline=cloudtrail_panther_pipeline())
    with pytest.raises(Exception, match="only converts rules with 'logsource: product: aws"):
        backend.convert(rule)


def test_python_string_round_trips():
    for text in ['a"b', "back\\slash", "new\nline", "ünï", "{x}"]:
        assert eval(python_string(text)) == text


def test_helpers_used_lists_called_helpers():
    used = helpers_used('_wildcard(event.deep_get("a"), "x")')
    assert used == [HELPERS_SOURCE["_text"], HELPERS_SOURCE["_wildcard"]]
