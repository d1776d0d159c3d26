"""Processing pipelines for SQL over raw CloudTrail records: DuckDB and Spark SQL.

Both pipelines go with pySigma-backend-databricks, whose output is a WHERE expression
that compares strings case-insensitively through ``lower()`` and reads dotted field
names such as ``requestParameters.sourceRegion`` as struct field access. The engine that
runs the query provides a table (CLOUDTRAIL_TABLE by default) with one row per record
and one column per top-level CloudTrail field the query reads, nested fields as structs
of strings.

The postprocessing wraps the backend's WHERE expression into a query that first defines
the derived region fields of ``region.py`` in common table expressions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sigma.correlations import SigmaCorrelationRule
from sigma.processing.pipeline import ProcessingPipeline, QueryPostprocessingItem
from sigma.processing.postprocessing import QueryPostprocessingTransformation
from sigma.rule import SigmaRule

from .common import cloudtrail_region_items, reject_other_logsources
from .region import (
    ARN_REGION_INDEX,
    DERIVED_DESTINATION_REGION,
    DERIVED_SOURCE_REGION,
    DESTINATION_REGION_FIELD,
    RDS_ARN_PATTERN,
    SOURCE_REGION_CANDIDATES,
    SourceRegionCandidate,
)

CLOUDTRAIL_TABLE = "cloudtrail"
SQL_BACKEND = "databricks"


@dataclass(frozen=True)
class SqlDialect:
    """The SQL spellings that differ between the engines."""

    name: str
    # Format string with {value} and {pattern}: true when the regular expression matches
    # anywhere in value, null when value is null.
    regex_match: str


SQL_DIALECTS: dict[str, SqlDialect] = {
    "duckdb": SqlDialect("duckdb", "regexp_matches({value}, '{pattern}')"),
    "spark": SqlDialect("spark", "{value} RLIKE '{pattern}'"),
}


def _field(dialect: SqlDialect, field: str) -> str:
    # Dotted names are struct paths, as in the backend's output. Each part is quoted, so
    # that a name that is also an SQL keyword still reads as a column.
    quote = "`" if dialect.name == "spark" else '"'
    return ".".join(quote + part.replace(quote, quote * 2) + quote for part in field.split("."))


def _candidate_expression(dialect: SqlDialect, candidate: SourceRegionCandidate) -> str:
    value = _field(dialect, candidate.field)
    if candidate.kind == "region":
        return f"lower({value})"
    matches = dialect.regex_match.format(value=value, pattern=RDS_ARN_PATTERN)
    # split_part counts parts from 1 and returns '' past the last part, so Spark 4's
    # ANSI mode raises no index error. The pattern already guarantees a region part.
    region = f"lower(split_part({value}, ':', {ARN_REGION_INDEX + 1}))"
    return f"CASE WHEN {matches} THEN {region} END"


def region_common_table_expressions(dialect: SqlDialect, table: str = CLOUDTRAIL_TABLE) -> str:
    """Return the WITH clause that defines the derived region fields over table."""
    names = [f"rds_region_{i}" for i in range(1, len(SOURCE_REGION_CANDIDATES) + 1)]
    destination = (
        f"lower({_field(dialect, DESTINATION_REGION_FIELD)}) AS {DERIVED_DESTINATION_REGION}"
    )
    candidates = [
        f"{_candidate_expression(dialect, candidate)} AS {name}"
        for name, candidate in zip(names, SOURCE_REGION_CANDIDATES, strict=True)
    ]
    branches = [
        # A candidate is known when it is present and not empty (region.py).
        f"WHEN {name} IS NOT NULL AND {name} <> '' AND {name} <> {DERIVED_DESTINATION_REGION} "
        f"THEN {name}"
        for name in names
    ]
    return (
        "WITH rds_region_candidates AS (\n"
        f"  SELECT *, {destination},\n    " + ",\n    ".join(candidates) + f"\n  FROM {table}\n"
        "), rds_regions AS (\n"
        "  SELECT *, CASE "
        + " ".join(branches)
        + f" ELSE {DERIVED_DESTINATION_REGION} END AS {DERIVED_SOURCE_REGION}\n"
        "  FROM rds_region_candidates\n"
        ")\n"
    )


@dataclass
class WrapSqlQueryTransformation(QueryPostprocessingTransformation):
    """Turn the backend's WHERE expression into a full query over the CloudTrail table.

    When the expression compares the derived region fields, the query reads them from
    common table expressions that define them; otherwise it reads the table directly.
    """

    dialect: str = "duckdb"
    table: str = CLOUDTRAIL_TABLE

    def apply(self, rule: SigmaRule | SigmaCorrelationRule, query: str) -> str:
        super().apply(rule, query)
        if DERIVED_SOURCE_REGION not in query and DERIVED_DESTINATION_REGION not in query:
            return f"SELECT * FROM {self.table}\nWHERE {query}"
        prefix = region_common_table_expressions(SQL_DIALECTS[self.dialect], self.table)
        return f"{prefix}SELECT * FROM rds_regions\nWHERE {query}"


def _sql_pipeline(dialect: str, target: str, table: str) -> ProcessingPipeline:
    return ProcessingPipeline(
        name=f"CloudTrail RDS region comparison for {target} over raw CloudTrail records",
        priority=20,
        allowed_backends=frozenset({SQL_BACKEND}),
        items=[reject_other_logsources(target), *cloudtrail_region_items()],
        postprocessing_items=[
            QueryPostprocessingItem(
                identifier=f"cloudtrail_{dialect}_wrap_query",
                transformation=WrapSqlQueryTransformation(dialect=dialect, table=table),
            )
        ],
    )


def cloudtrail_duckdb_pipeline(table: str = CLOUDTRAIL_TABLE) -> ProcessingPipeline:
    """Build the pipeline for DuckDB SQL over raw CloudTrail records."""
    return _sql_pipeline("duckdb", "DuckDB", table)


def cloudtrail_spark_pipeline(table: str = CLOUDTRAIL_TABLE) -> ProcessingPipeline:
    """Build the pipeline for Spark SQL over raw CloudTrail records."""
    return _sql_pipeline("spark", "Spark SQL", table)
