"""Convert Sigma rules to Panther Python rules: a rule module and its YAML metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from sigma.exceptions import SigmaError
from sigma.pipelines.cloudtrail.panther import (
    DERIVED_FIELD_CALLS,
    PANTHER_LOG_TYPE,
    cloudtrail_panther_pipeline,
    region_functions_source,
)
from sigma.pipelines.cloudtrail.text import split_top_level
from sigma.rule import SigmaRule

from .attack import rule_techniques
from .errors import ConversionError
from .events import Event
from .panther_backend import PantherPythonBackend, helpers_used, python_string
from .rules import LoadedRule

# Panther severities by Sigma level.
SEVERITY = {
    "informational": "Info",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "critical": "Critical",
}
DEDUP_PERIOD_MINUTES = 60
THRESHOLD = 1
# The caller's ARN keys deduplication; Panther groups alerts with the same dedup string.
CALLER_ARN_PATH = ("userIdentity", "arn")
UNKNOWN_CALLER = "<UNKNOWN_ARN>"
# Panther's standard field listing the AWS accounts of a record.
ACCOUNTS_FIELD = "p_any_aws_account_ids"

# Runbooks by Sigma rule id: Sigma has no runbook field. Rules without one get
# GENERIC_RUNBOOK.
RUNBOOKS = {
    "43eba77c-8dc3-4bc4-a29f-9cbbfe7e8012": (
        "1. Confirm the copy: find the source snapshot ARN and its region in the alert context, "
        "and the destination region (awsRegion).\n"
        "2. If userIdentity.invokedBy is backup.amazonaws.com or the caller is known "
        "disaster-recovery automation, compare the destination with the organisation's "
        "standby regions and close as expected activity.\n"
        "3. Search the caller's CopyDBSnapshot and CopyDBClusterSnapshot calls over the past "
        "90 days to see whether copies to this region are usual for them.\n"
        "4. Look in the destination region for ModifyDBSnapshotAttribute (sharing with another "
        "account), StartExportTask and RestoreDBInstanceFromDBSnapshot calls on the copy in "
        "the 48 hours after this alert.\n"
        "5. If the copy is not explained, revoke the caller's sessions and keys, delete or "
        "unshare the copy, and open an incident.\n"
    ),
}
GENERIC_RUNBOOK = (
    "1. Review the caller (userIdentity.arn), source address and user agent in the alert context.\n"
    "2. Search the caller's activity in the 24 hours around the alert for related changes.\n"
    "3. Check the rule's false positives in its description before escalating.\n"
)


@dataclass(frozen=True)
class PantherRule:
    """A generated Panther rule: the file stem, the Python module and the YAML metadata."""

    name: str
    python: str
    metadata: str


def convert_panther_expression(loaded: LoadedRule) -> str:
    """Convert one rule to the boolean expression that its rule() function returns."""
    backend = PantherPythonBackend(processing_pipeline=cloudtrail_panther_pipeline())
    try:
        expressions = backend.convert_rule(loaded.fresh())
    except SigmaError as error:
        raise ConversionError(
            f"{loaded.path}: cannot convert to a Panther Python rule: {error}"
        ) from error
    if len(expressions) != 1:
        raise ConversionError(
            f"{loaded.path}: the Panther backend returned {len(expressions)} expressions; expected one."
        )
    return str(expressions[0])


def convert_panther_module(loaded: LoadedRule) -> str:
    """Convert one rule to the source of a Panther Python rule module."""
    expression = convert_panther_expression(loaded)
    rule = loaded.rule
    uses_regions = any(call in expression for call in DERIVED_FIELD_CALLS.values())
    parts = [
        _module_header(loaded),
        "import re\n",
        _output_fields_source(rule),
        _rule_function(expression),
        _title_function(rule, uses_regions),
        _dedup_function(),
        _alert_context_function(uses_regions),
    ]
    if uses_regions:
        parts.append(region_functions_source())
    parts += helpers_used(expression)
    return "\n\n".join(part.rstrip("\n") + "\n" for part in parts).rstrip("\n") + "\n"


def _module_header(loaded: LoadedRule) -> str:
    return (
        f'"""{_docstring_text(loaded.rule.title)}.\n\n'
        f"Generated from the Sigma rule {loaded.rule.id!s} ({_docstring_text(loaded.path.name)}).\n"
        'Regenerate it with `make panther` instead of editing this file.\n"""\n'
    )


def _docstring_text(text: str) -> str:
    # A double quote could end the docstring and a backslash would start an escape.
    return _one_line(text).replace('"', "'").replace("\\", "/")


def _output_fields_source(rule: SigmaRule) -> str:
    lines = [f"    ({python_string(field)}, {_keys_tuple(field)}),\n" for field in rule.fields]
    return (
        "# Fields shown in the alert context, with their paths in the event.\nOUTPUT_FIELDS = (\n"
        + "".join(lines)
        + ")\n"
    )


def _keys_tuple(field: str) -> str:
    keys = [python_string(key) for key in field.split(".")]
    return "(" + ", ".join(keys) + ("," if len(keys) == 1 else "") + ")"


def _rule_function(expression: str) -> str:
    # One condition per line: the top-level "and" terms of the expression.
    body = "\n        and ".join(split_top_level(expression, " and "))
    return f"def rule(event):\n    return bool(\n        {body}\n    )\n"


