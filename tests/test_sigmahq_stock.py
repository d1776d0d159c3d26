"""Stock conversions (no pipeline) executed on the case table with the project's evaluators."""

from __future__ import annotations

import dataclasses

import pytest

from converters.rules import LoadedRule
from converters.sigmahq.stock import STOCK_TARGETS, StockTarget, run_stock, stock_problems

from .conftest import load_cases

CASES = load_cases()
NEGATIVES = {case.label for case in CASES if not case.expected}
TARGET_IDS = [target.name for target in STOCK_TARGETS]


@pytest.mark.parametrize("target", STOCK_TARGETS, ids=TARGET_IDS)
def test_stock_converts_project_rule(project_rule: LoadedRule, target: StockTarget):
    result = run_stock(project_rule, target, CASES)
    assert result.error is None
    assert result.query


@pytest.mark.parametrize("target", STOCK_TARGETS, ids=TARGET_IDS)
def test_stock_never_alerts_on_negatives(project_rule: LoadedRule, target: StockTarget):
    result = run_stock(project_rule, target, CASES)
    assert result.false_alerts == []
    assert set(result.alerts) & NEGATIVES == set()
    assert stock_problems(project_rule, [result]) == []


@pytest.mark.parametrize("target", STOCK_TARGETS, ids=TARGET_IDS)
def test_stock_catches_source_region_cases(project_rule: LoadedRule, target: StockTarget):
    alerts = set(run_stock(project_rule, target, CASES).alerts)
    assert "reference: snapshot copied cross-region" in alerts
    assert "reference: cluster snapshot copied cross-region" in alerts


@pytest.mark.parametrize("target", STOCK_TARGETS, ids=TARGET_IDS)
def test_stock_misses_arn_only_copies(project_rule: LoadedRule, target: StockTarget):
    missed = set(run_stock(project_rule, target, CASES).missed)
    assert "db snapshot cross-region, ARN is the only hint" in missed
    assert "cluster snapshot cross-region, ARN is the only hint" in missed


def test_stock_targets_agree_on_every_case(project_rule: LoadedRule):
    splunk, esql = (run_stock(project_rule, target, CASES) for target in STOCK_TARGETS)
    assert splunk.alerts == esql.alerts


def test_stock_ignores_cases_of_other_rules(project_rule: LoadedRule):
    reference = next(
        case for case in CASES if case.label == "reference: snapshot copied cross-region"
    )
    foreign = dataclasses.replace(
        reference, expected_rule_id="00000000-0000-4000-8000-000000000000"
    )
    assert run_stock(project_rule, STOCK_TARGETS[0], [reference]).alerts == [reference.label]
    assert run_stock(project_rule, STOCK_TARGETS[0], [foreign]).alerts == []
