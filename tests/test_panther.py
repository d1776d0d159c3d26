"""Panther rule generation, checked by Panther's own CLI running the rule's tests offline."""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from converters.errors import ConversionError
from converters.evaluators.panther import call_function, run_rule
from converters.panther import PantherRule, convert_panther, rule_id
from converters.rules import LoadedRule, load_rule

from .conftest import ROOT, RULE_PATH, load_cases

CASES = load_cases()
REQUIRED_KEYS = {
    "AnalysisType",
    "Filename",
    "RuleID",
    "DisplayName",
    "Enabled",
    "LogTypes",
    "Tags",
    "Reports",
    "Severity",
    "Description",
    "Runbook",
    "Reference",
    "DedupPeriodMinutes",
    "Threshold",
    "SummaryAttributes",
    "Tests",
}


def panther_cli() -> Path:
    """Return panther_analysis_tool from the environment that `make test` prepares."""
    configured = os.environ.get("PANTHER_ANALYSIS_TOOL")
    if configured:
        assert Path(configured).exists(), (
            f"PANTHER_ANALYSIS_TOOL={configured} does not exist; run make test"
        )
        return Path(configured).absolute()
    default = ROOT / ".venv-panther" / "bin" / "panther_analysis_tool"
    if not default.exists():
        pytest.skip(
            "panther-analysis-tool is not installed; `make test` installs it into .venv-panther"
        )
    return default