def _title_function(rule: SigmaRule, uses_regions: bool) -> str:
    title = python_string(_one_line(rule.title))
    caller = f"event.deep_get({', '.join(map(python_string, CALLER_ARN_PATH))}, default={python_string(UNKNOWN_CALLER)})"
    if uses_regions:
        text = 'f"{TITLE}: {rds_source_region(event)} to {rds_destination_region(event)} by [{caller}]"'
    else:
        text = 'f"{TITLE} by [{caller}]"'
    return f"TITLE = {title}\n\n\ndef title(event):\n    caller = {caller}\n    return {text}\n"


def _dedup_function() -> str:
    keys = ", ".join(map(python_string, CALLER_ARN_PATH))
    return (
        "def dedup(event):\n"
        "    # One alert per caller within the dedup period.\n"
        f"    return event.deep_get({keys}, default={python_string(UNKNOWN_CALLER)})\n"
    )


def _alert_context_function(uses_regions: bool) -> str:
    regions = ""
    if uses_regions:
        regions = (
            '    context["rdsSourceRegion"] = rds_source_region(event)\n'
            '    context["rdsDestinationRegion"] = rds_destination_region(event)\n'
        )
    return (
        "def alert_context(event):\n"
        "    context = {name: event.deep_get(*keys) for name, keys in OUTPUT_FIELDS}\n"
        f"{regions}"
        "    return context\n"
    )


def rule_id(rule: SigmaRule) -> str:
    """Return a Panther RuleID in the AWS.SERVICE.Name style from the rule title."""
    words = re.findall(r"[A-Za-z0-9]+", rule.title)
    prefix = []
    while words and words[0].isupper() and len(prefix) < 2:
        prefix.append(words.pop(0))
    if not words:
        raise ConversionError(
            f"Cannot derive a Panther RuleID from the title '{rule.title}'. Give the rule a descriptive title."
        )
    name = "".join(word[:1].upper() + word[1:] for word in words)
    return ".".join([*prefix, name])


def panther_metadata(loaded: LoadedRule, name: str, cases: list[Event]) -> dict[str, Any]:
    """Return the Panther YAML metadata of one rule, with its test cases."""
    rule = loaded.rule
    level = rule.level.name.lower() if rule.level else "medium"
    metadata: dict[str, Any] = {
        "AnalysisType": "rule",
        "Filename": f"{name}.py",
        "RuleID": rule_id(rule),
        "DisplayName": _one_line(rule.title),
        "Enabled": True,
        "LogTypes": [PANTHER_LOG_TYPE],
        "Tags": _tags(rule),
        "Reports": {
            "MITRE ATT&CK": [f"{t.tactic_id}:{t.technique_id}" for t in rule_techniques(rule)]
        },
        "Severity": SEVERITY[level],
        "Description": _paragraphs(rule.description or rule.title),
        "Runbook": RUNBOOKS.get(str(rule.id), GENERIC_RUNBOOK),
        "Reference": rule.references[0] if rule.references else "",
        "DedupPeriodMinutes": DEDUP_PERIOD_MINUTES,
        "Threshold": THRESHOLD,
        "SummaryAttributes": [field.replace(".", ":") for field in rule.fields] + [ACCOUNTS_FIELD],
        "Tests": [_test(case) for case in cases],
    }
    if not metadata["Reports"]["MITRE ATT&CK"]:
        del metadata["Reports"]
    if not metadata["Reference"]:
        del metadata["Reference"]
    return metadata


def _tags(rule: SigmaRule) -> list[str]:
    techniques = rule_techniques(rule)
    tags = ["AWS", *_service_tags(rule)]
    tags += [t.tactic_name for t in techniques] + [t.technique_name for t in techniques]
    return list(dict.fromkeys(tags))


def _service_tags(rule: SigmaRule) -> list[str]:
    # "rds.amazonaws.com" in an eventSource selection becomes the tag "RDS".
    services = []
    for detection in rule.detection.detections.values():
        for item in _detection_items(detection):
            if item.field == "eventSource":
                services += [str(value).split(".")[0].upper() for value in item.value]
    return services


def _detection_items(detection: Any) -> list[Any]:
    items = []
    for item in detection.detection_items:
        items += _detection_items(item) if hasattr(item, "detection_items") else [item]
    return items


def _test(case: Event) -> dict[str, Any]:
    return {"Name": case.name, "ExpectedResult": case.expected, "Log": case.record}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str) -> str:
    return "\n".join(_one_line(line) for line in text.strip().splitlines()) + "\n"


class _MetadataDumper(yaml.SafeDumper):
    """Write multi-line strings as literal blocks, as Panther's own rule files do."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_MetadataDumper.add_representer(str, _represent_str)


def render_metadata(metadata: dict[str, Any]) -> str:
    """Render Panther YAML metadata."""
    header = "# Generated by cloudtrail-sigma from a Sigma rule. Regenerate with 'make panther'.\n"
    return header + yaml.dump(
        metadata, Dumper=_MetadataDumper, sort_keys=False, allow_unicode=True, width=100
    )


def convert_panther(loaded: LoadedRule, cases: list[Event]) -> PantherRule:
    """Convert one rule to a Panther rule module and metadata, with cases for this rule as tests."""
    name = loaded.path.stem
    own_cases = [case for case in cases if case.expected_rule_id == str(loaded.rule.id)]
    metadata = panther_metadata(loaded, name, own_cases)
    return PantherRule(name, convert_panther_module(loaded), render_metadata(metadata))
