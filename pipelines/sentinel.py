"""Processing pipeline for KQL over Microsoft Sentinel's AWSCloudTrail table.

Sentinel's AWS connector flattens each CloudTrail record into columns. Top-level fields
and the userIdentity fields get columns of their own (COLUMNS). requestParameters,
responseElements and the other JSON objects stay JSON strings (JSON_COLUMNS), which a
query reads with ``parse_json``. Column names follow the Azure Monitor table reference
for AWSCloudTrail.
"""

from __future__ import annotations

from dataclasses import dataclass

from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaTransformationError
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline, QueryPostprocessingItem
from sigma.processing.postprocessing import QueryPostprocessingTransformation
from sigma.processing.transformations.base import DetectionItemTransformation
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaFieldReference

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
from .text import split_top_level

TABLE = "AWSCloudTrail"

# CloudTrail field -> AWSCloudTrail column.
COLUMNS = {
    "eventVersion": "EventVersion",
    "eventTime": "TimeGenerated",
    "eventSource": "EventSource",
    "eventName": "EventName",
    "eventType": "EventTypeName",
    "eventCategory": "Category",
    "awsRegion": "AWSRegion",
    "sourceIPAddress": "SourceIpAddress",
    "userAgent": "UserAgent",
    "errorCode": "ErrorCode",
    "errorMessage": "ErrorMessage",
    "requestID": "AwsRequestId_",
    "eventID": "AwsEventId",
    "readOnly": "ReadOnly",
    "managementEvent": "ManagementEvent",
    "recipientAccountId": "RecipientAccountId",
    "sharedEventID": "SharedEventId",
    "vpcEndpointId": "VpcEndpointId",
    "apiVersion": "APIVersion",
    "userIdentity.type": "UserIdentityType",
    "userIdentity.principalId": "UserIdentityPrincipalid",
    "userIdentity.arn": "UserIdentityArn",
    "userIdentity.accountId": "UserIdentityAccountId",
    "userIdentity.accessKeyId": "UserIdentityAccessKeyId",
    "userIdentity.userName": "UserIdentityUserName",
    "userIdentity.invokedBy": "UserIdentityInvokedBy",
    "userIdentity.sessionContext.attributes.mfaAuthenticated": "SessionMfaAuthenticated",
    "userIdentity.sessionContext.attributes.creationDate": "SessionCreationDate",
    "userIdentity.sessionContext.sessionIssuer.type": "SessionIssuerType",
    "userIdentity.sessionContext.sessionIssuer.principalId": "SessionIssuerPrincipalId",
    "userIdentity.sessionContext.sessionIssuer.arn": "SessionIssuerArn",
    "userIdentity.sessionContext.sessionIssuer.accountId": "SessionIssuerAccountId",
    "userIdentity.sessionContext.sessionIssuer.userName": "SessionIssuerUserName",
    "tlsDetails.tlsVersion": "TlsVersion",
    "tlsDetails.cipherSuite": "CipherSuite",
    "tlsDetails.clientProvidedHostHeader": "ClientProvidedHostHeader",
}

# CloudTrail objects that AWSCloudTrail keeps as JSON strings, by column.
JSON_COLUMNS = {
    "requestParameters": "RequestParameters",
    "responseElements": "ResponseElements",
    "additionalEventData": "AdditionalEventData",
    "serviceEventDetails": "ServiceEventDetails",
}

# Columns of type bool and datetime; every other column is a string.
BOOL_COLUMNS = frozenset({"ReadOnly", "ManagementEvent", "SessionMfaAuthenticated"})
DATETIME_COLUMNS = frozenset({"TimeGenerated", "SessionCreationDate"})

DERIVED_FIELDS = frozenset({DERIVED_SOURCE_REGION, DERIVED_DESTINATION_REGION})


def json_path_expression(column: str, keys: list[str]) -> str:
    """Return the KQL that reads a string at a key path inside a JSON string column."""
    path = "".join(
        f".{key}" if key.isidentifier() else f"['{_kql_single_quoted(key)}']" for key in keys
    )
    return f"tostring(parse_json({column}){path})"


