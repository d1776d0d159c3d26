"""Every emitted query, run by its offline evaluator on every case and background record."""

from __future__ import annotations

import copy

import pytest

from converters.events import Event
from converters.rules import LoadedRule
from converters.targets import TARGETS, Target

from .conftest import load_background, load_cases

CASES = load_cases()
BACKGROUND = load_background()


@pytest.fixture(scope="module")
def queries(project_rule: LoadedRule) -> dict[str, str]:
    return {name: target.convert(project_rule) for name, target in TARGETS.items()}


@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_case_verdict_matches_expected(case: Event, target: Target, queries: dict[str, str]):
    verdict = target.evaluate(queries[target.name], case.record)
    assert verdict is case.expected, f"{target.name} on '{case.label}'"


def test_cases_cover_both_verdicts():
    expected = [case.expected for case in CASES]
    assert expected.count(True) >= 10
    assert expected.count(False) >= 10


@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_background_raises_no_alert(target: Target, queries: dict[str, str]):
    alerts = [event.source for event in BACKGROUND if target.evaluate(queries[target.name], event.record)]
    assert alerts == []


def test_background_is_large_enough():
    # Stratus Red Team's 310 records plus Panther's CloudTrail test events, less the
    # few Panther events that are not CloudTrail-shaped (lower-cased keys, no eventName).
    assert len(BACKGROUND) > 700
    assert sum(1 for event in BACKGROUND if event.record["eventSource"] == "rds.amazonaws.com") > 40


@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_empty_request_source_region_is_unknown(target: Target, queries: dict[str, str]):
    # Kept out of the case table because stock conversion reads an empty
    # requestParameters.sourceRegion as a region; real clients never send one.
    same_region = next(case for case in CASES if case.label == "db snapshot same region, ARN")
    record = copy.deepcopy(same_region.record)
    record["requestParameters"]["sourceRegion"] = ""
    assert target.evaluate(queries[target.name], record) is False
    record["requestParameters"]["sourceDBSnapshotIdentifier"] = "orders-plain-name"
    assert target.evaluate(queries[target.name], record) is False
