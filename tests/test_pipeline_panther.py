"""The Panther pipeline and the Python functions that define the derived region fields."""

from __future__ import annotations

import types

import pytest
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaTransformationError
from sigma.pipelines.cloudtrail import cloudtrail_panther_pipeline, pipelines
from sigma.pipelines.cloudtrail.panther import DERIVED_FIELD_CALLS, region_functions_source

from converters.panther_backend import HELPERS_SOURCE, PantherPythonBackend
from converters.panther_event import PantherEventStub

ARN = "arn:aws:rds:{region}:123456789012:snapshot:orders"


@pytest.fixture(scope="module")
def regions() -> types.SimpleNamespace:
    namespace: dict = {}
    exec("import re\n" + region_functions_source() + HELPERS_SOURCE["_text"], namespace)  # noqa: S102
    return types.SimpleNamespace(**namespace)


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
            "awsRegion": "us-east-1",
            "requestParameters": {"sourceDBSnapshotIdentifier": ARN.format(region="US-EAST-1")},
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
        "name holds region",
        {
            "awsRegion": "us-west-2",
            "requestParameters": {"sourceDBSnapshotIdentifier": "copy-from-us-east-1"},
        },
        "us-west-2",
        "us-west-2",
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
    ("no destination", {"requestParameters": {"sourceRegion": "us-east-1"}}, "us-east-1", None),
    (
        "non-string arn",
        {"awsRegion": "us-east-1", "requestParameters": {"sourceDBSnapshotIdentifier": 5}},
        "us-east-1",
        "us-east-1",
    ),
]


@pytest.mark.parametrize(
    ("record", "source", "destination"),
    [c[1:] for c in REGION_CASES],
    ids=[c[0] for c in REGION_CASES],
)
def test_panther_region_functions_derive_regions(
    regions, record: dict, source: str, destination: str | None
):
    event = PantherEventStub(record)
    assert regions.rds_source_region(event) == source
    assert regions.rds_destination_region(event) == destination


def test_panther_region_calls_name_functions(regions):
    for name, call in DERIVED_FIELD_CALLS.items():
        assert call == f"{name}(event)"
        assert callable(getattr(regions, name))


def test_panther_pipeline_is_registered():
    assert pipelines["cloudtrail_panther"] is cloudtrail_panther_pipeline


def test_panther_pipeline_rejects_exists_false():
    rule = SigmaCollection.from_yaml("""
title: Test
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        requestParameters.sourceRegion|exists: false
    condition: selection
""")
    backend = PantherPythonBackend(processing_pipeline=cloudtrail_panther_pipeline())
    with pytest.raises(SigmaTransformationError, match="exists: false"):
        backend.convert(rule)
