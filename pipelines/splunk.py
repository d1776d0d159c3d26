"""Processing pipeline for Splunk searches over the Splunk Add-on for AWS (raw CloudTrail)."""

from __future__ import annotations

from dataclasses import dataclass

from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaTransformationError
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline, QueryPostprocessingItem
from sigma.processing.postprocessing import QueryPostprocessingTransformation
from sigma.processing.transformations import AddConditionTransformation
from sigma.rule import SigmaRule

from .common import cloudtrail_region_items, reject_other_logsources
from .deferred import RejectMisplacedDeferredTransformation
from .region import (
    ARN_REGION_INDEX,
    DERIVED_DESTINATION_REGION,
    DERIVED_SOURCE_REGION,
    DESTINATION_REGION_FIELD,
    RDS_ARN_PATTERN,
    SOURCE_REGION_CANDIDATES,
    SourceRegionCandidate,
)

# The Splunk Add-on for AWS indexes CloudTrail under this source type.
DEFAULT_SOURCETYPE = "aws:cloudtrail"


def _quote_field(field: str) -> str:
    # In eval and where, a field name with dots must be in single quotes; double
    # quotes would make it a string literal.
    return "'" + field.replace("'", "\\'") + "'"


def _candidate_expression(candidate: SourceRegionCandidate) -> str:
    field = _quote_field(candidate.field)
    if candidate.kind == "region":
        return f"lower({field})"
    region = f'lower(mvindex(split({field}, ":"), {ARN_REGION_INDEX}))'
    return f'if(match({field}, "{RDS_ARN_PATTERN}"), {region}, null())'


def region_eval_commands() -> str:
    """Return the SPL commands that define the derived region fields."""
    candidates = [f"rds_region_{i}" for i in range(1, len(SOURCE_REGION_CANDIDATES) + 1)]
    assignments = [f"{DERIVED_DESTINATION_REGION}=lower({_quote_field(DESTINATION_REGION_FIELD)})"]
    assignments += [
        f"{name}={_candidate_expression(candidate)}"
        for name, candidate in zip(candidates, SOURCE_REGION_CANDIDATES, strict=True)
    ]
    branches = [
        f'isnotnull({name}) AND {name}!="" AND {name}!={DERIVED_DESTINATION_REGION}, {name}'
        for name in candidates
    ]
    branches.append(f"true(), {DERIVED_DESTINATION_REGION}")
    return (
        "| eval " + ", ".join(assignments) + "\n"
        f"| eval {DERIVED_SOURCE_REGION}=case(" + ", ".join(branches) + ")"
    )


@dataclass
class InsertRegionEvalTransformation(QueryPostprocessingTransformation):
    """Insert the derived-field ``eval`` commands before the ``where`` that compares them.

    pySigma marks a processing item as applied to every rule it runs on, whether or not
    it changed a detection item, so the derived field names in the query decide.
    """

    def apply(self, rule: SigmaRule | SigmaCorrelationRule, query: str) -> str:
        super().apply(rule, query)
        if f"'{DERIVED_SOURCE_REGION}'" not in query:
            return query
        comparison = f"'{DERIVED_SOURCE_REGION}'='{DERIVED_DESTINATION_REGION}'"
        markers = [f"\n| where {comparison}", f"\n| where NOT {comparison}"]
        positions = [i for marker in markers for i in _find_all(query, marker)]
        if not positions:
            raise SigmaTransformationError(
                f"The Splunk query uses the derived field {DERIVED_SOURCE_REGION} outside a "
                f"'| where' that compares it with {DERIVED_DESTINATION_REGION}, so the eval "
                "that defines it cannot be placed. Check the pinned pySigma Splunk backend "
                "version, or compare the source region only with 'fieldref: awsRegion'."
            )
        # The derived fields are defined once, before the first command that uses them.
        at = min(positions)
        return query[:at] + "\n" + region_eval_commands() + query[at:]


def _find_all(text: str, marker: str) -> list[int]:
    positions, start = [], 0
    while (at := text.find(marker, start)) != -1:
        positions.append(at)
        start = at + 1
    return positions


def cloudtrail_splunk_pipeline(
    sourcetype: str = DEFAULT_SOURCETYPE, index: str | None = None
) -> ProcessingPipeline:
    """Build the pipeline for raw CloudTrail in Splunk (the Splunk Add-on for AWS)."""
    scope = [LogsourceCondition(product="aws", service="cloudtrail")]
    search_scope: dict[str, int | str | list[str]] = {}
    if index:
        search_scope["index"] = index
    if sourcetype:
        search_scope["sourcetype"] = sourcetype
    items = [
        reject_other_logsources("Splunk"),
        *cloudtrail_region_items(),
    ]
    if search_scope:
        items.append(
            ProcessingItem(
                identifier="cloudtrail_splunk_search_scope",
                transformation=AddConditionTransformation(search_scope),
                rule_conditions=list(scope),
            )
        )
    items.append(
        ProcessingItem(
            identifier="cloudtrail_splunk_reject_misplaced_deferred",
            transformation=RejectMisplacedDeferredTransformation(target="Splunk"),
        )
    )
    return ProcessingPipeline(
        name="CloudTrail RDS region comparison for Splunk (Splunk Add-on for AWS)",
        priority=20,
        allowed_backends=frozenset({"splunk"}),
        items=items,
        postprocessing_items=[
            QueryPostprocessingItem(
                identifier="cloudtrail_splunk_region_eval",
                transformation=InsertRegionEvalTransformation(),
            )
        ],
    )
