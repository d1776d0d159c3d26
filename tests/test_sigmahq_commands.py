"""The check and contribution commands: exit codes, output lines and written files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT, RULE_PATH

BROKEN = Path("tests/data/sigmahq/broken")
RULE_OUT = Path("rules/cloud/aws/cloudtrail/aws_rds_snapshot_cross_region.yml")


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "converters", *map(str, args)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_command_passes_project_rule():
    result = run("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "yamllint: ok",
        "JSON schema v2.1.0: ok",
        "sigma check: ok",
        "SigmaHQ conventions: ok",
        "stock conversion: ok",
    ]


def _network_namespace_available() -> bool:
    # `unshare -n` gives the command a network namespace with no interface but loopback.
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "true"], check=False, capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(
    not _network_namespace_available(), reason="unshare -n needs root or user namespaces"
)
def test_check_command_without_network(tmp_path: Path):
    base = ["unshare", "-n", sys.executable, "-m", "converters"]
    check = subprocess.run(
        [*base, "check"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert check.returncode == 0, check.stdout + check.stderr
    contribution = subprocess.run(
        [*base, "contribution", "--out", str(tmp_path)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert contribution.returncode == 0, contribution.stderr
    assert (tmp_path / "PULL_REQUEST.md").is_file()


def test_check_command_as_is_reports_fields():
    result = run("check", "--as-is")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "sigma/aws_rds_snapshot_cross_region.yml: fields: Rule is using the deprecated field fields "
        "(SigmahqFieldsExistenceIssue, medium); expected: no 'fields' key, which SigmaHQ has deprecated [sigma check]"
    )


def test_check_command_fixture_lines():
    fixture = BROKEN / "aws_rds_snapshot_stock_splunk_unconvertible.yml"
    result = run("check", "--as-is", "--rule", fixture)
    assert result.returncode == 1
    problem = (
        f"{fixture}: (conversion: splunk): the stock backend cannot convert the rule "
        "(SigmaFeatureNotSupportedByBackendError: ORing FieldRef matching is not yet supported by Splunk "
        "backend); expected: a rule that Splunk (pySigma-backend-splunk, no pipeline) converts [stock conversion]"
    )
    assert result.stdout.splitlines() == [
        problem,
        "yamllint: ok",
        "JSON schema v2.1.0: ok",
        "sigma check: ok",
        "SigmaHQ conventions: ok",
        "stock conversion: 1 problem",
    ]


def test_check_command_missing_rule():
    result = run("check", "--rule", "sigma/no_such_rule.yml")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: sigma/no_such_rule.yml: rule file not found. Pass an existing Sigma rule file."
    ]


def test_check_command_rejects_binary_file(tmp_path: Path):
    rule = tmp_path / "aws_rds_snapshot_latin1.yml"
    rule.write_bytes("title: R\xe9gion\n".encode("latin-1"))
    result = run("check", "--as-is", "--rule", rule)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {rule}: not UTF-8 text (invalid continuation byte). Save the rule as UTF-8."
    ]


def test_contribution_writes_two_files(tmp_path: Path):
    result = run("contribution", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    written = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file())
    assert written == sorted([RULE_OUT, Path("PULL_REQUEST.md")])
    source = yaml.safe_load(RULE_PATH.read_text())
    contributed = yaml.safe_load((tmp_path / RULE_OUT).read_text())
    assert contributed == {key: value for key, value in source.items() if key != "fields"}


def test_contribution_output_passes_check(tmp_path: Path):
    assert run("contribution", "--out", tmp_path).returncode == 0
    result = run("check", "--as-is", "--rule", tmp_path / RULE_OUT)
    assert result.returncode == 0, result.stdout


def test_contribution_rejects_failing_rule(tmp_path: Path):
    out = tmp_path / "out"
    result = run(
        "contribution", "--rule", BROKEN / "aws_rds_snapshot_validator_issues.yml", "--out", out
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "fails 6 SigmaHQ checks; run `make check`" in lines[0]
    assert not out.exists()


def test_contribution_rejects_two_rules(tmp_path: Path):
    second = tmp_path / "aws_rds_snapshot_second_copy.yml"
    second.write_text(RULE_PATH.read_text())
    result = run("contribution", "--rule", RULE_PATH, "--rule", second, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "contains one rule, but 2 rules were given" in result.stderr
    assert not (tmp_path / "out").exists()
