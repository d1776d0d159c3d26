"""ES|QL conversion of the project rule and the Kibana detection rules built from it."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from converters.ecs import to_ecs
from converters.elastic import (
    DATA_SOURCES,
    SUPPRESSION_MINUTES,
    check_output_format,
    convert_esql,
    investigation_fields,
    kibana_rule,
    rule_id,
    rules_ndjson,
)
from converters.errors import ConversionError
from converters.evaluators.esql import parse_esql
from converters.rules import LoadedRule

from .conftest import ROOT, load_cases

SCHEMA_DIR = ROOT / "tests" / "data" / "kibana-rule-schemas"
SCHEMAS = sorted(SCHEMA_DIR.glob("*.esql.json"))
SOURCES = list(DATA_SOURCES.values())
SOURCE_IDS = list(DATA_SOURCES)


@pytest.fixture(scope="module")
def kibana_rules(project_rule: LoadedRule) -> dict[str, dict[str, Any]]:
    return {
        source.key: kibana_rule(project_rule, source, convert_esql(project_rule, source))
        for source in SOURCES
    }


def test_schemas_cover_8x_and_9x():
    versions = [path.name.split(".esql")[0] for path in SCHEMAS]
    assert any(v.startswith("8.") for v in versions)
    assert any(v.startswith("9.") for v in versions)


@pytest.mark.parametrize("schema_path", SCHEMAS, ids=[p.name for p in SCHEMAS])
@pytest.mark.parametrize("source", SOURCE_IDS)
def test_kibana_rule_matches_schema(schema_path: Path, source: str, kibana_rules: dict[str, dict[str, Any]]):
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    errors = [error.message for error in jsonschema.Draft4Validator(schema).iter_errors(kibana_rules[source])]
    assert errors == []


@pytest.mark.parametrize("schema_path", SCHEMAS, ids=[p.name for p in SCHEMAS])
def test_schema_rejects_broken_rule(schema_path: Path, kibana_rules: dict[str, dict[str, Any]]):
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    broken = dict(kibana_rules["ecs"], type="query", severity="urgent", unknown_key=1)
    assert len(list(jsonschema.Draft4Validator(schema).iter_errors(broken))) >= 3


@pytest.mark.parametrize("source", SOURCE_IDS)
def test_kibana_rule_core_fields(source: str, kibana_rules: dict[str, dict[str, Any]], project_rule: LoadedRule):
    rule = kibana_rules[source]
    assert rule["type"] == "esql"
    assert rule["language"] == "esql"
    assert rule["severity"] == "medium"
    assert rule["risk_score"] == 47
    assert rule["name"].startswith("AWS RDS Snapshot Copied To Another Region (")
    assert rule["description"].startswith("Detects a successful copy of an Amazon RDS")
    assert rule["query"] == convert_esql(project_rule, DATA_SOURCES[source])
    assert "metadata _id, _index, _version" in rule["query"].splitlines()[0]
    assert rule["references"][0] == "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html"
    assert rule["false_positives"][1] == "Planned migrations of a database to another region"
    assert rule["tags"][-1] == "Tactic: Exfiltration"
    assert "Data Source: AWS CloudTrail" in rule["tags"]


def test_kibana_rule_ids_stable_and_distinct(project_rule: LoadedRule):
    ids = [rule_id(project_rule.rule, source) for source in SOURCES]
    assert len(set(ids)) == len(ids)
    assert ids == [rule_id(project_rule.fresh(), source) for source in SOURCES]
    assert all(uuid.UUID(value).version == 5 for value in ids)
    assert str(project_rule.rule.id) not in ids


def test_kibana_rule_without_sigma_id_raises(project_rule: LoadedRule):
    rule = project_rule.fresh()
    rule.id = None
    with pytest.raises(ConversionError, match="has no id. Add a UUID 'id:'"):
        rule_id(rule, DATA_SOURCES["raw"])


def test_kibana_rule_threat_mapping(kibana_rules: dict[str, dict[str, Any]]):
    assert kibana_rules["raw"]["threat"] == [{
        "framework": "MITRE ATT&CK",
        "tactic": {"id": "TA0010", "name": "Exfiltration", "reference": "https://attack.mitre.org/tactics/TA0010/"},
        "technique": [{
            "id": "T1537",
            "name": "Transfer Data to Cloud Account",
            "reference": "https://attack.mitre.org/techniques/T1537/",
        }],
    }]


@pytest.mark.parametrize("source", SOURCE_IDS)
def test_kibana_rule_schedule_overlaps(source: str, kibana_rules: dict[str, dict[str, Any]]):
    rule = kibana_rules[source]
    interval = int(rule["interval"].removesuffix("m"))
    lookback = int(rule["from"].removeprefix("now-").removesuffix("m"))
    assert lookback > interval
    assert rule["to"] == "now"


def test_kibana_rule_timestamps(kibana_rules: dict[str, dict[str, Any]]):
    assert kibana_rules["raw"]["timestamp_override"] == "eventTime"
    assert kibana_rules["ecs"]["timestamp_override"] == "event.ingested"


@pytest.mark.parametrize(("source", "arn_field"), [("raw", "userIdentity.arn"), ("ecs", "aws.cloudtrail.user_identity.arn")])
def test_kibana_rule_suppresses_by_caller(source: str, arn_field: str, kibana_rules: dict[str, dict[str, Any]]):
    assert kibana_rules[source]["alert_suppression"] == {
        "group_by": [arn_field],
        "duration": {"value": SUPPRESSION_MINUTES, "unit": "m"},
        "missing_fields_strategy": "doNotSuppress",
    }
    assert SUPPRESSION_MINUTES == 60


def test_kibana_rule_investigation_fields(kibana_rules: dict[str, dict[str, Any]]):
    raw = kibana_rules["raw"]["investigation_fields"]["field_names"]
    ecs = kibana_rules["ecs"]["investigation_fields"]["field_names"]
    assert raw[:3] == ["eventName", "eventSource", "awsRegion"]
    assert ecs[:3] == ["event.action", "event.provider", "cloud.region"]
    assert "aws.cloudtrail.user_identity.arn" in ecs
    assert "request_parameters.sourceDBSnapshotIdentifier" in ecs
    assert raw[-2:] == ecs[-2:] == ["rds_source_region", "rds_destination_region"]


@pytest.mark.parametrize(("source", "arn_field"), [("raw", "userIdentity.arn"), ("ecs", "aws.cloudtrail.user_identity.arn")])
def test_kibana_rule_investigation_guide(source: str, arn_field: str, kibana_rules: dict[str, dict[str, Any]]):
    note = kibana_rules[source]["note"]
    assert note.startswith("## Triage and analysis\n")
    assert f"`{arn_field}`" in note
    assert "24 hours" in note
    assert "90 days" in note
    assert "48 hours" in note
    assert "ModifyDBSnapshotAttribute" in note
    assert "$" not in note
    assert kibana_rules[source]["setup"].startswith("## Setup\n")


def test_kibana_rule_index_override(project_rule: LoadedRule):
    source = DATA_SOURCES["ecs"]
    query = convert_esql(project_rule, source, "logs-aws.cloudtrail-prod")
    rule = kibana_rule(project_rule, source, query, "logs-aws.cloudtrail-prod")
    assert rule["query"].startswith("from logs-aws.cloudtrail-prod metadata")
    assert "logs-aws.cloudtrail-prod" in rule["setup"]


def test_rules_ndjson_one_rule_a_line(kibana_rules: dict[str, dict[str, Any]]):
    text = rules_ndjson(list(kibana_rules.values()))
    lines = text.splitlines()
    assert text.endswith("\n")
    assert len(lines) == 2
    assert [json.loads(line)["rule_id"] for line in lines] == [r["rule_id"] for r in kibana_rules.values()]


def test_conversion_works_offline(project_rule: LoadedRule, monkeypatch: pytest.MonkeyPatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access during conversion")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for source in SOURCES:
        rule = kibana_rule(project_rule, source, convert_esql(project_rule, source))
        assert rule["threat"][0]["technique"][0]["id"] == "T1537"


@pytest.mark.parametrize(("output_format", "language"), [("lucene", "Lucene"), ("KQL", "KQL"), ("eql", "EQL")])
def test_field_comparison_language_raises(output_format: str, language: str, project_rule: LoadedRule):
    with pytest.raises(ConversionError) as raised:
        check_output_format(output_format, [project_rule])
    message = str(raised.value)
    assert message.startswith(f"{language} cannot compare two fields, so it cannot express the field comparison ")
    assert "'requestParameters.sourceRegion|fieldref: awsRegion' in aws_rds_snapshot_cross_region.yml" in message
    assert "Use the ES|QL rules instead" in message


def test_unknown_output_format_raises(project_rule: LoadedRule):
    with pytest.raises(ConversionError, match="Unknown Elastic output format 'sql'. Valid: esql"):
        check_output_format("sql", [project_rule])


def test_esql_output_format_accepted(project_rule: LoadedRule):
    assert check_output_format("ESQL", [project_rule]) is None


@pytest.mark.parametrize("source", SOURCE_IDS)
def test_investigation_guide_query_runs(source: str, kibana_rules: dict[str, dict[str, Any]]):
    note = kibana_rules[source]["note"]
    block = note.split("```\n", 2)[1].split("```")[0]
    caller = "arn:aws:iam::123456789012:user/contractor"
    query = parse_esql(" ".join(block.replace("<caller ARN>", caller).split()))
    shape = to_ecs if source == "ecs" else dict
    records = [case.record for case in load_cases()]
    rows = query.rows([shape(record) for record in records])
    expected = [r for r in records if r["userIdentity"]["arn"] == caller and r["eventName"].startswith("Copy")]
    assert len(rows) == len(expected) >= 1


def test_investigation_fields_unknown_ecs_field_raises(project_rule: LoadedRule):
    rule = project_rule.fresh()
    rule.fields = ["eventName", "tlsDetails.tlsVersion"]
    with pytest.raises(ConversionError, match="Elastic AWS integration: 'tlsDetails.tlsVersion' has no known field"):
        investigation_fields(rule, DATA_SOURCES["ecs"])
