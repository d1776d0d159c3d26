"""pySigma processing pipelines for AWS CloudTrail rules (installed as sigma.pipelines.cloudtrail)."""

from .splunk import cloudtrail_splunk_pipeline
from .sql import cloudtrail_duckdb_pipeline, cloudtrail_spark_pipeline

# sigma-cli discovers pipelines through this mapping; without it, every public
# function of the module would be offered as a pipeline.
pipelines = {
    "cloudtrail_splunk": cloudtrail_splunk_pipeline,
    "cloudtrail_duckdb": cloudtrail_duckdb_pipeline,
    "cloudtrail_spark": cloudtrail_spark_pipeline,
}

__all__ = [
    "cloudtrail_duckdb_pipeline",
    "cloudtrail_spark_pipeline",
    "cloudtrail_splunk_pipeline",
    "pipelines",
]
