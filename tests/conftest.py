"""Shared fixtures: the project's rule, the case table and the background records."""

from __future__ import annotations

from pathlib import Path

import pytest

from converters.events import Event, load_events
from converters.rules import LoadedRule, load_rule

ROOT = Path(__file__).resolve().parent.parent
RULE_PATH = ROOT / "sigma" / "aws_rds_snapshot_cross_region.yml"
CASES_PATH = ROOT / "tests" / "events" / "cases.json"
BACKGROUND_PATH = ROOT / "tests" / "data" / "background"
ELASTIC_EXAMPLES_PATH = ROOT / "tests" / "data" / "elastic-integrations"


@pytest.fixture(scope="session")
def project_rule() -> LoadedRule:
    return load_rule(RULE_PATH)


def load_cases() -> list[Event]:
    """Read the case table; used at collection time to parametrize tests by case name."""
    return load_events([CASES_PATH], strict=True).events


def load_background() -> list[Event]:
    """Read every background record that is CloudTrail, including the Elastic integration's RDS examples."""
    elastic_logs = sorted(ELASTIC_EXAMPLES_PATH.glob("*.log"))
    return load_events([BACKGROUND_PATH, *elastic_logs]).events
