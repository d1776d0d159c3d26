"""make check on the project rule and on broken fixtures: every check can fail, with the exact problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from converters.rules import load_rule
from converters.sigmahq.check import STEPS, check_contributions, check_files, format_report

from .conftest import ROOT, RULE_PATH, load_cases

CASES = load_cases()
BROKEN = ROOT / "tests" / "data" / "sigmahq" / "broken"

# The problems each broken fixture must produce, as (check, key, part of the message).
# Each fixture breaks one family of checks; a few defects also trip a second check,
# as they do in SigmaHQ's CI.
EXPECTED_PROBLEMS = {
    "aws_rds_snapshot_yamllint_errors.yml": [
        (
            "yamllint",
            "line 1, column 1",
            'found forbidden document start "---" (document-start warning)',
        ),
        ("yamllint", "line 24, column 3", "wrong indentation: expected 4 but found 2"),
        ("yamllint", "line 25, column 5", "wrong indentation: expected 6 but found 4"),
        ("yamllint", "line 27, column 7", "wrong indentation: expected 8 but found 6"),
        ("yamllint", "line 30, column 5", "wrong indentation: expected 6 but found 4"),
        ("yamllint", "line 32, column 5", "wrong indentation: expected 6 but found 4"),
        ("yamllint", "line 34, column 5", "wrong indentation: expected 6 but found 4"),
        ("yamllint", "line 36, column 5", "wrong indentation: expected 6 but found 4"),
        ("yamllint", "line 39, column 5", "wrong indentation: expected 6 but found 4"),
        ("yamllint", "line 44, column 14", "trailing spaces"),
    ],
    "aws_rds_snapshot_schema_errors.yml": [
        ("JSON schema v2.1.0", "$.date", "'2026/12/04' does not match"),
        ("JSON schema v2.1.0", "$.level", "'severe' is not valid under any of the given schemas"),
        ("sigma check", "(rule)", "'severe' is not a valid Sigma rule level (SigmaLevelError)"),
        ("SigmaHQ conventions", "date", "'2026/12/04' is not a YYYY-MM-DD date"),
    ],
    "aws_rds_snapshot_validator_issues.yml": [
        ("sigma check", "falsepositives", "(word planned) (SigmahqFalsepositivesCapitalIssue"),
        ("sigma check", "fields", "deprecated field fields (SigmahqFieldsExistenceIssue"),
        ("sigma check", "tags", "(tag attack.t1999) (InvalidATTACKTagIssue"),
        ("sigma check", "title", "(SigmahqTitleStartIssue"),
        ("SigmaHQ conventions", "title", "starts with 'Detects'"),
        ("SigmaHQ conventions", "tags", "'attack.t1999' is not an ATT&CK technique"),
        (
            "SigmaHQ conventions",
            "falsepositives",
            "'planned migrations of a database to another region' does not start",
        ),
    ],
    "rds_snapshot_conventions_violations.yml": [
        ("sigma check", "references", "(SigmahqGithubLinkIssue"),
        ("SigmaHQ conventions", "(file)", "contains the trademark 'ATT&CK'"),
        (
            "SigmaHQ conventions",
            "(key order)",
            "title, id, description, references, status, author",
        ),
        ("SigmaHQ conventions", "(file name)", "does not start with 'aws_'"),
        ("SigmaHQ conventions", "references", "is not a commit permalink"),
        (
            "SigmaHQ conventions",
            "detection.filter_same_region",
            "the exclusion is named 'filter_same_region'",
        ),
        ("SigmaHQ conventions", "detection.selection_event.eventName", "a list with one element"),
    ],
    "aws_rds_snapshot_stock_same_region_alerts.yml": [
        (
            "stock conversion",
            "(case: every hint names the same region)",
            "the stock splunk query alerts",
        ),
        (
            "stock conversion",
            "(case: every hint names the same region)",
            "the stock esql query alerts",
        ),
    ],
    "aws_rds_snapshot_stock_splunk_unconvertible.yml": [
        (
            "stock conversion",
            "(conversion: splunk)",
            "ORing FieldRef matching is not yet supported",
        ),
    ],
}


def test_check_fixture_table_covers_every_fixture():
    assert sorted(EXPECTED_PROBLEMS) == sorted(path.name for path in BROKEN.glob("*.yml"))


def test_check_fixtures_cover_every_step():
    covered = {check for problems in EXPECTED_PROBLEMS.values() for check, _, _ in problems}
    assert covered == set(STEPS)


@pytest.mark.parametrize("name", sorted(EXPECTED_PROBLEMS), ids=str)
def test_check_broken_fixture_exact_problems(name: str):
    report = check_files([BROKEN / name], CASES)
    found = [(problem.check, problem.key, problem.message) for problem in report.problems]
    expected = EXPECTED_PROBLEMS[name]
    assert [(check, key) for check, key, _ in found] == [(check, key) for check, key, _ in expected]
    for (_, _, message), (_, _, fragment) in zip(found, expected):
        assert fragment in message
    assert not report.ok


@pytest.mark.parametrize("name", sorted(EXPECTED_PROBLEMS), ids=str)
def test_check_problem_lines_name_file(name: str):
    report = check_files([BROKEN / name], CASES)
    lines = format_report(report)
    for line in lines[: len(report.problems)]:
        assert line.startswith(f"{BROKEN / name}: ")
        assert "; expected: " in line


def test_check_project_rule_passes_as_contributed():
    report, texts = check_contributions([load_rule(RULE_PATH)], CASES)
    assert report.problems == []
    assert list(texts) == [Path("rules/cloud/aws/cloudtrail/aws_rds_snapshot_cross_region.yml")]
    assert format_report(report)[-len(STEPS) :] == [f"{step}: ok" for step in STEPS]


def test_check_project_rule_as_is_flags_fields():
    report = check_files([RULE_PATH], CASES)
    assert [(problem.check, problem.key) for problem in report.problems] == [
        ("sigma check", "fields")
    ]


def test_check_collects_problems_of_several_files():
    names = [
        "aws_rds_snapshot_schema_errors.yml",
        "aws_rds_snapshot_stock_splunk_unconvertible.yml",
    ]
    report = check_files([BROKEN / name for name in names], CASES)
    assert len(report.problems) == sum(len(EXPECTED_PROBLEMS[name]) for name in names)
    assert {problem.file.name for problem in report.problems} == set(names)
