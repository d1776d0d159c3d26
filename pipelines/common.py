"""Processing items shared by every CloudTrail target pipeline."""

from __future__ import annotations

from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem
from sigma.processing.transformations import RuleFailureTransformation

from .region import (
    REGION_COMPARISON_ITEM_ID,
    REGION_EXISTS_ITEM_ID,
    SourceRegionComparisonTransformation,
    SourceRegionExistsTransformation,
)


def reject_other_logsources(target: str) -> ProcessingItem:
    """Fail on rules whose log source is not AWS CloudTrail."""
    return ProcessingItem(
        identifier="cloudtrail_reject_other_logsources",
        transformation=RuleFailureTransformation(
            f"The CloudTrail {target} pipeline only converts rules with 'logsource: product: aws, "
            "service: cloudtrail'. Convert this rule with a pipeline for its own log source."
        ),
        rule_conditions=[LogsourceCondition(product="aws", service="cloudtrail")],
        rule_condition_negation=True,
    )


def cloudtrail_region_items() -> list[ProcessingItem]:
    """Build the items that give the source-region comparison its full meaning."""
    return [
        ProcessingItem(
            identifier=REGION_COMPARISON_ITEM_ID,
            transformation=SourceRegionComparisonTransformation(),
        ),
        ProcessingItem(
            identifier=REGION_EXISTS_ITEM_ID,
            transformation=SourceRegionExistsTransformation(),
        ),
    ]
