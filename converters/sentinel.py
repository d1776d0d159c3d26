"""Convert Sigma rules to KQL and to Microsoft Sentinel scheduled analytics rules."""

from __future__ import annotations

import uuid
from typing import Any

import yaml
from sigma.exceptions import SigmaError
from sigma.pipelines.cloudtrail.sentinel import (
    COLUMNS,
    DERIVED_DESTINATION_REGION,
    DERIVED_SOURCE_REGION,
    TABLE,
    cloudtrail_sentinel_pipeline,
    field_expression,
)
from sigma.rule import SigmaRule

from .attack import rule_techniques
from .errors import ConversionError
from .kql_backend import SentinelKqlBackend
from .rules import LoadedRule
from .sentinel_schema import analytics_rule_problems

# Sentinel severities by Sigma level; Sentinel has no Critical.
SEVERITY = {
    "informational": "Informational",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "critical": "High",
}
# The AWS connector writes the AWSCloudTrail table.
DATA_CONNECTOR = {"connectorId": "AWS", "dataTypes": [TABLE]}
# Run every hour over the last hour: CloudTrail delivers most events within 15
# minutes, and Sentinel's scheduled query already waits for ingestion delay.
QUERY_FREQUENCY = "1h"
QUERY_PERIOD = "1h"
RULE_VERSION = "1.0.0"
# Sentinel's rule id namespace: ids are derived from the Sigma id, so regenerating the
# rule keeps its id and Sentinel updates the rule instead of adding a second one.
RULE_ID_NAMESPACE = uuid.UUID("5c1c2d1e-4b57-4a43-9f44-2f6b7c0a9d31")

# Custom details: key (at most 20 characters, Sentinel's limit) -> column of the result.
# Output fields without an entry here use their AWSCloudTrail column name, else their
# last path segment in upper camel case.
CUSTOM_DETAIL_KEYS = {
    "requestParameters.sourceDBSnapshotIdentifier": "SourceSnapshot",
    "requestParameters.sourceDBClusterSnapshotIdentifier": "SourceClusterSnap",
    "requestParameters.sourceRegion": "RequestSourceRegion",
}
MAX_CUSTOM_DETAIL_KEY = 20
# Columns the query projects for entity mappings and the derived regions.
CLOUD_APP_NAME = "Amazon Web Services"


def convert_kql_predicate_query(loaded: LoadedRule) -> str:
    """Convert one rule to the detection query: the table, derived fields and where clause."""
    backend = SentinelKqlBackend(processing_pipeline=cloudtrail_sentinel_pipeline())
    try:
        queries = backend.convert_rule(loaded.fresh())
    except SigmaError as error:
        raise ConversionError(f"{loaded.path}: cannot convert to Sentinel KQL: {error}") from error
    if len(queries) != 1:
        raise ConversionError(
            f"{loaded.path}: the KQL backend returned {len(queries)} queries; expected one."
        )
    return str(queries[0])


def convert_kql(loaded: LoadedRule) -> str:
    """Convert one rule to the full Sentinel query, with the output columns projected."""
    query = convert_kql_predicate_query(loaded)
    return query + "\n" + output_stage(loaded.rule, DERIVED_SOURCE_REGION in query)


def custom_details(rule: SigmaRule) -> dict[str, str]:
    """Return the custom detail key and result column of each output field of the rule."""
    details = {}
    for field in rule.fields:
        key = (
            CUSTOM_DETAIL_KEYS.get(field)
            or COLUMNS.get(field)
            or _upper_camel(field.split(".")[-1])
        )
        if len(key) > MAX_CUSTOM_DETAIL_KEY:
            raise ConversionError(
                f"The custom detail key '{key}' for the output field '{field}' is longer than "
                f"Sentinel's limit of {MAX_CUSTOM_DETAIL_KEY} characters. Add a shorter key for "
                "it to CUSTOM_DETAIL_KEYS in converters/sentinel.py."
            )
        details[key] = key
    return details


def _upper_camel(name: str) -> str:
    return name[:1].upper() + name[1:]


