"""Stock conversion (no custom pipeline) never alerts on a same-region copy."""

from __future__ import annotations

import pytest
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection

from converters.evaluators.spl import parse_spl, splunk_event
from converters.rules import LoadedRule

from .conftest import load_cases

CASES = load_cases()


@pytest.fixture(scope="module")
def stock_spl(project_rule: LoadedRule) -> str:
    return SplunkBackend().convert(SigmaCollection([project_rule.fresh()]))[0]


def stock_alerts(query: str) -> set[str]:
    parsed = parse_spl(query)
    return {case.label for case in CASES if parsed.matches(splunk_event(case.record))}


def test_stock_splunk_compares_only_source_region(stock_spl: str):
    assert stock_spl.endswith(
        "| where NOT 'requestParameters.sourceRegion'='awsRegion' | table eventName,eventSource,"
        "awsRegion,recipientAccountId,sourceIPAddress,userAgent,userIdentity.arn,"
        "requestParameters.sourceDBSnapshotIdentifier,"
        "requestParameters.sourceDBClusterSnapshotIdentifier,requestParameters.sourceRegion"
    )


def test_stock_splunk_never_alerts_on_expected_negatives(stock_spl: str):
    negatives = {case.label for case in CASES if not case.expected}
    assert stock_alerts(stock_spl) & negatives == set()


def test_stock_splunk_misses_arn_only_copies(stock_spl: str):
    alerts = stock_alerts(stock_spl)
    assert "reference: snapshot copied cross-region" in alerts
    assert "db snapshot cross-region, ARN is the only hint" not in alerts
    assert "cluster snapshot cross-region, ARN is the only hint" not in alerts
