"""The record pre-filter never drops a record that the DuckDB query matches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from converters.hunt.duckdb_engine import DuckDbEngine
from converters.hunt.prefilter import KEEP_ALL, RecordFilter, Requirement, record_filter
from converters.hunt.reader import read_file
from converters.rules import LoadedRule, load_rule
from converters.sql import SqlQuery, convert_sql

from .conftest import load_cases


@pytest.fixture(scope="module")
def query(project_rule: LoadedRule) -> SqlQuery:
    return convert_sql(project_rule, "duckdb")


@pytest.fixture(scope="module")
def engine(query: SqlQuery) -> DuckDbEngine:
    return DuckDbEngine(query, threads=1)


def cross_region_copy(**changes: Any) -> dict[str, Any]:
    record = {
        "eventSource": "rds.amazonaws.com",
        "eventName": "CopyDBSnapshot",
        "awsRegion": "us-west-2",
        "eventID": "e1",
        "requestParameters": {
            "sourceDBSnapshotIdentifier": "arn:aws:rds:us-east-1:123456789012:snapshot:orders",
        },
    }
    record.update(changes)
    return record


def kept_and_matched(
    tmp_path: Path, text: str, engine: DuckDbEngine, query: SqlQuery
) -> tuple[int, int]:
    """Read one record through the real reader; count kept records and SQL matches.

    The record is read twice, as an NDJSON line and inside a {"Records": [...]}
    document, because the reader filters the two layouts in different code.
    """
    line = tmp_path / "record.jsonl"
    line.write_text(text + "\n", encoding="utf-8")
    document = tmp_path / "record.json"
    document.write_text('{"Records": [' + text + "]}", encoding="utf-8")
    keep = record_filter(query.processed_rule)
    kept = [len(read_file(path, keep).candidates) for path in (line, document)]
    assert kept[0] == kept[1]
    everything = read_file(line, KEEP_ALL).candidates
    matched = engine.matches(["f"] * len(everything), everything)
    return kept[0], len(matched)


def test_prefilter_requirements_of_project_rule(query: SqlQuery):
    requirements = [(r.path, r.values) for r in record_filter(query.processed_rule).requirements]
    assert requirements == [
        (("eventName",), frozenset({"copydbsnapshot", "copydbclustersnapshot"})),
        (("eventSource",), frozenset({"rds.amazonaws.com"})),
    ]


# Each case replaces one piece of the JSON text of a matching record.
ESCAPED_AND_CASED = {
    "unicode escape of C": ('"CopyDBSnapshot"', r'"\u0043opyDBSnapshot"'),
    "every letter escaped": (
        '"CopyDBSnapshot"',
        '"' + "".join(f"\\u{ord(c):04x}" for c in "CopyDBSnapshot") + '"',
    ),
    "upper case": ('"CopyDBSnapshot"', '"COPYDBSNAPSHOT"'),
    "lower case": ('"CopyDBSnapshot"', '"copydbsnapshot"'),
    "mixed case cluster": ('"CopyDBSnapshot"', '"cOpYdBcLuStErSnApShOt"'),
    "escaped dot in source": ('"rds.amazonaws.com"', r'"rds\u002eamazonaws.com"'),
    "escaped key name": ('"eventName"', r'"event\u004eame"'),
}


@pytest.mark.parametrize("change", ESCAPED_AND_CASED.values(), ids=list(ESCAPED_AND_CASED))
def test_prefilter_keeps_escaped_and_cased_names(
    change: tuple[str, str], tmp_path: Path, engine: DuckDbEngine, query: SqlQuery
):
    old, new = change
    text = json.dumps(cross_region_copy())
    assert old in text
    text = text.replace(old, new)
    kept, matched = kept_and_matched(tmp_path, text, engine, query)
    assert matched == 1, text
    assert kept == 1, text


NOT_MATCHING = {
    "other event name": {"eventName": "CreateDBSnapshot"},
    "other event source": {"eventSource": "ec2.amazonaws.com"},
    "event name with a suffix": {"eventName": "CopyDBSnapshotX"},
}


@pytest.mark.parametrize("changes", NOT_MATCHING.values(), ids=list(NOT_MATCHING))
def test_prefilter_drops_impossible_records(
    changes: dict[str, Any], tmp_path: Path, engine: DuckDbEngine, query: SqlQuery
):
    kept, matched = kept_and_matched(
        tmp_path, json.dumps(cross_region_copy(**changes)), engine, query
    )
    assert matched == 0
    assert kept == 0


KEPT_CONSERVATIVELY = {
    "non-ASCII lookalike": {"eventName": "CopyDB\u0405napshot"},
    "number where a string belongs": {"eventName": 5},
    "object where a string belongs": {"eventSource": {"name": "rds.amazonaws.com"}},
}


@pytest.mark.parametrize("changes", KEPT_CONSERVATIVELY.values(), ids=list(KEPT_CONSERVATIVELY))
def test_prefilter_keeps_what_it_cannot_judge(changes: dict[str, Any], query: SqlQuery):
    record = cross_region_copy(**changes)
    assert record_filter(query.processed_rule).keep(record) is True


@pytest.mark.parametrize("field", ["eventName", "eventSource"])
def test_prefilter_drops_missing_required_field(field: str, query: SqlQuery, engine: DuckDbEngine):
    record = cross_region_copy()
    del record[field]
    assert engine.matches(["f"], [json.dumps(record)]) == []
    assert record_filter(query.processed_rule).keep(record) is False


@pytest.mark.parametrize("case", load_cases(), ids=[case.label for case in load_cases()])
def test_prefilter_keeps_every_expected_match(case, query: SqlQuery):
    if case.expected:
        assert record_filter(query.processed_rule).keep(case.record) is True


def unicode_lowercase_lookalikes() -> list[tuple[str, str]]:
    """Return (character, ASCII letter) for each non-ASCII character that DuckDB lowers to a letter."""
    return duckdb.sql(
        # Every code point above ASCII except the UTF-16 surrogates, which are not characters.
        "SELECT c, lower(c) FROM (SELECT chr(code::INTEGER) AS c FROM ("
        "SELECT range AS code FROM range(128, 55296) UNION ALL SELECT range FROM range(57344, 1114112))) "
        "WHERE regexp_full_match(lower(c), '[a-z]')"
    ).fetchall()


def test_prefilter_keeps_unicode_lookalikes():
    # DuckDB's lower() maps some non-ASCII characters to ASCII letters (U+212A KELVIN SIGN
    # to "k"), so a value that Python would not lower to a required value can still match
    # in SQL. The filter must keep every such value, whatever the required value is.
    lookalikes = unicode_lowercase_lookalikes()
    assert ("\u212a", "k") in lookalikes
    for character, letter in lookalikes:
        required = letter + "ey"
        value = character + "ey"
        keep = RecordFilter((Requirement(("eventName",), frozenset({required})),))
        assert duckdb.execute("SELECT lower($v) = $r", {"v": value, "r": required}).fetchall() == [
            (True,)
        ]
        assert keep.keep({"eventName": value}), value


def test_prefilter_off_for_rule_without_requirements(tmp_path: Path):
    rule_path = tmp_path / "rule.yml"
    rule_path.write_text(
        "title: Any failed call\nid: 2f1c3a56-7d0e-4c43-9a7f-0d2b6f1f6a01\nstatus: test\n"
        "logsource:\n    product: aws\n    service: cloudtrail\n"
        "detection:\n    selection:\n        errorCode|exists: true\n    condition: selection\n"
        "level: low\n",
        encoding="utf-8",
    )
    query = convert_sql(load_rule(rule_path), "duckdb")
    assert record_filter(query.processed_rule).requirements == ()


NAME_ALPHABET = st.sampled_from(list("CopyDBSnapshotclusterX\u0130\u212a\u0405 "))
RECORDS = st.fixed_dictionaries(
    {
        "eventSource": st.sampled_from(
            ["rds.amazonaws.com", "RDS.AMAZONAWS.COM", "ec2.amazonaws.com", "rds"]
        ),
        "eventName": st.one_of(
            st.sampled_from(["CopyDBSnapshot", "CopyDBClusterSnapshot"]),
            st.text(NAME_ALPHABET, max_size=22),
            st.integers(),
            st.none(),
        ),
        "awsRegion": st.sampled_from(["us-west-2", "US-WEST-2", "us-east-1"]),
        "eventID": st.just("e1"),
        "errorCode": st.sampled_from([None, "", "Success", "AccessDenied"]),
        "requestParameters": st.fixed_dictionaries(
            {
                "sourceDBSnapshotIdentifier": st.sampled_from(
                    ["arn:aws:rds:us-east-1:1:snapshot:a", "plain"]
                )
            }
        ),
    }
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(record=RECORDS, escape=st.booleans())
def test_prefilter_never_drops_a_match(
    record: dict[str, Any], escape: bool, query: SqlQuery, engine: DuckDbEngine, tmp_path: Path
):
    text = json.dumps(record, ensure_ascii=escape)
    matched = engine.matches(["f"], [text])
    kept = record_filter(query.processed_rule).keep(json.loads(text))
    document = tmp_path / "record.json"
    document.write_text('{"Records": [' + text + "]}", encoding="utf-8")
    kept_by_reader = read_file(document, record_filter(query.processed_rule)).candidates
    if matched:
        assert kept, text
        assert len(kept_by_reader) == 1, text
