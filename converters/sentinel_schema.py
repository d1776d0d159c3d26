"""Check a scheduled analytics rule against what the Azure-Sentinel repository validates.

The Azure-Sentinel repository checks every YAML file under Detections/ in its CI
(.script/tests/detectionTemplateSchemaValidation): required keys, allowed values of
severity, kind, tactics, trigger operator and entity types, query frequency and period
between 5 minutes and 14 days with period >= frequency, a trigger threshold of 0 to
10000, an X.Y.Z version, at most 20 custom details with short keys, and 1 to 5 entity
mappings of 1 to 3 fields with valid identifiers. The functions below restate those
checks; no code is taken from that repository.

NOTE: spans are accepted in the "<n>m", "<n>h" and "<n>d" forms only. The repository
also accepts .NET time span text such as "01:00:00", which the generator never writes.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from .attack import TACTICS as ATTACK_TACTICS
from .attack import TECHNIQUES as ATTACK_TECHNIQUES

REQUIRED_KEYS = (
    "id",
    "name",
    "description",
    "severity",
    "requiredDataConnectors",
    "queryFrequency",
    "queryPeriod",
    "triggerOperator",
    "triggerThreshold",
    "query",
    "kind",
)
SEVERITIES = frozenset({"Informational", "Low", "Medium", "High"})
KINDS = frozenset({"Scheduled", "NRT"})
TRIGGER_OPERATORS = frozenset(
    {"gt", "lt", "eq", "ne", "GreaterThan", "LessThan", "Equal", "NotEqual"}
)
TACTICS = frozenset(
    {
        "InitialAccess",
        "Execution",
        "Persistence",
        "PrivilegeEscalation",
        "DefenseEvasion",
        "CredentialAccess",
        "Discovery",
        "LateralMovement",
        "Collection",
        "Exfiltration",
        "CommandAndControl",
        "Impact",
        "Reconnaissance",
        "ResourceDevelopment",
        "ImpairProcessControl",
        "InhibitResponseFunction",
    }
)
# Entity type -> (valid identifiers, sets of identifiers of which one must be complete).
# Only the entity types that CloudTrail rules map are listed; the repository accepts
# more (File, Process, Malware and others), which this check reports as unknown.
ENTITY_IDENTIFIERS: dict[str, tuple[frozenset[str], tuple[frozenset[str], ...]]] = {
    "Account": (
        frozenset(
            {
                "Name",
                "FullName",
                "NTDomain",
                "DnsDomain",
                "UPNSuffix",
                "Sid",
                "AadTenantId",
                "AadUserId",
                "PUID",
                "IsDomainJoined",
                "DisplayName",
                "ObjectGuid",
            }
        ),
        tuple(
            frozenset({name})
            for name in ("FullName", "Sid", "Name", "AadUserId", "PUID", "ObjectGuid")
        ),
    ),
    "IP": (frozenset({"Address"}), (frozenset({"Address"}),)),
    "CloudApplication": (
        frozenset({"AppId", "Name", "InstanceName"}),
        (frozenset({"AppId"}), frozenset({"Name"})),
    ),
    "Host": (
        frozenset(
            {
                "DnsDomain",
                "NTDomain",
                "HostName",
                "FullName",
                "NetBiosName",
                "AzureID",
                "OMSAgentID",
                "OSFamily",
                "OSVersion",
                "IsDomainJoined",
            }
        ),
        tuple(
            frozenset({name})
            for name in ("FullName", "HostName", "NetBiosName", "AzureID", "OMSAgentID")
        ),
    ),
    "AzureResource": (frozenset({"ResourceId"}), (frozenset({"ResourceId"}),)),
    "URL": (frozenset({"Url"}), (frozenset({"Url"}),)),
    "DNS": (frozenset({"DomainName"}), (frozenset({"DomainName"}),)),
}
# Connector ids for AWS data in the repository's list of valid connector ids.
AWS_CONNECTOR_IDS = frozenset({"AWS", "AwsS3"})
COLUMN_NAME = re.compile(r"^[a-zA-Z_]+\w*$")
CUSTOM_DETAIL_KEY = re.compile(r"^[a-zA-Z]+\w*$")
VERSION = re.compile(r"^\d+\.\d+\.\d+$")
TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
# Tactics that a technique requires in 'tactics', all of them, in Sentinel's spelling.
# The repository derives them from its ATT&CK table; this check uses the project's
# offline table, so techniques missing from it are not checked.
TECHNIQUE_TACTICS = {
    technique: frozenset(ATTACK_TACTICS[tag][1].replace(" ", "") for tag in tags)
    for technique, (_, tags) in ATTACK_TECHNIQUES.items()
}
MIN_SPAN, MAX_SPAN = timedelta(minutes=5), timedelta(days=14)
MAX_QUERY_LENGTH = 10000
MAX_CUSTOM_DETAILS, MAX_KEY_LENGTH, MAX_VALUE_LENGTH = 20, 20, 500
SPAN_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_span(text: Any) -> timedelta | None:
    """Parse a time span as Sentinel templates write it: 5m, 1h, 14d (or None if invalid)."""
    if (
        not isinstance(text, str)
        or len(text) < 2
        or text[-1] not in SPAN_UNITS
        or not text[:-1].isdigit()
    ):
        return None
    return timedelta(**{SPAN_UNITS[text[-1]]: int(text[:-1])})


def analytics_rule_problems(rule: dict[str, Any]) -> list[str]:
    """Return every way the rule breaks the repository's checks; empty when it passes."""
    problems = [f"missing required key '{key}'" for key in REQUIRED_KEYS if key not in rule]
    problems += _value_problems(rule)
    problems += _span_problems(rule)
    problems += _connector_problems(rule.get("requiredDataConnectors"))
    problems += _custom_detail_problems(rule.get("customDetails"))
    problems += _entity_problems(rule.get("entityMappings"))
    return problems


