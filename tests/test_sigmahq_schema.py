"""The Sigma JSON schema v2.1.0 check, through check-jsonschema as SigmaHQ's CI runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from converters.sigmahq.schema import check_schema, expectation

from .conftest import RULE_PATH


def test_schema_accepts_project_rule():
    assert check_schema([RULE_PATH]) == []


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        (
            "id: 43eba77c-8dc3-4bc4-a29f-9cbbfe7e8012",
            "id: rule-1",
            "$.id",
            "'rule-1' is not a 'uuid'",
        ),
        (
            "status: experimental",
            "status: new",
            "$.status",
            "'new' is not valid under any of the given schemas",
        ),
        ("date: 2026-12-04", "date: 04.12.2026", "$.date", "'04.12.2026' does not match"),
        ("    - attack.t1537", "    - Attack T1537", "$.tags[1]", "'Attack T1537' does not match"),
    ],
    ids=["id not uuid", "unknown status", "date format", "tag pattern"],
)
def test_schema_reports_violation(tmp_path: Path, old: str, new: str, key: str, message: str):
    path = tmp_path / "aws_rds_snapshot_cross_region.yml"
    path.write_text(RULE_PATH.read_text().replace(old, new))
    problems = check_schema([path])
    assert [(problem.file, problem.key) for problem in problems] == [(path, key)]
    assert message in problems[0].message


def test_schema_reports_unparsable_file(tmp_path: Path):
    path = tmp_path / "aws_broken.yml"
    path.write_text("title: [unclosed\n")
    problems = check_schema([path])
    assert [(problem.key, problem.expected) for problem in problems] == [("(file)", "valid YAML")]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.level", "one of informational, low, medium, high, critical"),
        ("$.id", "a uuid"),
        ("$.tags[0]", "a value matching ^[a-z0-9_-]+\\.[a-z0-9._-]+$"),
        (
            "$",
            "a mapping with the keys title, logsource, detection and only keys the Sigma specification defines",
        ),
    ],
    ids=["enum", "format", "item pattern", "top level"],
)
def test_schema_expectation_from_schema(path: str, expected: str):
    assert expectation(path) == expected
