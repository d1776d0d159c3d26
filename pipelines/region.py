"""Rewrite the rule's region comparison into a comparison of derived fields.

CloudTrail records a cross-region RDS snapshot copy in the destination region
(``awsRegion``). Real clients send no ``sourceRegion`` request parameter (the AWS SDKs
and CLI turn that option into a pre-signed URL and drop it), so the source region is
normally only visible as the region field of the source snapshot ARN.

A rule states the comparison in plain Sigma::

    selection_regions_known:
        requestParameters.sourceRegion|exists: true
    filter_main_same_region:
        requestParameters.sourceRegion|fieldref: awsRegion

The transformations here give ``requestParameters.sourceRegion`` in those two forms the
meaning "the copy's source region, from any of SOURCE_REGION_CANDIDATES". The target
pipeline then defines two derived fields, DERIVED_SOURCE_REGION and
DERIVED_DESTINATION_REGION, in the target's own query language:

- DERIVED_DESTINATION_REGION is ``awsRegion`` in lower case;
- DERIVED_SOURCE_REGION is the first known candidate, in lower case, that differs from
  the destination, and the destination itself when no known candidate differs. A
  candidate is known when it is present and not empty: the Elastic integration drops
  empty values and KQL reads a missing string column as empty, so every target treats
  an empty string as unknown.

So "source equals destination" is true exactly when every known source region equals
``awsRegion`` (case-insensitively), and "not equal" is true exactly when at least one
known source region differs. Other uses of ``requestParameters.sourceRegion`` keep
their raw meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sigma.conditions import ConditionOR
from sigma.exceptions import SigmaTransformationError
from sigma.processing.transformations.base import DetectionItemTransformation
from sigma.rule import SigmaDetection, SigmaDetectionItem
from sigma.types import SigmaExists, SigmaFieldReference

SOURCE_REGION_FIELD = "requestParameters.sourceRegion"
DESTINATION_REGION_FIELD = "awsRegion"
DERIVED_SOURCE_REGION = "rds_source_region"
DERIVED_DESTINATION_REGION = "rds_destination_region"

# Identifiers of the processing items that rewrite the comparison and the existence test.
REGION_COMPARISON_ITEM_ID = "cloudtrail_rds_region_comparison"
REGION_EXISTS_ITEM_ID = "cloudtrail_rds_region_exists"


@dataclass(frozen=True)
class SourceRegionCandidate:
    """A CloudTrail field that can name the source region of a snapshot copy."""

    field: str
    # "arn": the field contains an RDS ARN, arn:PARTITION:rds:REGION:ACCOUNT:..., or a
    # plain snapshot name (same-region copies), which names no region.
    # "region": the field contains a region name.
    kind: Literal["arn", "region"]


SOURCE_REGION_CANDIDATES: tuple[SourceRegionCandidate, ...] = (
    SourceRegionCandidate("requestParameters.sourceDBSnapshotIdentifier", "arn"),
    SourceRegionCandidate("requestParameters.sourceDBClusterSnapshotIdentifier", "arn"),
    SourceRegionCandidate("requestParameters.sourceRegion", "region"),
    SourceRegionCandidate("responseElements.sourceRegion", "region"),
)

# An RDS ARN: arn:PARTITION:rds:REGION:... with a non-empty region field. Partitions
# include aws, aws-cn and aws-us-gov; none contains a colon.
RDS_ARN_PATTERN = "^arn:[^:]+:rds:[^:]+:"
# Index of the region in the ARN split on ":" (arn, partition, service, region).
ARN_REGION_INDEX = 3


def _is_source_region_item(item: SigmaDetectionItem) -> bool:
    return item.field == SOURCE_REGION_FIELD


@dataclass
class SourceRegionExistsTransformation(DetectionItemTransformation):
    """Read ``requestParameters.sourceRegion|exists: true`` as "a source region candidate exists".

    The result is an OR of existence tests over SOURCE_REGION_CANDIDATES. It is a
    necessary condition only: a candidate may hold a plain snapshot name, which names
    no region. The comparison of the derived fields makes the final decision.
    """

    def apply_detection_item(
        self, detection_item: SigmaDetectionItem
    ) -> SigmaDetection | SigmaDetectionItem | None:
        if not _is_source_region_item(detection_item):
            return None
        values = detection_item.value
        if len(values) != 1 or not isinstance(values[0], SigmaExists):
            return None
        if not values[0].exists:
            raise SigmaTransformationError(
                f"'{SOURCE_REGION_FIELD}|exists: false' is not supported by the CloudTrail "
                "pipelines: the copy's source region is derived from several fields, and a "
                "missing request parameter does not mean an unknown source region. "
                "Write the rule with 'exists: true' and a negated filter instead.",
                source=detection_item.source,
            )
        return SigmaDetection(
            [
                SigmaDetectionItem(candidate.field, [], [SigmaExists(True)])
                for candidate in SOURCE_REGION_CANDIDATES
            ],
            item_linking=ConditionOR,
        )


@dataclass
class SourceRegionComparisonTransformation(DetectionItemTransformation):
    """Rewrite ``requestParameters.sourceRegion|fieldref: awsRegion`` to the derived fields."""

    def apply_detection_item(
        self, detection_item: SigmaDetectionItem
    ) -> SigmaDetection | SigmaDetectionItem | None:
        if not _is_source_region_item(detection_item):
            return None
        references = [v for v in detection_item.value if isinstance(v, SigmaFieldReference)]
        if not references:
            return None
        for reference in references:
            _check_reference(reference, detection_item)
        if len(references) != len(detection_item.value):
            raise SigmaTransformationError(
                f"'{SOURCE_REGION_FIELD}' mixes a field reference with plain values in one "
                "detection item. Put the field reference in a detection item of its own.",
                source=detection_item.source,
            )
        detection_item.field = DERIVED_SOURCE_REGION
        detection_item.value = [SigmaFieldReference(DERIVED_DESTINATION_REGION)]
        return detection_item


def _check_reference(reference: SigmaFieldReference, item: SigmaDetectionItem) -> None:
    if reference.field != DESTINATION_REGION_FIELD:
        raise SigmaTransformationError(
            f"'{SOURCE_REGION_FIELD}|fieldref: {reference.field}' is not supported by the "
            f"CloudTrail pipelines: the derived source region can only be compared with "
            f"'{DESTINATION_REGION_FIELD}'.",
            source=item.source,
        )
    if reference.starts_with or reference.ends_with:
        raise SigmaTransformationError(
            f"'{SOURCE_REGION_FIELD}' compared with 'startswith' or 'endswith' of a field "
            "reference is not supported: region names are compared whole.",
            source=item.source,
        )
