"""The detection as a user would write it by hand in Python: the benchmark's baseline.

It follows the region contract of the pipelines (a source region that differs from
``awsRegion``, from the snapshot ARN, the request or the response) so that its matches
can be compared with the engines'. It is not used to decide any verdict of the toolkit.
"""

from __future__ import annotations

import re
from typing import Any

EVENT_NAMES = frozenset({"copydbsnapshot", "copydbclustersnapshot"})
SUCCESS_CODES = frozenset({"", "success"})
RDS_ARN = re.compile(r"^arn:[^:]+:rds:[^:]+:")
ARN_FIELDS = ("sourceDBSnapshotIdentifier", "sourceDBClusterSnapshotIdentifier")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _source_regions(record: dict[str, Any]) -> list[str | None]:
    request = record.get("requestParameters") or {}
    response = record.get("responseElements") or {}
    regions: list[str | None] = []
    for field in ARN_FIELDS:
        arn = _text(request.get(field))
        regions.append(arn.split(":")[3].lower() if arn and RDS_ARN.match(arn) else None)
    for container in (request, response):
        region = _text(container.get("sourceRegion"))
        regions.append(region.lower() if region is not None else None)
    return regions


def matches_rule(record: dict[str, Any]) -> bool:
    """Return True when the record is a successful cross-region RDS snapshot copy."""
    if (_text(record.get("eventSource")) or "").lower() != "rds.amazonaws.com":
        return False
    if (_text(record.get("eventName")) or "").lower() not in EVENT_NAMES:
        return False
    error = record.get("errorCode")
    if error is not None and (_text(error) or "x").lower() not in SUCCESS_CODES:
        return False
    destination = _text(record.get("awsRegion"))
    if destination is None:
        return False
    request = record.get("requestParameters") or {}
    response = record.get("responseElements") or {}
    if (
        not any(request.get(f) is not None for f in (*ARN_FIELDS, "sourceRegion"))
        and response.get("sourceRegion") is None
    ):
        return False
    # An empty source region counts as unknown, as on every target.
    return any(region and region != destination.lower() for region in _source_regions(record))
