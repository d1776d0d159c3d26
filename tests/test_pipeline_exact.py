"""Exact matching of values that a Splunk search term cannot express: emitted SPL and errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError, SigmaTransformationError
from sigma.pipelines.cloudtrail import cloudtrail_splunk_pipeline

from converters.evaluators.spl import parse_spl, splunk_event

HEADER = """
title: Test
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
"""

SIGMA_CLI = Path(sys.executable).parent / "sigma"


def convert(detection: str) -> str:
    rule = SigmaCollection.from_yaml(HEADER + detection)
    backend = SplunkBackend(processing_pipeline=cloudtrail_splunk_pipeline())
    return backend.convert(rule)[0]


def alerts(query: str, **fields: str) -> bool:
    record = {"eventSource": "rds.amazonaws.com", "eventName": "CopyDBSnapshot", **fields}
    return parse_spl(query).matches(splunk_event(record) | {"sourcetype": "aws:cloudtrail"})


@pytest.mark.parametrize(
    ("detection", "expected"),
    [
        (
            "userAgent: 'a\\*b'",
            'sourcetype="aws:cloudtrail"\n| regex userAgent="(?is)\\\\A(?:a\\\\*b)(?!.)"',
        ),
        (
            "userAgent|contains: 'a?b'",
            'sourcetype="aws:cloudtrail"\n| regex userAgent="(?is)\\\\A(?:.*a.b.*)(?!.)"',
        ),
        (
            'userAgent: "x\\ny\\"z"',
            'sourcetype="aws:cloudtrail"\n| regex userAgent="(?is)\\\\A(?:x\\\\x0ay\\\\\\"z)(?!.)"',
        ),
        (
            "userAgent: ['plain', 'st\\*r']",
            'sourcetype="aws:cloudtrail"\n| regex userAgent="(?is)\\\\A(?:plain|st\\\\*r)(?!.)"',
        ),
        (
            "userAgent|contains|all: ['plain', 'st\\*r']",
            'sourcetype="aws:cloudtrail" userAgent="*plain*"\n'
            '| regex userAgent="(?is)\\\\A(?:.*st\\\\*r.*)(?!.)"',
        ),
    ],
    ids=["literal-star", "single-wildcard", "line-break", "list", "all"],
)
def test_exact_value_emits_regex(detection: str, expected: str):
    assert convert(f"    selection:\n        {detection}\n    condition: selection\n") == expected


@pytest.mark.parametrize(
    ("detection", "field_value", "verdict"),
    [
        ("userAgent: 'a\\*b'", "A*B", True),
        ("userAgent: 'a\\*b'", "a\\xb", False),
        ("userAgent: 'a\\*b'", "axxb", False),
        ("userAgent: 'a?b'", "a1b", True),
        ("userAgent: 'a?b'", "a12b", False),
        ("userAgent: 'a?b'", "ab", False),
        ('userAgent: "x\\ny"', "x\ny", True),
        ('userAgent: "x\\ny"', "x\ny\n", False),
        ("userAgent|endswith: '\\*'", "boto3 *", True),
        ("userAgent|endswith: '\\*'", "boto3 \\*", True),
        ("userAgent|endswith: '\\*'", "boto3", False),
    ],
    ids=[
        "star-case", "star-backslash", "star-widened", "single", "single-two", "single-none",
        "break", "break-trailing", "endswith-star", "endswith-backslash-star", "endswith-none",
    ],
)
def test_exact_value_runs_as_sigma_says(detection: str, field_value: str, verdict: bool):
    query = convert(f"    selection:\n        {detection}\n    condition: selection\n")
    assert alerts(query, userAgent=field_value) is verdict


def test_exact_value_non_ascii_raises():
    with pytest.raises(SigmaTransformationError, match=r"The value 'caf\\\*é' needs a Splunk '\| regex'.*'é' \(U\+00E9\)"):
        convert("    selection:\n        userAgent: 'caf\\*é'\n    condition: selection\n")


def test_exact_value_under_or_raises():
    detection = """
    selection_a:
        userAgent: 'a\\*b'
    selection_b:
        eventName: CopyDBSnapshot
    condition: 1 of selection_*
"""
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match=r"The value 'a\\\*b' of 'userAgent' contains a literal '\*'.*ORed"):
        convert(detection)


def test_exact_value_in_negated_group_raises():
    detection = """
    filter:
        userAgent: 'a?b'
        eventName: CopyDBSnapshot
    condition: not filter
"""
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match=r"The value 'a\?b' of 'userAgent'.*negated group"):
        convert(detection)


def test_exact_value_keyword_raises():
    with pytest.raises(SigmaTransformationError, match=r"The keyword value 'a\\\*b' contains a literal '\*'.*Name the field"):
        convert("    keywords:\n        - 'a\\*b'\n    condition: keywords\n")


def test_exact_value_cased_raises():
    with pytest.raises(SigmaTransformationError, match=r"case-sensitive value 'a\\\*b' of 'userAgent'"):
        convert("    selection:\n        userAgent|cased: 'a\\*b'\n    condition: selection\n")


def test_exact_value_message_escapes_controls():
    with pytest.raises(SigmaTransformationError) as raised:
        convert('    selection:\n        userAgent: "\\r\\\\\\\\É?"\n    condition: selection\n')
    assert "'\\x0d\\\\É?'" in str(raised.value)
    assert "\r" not in str(raised.value)


def test_exact_value_reaches_sigma_cli(tmp_path: Path):
    rule = tmp_path / "star.yml"
    rule.write_text(HEADER + "    selection:\n        userAgent: 'a\\*b'\n    condition: selection\n")
    result = subprocess.run(
        [str(SIGMA_CLI), "convert", "-t", "splunk", "-p", "cloudtrail_splunk", str(rule)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '| regex userAgent="(?is)\\\\A(?:a\\\\*b)(?!.)"' in result.stdout
