"""The DuckDB and Spark SQL pipelines: registration and the derived region fields, run in DuckDB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from sigma.backends.databricks import DatabricksBackend
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaTransformationError
from sigma.pipelines.cloudtrail import pipelines
from sigma.pipelines.cloudtrail.sql import (
    SQL_DIALECTS,
    cloudtrail_duckdb_pipeline,
    cloudtrail_spark_pipeline,
    region_common_table_expressions,
)

from .conftest import RULE_PATH

SIGMA_CLI = Path(sys.executable).parent / "sigma"


def test_sql_pipelines_registered():
    assert pipelines["cloudtrail_duckdb"] is cloudtrail_duckdb_pipeline
    assert pipelines["cloudtrail_spark"] is cloudtrail_spark_pipeline


@pytest.mark.parametrize("pipeline", ["cloudtrail_duckdb", "cloudtrail_spark"])
def test_sigma_cli_converts_with_sql_pipeline(pipeline: str, tmp_path: Path):
    result = subprocess.run(
        [str(SIGMA_CLI), "convert", "-t", "databricks", "-p", pipeline, str(RULE_PATH)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("WITH rds_region_candidates AS (")
    assert "FROM cloudtrail\n" in result.stdout


# (awsRegion, snapshot ARN or name, cluster ARN, request sourceRegion, response sourceRegion)
# -> (rds_destination_region, rds_source_region)
REGION_ROWS = {
    "arn names another region": (
        ("us-west-2", "arn:aws:rds:us-east-1:1:snapshot:s", None, None, None),
        ("us-west-2", "us-east-1"),
    ),
    "arn same region": (
        ("us-east-1", "arn:aws:rds:us-east-1:1:snapshot:s", None, None, None),
        ("us-east-1", "us-east-1"),
    ),
    "plain name": (("us-east-1", "orders", None, None, None), ("us-east-1", "us-east-1")),
    "upper-case arn region": (
        ("us-east-1", "arn:aws:rds:US-EAST-1:1:snapshot:s", None, None, None),
        ("us-east-1", "us-east-1"),
    ),
    "upper-case awsRegion": (
        ("US-WEST-2", "arn:aws:rds:us-east-1:1:snapshot:s", None, None, None),
        ("us-west-2", "us-east-1"),
    ),
    "cluster arn": (
        ("eu-west-1", None, "arn:aws-cn:rds:cn-north-1:1:cluster-snapshot:c", None, None),
        ("eu-west-1", "cn-north-1"),
    ),
    "request differs, arn same": (
        ("us-east-1", "arn:aws:rds:us-east-1:1:snapshot:s", None, "us-west-2", None),
        ("us-east-1", "us-west-2"),
    ),
    "only response differs": (
        ("us-east-1", "orders", None, None, "eu-west-3"),
        ("us-east-1", "eu-west-3"),
    ),
    "arn of another service": (
        ("us-east-1", "arn:aws:ec2:us-west-2:1:snapshot/s", None, None, None),
        ("us-east-1", "us-east-1"),
    ),
    "arn with empty region": (
        ("us-east-1", "arn:aws:rds::1:snapshot:s", None, None, None),
        ("us-east-1", "us-east-1"),
    ),
    "short arn": (("us-east-1", "arn:aws:rds", None, None, None), ("us-east-1", "us-east-1")),
    "no awsRegion": ((None, "arn:aws:rds:us-east-1:1:snapshot:s", None, None, None), (None, None)),
    "empty request region": (("us-east-1", "orders", None, "", None), ("us-east-1", "us-east-1")),
    "empty response region": (("us-east-1", "orders", None, None, ""), ("us-east-1", "us-east-1")),
}


@pytest.mark.parametrize("row", REGION_ROWS.values(), ids=list(REGION_ROWS))
def test_region_fields_defined_in_duckdb(row):
    values, expected = row
    table = (
        "(SELECT $1::VARCHAR AS awsRegion, "
        "struct_pack(sourceDBSnapshotIdentifier := $2::VARCHAR, sourceDBClusterSnapshotIdentifier := $3::VARCHAR, "
        "sourceRegion := $4::VARCHAR) AS requestParameters, "
        "struct_pack(sourceRegion := $5::VARCHAR) AS responseElements)"
    )
    ctes = region_common_table_expressions(SQL_DIALECTS["duckdb"], table)
    rows = duckdb.execute(
        ctes + "SELECT rds_destination_region, rds_source_region FROM rds_regions", list(values)
    ).fetchall()
    assert rows == [expected]


def test_spark_dialect_uses_rlike_and_backticks():
    ctes = region_common_table_expressions(SQL_DIALECTS["spark"])
    assert "`requestParameters`.`sourceDBSnapshotIdentifier` RLIKE '^arn:[^:]+:rds:[^:]+:'" in ctes
    assert "split_part(" in ctes


def test_sql_pipeline_without_region_comparison():
    rule = SigmaCollection.from_yaml(
        "title: t\nlogsource:\n    product: aws\n    service: cloudtrail\n"
        "detection:\n    sel:\n        eventName: DeleteTrail\n    condition: sel\n"
    )
    query = DatabricksBackend(processing_pipeline=cloudtrail_duckdb_pipeline()).convert(rule)[0]
    assert query == "SELECT * FROM cloudtrail\nWHERE lower(eventName) = lower('DeleteTrail')"


def test_sql_pipeline_rejects_other_logsource():
    rule = SigmaCollection.from_yaml(
        "title: t\nlogsource:\n    product: windows\n    category: process_creation\n"
        "detection:\n    sel:\n        Image: x\n    condition: sel\n"
    )
    with pytest.raises(
        SigmaTransformationError, match="only converts rules with 'logsource: product: aws"
    ):
        DatabricksBackend(processing_pipeline=cloudtrail_spark_pipeline()).convert(rule)