def _value_problems(rule: dict[str, Any]) -> list[str]:
    return [
        *_id_problems(rule),
        *_enum_problems(rule),
        *_text_problems(rule),
        *_attack_problems(rule),
    ]


def _id_problems(rule: dict[str, Any]) -> list[str]:
    try:
        uuid.UUID(str(rule.get("id")))
    except ValueError:
        return [f"id '{rule.get('id')}' is not a GUID"]
    return []


def _enum_problems(rule: dict[str, Any]) -> list[str]:
    allowed = {"severity": SEVERITIES, "kind": KINDS, "triggerOperator": TRIGGER_OPERATORS}
    problems = [
        f"{key} '{rule.get(key)}' is not one of {sorted(values)}"
        for key, values in allowed.items()
        if rule.get(key) not in values
    ]
    threshold = rule.get("triggerThreshold")
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 0 <= threshold <= 10000:
        problems.append(f"triggerThreshold '{threshold}' is not an integer from 0 to 10000")
    return problems


def _text_problems(rule: dict[str, Any]) -> list[str]:
    problems = []
    for key, limit in (("name", 256), ("description", 5000)):
        if not isinstance(rule.get(key), str) or not rule[key].strip() or len(rule[key]) > limit:
            problems.append(f"{key} must be a non-empty string of at most {limit} characters")

    query = rule.get("query")
    if not isinstance(query, str) or not 1 <= len(query) <= MAX_QUERY_LENGTH:
        problems.append(f"query must be a string of 1 to {MAX_QUERY_LENGTH} characters")

    version = rule.get("version")
    if "version" in rule and not (isinstance(version, str) and VERSION.match(version)):
        problems.append(f"version '{version}' is not in the form X.Y.Z")
    return problems