def output_stage(rule: SigmaRule, uses_regions: bool) -> str:
    """Return the extend and project commands that name the alert's columns."""
    try:
        columns = {
            key: field_expression(field)
            for field, key in zip(rule.fields, custom_details(rule), strict=True)
        }
    except SigmaError as error:
        raise ConversionError(
            f"{rule.title}: an output field cannot be read in {TABLE}: {error}"
        ) from error
    assignments = [
        f"{key} = {expression}" for key, expression in columns.items() if key != expression
    ]
    assignments += [f'CloudAppName = "{CLOUD_APP_NAME}"']
    if uses_regions:
        assignments += [
            f"SourceRegion = {DERIVED_SOURCE_REGION}",
            f"DestinationRegion = {DERIVED_DESTINATION_REGION}",
        ]
    projected = [
        "TimeGenerated",
        *columns,
        "CloudAppName",
        "UserIdentityArn",
        "UserIdentityAccountId",
        "SourceIpAddress",
    ]
    if uses_regions:
        projected += ["SourceRegion", "DestinationRegion"]
    return (
        "| extend " + ",\n    ".join(assignments) + "\n"
        "| project " + ", ".join(dict.fromkeys(projected))
    )


def rule_id(rule: SigmaRule) -> str:
    """Return the stable Sentinel rule id derived from the Sigma rule id."""
    if rule.id is None:
        raise ConversionError(
            f"The rule '{rule.title}' has no id. Give it a UUID 'id' so its Sentinel rule id stays stable."
        )
    return str(uuid.uuid5(RULE_ID_NAMESPACE, str(rule.id)))


def entity_mappings() -> list[dict[str, Any]]:
    """Return the account, IP and cloud application entity mappings of the projected columns."""
    return [
        {
            "entityType": "Account",
            "fieldMappings": [
                {"identifier": "FullName", "columnName": "UserIdentityArn"},
            ],
        },
        {
            "entityType": "IP",
            "fieldMappings": [{"identifier": "Address", "columnName": "SourceIpAddress"}],
        },
        {
            "entityType": "CloudApplication",
            "fieldMappings": [
                {"identifier": "Name", "columnName": "CloudAppName"},
                {"identifier": "InstanceName", "columnName": "RecipientAccountId"},
            ],
        },
    ]


def analytics_rule(rule: SigmaRule, kql: str) -> dict[str, Any]:
    """Return the scheduled analytics rule in the Azure-Sentinel Detections YAML layout."""
    level = rule.level.name.lower() if rule.level else "medium"
    details = custom_details(rule)
    techniques = rule_techniques(rule)
    if DERIVED_SOURCE_REGION in kql:
        details |= {"SourceRegion": "SourceRegion", "DestinationRegion": "DestinationRegion"}
    return {
        "id": rule_id(rule),
        "name": " ".join(rule.title.split()),
        "description": "\n".join(
            " ".join(line.split()) for line in (rule.description or rule.title).strip().splitlines()
        )
        + "\n",
        "severity": SEVERITY[level],
        "requiredDataConnectors": [DATA_CONNECTOR],
        "queryFrequency": QUERY_FREQUENCY,
        "queryPeriod": QUERY_PERIOD,
        "triggerOperator": "gt",
        "triggerThreshold": 0,
        # Sentinel writes tactic names without spaces (DefenseEvasion).
        "tactics": list(dict.fromkeys(t.tactic_name.replace(" ", "") for t in techniques)),
        "relevantTechniques": list(dict.fromkeys(t.technique_id for t in techniques)),
        "query": kql + "\n",
        "entityMappings": entity_mappings(),
        "customDetails": details,
        "version": RULE_VERSION,
        "kind": "Scheduled",
    }


class _RuleDumper(yaml.SafeDumper):
    """Write multi-line strings as literal blocks, as the Azure-Sentinel repository does."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_RuleDumper.add_representer(str, _represent_str)


def render_analytics_rule(document: dict[str, Any]) -> str:
    """Render an analytics rule as YAML."""
    header = "# Generated by cloudtrail-sigma from a Sigma rule. Regenerate with 'make sentinel'.\n"
    return header + yaml.dump(
        document, Dumper=_RuleDumper, sort_keys=False, allow_unicode=True, width=100
    )


def validate_analytics_rule(document: dict[str, Any], path: Any) -> None:
    """Raise ConversionError when the rule breaks the Azure-Sentinel repository's checks."""
    problems = analytics_rule_problems(document)
    if problems:
        raise ConversionError(
            f"{path}: the Sentinel analytics rule is invalid: {'; '.join(problems)}. "
            "Fix the Sigma rule or the Sentinel converter settings."
        )
