"""pySigma validators with SigmaHQ's sigma_cli_conf.yml, as `sigma check` runs them."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from converters.sigmahq.offline import SIGMA_CLI_CONFIG, network_blocked, use_shipped_data
from converters.sigmahq.validators import ISSUE_KEYS, run_validators

from .conftest import RULE_PATH


@pytest.fixture(autouse=True)
def shipped_data(tmp_path: Path):
    use_shipped_data(tmp_path / "cache")
    with network_blocked():
        yield


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "aws_rds_snapshot_cross_region.yml"
    text = RULE_PATH.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


def test_validators_config_matches_sigmahq():
    config = SIGMA_CLI_CONFIG.read_text()
    for line in (
        "    - all",
        "    - -sigmahq_fieldname_cast",
        "    - -sigmahq_filename_prefix",
        "    - -sigmahq_logsource_unknown",
        "    - -sigmahq_ofselection_condition",
    ):
        assert f"\n{line}\n" in config


def test_validators_flag_fields_key():
    problems = run_validators([RULE_PATH])
    assert [(problem.key, problem.expected) for problem in problems] == [
        ("fields", ISSUE_KEYS["SigmahqFieldsExistenceIssue"][1])
    ]


@pytest.mark.parametrize(
    ("old", "new", "key", "issue"),
    [
        ("    - attack.exfiltration\n", "", "tags", "SigmahqTagsTechniquesWithoutTacticsIssue"),
        ("attack.t1537", "attack.t1537.999", "tags", "InvalidATTACKTagIssue"),
        ("    - attack.t1537\n", "    - attack.t1537\n    - d3fend.d3-nta\n", None, None),
        (
            "    - attack.t1537\n",
            "    - attack.t1537\n    - d3fend.d3-xyz\n",
            "tags",
            "InvalidD3FENDagIssue",
        ),
        (
            "author: Cloudtrail Sigma Toolkit contributors\n",
            "",
            "author",
            "SigmahqAuthorExistenceIssue",
        ),
    ],
    ids=[
        "technique without tactic",
        "unknown sub-technique",
        "valid d3fend tag",
        "unknown d3fend tag",
        "no author",
    ],
)
def test_validators_report_issue(
    tmp_path: Path, old: str, new: str, key: str | None, issue: str | None
):
    problems = [p for p in run_validators([_variant(tmp_path, old, new)]) if p.key != "fields"]
    if issue is None:
        assert problems == []
        return
    assert [problem.key for problem in problems] == [key]
    assert f"({issue}, " in problems[0].message


def test_validators_report_parse_error(tmp_path: Path):
    problems = run_validators([_variant(tmp_path, "level: medium", "level: severe")])
    assert [(problem.key, problem.check) for problem in problems] == [("(rule)", "sigma check")]
    assert problems[0].message == "'severe' is not a valid Sigma rule level (SigmaLevelError)"


def test_validators_report_condition_error(tmp_path: Path):
    path = _variant(
        tmp_path, "condition: selection_event and", "condition: selection_event and and"
    )
    problems = run_validators([path])
    assert "detection.condition" in [problem.key for problem in problems]


def test_validators_flag_stable_new_rule(tmp_path: Path):
    # SigmaHQ accepts stable only for rules older than 60 days, counted from today.
    path = _variant(tmp_path, "status: experimental", "status: stable")
    path.write_text(
        path.read_text().replace("date: 2026-12-04", f"date: {datetime.date.today().isoformat()}")
    )
    problems = [problem for problem in run_validators([path]) if problem.key != "fields"]
    assert [problem.key for problem in problems] == ["status"]
    assert "(SigmahqStatusToHighIssue, " in problems[0].message