def _attack_problems(rule: dict[str, Any]) -> list[str]:
    tactics = rule.get("tactics") or []
    techniques = rule.get("relevantTechniques") or []
    problems = [
        f"tactic '{t}' is not one of {sorted(TACTICS)}" for t in tactics if t not in TACTICS
    ]
    problems += [
        f"technique '{t}' is not an ATT&CK technique id such as T1537 or T1078.004"
        for t in techniques
        if not TECHNIQUE.match(str(t))
    ]
    for technique in techniques:
        needed = TECHNIQUE_TACTICS.get(str(technique).split(".")[0], frozenset())
        if not needed <= set(tactics):
            problems.append(f"technique '{technique}' needs the tactics {sorted(needed)}")
    return problems


def _span_problems(rule: dict[str, Any]) -> list[str]:
    spans = {key: parse_span(rule.get(key)) for key in ("queryFrequency", "queryPeriod")}
    problems = [
        f"{key} '{rule.get(key)}' is not a span from 5m to 14d"
        for key, span in spans.items()
        if key in rule and (span is None or not MIN_SPAN <= span <= MAX_SPAN)
    ]
    frequency, period = spans["queryFrequency"], spans["queryPeriod"]
    if frequency and period and period < frequency:
        problems.append("queryPeriod is shorter than queryFrequency")
    return problems


def _connector_problems(connectors: Any) -> list[str]:
    if not isinstance(connectors, list) or not connectors:
        return ["requiredDataConnectors must be a non-empty list"]
    problems = []
    for connector in connectors:
        if not isinstance(connector, dict) or not isinstance(connector.get("dataTypes"), list):
            problems.append("each required data connector needs a dataTypes list")
        elif connector.get("connectorId") not in AWS_CONNECTOR_IDS:
            problems.append(
                f"connectorId '{connector.get('connectorId')}' is not an AWS connector id"
            )
    return problems


def _custom_detail_problems(details: Any) -> list[str]:
    if details is None:
        return []
    if not isinstance(details, dict) or len(details) > MAX_CUSTOM_DETAILS:
        return [f"customDetails must be a mapping of at most {MAX_CUSTOM_DETAILS} entries"]
    problems = []
    for key, value in details.items():
        if not (
            isinstance(key, str) and CUSTOM_DETAIL_KEY.match(key) and len(key) <= MAX_KEY_LENGTH
        ):
            problems.append(
                f"custom detail key '{key}' must be letters, digits and _ (at most {MAX_KEY_LENGTH})"
            )
        if not (
            isinstance(value, str) and COLUMN_NAME.match(value) and len(value) <= MAX_VALUE_LENGTH
        ):
            problems.append(f"custom detail value '{value}' is not a column name")
    return problems


def _entity_problems(mappings: Any) -> list[str]:
    if mappings is None:
        return []
    if not isinstance(mappings, list) or not 1 <= len(mappings) <= 5:
        return ["entityMappings must be a list of 1 to 5 mappings"]
    problems = []
    for mapping in mappings:
        problems += _one_entity_problems(mapping)
    return problems


def _one_entity_problems(mapping: Any) -> list[str]:
    entity_type = mapping.get("entityType") if isinstance(mapping, dict) else None
    if entity_type not in ENTITY_IDENTIFIERS:
        return [f"entityType '{entity_type}' is not one of {sorted(ENTITY_IDENTIFIERS)}"]
    fields = mapping.get("fieldMappings")
    if not isinstance(fields, list) or not 1 <= len(fields) <= 3:
        return [f"{entity_type}: fieldMappings must be a list of 1 to 3 mappings"]
    valid, required = ENTITY_IDENTIFIERS[entity_type]
    identifiers = [field.get("identifier") for field in fields]
    problems = [
        f"{entity_type}: identifier '{i}' is not one of {sorted(valid)}"
        for i in identifiers
        if i not in valid
    ]
    if len(set(identifiers)) != len(identifiers):
        problems.append(f"{entity_type}: an identifier is mapped twice")
    problems += [
        f"{entity_type}: column '{field.get('columnName')}' is not a column name"
        for field in fields
        if not COLUMN_NAME.match(str(field.get("columnName", "")))
    ]
    if not any(needed <= set(identifiers) for needed in required):
        problems.append(f"{entity_type}: none of the required identifier sets is mapped")
    return problems
