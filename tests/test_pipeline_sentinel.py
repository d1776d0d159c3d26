"""The Sentinel pipeline: AWSCloudTrail field mapping and the KQL that defines the derived regions."""

from __future__ import annotations

import pytest
from sigma.exceptions import SigmaTransformationError
from sigma.pipelines.cloudtrail import cloudtrail_sentinel_pipeline, pipelines
from sigma.pipelines.cloudtrail.sentinel import (
    TABLE,
    field_expression,
    json_path_expression,
    region_extend_commands,
)

from converters.evaluators.kql import parse_kql

ARN = "arn:aws:rds:{region}:123456789012:snapshot:orders"
BASE = {"eventSource": "rds.amazonaws.com", "eventName": "CopyDBSnapshot"}

FIELDS = [
    ("column", "awsRegion", "AWSRegion"),
    ("identity column", "userIdentity.principalId", "UserIdentityPrincipalid"),
    ("session issuer", "userIdentity.sessionContext.sessionIssuer.arn", "SessionIssuerArn"),
    (
        "request parameter",
        "requestParameters.sourceRegion",
        "tostring(parse_json(RequestParameters).sourceRegion)",
    ),
    ("nested response", "responseElements.a.b", "tostring(parse_json(ResponseElements).a.b)"),
    ("derived field", "rds_source_region", "rds_source_region"),
]


@pytest.mark.parametrize(("field", "expected"), [f[1:] for f in FIELDS], ids=[f[0] for f in FIELDS])
def test_sentinel_field_expression_maps(field: str, expected: str):
    assert field_expression(field) == expected


@pytest.mark.parametrize(
    "field", ["userIdentity.sessionContext", "requestParameters", "requestParameters..x", "other"]
)
def test_sentinel_field_expression_rejects(field: str):
    with pytest.raises(
        SigmaTransformationError,
        match=f"The field '{field}' has no column in the Sentinel AWSCloudTrail",
    ):
        field_expression(field)


def test_sentinel_json_path_quotes_keys():
    assert json_path_expression("RequestParameters", ["x-y", "it's"]) == (
        "tostring(parse_json(RequestParameters)['x-y']['it\\'s'])"
    )


REGION_CASES = [
    (
        "arn only",
        {
            "awsRegion": "eu-west-1",
            "requestParameters": {"sourceDBSnapshotIdentifier": ARN.format(region="us-east-1")},
        },
        "us-east-1",
        "eu-west-1",
    ),
    (
        "cluster arn",
        {
            "awsRegion": "eu-west-1",
            "requestParameters": {
                "sourceDBClusterSnapshotIdentifier": "arn:aws-cn:rds:cn-north-1:123456789012:cluster-snapshot:x"
            },
        },
        "cn-north-1",
        "eu-west-1",
    ),
    (
        "same region arn",
        {
            "awsRegion": "us-east-1",
            "requestParameters": {"sourceDBSnapshotIdentifier": ARN.format(region="us-east-1")},
        },
        "us-east-1",
        "us-east-1",
    ),
    (
        "upper case arn",
        {
            "awsRegion": "US-EAST-1",
            "requestParameters": {"sourceDBSnapshotIdentifier": ARN.format(region="us-east-1")},
        },
        "us-east-1",
        "us-east-1",
    ),
    (
        "plain name",
        {"awsRegion": "us-east-1", "requestParameters": {"sourceDBSnapshotIdentifier": "orders"}},
        "us-east-1",
        "us-east-1",
    ),
    (
        "not an rds arn",
        {
            "awsRegion": "us-west-2",
            "requestParameters": {
                "sourceDBSnapshotIdentifier": "arn:aws:ec2:us-east-1:123456789012:snapshot/x"
            },
        },
        "us-west-2",
        "us-west-2",
    ),
    (
        "later candidate differs",
        {
            "awsRegion": "us-east-1",
            "requestParameters": {
                "sourceDBSnapshotIdentifier": ARN.format(region="us-east-1"),
                "sourceRegion": "us-west-2",
            },
        },
        "us-west-2",
        "us-east-1",
    ),
    (
        "response only",
        {"awsRegion": "us-east-1", "responseElements": {"sourceRegion": "EU-WEST-3"}},
        "eu-west-3",
        "us-east-1",
    ),
    (
        "empty region unknown",
        {"awsRegion": "us-east-1", "requestParameters": {"sourceRegion": ""}},
        "us-east-1",
        "us-east-1",
    ),
]


@pytest.mark.parametrize(
    ("record", "source", "destination"),
    [c[1:] for c in REGION_CASES],
    ids=[c[0] for c in REGION_CASES],
)
def test_sentinel_region_extend_derives_regions(record: dict, source: str, destination: str):
    query = parse_kql(
        f"{TABLE}\n{region_extend_commands()}\n| project rds_source_region, rds_destination_region"
    )
    assert query.rows(BASE | record) == [
        {"rds_source_region": source, "rds_destination_region": destination}
    ]


def test_sentinel_region_extend_drops_helpers():
    query = parse_kql(f"{TABLE}\n{region_extend_commands()}")
    columns = set(query.rows(BASE)[0])
    assert not {name for name in columns if name.startswith("rds_region_")}


def test_sentinel_pipeline_is_registered():
    assert pipelines["cloudtrail_sentinel"] is cloudtrail_sentinel_pipeline