def _kql_single_quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def field_expression(field: str) -> str:
    """Return the KQL expression for a CloudTrail field, or raise if AWSCloudTrail has no such data."""
    if field in COLUMNS:
        return COLUMNS[field]
    if field in DERIVED_FIELDS or field in COLUMNS.values():
        return field
    head, _, rest = field.partition(".")
    if head in JSON_COLUMNS and rest and all(rest.split(".")):
        return json_path_expression(JSON_COLUMNS[head], rest.split("."))
    raise SigmaTransformationError(
        f"The field '{field}' has no column in the Sentinel {TABLE} table. Use a CloudTrail "
        f"field with a column ({', '.join(sorted(COLUMNS))}) or a path under "
        f"{', '.join(sorted(JSON_COLUMNS))}."
    )


@dataclass
class CheckSentinelFieldsTransformation(DetectionItemTransformation):
    """Raise on fields that the AWSCloudTrail table does not hold, before any query is emitted."""

    def apply_detection_item(
        self, detection_item: SigmaDetectionItem
    ) -> SigmaDetection | SigmaDetectionItem | None:
        if detection_item.field is not None:
            field_expression(detection_item.field)
        for value in detection_item.value:
            if isinstance(value, SigmaFieldReference):
                field_expression(value.field)
        return None


def _candidate_expression(candidate: SourceRegionCandidate) -> str:
    value = field_expression(candidate.field)
    if candidate.kind == "region":
        return f"tolower({value})"
    region = f'tolower(tostring(split({value}, ":")[{ARN_REGION_INDEX}]))'
    return f'iff({value} matches regex "{RDS_ARN_PATTERN}", {region}, "")'


def region_extend_commands() -> str:
    """Return the KQL extend commands that define the derived region fields."""
    names = [f"rds_region_{i}" for i in range(1, len(SOURCE_REGION_CANDIDATES) + 1)]
    destination = (
        f"{DERIVED_DESTINATION_REGION} = tolower({field_expression(DESTINATION_REGION_FIELD)})"
    )
    candidates = [
        f"{name} = {_candidate_expression(candidate)}"
        for name, candidate in zip(names, SOURCE_REGION_CANDIDATES, strict=True)
    ]
    # An empty string is KQL's missing value for string columns, so isnotempty means "known".
    branches = [
        f"isnotempty({name}) and {name} != {DERIVED_DESTINATION_REGION}, {name}" for name in names
    ]
    return (
        f"| extend {destination}\n"
        f"| extend " + ",\n    ".join(candidates) + "\n"
        f"| extend {DERIVED_SOURCE_REGION} = case(\n    "
        + ",\n    ".join(branches)
        + f",\n    {DERIVED_DESTINATION_REGION})\n"
        f"| project-away {', '.join(names)}"
    )


@dataclass
class SentinelQueryTransformation(QueryPostprocessingTransformation):
    """Put the detection under the AWSCloudTrail table, after the derived region fields when it uses them."""

    def apply(self, rule: SigmaRule | SigmaCorrelationRule, query: str) -> str:
        super().apply(rule, query)
        lines = [TABLE]
        if any(name in query for name in DERIVED_FIELDS):
            lines.append(region_extend_commands())
        lines.append("| where " + "\n    and ".join(split_top_level(query, " and ")))
        return "\n".join(lines)


def cloudtrail_sentinel_pipeline() -> ProcessingPipeline:
    """Build the pipeline for KQL over Sentinel's AWSCloudTrail table."""
    items = [
        reject_other_logsources("Sentinel"),
        *cloudtrail_region_items(),
        ProcessingItem(
            identifier="cloudtrail_sentinel_check_fields",
            transformation=CheckSentinelFieldsTransformation(),
        ),
    ]
    return ProcessingPipeline(
        name="CloudTrail RDS region comparison for KQL over Microsoft Sentinel (AWSCloudTrail)",
        priority=20,
        allowed_backends=frozenset({"sentinel_kql"}),
        items=items,
        postprocessing_items=[
            QueryPostprocessingItem(
                identifier="cloudtrail_sentinel_query",
                transformation=SentinelQueryTransformation(),
            )
        ],
    )
