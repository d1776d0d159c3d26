"""Processing pipelines for ES|QL: raw CloudTrail JSON and the Elastic AWS integration (ECS).

The stock ES|QL backend emits ``from INDEX metadata _id, _index, _version | where ...``. The
pipelines rewrite the rule so that the WHERE has Sigma's meaning (case-insensitive strings,
negations that match missing fields, the derived region fields), and a postprocessing step
inserts the commands that define the derived and extracted columns before the WHERE.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaConfigurationError, SigmaConversionError
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline, QueryPostprocessingItem
from sigma.processing.postprocessing import QueryPostprocessingTransformation
from sigma.processing.transformations import SetStateTransformation
from sigma.rule import SigmaRule

from .common import cloudtrail_region_items, reject_other_logsources
from .ecs import MAP_STRING_SOURCES, ecs_field, extracted_column, grok_command
from .esql_items import (
    LOWER_FUNCTION,
    CaseInsensitiveMatchTransformation,
    FieldRenameTransformation,
    NegatedNullGuardTransformation,
)
from .region import (
    ARN_REGION_INDEX,
    DERIVED_DESTINATION_REGION,
    DERIVED_SOURCE_REGION,
    DESTINATION_REGION_FIELD,
    RDS_ARN_PATTERN,
    SOURCE_REGION_CANDIDATES,
)

DEFAULT_RAW_INDEX = "cloudtrail-*"
# The data stream of the Elastic AWS integration's CloudTrail logs.
DEFAULT_ECS_INDEX = "logs-aws.cloudtrail-*"

# Characters of Elasticsearch index names and patterns (lower case; * wildcards; a leading
# - excludes; cluster:index for cross-cluster search), comma-separated.
INDEX_PATTERN = re.compile(r"^[a-z0-9_.*:+-]+(,[a-z0-9_.*:+-]+)*$")

# ES|QL RLIKE matches the whole value, so the ARN prefix pattern needs a trailing ".*".
ARN_RLIKE = RDS_ARN_PATTERN.removeprefix("^") + ".*"

PLAIN_FIELD = re.compile(r"^[A-Za-z_@][\w.@]*$")
PLACEHOLDER = re.compile(rf"`{LOWER_FUNCTION}\(([^`]+)\)`")
EXTRACTED_REFERENCE = re.compile(
    r"(?<![\w.`])(?:"
    + "|".join(re.escape(s.column_prefix) for s in MAP_STRING_SOURCES)
    + r")[A-Za-z][A-Za-z0-9_]*(?![\w.])"
)


def quote_field(name: str) -> str:
    """Quote a field name for ES|QL: backticks unless it is a plain dotted identifier."""
    if PLAIN_FIELD.match(name):
        return name
    return "`" + name.replace("`", "``") + "`"


def check_index(index: str) -> str:
    """Return the index pattern, or raise when it cannot be an ES|QL FROM source."""
    if not INDEX_PATTERN.match(index):
        raise SigmaConfigurationError(
            f"Invalid Elasticsearch index pattern '{index}': use lower-case letters, digits and "
            "_ . * : + -, with commas between patterns, for example 'logs-aws.cloudtrail-*'."
        )
    return index


def _candidate_expression(column: str, kind: str) -> str:
    if kind == "region":
        return f"to_lower({column})"
    region = f'to_lower(mv_slice(split({column}, ":"), {ARN_REGION_INDEX}, {ARN_REGION_INDEX}))'
    return f'case({column} rlike "{ARN_RLIKE}", {region}, null)'


def region_eval_commands(field_name: Callable[[str], str] = lambda name: name) -> str:
    """Return the ES|QL EVAL commands that define the derived region fields.

    field_name maps a raw CloudTrail field to its column in the target data.
    """
    names = [f"rds_region_{i}" for i in range(1, len(SOURCE_REGION_CANDIDATES) + 1)]
    destination = quote_field(field_name(DESTINATION_REGION_FIELD))
    assignments = [f"{DERIVED_DESTINATION_REGION} = to_lower({destination})"]
    assignments += [
        f"{name} = {_candidate_expression(quote_field(field_name(c.field)), c.kind)}"
        for name, c in zip(names, SOURCE_REGION_CANDIDATES, strict=True)
    ]
    branches = [
        f'{name} is not null and {name} != "" and {name} != {DERIVED_DESTINATION_REGION}, {name}'
        for name in names
    ]
    branches.append(DERIVED_DESTINATION_REGION)
    return (
        "| eval " + ", ".join(assignments) + "\n"
        f"| eval {DERIVED_SOURCE_REGION} = case(" + ", ".join(branches) + ")"
    )


def _unquote_placeholder(match: re.Match[str]) -> str:
    return f"{LOWER_FUNCTION}({quote_field(match.group(1))})"


@dataclass
class InsertEsqlCommandsTransformation(QueryPostprocessingTransformation):
    """Insert the GROK and EVAL commands that define the WHERE's columns, one command a line."""

    ecs: bool = False

    def apply(self, rule: SigmaRule | SigmaCorrelationRule, query: str) -> str:
        super().apply(rule, query)
        if not isinstance(query, str):
            raise SigmaConversionError(
                "The CloudTrail ES|QL pipelines support only the default output format (plain "
                "ES|QL). Run 'make elastic' for Kibana detection rules."
            )
        source, separator, condition = query.partition(" | where ")
        if not separator or not source.startswith("from "):
            raise SigmaConversionError(
                "Expected 'from ... | where ...' from the ES|QL backend, got "
                f"'{query[:80]}'. The backend output has changed; check the pinned backend version."
            )
        condition = PLACEHOLDER.sub(_unquote_placeholder, condition)
        commands = [source, *self._prelude(condition), f"| where {condition}"]
        return "\n".join(commands)

    def _prelude(self, condition: str) -> list[str]:
        needs_region = DERIVED_SOURCE_REGION in condition
        if not self.ecs:
            return [region_eval_commands()] if needs_region else []
        columns = [m.group(0) for m in EXTRACTED_REFERENCE.finditer(condition)]
        if needs_region:
            columns = [ecs_field(c.field) for c in SOURCE_REGION_CANDIDATES] + columns
        commands = []
        for column in dict.fromkeys(columns):
            extracted = extracted_column(_raw_name(column))
            if extracted is not None:
                commands.append(grok_command(extracted))
        if needs_region:
            commands.append(region_eval_commands(ecs_field))
        return commands


