"""Processing pipeline for Panther Python rules over the AWS.CloudTrail log type.

Panther stores CloudTrail records as they arrive, so field names stay the raw CloudTrail
paths. The pipeline only gives the region comparison its full meaning; the derived
region fields become functions of the generated rule module (region_functions_source).
"""

from __future__ import annotations

from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline

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

PANTHER_LOG_TYPE = "AWS.CloudTrail"

# Python calls that the backend emits for the derived fields. The functions are defined
# by region_functions_source() in the generated rule module.
DERIVED_FIELD_CALLS = {
    DERIVED_SOURCE_REGION: f"{DERIVED_SOURCE_REGION}(event)",
    DERIVED_DESTINATION_REGION: f"{DERIVED_DESTINATION_REGION}(event)",
}


def _deep_get(field: str) -> str:
    keys = ", ".join(f'"{key}"' for key in field.split("."))
    return f"event.deep_get({keys})"


def _candidate_call(candidate: SourceRegionCandidate) -> str:
    if candidate.kind == "arn":
        return f"_arn_region({_deep_get(candidate.field)})"
    return f"_region({_deep_get(candidate.field)})"


def region_functions_source() -> str:
    """Return the Python source of the functions that define the derived region fields."""
    candidates = "".join(f"        {_candidate_call(c)},\n" for c in SOURCE_REGION_CANDIDATES)
    return (
        f'RDS_ARN = re.compile(r"{RDS_ARN_PATTERN}")\n'
        "\n\n"
        f"def {DERIVED_DESTINATION_REGION}(event):\n"
        f"    return _region({_deep_get(DESTINATION_REGION_FIELD)})\n"
        "\n\n"
        f"def {DERIVED_SOURCE_REGION}(event):\n"
        "    # The first known source region that differs from the destination, else the\n"
        "    # destination: the copy crosses regions exactly when one known region differs.\n"
        f"    destination = {DERIVED_DESTINATION_REGION}(event)\n"
        "    candidates = (\n"
        f"{candidates}"
        "    )\n"
        "    for candidate in candidates:\n"
        "        if candidate is not None and candidate != destination:\n"
        "            return candidate\n"
        "    return destination\n"
        "\n\n"
        "def _region(value):\n"
        "    # An empty region is unknown, as in KQL, where a missing string column is empty.\n"
        "    if not isinstance(value, str) or not value:\n"
        "        return None\n"
        "    return value.lower()\n"
        "\n\n"
        "def _arn_region(value):\n"
        "    # A plain snapshot name (same-region copy) names no region.\n"
        "    if not isinstance(value, str) or not RDS_ARN.match(value):\n"
        "        return None\n"
        f'    return value.split(":")[{ARN_REGION_INDEX}].lower()\n'
    )


def cloudtrail_panther_pipeline() -> ProcessingPipeline:
    """Build the pipeline for Panther Python rules over AWS.CloudTrail."""
    items: list[ProcessingItem] = [
        reject_other_logsources("Panther"),
        *cloudtrail_region_items(),
    ]
    return ProcessingPipeline(
        name="CloudTrail RDS region comparison for Panther Python rules (AWS.CloudTrail)",
        priority=20,
        allowed_backends=frozenset({"panther_python"}),
        items=items,
    )
