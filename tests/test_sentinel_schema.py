"""The checks the Azure-Sentinel repository runs on Detections YAML, restated: each rejects what it should."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from converters.sentinel_schema import analytics_rule_problems, parse_span

VALID = {
    "id": "6a2f1a3c-6c1e-4e8a-9d55-0b1d2c3e4f50",
    "name": "Example rule",
    "description": "Identifies an example.\n",
    "severity": "Medium",
    "requiredDataConnectors": [{"connectorId": "AWS", "dataTypes": ["AWSCloudTrail"]}],
    "queryFrequency": "1h",
    "queryPeriod": "1h",
    "triggerOperator": "gt",
    "triggerThreshold": 0,
    "tactics": ["Exfiltration"],
    "relevantTechniques": ["T1537"],
    "query": "AWSCloudTrail | take 1\n",
    "entityMappings": [
        {
            "entityType": "IP",
            "fieldMappings": [{"identifier": "Address", "columnName": "SourceIpAddress"}],
        }
    ],
    "customDetails": {"EventName": "EventName"},
    "version": "1.0.0",
    "kind": "Scheduled",
}


def test_sentinel_schema_accepts_valid_rule():
    assert analytics_rule_problems(VALID) == []


def _set(path: tuple, value):
    def change(rule: dict) -> None:
        target = rule
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


BROKEN = [
    ("missing id", _set(("id",), KeyError), "missing required key 'id'"),
    ("missing query", _set(("query",), KeyError), "missing required key 'query'"),
    ("missing kind", _set(("kind",), KeyError), "missing required key 'kind'"),
    ("id not a guid", _set(("id",), "rule-1"), "is not a GUID"),
    ("severity critical", _set(("severity",), "Critical"), "severity 'Critical' is not one of"),
    ("kind unknown", _set(("kind",), "Hunting"), "kind 'Hunting' is not one of"),
    ("operator", _set(("triggerOperator",), ">"), "triggerOperator '>' is not one of"),
    ("threshold negative", _set(("triggerThreshold",), -1), "triggerThreshold '-1'"),
    ("threshold text", _set(("triggerThreshold",), "0"), "triggerThreshold '0'"),
    ("frequency too short", _set(("queryFrequency",), "1m"), "queryFrequency '1m' is not a span"),
    ("period too long", _set(("queryPeriod",), "15d"), "queryPeriod '15d' is not a span"),
    ("period shorter", _set(("queryPeriod",), "30m"), "queryPeriod is shorter than queryFrequency"),
    ("span unit", _set(("queryFrequency",), "1w"), "queryFrequency '1w'"),
    ("tactic", _set(("tactics",), ["Exfil"]), "tactic 'Exfil' is not one of"),
    (
        "technique id",
        _set(("relevantTechniques",), ["1537"]),
        "technique '1537' is not an ATT&CK technique id",
    ),
    (
        "technique without tactic",
        _set(("tactics",), ["Impact"]),
        "technique 'T1537' needs the tactics ['Exfiltration']",
    ),
    ("version", _set(("version",), "1.0"), "version '1.0' is not in the form X.Y.Z"),
    ("empty query", _set(("query",), ""), "query must be a string"),
    (
        "connector",
        _set(("requiredDataConnectors", 0, "connectorId"), "AzureActivity"),
        "connectorId 'AzureActivity'",
    ),
    (
        "no data types",
        _set(("requiredDataConnectors", 0, "dataTypes"), KeyError),
        "needs a dataTypes list",
    ),
    (
        "custom detail key",
        _set(("customDetails",), {"AVeryLongCustomDetailKey": "EventName"}),
        "custom detail key 'AVeryLongCustomDetailKey'",
    ),
    (
        "custom detail value",
        _set(("customDetails",), {"Event": "parse_json(x)"}),
        "custom detail value 'parse_json(x)'",
    ),
    (
        "too many details",
        _set(("customDetails",), {f"K{i}": "C" for i in range(21)}),
        "at most 20 entries",
    ),
    (
        "entity type",
        _set(("entityMappings", 0, "entityType"), "Machine"),
        "entityType 'Machine' is not one of",
    ),
    (
        "identifier",
        _set(("entityMappings", 0, "fieldMappings", 0, "identifier"), "Ip"),
        "identifier 'Ip' is not one of",
    ),
    (
        "column",
        _set(("entityMappings", 0, "fieldMappings", 0, "columnName"), "a.b"),
        "column 'a.b' is not a column name",
    ),
    (
        "required identifier",
        _set(
            ("entityMappings",),
            [
                {
                    "entityType": "Account",
                    "fieldMappings": [{"identifier": "UPNSuffix", "columnName": "X"}],
                }
            ],
        ),
        "none of the required identifier sets",
    ),
    (
        "too many fields",
        _set(
            ("entityMappings", 0, "fieldMappings"),
            [{"identifier": "Address", "columnName": "A"}] * 4,
        ),
        "1 to 3 mappings",
    ),
    (
        "duplicate identifier",
        _set(
            ("entityMappings", 0, "fieldMappings"),
            [{"identifier": "Address", "columnName": "A"}] * 2,
        ),
        "mapped twice",
    ),
    (
        "too many entities",
        _set(("entityMappings",), VALID["entityMappings"] * 6),
        "list of 1 to 5 mappings",
    ),
]


@pytest.mark.parametrize(("change", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_sentinel_schema_rejects(change, message: str):
    rule = copy.deepcopy(VALID)
    change(rule)
    problems = analytics_rule_problems(rule)
    assert any(message in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5m", timedelta(minutes=5)),
        ("1h", timedelta(hours=1)),
        ("14d", timedelta(days=14)),
        ("h", None),
        ("1.5h", None),
        ("PT1H", None),
        (60, None),
    ],
)
def test_sentinel_schema_parse_span(text, expected):
    assert parse_span(text) == expected