def _raw_name(column: str) -> str:
    for source in MAP_STRING_SOURCES:
        if column.startswith(source.column_prefix):
            return source.raw_prefix + column.removeprefix(source.column_prefix)
    return column


def _semantics_items(rename: Callable[[str], str] | None) -> list[ProcessingItem]:
    items = []
    if rename is not None:
        items.append(
            ProcessingItem(
                identifier="cloudtrail_esql_ecs_fields",
                transformation=FieldRenameTransformation(rename=rename),
            )
        )
    items += [
        ProcessingItem(
            identifier="cloudtrail_esql_negated_null_guard",
            transformation=NegatedNullGuardTransformation(),
        ),
        ProcessingItem(
            identifier="cloudtrail_esql_case_insensitive",
            transformation=CaseInsensitiveMatchTransformation(),
        ),
    ]
    return items


def _pipeline(name: str, index: str, ecs: bool) -> ProcessingPipeline:
    items = [
        reject_other_logsources("ES|QL"),
        *cloudtrail_region_items(),
        *_semantics_items(ecs_field if ecs else None),
        ProcessingItem(
            identifier="cloudtrail_esql_index",
            transformation=SetStateTransformation("index", check_index(index)),
        ),
    ]
    return ProcessingPipeline(
        name=name,
        priority=20,
        allowed_backends=frozenset({"esql"}),
        items=items,
        postprocessing_items=[
            QueryPostprocessingItem(
                identifier="cloudtrail_esql_commands",
                transformation=InsertEsqlCommandsTransformation(ecs=ecs),
            )
        ],
    )


def cloudtrail_esql_pipeline(index: str = DEFAULT_RAW_INDEX) -> ProcessingPipeline:
    """Build the ES|QL pipeline for raw CloudTrail JSON documents."""
    return _pipeline("CloudTrail RDS region comparison for ES|QL (raw CloudTrail JSON)", index, False)


def cloudtrail_ecs_esql_pipeline(index: str = DEFAULT_ECS_INDEX) -> ProcessingPipeline:
    """Build the ES|QL pipeline for the Elastic AWS integration's CloudTrail data stream."""
    return _pipeline("CloudTrail RDS region comparison for ES|QL (Elastic AWS integration)", index, True)