def run_panther_tests(folder: Path) -> subprocess.CompletedProcess[str]:
    # --skip-version-check must come before the subcommand, because otherwise the CLI
    # first queries PyPI for a newer version.
    return subprocess.run(
        [str(panther_cli()), "--skip-version-check", "test", "--path", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )


def write_rule(rule: PantherRule, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{rule.name}.py").write_text(rule.python)
    (folder / f"{rule.name}.yml").write_text(rule.metadata)
    return folder


@pytest.fixture(scope="module")
def generated(project_rule: LoadedRule) -> PantherRule:
    return convert_panther(project_rule, CASES)


@pytest.fixture(scope="module")
def metadata(generated: PantherRule) -> dict:
    return yaml.safe_load(generated.metadata)


def test_panther_cli_passes_generated_rule(generated: PantherRule, tmp_path: Path):
    result = run_panther_tests(write_rule(generated, tmp_path / "rules"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed: 1" in result.stdout
    assert "Failed: 0" in result.stdout


def test_panther_cli_fails_wrong_expectation(
    generated: PantherRule, metadata: dict, tmp_path: Path
):
    flipped = dict(metadata)
    flipped["Tests"] = [dict(test) for test in metadata["Tests"]]
    flipped["Tests"][0]["ExpectedResult"] = not flipped["Tests"][0]["ExpectedResult"]
    wrong = PantherRule(generated.name, generated.python, yaml.safe_dump(flipped, sort_keys=False))
    result = run_panther_tests(write_rule(wrong, tmp_path / "rules"))
    assert result.returncode != 0
    assert "Failed: 1" in result.stdout
    assert flipped["Tests"][0]["Name"] in result.stdout


def test_panther_metadata_has_required_keys(metadata: dict):
    assert REQUIRED_KEYS <= set(metadata)
    assert metadata["AnalysisType"] == "rule"
    assert metadata["LogTypes"] == ["AWS.CloudTrail"]
    assert metadata["Filename"] == "aws_rds_snapshot_cross_region.py"


def test_panther_metadata_values(metadata: dict):
    assert metadata["RuleID"] == "AWS.RDS.SnapshotCopiedToAnotherRegion"
    assert metadata["Severity"] == "Medium"
    assert metadata["DedupPeriodMinutes"] == 60
    assert metadata["Threshold"] == 1
    assert metadata["Reports"] == {"MITRE ATT&CK": ["TA0010:T1537"]}
    assert metadata["Tags"] == ["AWS", "RDS", "Exfiltration", "Transfer Data to Cloud Account"]
    assert metadata["Runbook"].startswith("1. ")
    assert metadata["Reference"].startswith("https://docs.aws.amazon.com/")


def test_panther_summary_attributes_use_colons(metadata: dict):
    assert "userIdentity:arn" in metadata["SummaryAttributes"]
    assert "requestParameters:sourceDBSnapshotIdentifier" in metadata["SummaryAttributes"]
    assert metadata["SummaryAttributes"][-1] == "p_any_aws_account_ids"


def test_panther_tests_are_the_case_table(metadata: dict):
    tests = metadata["Tests"]
    assert [t["Name"] for t in tests] == [case.name for case in CASES]
    assert [t["ExpectedResult"] for t in tests] == [case.expected for case in CASES]
    assert [t["Log"] for t in tests] == [case.record for case in CASES]


def test_panther_module_is_valid_python(generated: PantherRule):
    tree = ast.parse(generated.python)
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {
        "rule",
        "title",
        "dedup",
        "alert_context",
        "rds_source_region",
        "rds_destination_region",
    } <= functions


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_panther_rule_matches_case(generated: PantherRule, case):
    assert run_rule(generated.python, case.record) is case.expected


def test_panther_dedup_and_title_use_caller(generated: PantherRule):
    record = CASES[0].record
    caller = record["userIdentity"]["arn"]
    assert call_function(generated.python, "dedup", record) == caller
    assert call_function(generated.python, "title", record) == (
        f"AWS RDS Snapshot Copied To Another Region: us-east-1 to us-west-2 by [{caller}]"
    )


def test_panther_dedup_without_caller(generated: PantherRule):
    assert call_function(generated.python, "dedup", {"eventName": "x"}) == "<UNKNOWN_ARN>"


def test_panther_alert_context_has_output_fields(generated: PantherRule, project_rule: LoadedRule):
    context = call_function(generated.python, "alert_context", CASES[0].record)
    assert set(project_rule.rule.fields) <= set(context)
    assert context["rdsSourceRegion"] == "us-east-1"
    assert context["rdsDestinationRegion"] == "us-west-2"


def test_panther_follows_rule_changes(tmp_path: Path):
    changed = tmp_path / "changed.yml"
    changed.write_text(
        RULE_PATH.read_text().replace("- CopyDBClusterSnapshot", "- RestoreDBClusterFromSnapshot")
    )
    python = convert_panther(load_rule(changed), []).python
    assert '"restoredbclusterfromsnapshot"' in python
    assert '"copydbclustersnapshot"' not in python


def test_panther_rule_without_cases_has_no_tests(project_rule: LoadedRule):
    assert yaml.safe_load(convert_panther(project_rule, []).metadata)["Tests"] == []


def test_panther_rule_id_from_title(tmp_path: Path):
    other = tmp_path / "other.yml"
    other.write_text(
        RULE_PATH.read_text().replace(
            "title: AWS RDS Snapshot Copied To Another Region", "title: 'AWS IAM: user created'"
        )
    )
    assert rule_id(load_rule(other).rule) == "AWS.IAM.UserCreated"


def test_panther_rule_id_needs_words(tmp_path: Path):
    other = tmp_path / "other.yml"
    other.write_text(
        RULE_PATH.read_text().replace(
            "title: AWS RDS Snapshot Copied To Another Region", "title: AWS RDS"
        )
    )
    with pytest.raises(
        ConversionError, match="Cannot derive a Panther RuleID from the title 'AWS RDS'"
    ):
        rule_id(load_rule(other).rule)


def test_panther_hostile_title_stays_valid_python(tmp_path: Path):
    other = tmp_path / "other.yml"
    other.write_text(
        RULE_PATH.read_text().replace(
            "title: AWS RDS Snapshot Copied To Another Region",
            'title: \'AWS RDS copy """ {x} \\\\n done\'',
        )
    )
    loaded = load_rule(other)
    python = convert_panther(loaded, []).python
    ast.parse(python)
    title = call_function(python, "title", CASES[0].record)
    assert '"""' in loaded.rule.title
    assert title.startswith(f"{loaded.rule.title}: us-east-1 to us-west-2")
