"""Exact ES|QL for values with a literal '*', '?', backslash or line break: emitted query and runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sigma.backends.elasticsearch import ESQLBackend
from sigma.collection import SigmaCollection
from sigma.pipelines.cloudtrail import cloudtrail_esql_pipeline

from converters.evaluators.esql import parse_esql

HEADER = """
title: Test
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
"""
RAW_FROM = "from cloudtrail-* metadata _id, _index, _version\n"
SIGMA_CLI = Path(sys.executable).parent / "sigma"


def convert(detection: str) -> str:
    backend = ESQLBackend(processing_pipeline=cloudtrail_esql_pipeline())
    return backend.convert(SigmaCollection.from_yaml(HEADER + detection))[0]


def selection(item: str) -> str:
    return f"    selection:\n        {item}\n    condition: selection\n"


@pytest.mark.parametrize(
    ("item", "where"),
    [
        ("userAgent: 'a\\*b'", 'to_lower(userAgent) rlike "a\\\\*b"'),
        ("userAgent|contains: 'x\\'", 'to_lower(userAgent) rlike ".*x\\\\\\\\.*"'),
        ("userAgent|startswith: 'a?b\\?'", 'to_lower(userAgent) rlike "a.b\\\\?.*"'),
        ('userAgent: "a\\r\\nb"', 'to_lower(userAgent)=="a\\r\\nb"'),
        ('userAgent: "q\\"|`"', 'to_lower(userAgent)=="q\\"|`"'),
        ("userAgent|contains: 'a?b'", 'to_lower(userAgent) like "*a?b*"'),
    ],
    ids=["literal-star", "trailing-backslash", "literal-question", "line-breaks", "quote-pipe", "like-kept"],
)
def test_esql_exact_value_query(item: str, where: str):
    assert convert(selection(item)) == RAW_FROM + "| where " + where


@pytest.mark.parametrize(
    ("item", "field_value", "verdict"),
    [
        ("userAgent: 'a\\*b'", "A*B", True),
        ("userAgent: 'a\\*b'", "axb", False),
        ("userAgent|contains: 'x\\'", "-X\\-", True),
        ("userAgent|contains: 'x\\'", "-x-", False),
        ("userAgent|endswith: '\\?'", "why?", True),
        ("userAgent|endswith: '\\?'", "why!", False),
        ('userAgent: "a\\r\\nb"', "A\r\nB", True),
        ('userAgent: "a\\r\\nb"', "a\nb", False),
    ],
    ids=[
        "star-case", "star-widened", "backslash-contains", "backslash-missing",
        "question-end", "question-widened", "break-case", "break-narrowed",
    ],
)
def test_esql_exact_value_runs_as_sigma_says(item: str, field_value: str, verdict: bool):
    query = convert(selection(item))
    record = {"eventSource": "rds.amazonaws.com", "eventName": "CopyDBSnapshot", "userAgent": field_value}
    assert parse_esql(query).matches(record) is verdict


def test_esql_fieldref_ignores_case():
    query = convert("    filter:\n        userAgent|fieldref: eventName\n    condition: filter\n")
    assert query == RAW_FROM + "| where to_lower(userAgent)==to_lower(eventName)"
    record = {"eventSource": "rds.amazonaws.com", "eventName": "CopyDBSnapshot", "userAgent": "copydbsnapshot"}
    assert parse_esql(query).matches(record) is True


def test_esql_exact_value_reaches_sigma_cli(tmp_path: Path):
    rule = tmp_path / "star.yml"
    rule.write_text(HEADER + selection("userAgent: 'a\\*b'"))
    result = subprocess.run(
        [str(SIGMA_CLI), "convert", "-t", "esql", "-p", "cloudtrail_esql", str(rule)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert 'to_lower(userAgent) rlike "a\\\\*b"' in result.stdout
