"""pySigma processing pipelines for AWS CloudTrail rules (installed as sigma.pipelines.cloudtrail)."""

from .esql import cloudtrail_ecs_esql_pipeline, cloudtrail_esql_pipeline
from .panther import cloudtrail_panther_pipeline
from .sentinel import cloudtrail_sentinel_pipeline
from .splunk import cloudtrail_splunk_pipeline
from .sql import cloudtrail_duckdb_pipeline, cloudtrail_spark_pipeline

# sigma-cli discovers pipelines through this mapping; without it, every public
# function of the module would be offered as a pipeline.
pipelines = {
    "cloudtrail_splunk": cloudtrail_splunk_pipeline,
    "cloudtrail_esql": cloudtrail_esql_pipeline,
    "cloudtrail_ecs_esql": cloudtrail_ecs_esql_pipeline,
    "cloudtrail_panther": cloudtrail_panther_pipeline,
    "cloudtrail_sentinel": cloudtrail_sentinel_pipeline,
    "cloudtrail_duckdb": cloudtrail_duckdb_pipeline,
    "cloudtrail_spark": cloudtrail_spark_pipeline,
}

__all__ = [
    "cloudtrail_duckdb_pipeline",
    "cloudtrail_ecs_esql_pipeline",
    "cloudtrail_esql_pipeline",
    "cloudtrail_panther_pipeline",
    "cloudtrail_sentinel_pipeline",
    "cloudtrail_spark_pipeline",
    "cloudtrail_splunk_pipeline",
    "pipelines",
]
