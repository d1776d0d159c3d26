"""CloudTrail records converted to rows of Sentinel's AWSCloudTrail table."""

from __future__ import annotations

import json
from datetime import datetime

from converters.evaluators.sentinel_row import ALL_COLUMNS, column_type, sentinel_row

from .conftest import load_cases

RECORD = load_cases()[0].record


def test_sentinel_row_has_every_column():
    assert set(sentinel_row(RECORD)) == set(ALL_COLUMNS)


def test_sentinel_row_top_level_columns():
    row = sentinel_row(RECORD)
    assert row["EventSource"] == "rds.amazonaws.com"
    assert row["EventName"] == "CopyDBSnapshot"
    assert row["AWSRegion"] == "us-west-2"
    assert row["SourceIpAddress"] == "203.0.113.45"
    assert row["RecipientAccountId"] == "123456789012"
    assert row["AwsEventId"] == RECORD["eventID"]
    assert row["EventTypeName"] == "AwsApiCall"


def test_sentinel_row_user_identity_columns():
    row = sentinel_row(RECORD)
    assert row["UserIdentityArn"] == RECORD["userIdentity"]["arn"]
    assert row["UserIdentityType"] == "AssumedRole"
    assert row["UserIdentityPrincipalid"] == RECORD["userIdentity"]["principalId"]


def test_sentinel_row_json_columns_hold_json_text():
    row = sentinel_row(RECORD)
    assert json.loads(row["RequestParameters"]) == RECORD["requestParameters"]
    assert json.loads(row["ResponseElements"]) == RECORD["responseElements"]


def test_sentinel_row_missing_strings_are_empty():
    row = sentinel_row({"eventSource": "rds.amazonaws.com", "eventName": "x", "errorCode": None})
    assert row["ErrorCode"] == ""
    assert row["AWSRegion"] == ""
    assert row["RequestParameters"] == ""
    assert row["ResponseElements"] == ""


def test_sentinel_row_typed_columns():
    row = sentinel_row(
        RECORD | {"userIdentity": {"sessionContext": {"attributes": {"mfaAuthenticated": "true"}}}}
    )
    assert row["ReadOnly"] is False
    assert row["ManagementEvent"] is True
    assert row["SessionMfaAuthenticated"] is True
    assert row["TimeGenerated"] == datetime(2024, 1, 17, 11, 0)


def test_sentinel_row_missing_typed_columns_are_null():
    row = sentinel_row({"eventSource": "s", "eventName": "n", "eventTime": "not a time"})
    assert row["ReadOnly"] is None
    assert row["TimeGenerated"] is None


def test_sentinel_row_column_types():
    assert column_type("ReadOnly") == "BOOLEAN"
    assert column_type("TimeGenerated") == "TIMESTAMP"
    assert column_type("EventName") == "VARCHAR"
    assert column_type("RequestParameters") == "VARCHAR"
