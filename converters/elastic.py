"""Convert Sigma rules to ES|QL queries and to Kibana detection rules (NDJSON for rule import)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Any

from sigma.backends.elasticsearch import ESQLBackend
from sigma.exceptions import SigmaError
from sigma.pipelines.cloudtrail.ecs import ecs_field
from sigma.pipelines.cloudtrail.esql import (
    DEFAULT_ECS_INDEX,
    DEFAULT_RAW_INDEX,
    cloudtrail_ecs_esql_pipeline,
    cloudtrail_esql_pipeline,
)
from sigma.pipelines.cloudtrail.region import DERIVED_DESTINATION_REGION, DERIVED_SOURCE_REGION
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule
from sigma.types import SigmaFieldReference

from .attack import rule_techniques
from .elastic_mapping import RAW_TIMESTAMP_FIELD
from .errors import ConversionError
from .rules import LoadedRule

# Elastic's usual risk score per severity; Kibana has no "informational" severity.
SEVERITY_RISK: dict[str, tuple[str, int]] = {
    "informational": ("low", 21),
    "low": ("low", 21),
    "medium": ("medium", 47),
    "high": ("high", 73),
    "critical": ("critical", 99),
}

# Query languages Kibana rules can use besides ES|QL. None of them can compare two fields.
FIELD_COMPARISON_LANGUAGES = {"lucene": "Lucene", "kql": "KQL", "eql": "EQL"}
OUTPUT_FORMAT = "esql"

# Repeated alerts for the same caller within the period are suppressed into one.
SUPPRESSION_MINUTES = 60
MAX_SIGNALS = 100
RULE_VERSION = 1
# Tags in Elastic's prebuilt-rule style; each mapped tactic adds "Tactic: <name>".
TAGS = [
    "Domain: Cloud",
    "Data Source: AWS",
    "Data Source: Amazon Web Services",
    "Data Source: AWS CloudTrail",
    "Use Case: Threat Detection",
    "Sigma",
]
DATA_DIR = "data/elastic"


@dataclass(frozen=True)
class DataSource:
    """A CloudTrail data source in Elasticsearch: its index, pipeline, field names and schedule."""

    key: str
    label: str
    default_index: str
    pipeline: Callable[[str], ProcessingPipeline]
    field_name: Callable[[str], str]
    timestamp_field: str
    # The rule runs every `interval` over the window `from`..now. The window is longer than
    # the interval, so each run overlaps the previous one; METADATA _id in the query lets
    # Kibana drop the alerts that the overlap would repeat.
    interval: str
    lookback: str
    setup_template: str


DATA_SOURCES: dict[str, DataSource] = {
    "raw": DataSource(
        key="raw",
        label="raw CloudTrail",
        default_index=DEFAULT_RAW_INDEX,
        pipeline=cloudtrail_esql_pipeline,
        field_name=lambda name: name,
        # Raw records carry no ingest time, so the window is on eventTime and long enough
        # for CloudTrail's delivery delay (typically about 5 minutes, not guaranteed).
        timestamp_field=RAW_TIMESTAMP_FIELD,
        interval="5m",
        lookback="now-30m",
        setup_template="setup-raw.md",
    ),
    "ecs": DataSource(
        key="ecs",
        label="Elastic AWS integration",
        default_index=DEFAULT_ECS_INDEX,
        pipeline=cloudtrail_ecs_esql_pipeline,
        field_name=ecs_field,
        # Fleet sets event.ingested on every integration document, so late records fall
        # into the window of the run after they arrive.
        timestamp_field="event.ingested",
        interval="5m",
        lookback="now-10m",
        setup_template="setup-ecs.md",
    ),
}


def convert_esql(loaded: LoadedRule, source: DataSource, index: str | None = None) -> str:
    """Convert one rule to an ES|QL query for a data source."""
    try:
        backend = ESQLBackend(processing_pipeline=source.pipeline(index or source.default_index))
        queries = backend.convert_rule(loaded.fresh())
    except SigmaError as error:
        raise ConversionError(f"{loaded.path}: cannot convert to ES|QL ({source.label}): {error}") from error
    if len(queries) != 1:
        raise ConversionError(
            f"{loaded.path}: the ES|QL backend returned {len(queries)} queries; expected one."
        )
    return str(queries[0])


def check_output_format(output_format: str, rules: list[LoadedRule]) -> None:
    """Raise unless the format is ES|QL; Lucene, KQL and EQL cannot compare two fields."""
    name = output_format.strip().lower()
    if name == OUTPUT_FORMAT:
        return
    if name not in FIELD_COMPARISON_LANGUAGES:
        raise ConversionError(
            f"Unknown Elastic output format '{output_format}'. Valid: esql (Lucene, KQL and "
            "EQL cannot express the rule's field comparison)."
        )
    language = FIELD_COMPARISON_LANGUAGES[name]
    comparisons = [c for loaded in rules for c in field_comparisons(loaded)]
    compared = "; ".join(comparisons) if comparisons else "the comparison of two fields"
    raise ConversionError(
        f"{language} cannot compare two fields, so it cannot express the field comparison "
        f"{compared}. A {language} rule without it would alert on every snapshot copy. Use the "
        "ES|QL rules instead: run 'make elastic' (FORMAT=esql) and import "
        "out/elastic/kibana-rules.ndjson."
    )


def field_comparisons(loaded: LoadedRule) -> list[str]:
    """List the rule's field references as 'path: field|fieldref: other'."""
    found = []
    for detection in loaded.rule.detection.detections.values():
        for item in _detection_items(detection):
            for value in item.value:
                if isinstance(value, SigmaFieldReference):
                    found.append(f"'{item.field}|fieldref: {value.field}' in {loaded.path.name}")
    return found


