"""CloudTrail field names in the Elastic AWS integration (data stream logs-aws.cloudtrail-*).

The integration's ingest pipeline renames CloudTrail fields to ECS and integration fields
(ECS_FIELDS). It stores ``requestParameters`` and ``responseElements`` only as keyword
strings in Java ``Map.toString()`` form, ``{key=value, other=value}`` with keys in no fixed
order, plus a ``flattened`` copy that ES|QL cannot read. A rule field
``requestParameters.<key>`` therefore becomes a column that the ES|QL query extracts from the
string with GROK (extracted_column, grok_command), which finds keys only at the top level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sigma.exceptions import SigmaTransformationError

# Raw CloudTrail field -> field of the Elastic AWS integration. Checked against the
# integration's pipeline test data (packages/aws/data_stream/cloudtrail/_dev/test/pipeline).
ECS_FIELDS: dict[str, str] = {
    "eventSource": "event.provider",
    "eventName": "event.action",
    "eventID": "event.id",
    "eventTime": "@timestamp",
    "awsRegion": "cloud.region",
    "errorCode": "aws.cloudtrail.error_code",
    "errorMessage": "aws.cloudtrail.error_message",
    "eventType": "aws.cloudtrail.event_type",
    "eventCategory": "aws.cloudtrail.event_category",
    "eventVersion": "aws.cloudtrail.event_version",
    "readOnly": "aws.cloudtrail.read_only",
    "recipientAccountId": "aws.cloudtrail.recipient_account_id",
    "requestID": "aws.cloudtrail.request_id",
    "sourceIPAddress": "source.address",
    "userAgent": "user_agent.original",
    "userIdentity.type": "aws.cloudtrail.user_identity.type",
    "userIdentity.arn": "aws.cloudtrail.user_identity.arn",
    "userIdentity.accessKeyId": "aws.cloudtrail.user_identity.access_key_id",
    "userIdentity.accountId": "cloud.account.id",
    "userIdentity.principalId": "user.id",
    "userIdentity.invokedBy": "aws.cloudtrail.user_identity.invoked_by",
    "requestParameters": "aws.cloudtrail.request_parameters",
    "responseElements": "aws.cloudtrail.response_elements",
}


@dataclass(frozen=True)
class MapStringSource:
    """A CloudTrail object that the integration keeps only as a ``{key=value, ...}`` string."""

    raw_prefix: str
    string_field: str
    column_prefix: str


MAP_STRING_SOURCES: tuple[MapStringSource, ...] = (
    MapStringSource("requestParameters.", "aws.cloudtrail.request_parameters", "request_parameters."),
    MapStringSource("responseElements.", "aws.cloudtrail.response_elements", "response_elements."),
)

# A top-level key of requestParameters or responseElements. A dotted rule field such as
# requestParameters.a.b names a nested key, which the string form cannot address reliably.
MAP_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ExtractedColumn:
    """A query column that GROK extracts from one key of a map string."""

    column: str
    key: str
    source: MapStringSource


def extracted_column(raw_field: str) -> ExtractedColumn | None:
    """Return the GROK column for ``requestParameters.<key>``-style fields, else None."""
    for source in MAP_STRING_SOURCES:
        if not raw_field.startswith(source.raw_prefix):
            continue
        key = raw_field.removeprefix(source.raw_prefix)
        if not MAP_KEY.match(key):
            raise SigmaTransformationError(
                f"'{raw_field}' cannot be converted for the Elastic AWS integration: it stores "
                f"'{source.raw_prefix.rstrip('.')}' only as the string '{source.string_field}', "
                "from which the query can extract top-level keys (letters, digits, underscores) "
                "but not nested ones. Match a top-level key instead."
            )
        return ExtractedColumn(source.column_prefix + key, key, source)
    return None


def ecs_field(raw_field: str) -> str:
    """Return the integration field or extracted column for a raw CloudTrail field name."""
    if raw_field in ECS_FIELDS:
        return ECS_FIELDS[raw_field]
    extracted = extracted_column(raw_field)
    if extracted is not None:
        return extracted.column
    raise SigmaTransformationError(
        f"'{raw_field}' has no known field in the Elastic AWS integration. Known CloudTrail "
        f"fields: {', '.join(sorted(ECS_FIELDS))}, and top-level keys of requestParameters "
        "and responseElements. Add the field to ECS_FIELDS in pipelines/ecs.py or use the "
        "raw CloudTrail pipeline."
    )


# Nesting levels of [...] and {...} that the GROK pattern can skip before a top-level key.
# The deepest value in the integration's RDS pipeline examples nests 4 levels
# (dBSubnetGroup.subnets[].subnetAvailabilityZone.name). NOTE: a key that comes after a
# deeper value, or after a value with an unbalanced bracket in its text, is not found.
MAX_NESTING = 6


def _nested_value_pattern(depth: int) -> str:
    plain = r"[^\[\]{}]"
    group = rf"[\[{{]{plain}*[\]}}]"
    for _ in range(depth - 1):
        group = rf"[\[{{](?:{plain}|{group})*[\]}}]"
    return rf"(?:{plain}|{group})"


def grok_pattern(column: ExtractedColumn) -> str:
    """Return the GROK pattern (Oniguruma syntax) that extracts one top-level key's value.

    From the opening brace, the pattern skips plain text and whole bracketed values, so it
    finds the key only at the top level, after ``{`` or ``, `` (Map.toString's separator).
    A key that ends another key, a key of a nested map, or a key inside a value does not
    match. The value runs to the next ``,`` or ``}``, so only scalar values extract whole.
    A missing key leaves the column null.
    """
    skip = _nested_value_pattern(MAX_NESTING)
    return rf"^[{{](?:{skip}*?, )?{column.key}=%{{DATA:{column.column}}}[,}}]"


def esql_string(text: str) -> str:
    """Quote text as an ES|QL string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def grok_command(column: ExtractedColumn) -> str:
    """Return the GROK command that extracts one key's value from its map string."""
    return f"| grok {column.source.string_field} {esql_string(grok_pattern(column))}"
