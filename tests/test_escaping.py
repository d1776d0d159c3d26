"""Hostile rule and event values: every target's query matches exactly what Sigma specifies.

Each property builds a rule around generated values, converts it for every target in
TARGETS, runs the query with that target's offline evaluator and compares the verdict
with tests/sigma_reference.py. A target may instead raise ConversionError, but only
where REJECTIONS says it must, and the message must name the value and the target.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from addonfactory_splunk_conf_parser_lib import TABConfigParser
from hypothesis import assume, example, given
from hypothesis import strategies as st
from sigma.collection import SigmaCollection

from converters.errors import ConversionError
from converters.rules import LoadedRule
from converters.splunk import saved_search_stanza
from converters.targets import TARGETS, Target

from . import sigma_reference as sigma

# Quotes, backslashes, Sigma wildcards, SQL LIKE wildcards, pipes, backticks, line
# breaks, tabs and other control characters (no NUL), and non-ASCII letters whose upper
# and lower forms are one character each, plus some without case.
ALPHABET = "aAbZ09 '\"\\*?%_|`\n\r\t\x01\x1b\x7féÉωΩж中😀"
FIELD = "userAgent"
OTHER_FIELD = "eventName"
MODIFIERS = ["", "contains", "startswith", "endswith"]
RULE_ID = "5f0b6a52-5d5c-4a4e-9d7e-2f4a1d6c9e01"

rule_values = st.text(ALPHABET, max_size=8)
free_text = st.text(ALPHABET, min_size=1, max_size=8)


def rule_yaml(detection: dict[str, Any], title: str = "Hostile value") -> str:
    """Render a CloudTrail rule with the given detection as YAML, quoting values safely."""
    document = {
        "title": title,
        "id": RULE_ID,
        "status": "test",
        "logsource": {"product": "aws", "service": "cloudtrail"},
        "detection": detection,
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def loaded(text: str) -> LoadedRule:
    rules = SigmaCollection.from_yaml(text).rules
    assert len(rules) == 1
    return LoadedRule(Path("hostile.yml"), text, rules[0])


def record(**fields: str | None) -> dict[str, Any]:
    """Build a CloudTrail record; a field given as None is left out."""
    base: dict[str, Any] = {
        "eventVersion": "1.08",
        "eventSource": "rds.amazonaws.com",
        "eventName": "CopyDBSnapshot",
        "awsRegion": "us-east-1",
    }
    base.update({name: value for name, value in fields.items() if value is not None})
    return base


def value_item(modifier: str, values: Sequence[str], *, all_values: bool = False) -> dict[str, Any]:
    key = FIELD + (f"|{modifier}" if modifier else "") + ("|all" if all_values else "")
    return {key: values[0] if len(values) == 1 else list(values)}


# --- When a target may reject a rule ------------------------------------------------


def needs_splunk_regex(value: str) -> bool:
    """Return whether a Splunk search term cannot express the value (a literal '*', '?' or line break)."""
    tokens = sigma.parse_value(value)
    return any(
        token is sigma.WILDCARD_SINGLE or token == "*" or token in ("\n", "\r") for token in tokens
    )


def splunk_rejects(values: Sequence[str], all_values: bool) -> bool:
    """Splunk matches such values with a regex, which it cannot fold case for outside ASCII."""
    if all_values:
        return any(needs_splunk_regex(v) and not v.isascii() for v in values)
    return any(needs_splunk_regex(v) for v in values) and not all(v.isascii() for v in values)


def kql_rejects(values: Sequence[str], all_values: bool) -> bool:
    """KQL documents no string escape for a carriage return."""
    return any("\r" in v for v in values)


REJECTIONS: dict[str, Callable[[Sequence[str], bool], bool]] = {
    "splunk": splunk_rejects,
    "kql": kql_rejects,
}


def shown(value: str) -> str:
    """Write a value as error messages quote it: canonical Sigma escapes, control characters as \\xHH."""
    out = []
    for token in sigma.parse_value(value):
        if token is sigma.WILDCARD_MULTI:
            out.append("*")
        elif token is sigma.WILDCARD_SINGLE:
            out.append("?")
        elif token in ("*", "?", "\\"):
            out.append("\\" + str(token))
        elif ord(str(token)) < 0x20 or token == "\x7f":
            out.append(f"\\x{ord(str(token)):02x}")
        else:
            out.append(str(token))
    return "".join(out)


def check_verdict(
    target: Target,
    rule: LoadedRule,
    event: dict[str, Any],
    expected: bool,
    values: Sequence[str] = (),
    all_values: bool = False,
) -> None:
    try:
        query = target.convert(rule)
    except ConversionError as error:
        rejects = REJECTIONS.get(target.name)
        assert rejects is not None and rejects(values, all_values), f"{target.name}: {error}"
        message = str(error)
        assert "\n" not in message
        # The message quotes the value as the rule wrote it, or with the wildcards that
        # contains, startswith or endswith added.
        quoted = {f"'{form}'" for v in values for form in (shown(v), f"*{shown(v)}*", f"{shown(v)}*", f"*{shown(v)}")}
        assert any(text in message for text in quoted), message
        return
    verdict = target.evaluate(query, event)
    assert verdict is expected, f"{target.name} query:\n{query}\nevent: {event!r}"


# --- Event values: near misses of the rule value ------------------------------------


@st.composite
def witness(draw: st.DrawFn, value: str, modifier: str) -> str:
    """Draw a field value that the Sigma value matches, with letters in random case."""
    before, after = sigma.MODIFIER_WILDCARDS[modifier]
    tokens = sigma.parse_value(value)
    if before:
        tokens.insert(0, sigma.WILDCARD_MULTI)
    if after:
        tokens.append(sigma.WILDCARD_MULTI)
    out = []
    for token in tokens:
        if token is sigma.WILDCARD_MULTI:
            out.append(draw(st.text(ALPHABET, max_size=3)))
        elif token is sigma.WILDCARD_SINGLE:
            out.append(draw(st.sampled_from(ALPHABET)))
        else:
            char = str(token)
            out.append(char.swapcase() if draw(st.booleans()) and len(char.swapcase()) == 1 else char)
    return "".join(out)


@st.composite
def near_miss(draw: st.DrawFn, value: str, modifier: str) -> str:
    """Draw a witness, sometimes with one character deleted, inserted or replaced."""
    text = draw(witness(value, modifier))
    edit = draw(st.sampled_from(["keep", "delete", "insert", "replace", "other"]))
    if edit == "other" or (edit != "keep" and not text and edit != "insert"):
        return draw(free_text)
    if edit == "keep":
        return text
    at = draw(st.integers(0, len(text) - (0 if edit == "insert" else 1)))
    char = draw(st.sampled_from(ALPHABET))
    if edit == "delete":
        return text[:at] + text[at + 1 :]
    if edit == "insert":
        return text[:at] + char + text[at:]
    return text[:at] + char + text[at + 1 :]


# NOTE: Splunk does not document whether search terms match an empty field value, and
# the SPL evaluator raises on one, so generated event values are never empty.
def event_value(value: str, modifier: str) -> st.SearchStrategy[str]:
    return near_miss(value, modifier).filter(bool)


# --- Properties ---------------------------------------------------------------------

TARGET_PARAMS = pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())


@TARGET_PARAMS
@given(data=st.data(), value=rule_values, modifier=st.sampled_from(MODIFIERS))
@example(data=None, value="a\\*b", modifier="")
def test_value_single_matches_reference(target: Target, data: Any, value: str, modifier: str):
    field_value = data.draw(event_value(value, modifier)) if data else "A*B"
    rule = loaded(rule_yaml({
        "selection": {"eventSource": "rds.amazonaws.com", **value_item(modifier, [value])},
        "condition": "selection",
    }))
    expected = sigma.matches_value(field_value, value, modifier)
    check_verdict(target, rule, record(**{FIELD: field_value}), expected, [value])


@TARGET_PARAMS
@given(data=st.data(), values=st.lists(rule_values, min_size=2, max_size=3), modifier=st.sampled_from(MODIFIERS))
def test_value_list_matches_reference(target: Target, data: Any, values: list[str], modifier: str):
    field_value = data.draw(st.one_of(*(event_value(v, modifier) for v in values)))
    rule = loaded(rule_yaml({
        "selection": {"eventSource": "rds.amazonaws.com", **value_item(modifier, values)},
        "condition": "selection",
    }))
    expected = sigma.matches_any(field_value, values, modifier)
    check_verdict(target, rule, record(**{FIELD: field_value}), expected, values)


@TARGET_PARAMS
@given(data=st.data(), values=st.lists(rule_values, min_size=2, max_size=3, unique=True))
def test_value_all_matches_reference(target: Target, data: Any, values: list[str]):
    pieces = [data.draw(witness(v, "")) for v in values]
    field_value = data.draw(st.sampled_from(["".join(pieces), pieces[0] or "x", "".join(reversed(pieces))]))
    assume(field_value)
    rule = loaded(rule_yaml({
        "selection": {"eventSource": "rds.amazonaws.com", **value_item("contains", values, all_values=True)},
        "condition": "selection",
    }))
    expected = sigma.matches_all(field_value, values, "contains")
    check_verdict(target, rule, record(**{FIELD: field_value}), expected, values, all_values=True)


@TARGET_PARAMS
@given(data=st.data(), value=rule_values, modifier=st.sampled_from(MODIFIERS))
def test_value_negated_matches_reference(target: Target, data: Any, value: str, modifier: str):
    field_value = data.draw(event_value(value, modifier))
    rule = loaded(rule_yaml({
        "selection": {"eventSource": "rds.amazonaws.com"},
        "filter": value_item(modifier, [value]),
        "condition": "selection and not filter",
    }))
    expected = not sigma.matches_value(field_value, value, modifier)
    check_verdict(target, rule, record(**{FIELD: field_value}), expected, [value])


@TARGET_PARAMS
@pytest.mark.parametrize("negated", [False, True], ids=["equal", "not-equal"])
@given(data=st.data(), left=free_text)
def test_field_reference_matches_reference(target: Target, negated: bool, data: Any, left: str):
    right = data.draw(st.one_of(witness(left.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?"), ""), free_text))
    rule = loaded(rule_yaml({
        "selection": {"eventSource": "rds.amazonaws.com"},
        "filter": {f"{FIELD}|fieldref": OTHER_FIELD},
        "condition": "selection and not filter" if negated else "selection and filter",
    }))
    expected = sigma.matches_field_reference(left, right) != negated
    check_verdict(target, rule, record(**{FIELD: left, OTHER_FIELD: right}), expected)


@given(title=free_text, value=rule_values, modifier=st.sampled_from(MODIFIERS))
def test_savedsearches_keeps_hostile_search(title: str, value: str, modifier: str):
    assume(title.strip())
    rule = loaded(rule_yaml({
        "selection": {"eventSource": "rds.amazonaws.com", **value_item(modifier, [value])},
        "condition": "selection",
    }, title=title))
    try:
        query = TARGETS["splunk"].convert(rule)
    except ConversionError:
        assume(False)
    if title.split() and title.split()[-1].endswith("\\"):
        with pytest.raises(ConversionError, match="ends with a backslash"):
            saved_search_stanza(rule.rule, query)
        return
    stanza = saved_search_stanza(rule.rule, query)
    sections = parse_conf(stanza)
    assert len(sections) == 1
    (settings,) = sections.values()
    assert settings["search"] == query


def parse_conf(text: str) -> dict[str, dict[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "savedsearches.conf"
        path.write_text(text, encoding="utf-8")
        parser = TABConfigParser()
        parser.read(str(path))
        # The parser keeps the continuation backslash of a multi-line value; Splunk
        # drops it and keeps the line break.
        return {
            section: {key: value.replace(" \\\n", "\n") for key, value in parser.items(section)}
            for section in parser.sections()
        }


# --- Regression cases: examples that the properties above once shrank to ------------

REGRESSIONS = [
    # The Splunk backend wrote Sigma's \* as \*, a backslash and a wildcard in SPL.
    ("a\\*b", "", "A*B"),
    ("a\\*b", "", "a\\xb"),
    # The Splunk backend wrote Sigma's ? as *, which also matches two characters.
    ("a?b", "", "a12b"),
    # A trailing backslash stays literal, also before the wildcard that contains adds.
    ("x\\", "contains", "-x\\-"),
    ("x\\", "endswith", "x"),
    # A line break inside a quoted search term split the saved search.
    ("\r", "", "\r"),
    ("\n", "startswith", "\nA"),
    # Quotes, pipes and backticks stay inside the quoted value.
    ('"|`', "contains", 'a"|`b'),
    ("'\\\\", "", "'\\"),
]


@TARGET_PARAMS
@pytest.mark.parametrize(
    ("value", "modifier", "field_value"),
    REGRESSIONS,
    ids=[
        "literal-star", "literal-star-backslash", "single-wildcard", "trailing-backslash",
        "trailing-backslash-endswith", "carriage-return", "line-break", "quote-pipe-backtick",
        "escaped-backslash",
    ],
)
def test_value_regression_matches_reference(target: Target, value: str, modifier: str, field_value: str):
    rule = loaded(rule_yaml({
        "selection": {"eventSource": "rds.amazonaws.com", **value_item(modifier, [value])},
        "condition": "selection",
    }))
    expected = sigma.matches_value(field_value, value, modifier)
    check_verdict(target, rule, record(**{FIELD: field_value}), expected, [value])


def test_value_regression_non_ascii_refused():
    # Shrunk from the single-value property: the refusal message must quote the value.
    rule = loaded(rule_yaml({"selection": value_item("", ["\r\\\\É"]), "condition": "selection"}))
    with pytest.raises(ConversionError, match=r"The value '\\x0d\\\\É' needs a Splunk"):
        TARGETS["splunk"].convert(rule)


@TARGET_PARAMS
def test_field_reference_regression_case(target: Target):
    # Shrunk from the field reference property: Splunk's where compared case-sensitively.
    rule = loaded(rule_yaml({
        "selection": {"eventSource": "rds.amazonaws.com"},
        "filter": {f"{FIELD}|fieldref": OTHER_FIELD},
        "condition": "selection and filter",
    }))
    check_verdict(target, rule, record(**{FIELD: "É", OTHER_FIELD: "é"}), True)


@TARGET_PARAMS
def test_field_reference_regression_missing(target: Target):
    # Splunk's where NOT 'a'='b' dropped events without 'a'; in Sigma, not (a == b) holds.
    rule = loaded(rule_yaml({
        "selection": {"eventSource": "rds.amazonaws.com"},
        "filter": {f"{FIELD}|fieldref": OTHER_FIELD},
        "condition": "selection and not filter",
    }))
    check_verdict(target, rule, record(**{OTHER_FIELD: "x"}), True)


def test_savedsearches_regression_trailing_backslash():
    # Shrunk from the savedsearches property: a title ending in a backslash.
    rule = loaded(rule_yaml({"selection": value_item("", ["x"]), "condition": "selection"}, title="\\"))
    query = TARGETS["splunk"].convert(rule)
    with pytest.raises(ConversionError, match="'description' ends with a backslash.*title or description"):
        saved_search_stanza(rule.rule, query)


@TARGET_PARAMS
@pytest.mark.parametrize(
    ("values", "field_value"),
    [(["0", "\r"], "\r"), (["0", "\r"], "0"), (["a\\*", "b?"], "bX")],
    ids=["line-break-in-list", "plain-in-list", "star-and-wildcard"],
)
def test_value_list_regression_matches_reference(target: Target, values: list[str], field_value: str):
    # Shrunk from the list property: ES|QL wrote a raw carriage return into an "in" list.
    rule = loaded(rule_yaml({
        "selection": {"eventSource": "rds.amazonaws.com", **value_item("", values)},
        "condition": "selection",
    }))
    expected = sigma.matches_any(field_value, values)
    check_verdict(target, rule, record(**{FIELD: field_value}), expected, values)
