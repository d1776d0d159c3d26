"""A small reference matcher of Sigma string semantics, written from the specification.

The property tests compare every target's query, run by its offline evaluator, with
this matcher. It deliberately shares no code with pySigma or the converters:

- in a value, ``*`` matches any run of characters and ``?`` exactly one character;
- ``\\*``, ``\\?`` and ``\\\\`` stand for the literal characters ``*``, ``?`` and ``\\``;
  a backslash before any other character, or at the end, is a literal backslash;
- ``contains``, ``startswith`` and ``endswith`` add ``*`` around, after or before the
  parsed value (so a trailing backslash stays literal);
- a plain value matches the whole field value, case-insensitively;
- a field reference compares the two field values whole, case-insensitively, and a
  missing field equals nothing.

Case-insensitivity is Unicode simple case folding as Python's ``re.IGNORECASE``
applies it. Sigma does not define folding outside ASCII, so the tests only draw letters
whose upper and lower forms are one character each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

WILDCARD_MULTI = object()
WILDCARD_SINGLE = object()

# The Sigma escape character and the characters it can escape.
ESCAPE = "\\"
ESCAPABLE = {"*", "?", "\\"}

MODIFIER_WILDCARDS = {
    "": (False, False),
    "contains": (True, True),
    "startswith": (False, True),
    "endswith": (True, False),
}


def parse_value(value: str) -> list[object]:
    """Split a Sigma value into literal characters and wildcard tokens."""
    tokens: list[object] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char == ESCAPE and i + 1 < len(value) and value[i + 1] in ESCAPABLE:
            tokens.append(value[i + 1])
            i += 2
            continue
        if char == "*":
            tokens.append(WILDCARD_MULTI)
        elif char == "?":
            tokens.append(WILDCARD_SINGLE)
        else:
            tokens.append(char)
        i += 1
    return tokens


def value_pattern(value: str, modifier: str = "") -> re.Pattern[str]:
    """Compile the regular expression that a Sigma value with a modifier stands for."""
    before, after = MODIFIER_WILDCARDS[modifier]
    tokens = parse_value(value)
    if before:
        tokens.insert(0, WILDCARD_MULTI)
    if after:
        tokens.append(WILDCARD_MULTI)
    parts = []
    for token in tokens:
        if token is WILDCARD_MULTI:
            parts.append(".*")
        elif token is WILDCARD_SINGLE:
            parts.append(".")
        else:
            parts.append(re.escape(str(token)))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def matches_value(field_value: str | None, value: str, modifier: str = "") -> bool:
    """Return whether a field value matches one Sigma value (None: the field is missing)."""
    if field_value is None:
        return False
    return value_pattern(value, modifier).fullmatch(field_value) is not None


def matches_any(field_value: str | None, values: Sequence[str], modifier: str = "") -> bool:
    """Return whether the field value matches one value of a list (Sigma's default OR)."""
    return any(matches_value(field_value, value, modifier) for value in values)


def matches_all(field_value: str | None, values: Sequence[str], modifier: str = "") -> bool:
    """Return whether the field value matches every value of a list (the 'all' modifier)."""
    return all(matches_value(field_value, value, modifier) for value in values)


def matches_field_reference(left: str | None, right: str | None) -> bool:
    """Return whether two field values are equal for the 'fieldref' modifier."""
    if left is None or right is None:
        return False
    return re.fullmatch(re.escape(right), left, re.IGNORECASE) is not None
