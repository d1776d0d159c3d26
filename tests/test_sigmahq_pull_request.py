"""PULL_REQUEST.md: SigmaHQ's template sections, the example event, checks, stock queries and misses."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from converters.rules import LoadedRule, load_rule
from converters.sigmahq.pull_request import ContributionError, example_event, write_contribution
from converters.sigmahq.stock import STOCK_TARGETS, StockTarget, convert_stock, run_stock

from .conftest import load_cases

CASES = load_cases()
RULE_OUT = Path("rules/cloud/aws/cloudtrail/aws_rds_snapshot_cross_region.yml")
SECTIONS = [
    "Summary of the Pull Request",
    "Changelog",
    "Example Log Event",
    "Fixed Issues",
    "SigmaHQ Rule Creation Conventions",
    "False Positives",
    "Checks Run Before Submission",
    "Stock Conversions",
    "What Stock Conversion Misses",
]


@pytest.fixture(scope="module")
def contribution(project_rule: LoadedRule, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sigmahq")
    written = write_contribution(project_rule, CASES, out)
    assert [path.relative_to(out) for path in written] == [RULE_OUT, Path("PULL_REQUEST.md")]
    return out


@pytest.fixture(scope="module")
def pull_request(contribution: Path) -> str:
    return (contribution / "PULL_REQUEST.md").read_text(encoding="utf-8")


def test_pull_request_sections_in_order(pull_request: str):
    assert re.findall(r"^### (.+)$", pull_request, flags=re.MULTILINE) == SECTIONS


def test_pull_request_changelog_line(pull_request: str, project_rule: LoadedRule):
    assert f"\nnew: {project_rule.rule.title}\n" in pull_request
    assert pull_request.startswith(f"Pull request title: `new: {project_rule.rule.title}`")


def test_pull_request_example_event_is_case(pull_request: str):
    block = re.search(
        r"### Example Log Event\n.*?```json\n(.*?)\n```", pull_request, flags=re.DOTALL
    )
    assert block is not None
    record = json.loads(block.group(1))
    assert record in [case.record for case in CASES if case.expected]
    assert record["recipientAccountId"] == "123456789012"


def test_pull_request_lists_false_positives(pull_request: str, project_rule: LoadedRule):
    for entry in project_rule.rule.falsepositives:
        assert f"- {entry}\n" in pull_request


def test_pull_request_reports_checks(pull_request: str):
    for line in (
        "yamllint: ok",
        "JSON schema v2.1.0: ok",
        "sigma check: ok",
        "SigmaHQ conventions: ok",
        "stock conversion: ok",
    ):
        assert f"\n{line}\n" in pull_request
    assert "pySigma-validators-sigmahq 0.21.0" in pull_request


@pytest.mark.parametrize("target", STOCK_TARGETS, ids=[target.name for target in STOCK_TARGETS])
def test_pull_request_holds_stock_query(pull_request: str, contribution: Path, target: StockTarget):
    query = convert_stock(load_rule(contribution / RULE_OUT), target)
    assert "| table" not in query
    assert f"```{target.language}\n{query}\n```" in pull_request


def test_pull_request_names_missed_cases(pull_request: str, project_rule: LoadedRule):
    missed = run_stock(project_rule, STOCK_TARGETS[0], CASES).missed
    assert missed
    assert f"misses {len(missed)} cases the rule is meant to catch" in pull_request
    assert "'db snapshot cross-region, ARN is the only hint'" in pull_request


def test_example_event_rejects_real_values(project_rule: LoadedRule):
    results = [run_stock(project_rule, target, CASES) for target in STOCK_TARGETS]
    chosen = example_event(project_rule, CASES, results)
    leaked_record = dict(chosen.record, sourceIPAddress="8.8.8.8")
    leaked = [dataclasses.replace(chosen, record=leaked_record)]
    with pytest.raises(ContributionError, match=r"not documentation values \(8\.8\.8\.8\)"):
        example_event(project_rule, leaked, results)


def test_example_event_needs_stock_match(project_rule: LoadedRule):
    negatives = [case for case in CASES if not case.expected]
    results = [run_stock(project_rule, target, negatives) for target in STOCK_TARGETS]
    with pytest.raises(ContributionError, match="no case in the case table"):
        example_event(project_rule, negatives, results)


def test_contribution_writes_nothing_on_failure(project_rule: LoadedRule, tmp_path: Path):
    broken = tmp_path / "aws_rds_snapshot_cross_region.yml"
    broken.write_text(project_rule.text.replace("- Planned", "- planned"), encoding="utf-8")
    with pytest.raises(ContributionError, match="fails 2 SigmaHQ checks"):
        write_contribution(load_rule(broken), CASES, tmp_path / "out")
    assert not (tmp_path / "out").exists()
