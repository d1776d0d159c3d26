"""Splitting emitted expressions at top-level operators, for one condition per line."""

from __future__ import annotations

import pytest
from sigma.pipelines.cloudtrail.text import split_top_level

SPLITS = [
    ("plain", "a and b and c", ["a", "b", "c"]),
    ("brackets", "(a and b) and c", ["(a and b)", "c"]),
    ("call", 'f(x, " and ") and g', ['f(x, " and ")', "g"]),
    ("double quote escape", '"a\\" and b" and c', ['"a\\" and b"', "c"]),
    ("single quote", "x['a and b'] and c", ["x['a and b']", "c"]),
    ("set literal", '{"a", "b"} and c', ['{"a", "b"}', "c"]),
    ("no operator", "not (a and b)", ["not (a and b)"]),
    ("word boundary kept", "band and c", ["band", "c"]),
]


@pytest.mark.parametrize(
    ("expression", "expected"), [s[1:] for s in SPLITS], ids=[s[0] for s in SPLITS]
)
def test_split_top_level_and(expression: str, expected: list[str]):
    assert split_top_level(expression, " and ") == expected