def _detection_items(detection: Any) -> list[Any]:
    items = []
    for item in detection.detection_items:
        items.extend(_detection_items(item) if hasattr(item, "detection_items") else [item])
    return items


def rule_id(rule: SigmaRule, source: DataSource) -> str:
    """Derive a stable Kibana rule_id (a UUID) from the Sigma rule id and the data source."""
    if rule.id is None:
        raise ConversionError(
            f"The Sigma rule '{rule.title}' has no id. Add a UUID 'id:' so that its Kibana "
            "rules keep the same rule_id across imports."
        )
    return str(uuid.uuid5(rule.id, f"kibana-esql-{source.key}"))


def _text(name: str, **values: str) -> str:
    template = resources.files(__package__).joinpath(DATA_DIR, name).read_text(encoding="utf-8")
    return Template(template).substitute(values)


def investigation_guide(source: DataSource, index: str) -> str:
    """Render the rule's investigation guide (Markdown) with the data source's field names."""
    field = source.field_name
    return _text(
        "investigation-guide.md",
        index=index,
        event_time=field("eventTime"),
        region=field("awsRegion"),
        user_arn=field("userIdentity.arn"),
        event_action=field("eventName"),
        # Raw records keep requestParameters as an object, which KEEP names with a wildcard.
        request_parameters=field("requestParameters") if source.key == "ecs" else "requestParameters.*",
        source_address=field("sourceIPAddress"),
        user_agent=field("userAgent"),
    )


def investigation_fields(rule: SigmaRule, source: DataSource) -> list[str]:
    """Return the rule's output fields in the data source's names, plus the derived regions."""
    try:
        names = [source.field_name(name) for name in rule.fields]
    except SigmaError as error:
        raise ConversionError(f"cannot name the rule's output fields for {source.label}: {error}") from error
    return list(dict.fromkeys([*names, DERIVED_SOURCE_REGION, DERIVED_DESTINATION_REGION]))


def _threat(rule: SigmaRule) -> list[dict[str, Any]]:
    threats: dict[str, dict[str, Any]] = {}
    for technique in rule_techniques(rule):
        entry = threats.setdefault(technique.tactic_id, {
            "framework": "MITRE ATT&CK",
            "tactic": {
                "id": technique.tactic_id,
                "name": technique.tactic_name,
                "reference": f"https://attack.mitre.org/tactics/{technique.tactic_id}/",
            },
            "technique": [],
        })
        entry["technique"].append({
            "id": technique.technique_id,
            "name": technique.technique_name,
            "reference": f"https://attack.mitre.org/techniques/{technique.technique_id}/",
        })
    return list(threats.values())


def kibana_rule(loaded: LoadedRule, source: DataSource, query: str, index: str | None = None) -> dict[str, Any]:
    """Build the Kibana detection rule (rule-import format) for one Sigma rule and data source."""
    rule = loaded.rule
    level = rule.level.name.lower() if rule.level else "medium"
    severity, risk_score = SEVERITY_RISK[level]
    index = index or source.default_index
    threat = _threat(rule)
    tactics = [f"Tactic: {entry['tactic']['name']}" for entry in threat]
    return {
        "rule_id": rule_id(rule, source),
        "name": f"{rule.title} ({source.label})",
        "description": " ".join((rule.description or rule.title).split()),
        "type": "esql",
        "language": "esql",
        "query": query,
        "severity": severity,
        "risk_score": risk_score,
        "author": [rule.author] if rule.author else [],
        "license": "Apache-2.0",
        "tags": [*TAGS, *tactics],
        "references": list(rule.references),
        "false_positives": list(rule.falsepositives),
        "threat": threat,
        "note": investigation_guide(source, index),
        "setup": _text(source.setup_template, index=index),
        "interval": source.interval,
        "from": source.lookback,
        "to": "now",
        "timestamp_override": source.timestamp_field,
        "max_signals": MAX_SIGNALS,
        "investigation_fields": {"field_names": investigation_fields(rule, source)},
        "alert_suppression": {
            "group_by": [source.field_name("userIdentity.arn")],
            "duration": {"value": SUPPRESSION_MINUTES, "unit": "m"},
            # Alerts without a caller ARN are not merged into one group.
            "missing_fields_strategy": "doNotSuppress",
        },
        "enabled": False,
        "version": RULE_VERSION,
        "meta": {"sigma_rule_id": str(rule.id), "data_source": source.key},
        "exceptions_list": [],
        "actions": [],
    }


def rules_ndjson(rules: list[dict[str, Any]]) -> str:
    """Serialise Kibana rules as NDJSON, one rule a line, for Kibana's rule import."""
    return "".join(json.dumps(rule, ensure_ascii=False, sort_keys=True) + "\n" for rule in rules)
