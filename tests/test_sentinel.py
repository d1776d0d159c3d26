"""Sentinel KQL and the scheduled analytics rule generated from the project's rule."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from converters.errors import ConversionError
from converters.evaluators.kql import cached_kql
from converters.rules import LoadedRule, load_rule
from converters.sentinel import (
    analytics_rule,
    convert_kql,
    custom_details,
    render_analytics_rule,
    rule_id,
    validate_analytics_rule,
)
from converters.sentinel_schema import analytics_rule_problems

from .conftest import RULE_PATH, load_cases

CASES = load_cases()


@pytest.fixture(scope="module")
def kql(project_rule: LoadedRule) -> str:
    return convert_kql(project_rule)


@pytest.fixture(scope="module")
def document(project_rule: LoadedRule, kql: str) -> dict:
    return yaml.safe_load(render_analytics_rule(analytics_rule(project_rule.rule, kql)))


def test_sentinel_rule_passes_repository_checks(document: dict):
    assert analytics_rule_problems(document) == []


def test_sentinel_rule_values(document: dict, kql: str):
    assert document["name"] == "AWS RDS Snapshot Copied To Another Region"
    assert document["severity"] == "Medium"
    assert document["kind"] == "Scheduled"
    assert document["tactics"] == ["Exfiltration"]
    assert document["relevantTechniques"] == ["T1537"]
    assert document["requiredDataConnectors"] == [
        {"connectorId": "AWS", "dataTypes": ["AWSCloudTrail"]}
    ]
    assert document["query"] == kql + "\n"
    assert document["version"] == "1.0.0"


def test_sentinel_rule_id_is_stable(project_rule: LoadedRule, document: dict):
    assert document["id"] == rule_id(project_rule.rule)
    assert uuid.UUID(document["id"]).version == 5
    assert document["id"] != str(project_rule.rule.id)


def test_sentinel_entity_mappings(document: dict):
    mapped = {
        m["entityType"]: {f["identifier"]: f["columnName"] for f in m["fieldMappings"]}
        for m in document["entityMappings"]
    }
    assert mapped == {
        "Account": {"FullName": "UserIdentityArn"},
        "IP": {"Address": "SourceIpAddress"},
        "CloudApplication": {"Name": "CloudAppName", "InstanceName": "RecipientAccountId"},
    }


def test_sentinel_mapped_columns_are_output(document: dict, kql: str):
    row = cached_kql(kql).rows(CASES[0].record)[0]
    columns = {f["columnName"] for m in document["entityMappings"] for f in m["fieldMappings"]}
    columns |= set(document["customDetails"].values())
    assert columns <= set(row)


def test_sentinel_output_row_values(kql: str):
    row = cached_kql(kql).rows(CASES[0].record)[0]
    assert row["UserIdentityArn"] == CASES[0].record["userIdentity"]["arn"]
    assert (
        row["SourceSnapshot"] == CASES[0].record["requestParameters"]["sourceDBSnapshotIdentifier"]
    )
    assert row["SourceRegion"] == "us-east-1"
    assert row["DestinationRegion"] == "us-west-2"
    assert row["CloudAppName"] == "Amazon Web Services"


def test_sentinel_custom_details_cover_fields(project_rule: LoadedRule, document: dict):
    details = custom_details(project_rule.rule)
    assert len(details) == len(project_rule.rule.fields)
    assert details["SourceSnapshot"] == "SourceSnapshot"
    assert document["customDetails"]["SourceRegion"] == "SourceRegion"


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_sentinel_kql_matches_case(kql: str, case):
    assert cached_kql(kql).matches(case.record) is case.expected


def test_sentinel_follows_rule_changes(tmp_path: Path):
    changed = tmp_path / "changed.yml"
    changed.write_text(
        RULE_PATH.read_text()
        .replace("level: medium", "level: high")
        .replace("- CopyDBClusterSnapshot", "- RestoreDBClusterFromSnapshot")
    )
    loaded = load_rule(changed)
    query = convert_kql(loaded)
    assert '"RestoreDBClusterFromSnapshot"' in query
    assert analytics_rule(loaded.rule, query)["severity"] == "High"


def test_sentinel_rejects_long_custom_detail_key(tmp_path: Path):
    changed = tmp_path / "changed.yml"
    changed.write_text(
        RULE_PATH.read_text().replace(
            "    - eventName\n",
            "    - eventName\n    - requestParameters.targetDBSnapshotIdentifier\n",
            1,
        )
    )
    with pytest.raises(ConversionError, match="'TargetDBSnapshotIdentifier' for the output field"):
        convert_kql(load_rule(changed))


def test_sentinel_rejects_unknown_output_field(tmp_path: Path):
    changed = tmp_path / "changed.yml"
    changed.write_text(RULE_PATH.read_text().replace("    - eventName\n", "    - sessionName\n", 1))
    with pytest.raises(ConversionError, match="'sessionName' has no column"):
        convert_kql(load_rule(changed))


def test_sentinel_validate_reports_problems(project_rule: LoadedRule, document: dict):
    broken = document | {"severity": "Critical"}
    with pytest.raises(ConversionError, match="severity 'Critical' is not one of"):
        validate_analytics_rule(broken, project_rule.path)
