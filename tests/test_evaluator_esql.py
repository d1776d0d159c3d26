"""Semantics of the offline ES|QL evaluator, one documented ES|QL rule per table row.

Sources for the expected verdicts: Elastic's ES|QL reference pages on NULL values, multivalued
fields, operators (LIKE/RLIKE/IN), functions, GROK/DISSECT and the commands, plus the
Elasticsearch source where the pages are silent (In, WildcardPattern, RLikePattern, libs/grok,
libs/dissect). Queries are raw strings so that backslashes read exactly as in an ES|QL query.
"""

from __future__ import annotations

import pytest
from sigma.backends.elasticsearch import ESQLBackend
from sigma.collection import SigmaCollection

from converters.errors import EvaluatorError, UnsupportedQueryError
from converters.evaluators.esql import parse_esql

ARN = "arn:aws:rds:us-west-2:123456789012:snapshot:nightly"

# (WHERE condition, document, whether the document yields a row)
WHERE_CASES = [
    # == is case-sensitive; TO_LOWER is the way to compare case-insensitively.
    pytest.param('a == "x"', {"a": "x"}, True, id="eq-equal"),
    pytest.param('a == "X"', {"a": "x"}, False, id="eq-case-sensitive"),
    pytest.param('TO_LOWER(a) == "x"', {"a": "X"}, True, id="eq-to-lower"),
    pytest.param('TO_UPPER(a) == "X"', {"a": "x"}, True, id="eq-to-upper"),
    # A comparison with null is null, and WHERE drops null rows.
    pytest.param('a == "x"', {}, False, id="null-eq-missing"),
    pytest.param('a == "x"', {"a": None}, False, id="null-eq-json-null"),
    pytest.param('a != "x"', {}, False, id="null-neq-drops-missing"),
    pytest.param('a != "x"', {"a": "y"}, True, id="neq-present"),
    pytest.param('NOT a == "x"', {}, False, id="null-not-is-null"),
    pytest.param('NOT a == "x"', {"a": "y"}, True, id="not-present"),
    pytest.param('a != "x" OR a IS NULL', {}, True, id="null-explicit-or-is-null"),
    pytest.param('(a == "x") IS NULL', {}, True, id="null-comparison-value-is-null"),
    pytest.param("a IS NULL", {"a": None}, True, id="is-null-json-null"),
    pytest.param("a IS NOT NULL", {"a": ""}, True, id="is-not-null-empty-string"),
    pytest.param("a IS NULL", {"a": []}, True, id="is-null-empty-array"),
    # Three-valued AND/OR: null survives unless the other side decides.
    pytest.param('a == "x" OR b == "y"', {"b": "y"}, True, id="3vl-null-or-true"),
    pytest.param('NOT (a == "x" OR b == "y")', {"b": "n"}, False, id="3vl-null-or-false-is-null"),
    pytest.param('NOT (a == "x" AND b == "y")', {"b": "n"}, True, id="3vl-null-and-false-is-false"),
    pytest.param('NOT (a == "x" AND b == "y")', {"b": "y"}, False, id="3vl-null-and-true-is-null"),
    # Comparisons of numbers, strings, booleans.
    pytest.param("n > 5", {"n": 7}, True, id="cmp-int"),
    pytest.param("n >= 7.0", {"n": 7}, True, id="cmp-int-double"),
    pytest.param('s < "b"', {"s": "a"}, True, id="cmp-string-order"),
    pytest.param("flag == true", {"flag": True}, True, id="cmp-boolean"),
    pytest.param("flag == false", {"flag": False}, True, id="cmp-boolean-false-not-null"),
    # Arithmetic (integer division truncates; division by zero is null).
    pytest.param("n + 1 == 8", {"n": 7}, True, id="arith-add"),
    pytest.param("n / 2 == 3", {"n": 7}, True, id="arith-int-division"),
    pytest.param("-n == -7", {"n": 7}, True, id="arith-negate"),
    pytest.param("(n % 0) IS NULL", {"n": 7}, True, id="arith-mod-zero-null"),
    # IN: null value is null; a null item makes a miss null; a match wins.
    pytest.param('a IN ("x", "y")', {"a": "y"}, True, id="in-match"),
    pytest.param('a IN ("x", "y")', {"a": "z"}, False, id="in-miss"),
    pytest.param('(a IN ("x", null)) IS NULL', {"a": "z"}, True, id="in-miss-with-null-item"),
    pytest.param('a IN ("z", null)', {"a": "z"}, True, id="in-match-with-null-item"),
    pytest.param('a NOT IN ("x", null)', {"a": "z"}, False, id="in-not-in-with-null-drops"),
    pytest.param('a NOT IN ("x", "y")', {}, False, id="in-not-in-missing-drops"),
    pytest.param(
        '(tags IN ("a", "b")) IS NULL', {"tags": ["a", "b"]}, True, id="in-multivalue-null"
    ),
    pytest.param('a IN (b, "q")', {"a": "z", "b": "z"}, True, id="in-field-item"),
    # LIKE: * and ? over the whole value, case-sensitive, \ escapes after string unescaping.
    pytest.param('a LIKE "foo*"', {"a": "foobar"}, True, id="like-star"),
    pytest.param('a LIKE "f?o"', {"a": "foo"}, True, id="like-question"),
    pytest.param('a LIKE "oo"', {"a": "foo"}, False, id="like-whole-value"),
    pytest.param('a LIKE "FOO*"', {"a": "foobar"}, False, id="like-case-sensitive"),
    pytest.param(r'a LIKE "foo \\* bar"', {"a": "foo * bar"}, True, id="like-escaped-star"),
    pytest.param(
        r'a LIKE "foo \\* bar"', {"a": "foo x bar"}, False, id="like-escaped-star-literal"
    ),
    pytest.param(r'a LIKE """foo \* bar"""', {"a": "foo * bar"}, True, id="like-triple-quoted"),
    pytest.param(
        r'a LIKE "C:\\\\Windows*"', {"a": "C:\\Windows\\x"}, True, id="like-backslash-two-layers"
    ),
    pytest.param(
        r'a LIKE """C:\\Windows*"""', {"a": "C:\\Windows\\x"}, True, id="like-backslash-triple"
    ),
    pytest.param('a LIKE ("x*", "fo*")', {"a": "foo"}, True, id="like-list"),
    pytest.param('a NOT LIKE "x*"', {"a": "foo"}, True, id="not-like"),
    pytest.param('a NOT LIKE "x*"', {}, False, id="not-like-null-drops"),
    pytest.param('a LIKE "*"', {"a": "line1\nline2"}, True, id="like-star-spans-newline"),
    # RLIKE: Lucene syntax, anchored, ^ and $ are literals, \d is ASCII.
    pytest.param('a RLIKE "fo+"', {"a": "foo"}, True, id="rlike-match"),
    pytest.param('a RLIKE "o+"', {"a": "foo"}, False, id="rlike-anchored"),
    pytest.param('a RLIKE "^foo$"', {"a": "foo"}, False, id="rlike-caret-is-literal"),
    pytest.param('a RLIKE "^foo$"', {"a": "^foo$"}, True, id="rlike-caret-literal-match"),
    pytest.param(r'a RLIKE "a\\.b"', {"a": "a.b"}, True, id="rlike-escaped-dot"),
    pytest.param(r'a RLIKE "a\\.b"', {"a": "axb"}, False, id="rlike-escaped-dot-literal"),
    pytest.param(r'a RLIKE """a\.b"""', {"a": "a.b"}, True, id="rlike-triple-quoted"),
    pytest.param(r'a RLIKE "\\d+"', {"a": "123"}, True, id="rlike-digit-class"),
    pytest.param(r'a RLIKE "\\d+"', {"a": "\u0663"}, False, id="rlike-digit-class-ascii-only"),
    pytest.param(r'a RLIKE "\"a.b\""', {"a": "a.b"}, True, id="rlike-quoted-literal"),
    pytest.param(r'a RLIKE "\"a.b\""', {"a": "axb"}, False, id="rlike-quoted-literal-no-dot"),
    pytest.param('a RLIKE "(?i)ab"', {"a": "ab"}, False, id="rlike-no-inline-flags"),
    pytest.param(
        'a RLIKE "[a-c]{2,3}x|y"', {"a": "abx"}, True, id="rlike-class-repeat-alternation"
    ),
    pytest.param('a RLIKE "[^0-9]+"', {"a": "abc"}, True, id="rlike-negated-class"),
    pytest.param('a RLIKE "@"', {"a": "anything"}, True, id="rlike-anystring"),
    pytest.param('a RLIKE "#"', {"a": ""}, False, id="rlike-empty-language"),
    pytest.param('a RLIKE ".*"', {"a": "a\nb"}, True, id="rlike-dot-spans-newline"),
    pytest.param('a NOT RLIKE "x.*"', {"a": "foo"}, True, id="not-rlike"),
    pytest.param('a NOT RLIKE "x.*"', {}, False, id="not-rlike-null-drops"),
    # Multi-valued fields: comparisons and most functions give null (with a warning).
    pytest.param('tags == "a"', {"tags": ["a", "b"]}, False, id="mv-eq-is-null"),
    pytest.param('tags != "z"', {"tags": ["a", "b"]}, False, id="mv-neq-is-null"),
    pytest.param("tags IS NOT NULL", {"tags": ["a", "b"]}, True, id="mv-is-not-null"),
    pytest.param(
        "MV_COUNT(tags) == 2", {"tags": ["a", "b", "b"]}, True, id="mv-count-keyword-dedup"
    ),
    pytest.param(
        'MV_FIRST(tags) == "a"', {"tags": ["b", "a"]}, True, id="mv-first-doc-values-sorted"
    ),
    pytest.param('MV_LAST(tags) == "b"', {"tags": ["b", "a"]}, True, id="mv-last"),
    pytest.param(
        "MV_COUNT(TO_LOWER(tags)) == 2", {"tags": ["A", "B"]}, True, id="mv-to-lower-per-value"
    ),
    pytest.param('STARTS_WITH(tags, "a")', {"tags": ["a", "b"]}, False, id="mv-function-null"),
    pytest.param('tags == "a"', {"tags": ["a"]}, True, id="mv-single-element-array"),
    pytest.param(
        "MV_COUNT(r.arn) == 2", {"r": [{"arn": "x"}, {"arn": "y"}]}, True, id="mv-array-of-objects"
    ),
    pytest.param('tags LIKE "a*"', {"tags": ["a1", "a2"]}, False, id="mv-like-is-null"),
    # SPLIT returns a multi-value; MV_* read it.
    pytest.param('SPLIT(arn, ":") == "arn"', {"arn": ARN}, False, id="split-multivalue-eq-null"),
    pytest.param('MV_COUNT(SPLIT(arn, ":")) == 7', {"arn": ARN}, True, id="split-count"),
    pytest.param(
        'MV_SLICE(SPLIT(arn, ":"), 3) == "us-west-2"', {"arn": ARN}, True, id="split-slice"
    ),
    pytest.param('MV_LAST(SPLIT(arn, ":")) == "nightly"', {"arn": ARN}, True, id="split-last"),
    pytest.param(
        'MV_SLICE(SPLIT(arn, ":"), -2, -1) == "nightly"', {"arn": ARN}, False, id="slice-negative"
    ),
    pytest.param(
        'MV_COUNT(MV_SLICE(SPLIT(arn, ":"), -2, -1)) == 2',
        {"arn": ARN},
        True,
        id="slice-negative-count",
    ),
    pytest.param('MV_COUNT(SPLIT(s, ",")) == 3', {"s": "a,,b"}, True, id="split-keeps-empty-parts"),
    pytest.param('SPLIT(s, ",") == "ab"', {"s": "ab"}, True, id="split-no-delimiter-single"),
    # String functions.
    pytest.param('STARTS_WITH(a, "arn:")', {"a": ARN}, True, id="fn-starts-with"),
    pytest.param('ENDS_WITH(a, ":nightly")', {"a": ARN}, True, id="fn-ends-with"),
    pytest.param("LENGTH(a) == 3", {"a": "héé"}, True, id="fn-length-code-points"),
    pytest.param('SUBSTRING(a, 1, 3) == "arn"', {"a": ARN}, True, id="fn-substring-1-based"),
    pytest.param('SUBSTRING(a, -7) == "nightly"', {"a": ARN}, True, id="fn-substring-negative"),
    pytest.param('CONCAT(a, "-", b) == "x-y"', {"a": "x", "b": "y"}, True, id="fn-concat"),
    pytest.param("CONCAT(a, b) IS NULL", {"a": "x"}, True, id="fn-concat-null"),
    pytest.param('TRIM(a) == "x"', {"a": " \tx\n"}, True, id="fn-trim"),
    pytest.param('LOCATE(a, "rds") == 9', {"a": ARN}, True, id="fn-locate"),
    pytest.param('LOCATE(a, "zzz") == 0', {"a": ARN}, True, id="fn-locate-missing"),
    pytest.param(
        'CIDR_MATCH(ip, "192.0.2.0/24", "10.0.0.0/8")', {"ip": "192.0.2.7"}, True, id="fn-cidr"
    ),
    pytest.param('CIDR_MATCH(ip, "10.0.0.0/8")', {"ip": "192.0.2.7"}, False, id="fn-cidr-miss"),
    pytest.param('STARTS_WITH(a, "x") IS NULL', {}, True, id="fn-null-argument"),
    # COALESCE and CASE.
    pytest.param('COALESCE(a, b, "d") == "y"', {"b": "y"}, True, id="coalesce-first-non-null"),
    pytest.param('COALESCE(a, "d") == "d"', {}, True, id="coalesce-default"),
    pytest.param(
        'CASE(a == "x", "one", a == "y", "two", "other") == "two"',
        {"a": "y"},
        True,
        id="case-second",
    ),
    pytest.param(
        'CASE(a == "x", "one", "other") == "other"',
        {},
        True,
        id="case-null-condition-falls-through",
    ),
    pytest.param('CASE(a == "x", "one") IS NULL', {"a": "q"}, True, id="case-no-default-null"),
    pytest.param(
        'CASE(tags == "a", "one", "other") == "other"',
        {"tags": ["a", "b"]},
        True,
        id="case-mv-condition",
    ),
    # Field paths: nested objects, literal dotted keys, backquoted identifiers.
    pytest.param('a.b.c == "x"', {"a": {"b": {"c": "x"}}}, True, id="path-nested"),
    pytest.param('a.b.c == "x"', {"a.b": {"c": "x"}}, True, id="path-dotted-key"),
    pytest.param('`a b` == "x"', {"a b": "x"}, True, id="path-backquoted"),
    pytest.param('`a.b`.c == "x"', {"a": {"b": {"c": "x"}}}, True, id="path-backquoted-part"),
]


@pytest.mark.parametrize("condition, document, expected", WHERE_CASES)
def test_where_semantics(condition: str, document: dict, expected: bool) -> None:
    query = parse_esql(f"FROM logs-* | WHERE {condition}")
    assert query.matches(document) is expected


GROK_ANY_ORDER = r'GROK params """sourceDBSnapshotIdentifier=(?<src>[^,}]+)"""'

# (query after FROM, documents, expected rows)
ROW_CASES = [
    pytest.param(
        'EVAL x = CONCAT(a, "!"), y = LENGTH(x) | KEEP y, x',
        [{"a": "hi"}],
        [{"y": 3, "x": "hi!"}],
        id="eval-sees-earlier-assignments",
    ),
    pytest.param(
        f"{GROK_ANY_ORDER} | KEEP src",
        [
            {"params": "{sourceDBSnapshotIdentifier=arn:x, other=1}"},
            {"params": "{a=1, sourceDBSnapshotIdentifier=arn:y, b=2}"},
            {"params": "{a=1, sourceDBSnapshotIdentifier=arn:z}"},
            {"params": "{a=1}"},
            {},
        ],
        [{"src": "arn:x"}, {"src": "arn:y"}, {"src": "arn:z"}, {"src": None}, {"src": None}],
        id="grok-key-any-order-and-missing",
    ),
    pytest.param(
        f"{GROK_ANY_ORDER} | WHERE src IS NULL | KEEP params",
        [{"params": "{a=1}"}, {"params": "{sourceDBSnapshotIdentifier=q}"}],
        [{"params": "{a=1}"}],
        id="grok-missing-key-is-null",
    ),
    pytest.param(
        r'GROK m """%{WORD:user.first} %{INT:n:int}""" | KEEP user.first, n',
        [{"m": "alice 42"}, {"m": "no digits"}],
        [{"user.first": "alice", "n": 42}, {"user.first": None, "n": None}],
        id="grok-dotted-name-typed-and-miss",
    ),
    pytest.param(
        r'GROK m """%{WORD:p} %{WORD:p}""" | KEEP p',
        [{"m": "1016 ED"}],
        [{"p": ["1016", "ED"]}],
        id="grok-duplicate-name-multivalue",
    ),
    pytest.param(
        r'GROK m """id=%{NOTSPACE:id}""" | KEEP id',
        [{"m": ["id=a", "nothing", "id=b"]}],
        [{"id": ["a", "b"]}],
        id="grok-multivalued-input",
    ),
    pytest.param(
        r'GROK m """%{NUMBER:v:float}""" | KEEP v',
        [{"m": "x=2.5"}, {"m": "y=1.1"}],
        # Grok's float is a Java float, widened to double by ES|QL.
        [{"v": 2.5}, {"v": 1.100000023841858}],
        id="grok-unanchored-float",
    ),
    pytest.param(
        r'GROK m """(?<a>%{DATA})-(?<b>%{GREEDYDATA})""" | KEEP a, b',
        [{"m": "left-right-more"}],
        [{"a": "left", "b": "right-more"}],
        id="grok-data-lazy-greedydata",
    ),
    pytest.param(
        r'GROK m """%{WORD:m}""" | KEEP m',
        [{"m": "first second"}],
        [{"m": "first"}],
        id="grok-shadows-existing-column",
    ),
    pytest.param(
        r'DISSECT m """%{date} - %{msg} - %{ip}""" | KEEP date, msg, ip',
        [{"m": "2023-01-23T12:15:00.000Z - some text - 127.0.0.1"}, {"m": "no match"}],
        [
            {"date": "2023-01-23T12:15:00.000Z", "msg": "some text", "ip": "127.0.0.1"},
            {"date": None, "msg": None, "ip": None},
        ],
        id="dissect-basic-and-miss",
    ),
    pytest.param(
        r'DISSECT m """%{a->} %{b}""" | KEEP a, b',
        [{"m": "x     y"}],
        [{"a": "x", "b": "y"}],
        id="dissect-right-padding",
    ),
    pytest.param(
        r'DISSECT m """%{+n} %{+n}""" APPEND_SEPARATOR="_" | KEEP n',
        [{"m": "john smith"}],
        [{"n": "john_smith"}],
        id="dissect-append",
    ),
    pytest.param(
        "KEEP b*, a",
        [{"a": 1, "b1": 2, "c": 3, "b2": 4}],
        [{"b1": 2, "b2": 4, "a": 1}],
        id="keep-order-and-wildcard",
    ),
    pytest.param(
        "KEEP *, a",
        [{"a": 1, "b": 2}],
        [{"b": 2, "a": 1}],
        id="keep-star-lowest-precedence",
    ),
    pytest.param("DROP b*", [{"a": 1, "b1": 2, "b2": 3}], [{"a": 1}], id="drop-wildcard"),
    pytest.param(
        "RENAME a AS z, c AS a | KEEP z, a",
        [{"a": 1, "c": 3}],
        [{"z": 1, "a": 3}],
        id="rename-sequential",
    ),
    pytest.param("RENAME z = a | KEEP z", [{"a": 1}], [{"z": 1}], id="rename-assign-syntax"),
    pytest.param(
        "LIMIT 2 | KEEP a", [{"a": 1}, {"a": 2}, {"a": 3}], [{"a": 1}, {"a": 2}], id="limit"
    ),
    pytest.param(
        'EVAL r = MV_SLICE(SPLIT(a, ":"), 1, 2) | KEEP r',
        [{"a": "w:x:y:z"}],
        [{"r": ["x", "y"]}],
        id="mv-slice-range",
    ),
    pytest.param(
        "EVAL LENGTH(a) | KEEP `LENGTH(a)`",
        [{"a": "abc"}],
        [{"LENGTH(a)": 3}],
        id="eval-unnamed-column",
    ),
]


@pytest.mark.parametrize("pipeline, documents, expected", ROW_CASES)
def test_row_semantics(pipeline: str, documents: list[dict], expected: list[dict]) -> None:
    assert parse_esql(f"FROM logs-* | {pipeline}").rows(documents) == expected


# (FROM clause, _index of the document or None, kept?)
INDEX_CASES = [
    pytest.param("logs-aws.cloudtrail-*", "logs-aws.cloudtrail-default", True, id="index-wildcard"),
    pytest.param("logs-aws.cloudtrail-*", "logs-okta.system-default", False, id="index-other"),
    pytest.param("logs-aws.cloudtrail-*", None, True, id="index-absent-kept"),
    pytest.param(
        "logs-aws.cloudtrail-*",
        ".ds-logs-aws.cloudtrail-default-2025.01.01-000001",
        True,
        id="index-backing-index-of-data-stream",
    ),
    pytest.param("*", ".internal", False, id="index-star-skips-hidden"),
    pytest.param("logs-*, -logs-okta*", "logs-okta.system-default", False, id="index-exclusion"),
    pytest.param('"logs-a*,logs-b*"', "logs-b1", True, id="index-quoted-list"),
]


@pytest.mark.parametrize("source, index, kept", INDEX_CASES)
def test_from_index_patterns(source: str, index: str | None, kept: bool) -> None:
    document = {"a": 1} if index is None else {"a": 1, "_index": index}
    assert parse_esql(f"FROM {source}").matches(document) is kept


def test_from_exposes_patterns_and_metadata_columns() -> None:
    query = parse_esql(
        "FROM logs-aws.cloudtrail-*, logs-x METADATA _id, _index | KEEP _index, _id, a"
    )
    assert query.index_patterns == ["logs-aws.cloudtrail-*", "logs-x"]
    assert query.rows([{"a": 1, "_index": "logs-x", "_id": "7"}]) == [
        {"_index": "logs-x", "_id": "7", "a": 1}
    ]


def test_metadata_is_not_a_column_without_metadata() -> None:
    assert parse_esql("FROM logs-*").rows([{"a": 1, "_index": "logs-x"}]) == [{"a": 1}]


def test_source_fields_lists_document_fields_read() -> None:
    query = parse_esql(
        'FROM x | EVAL y = TO_LOWER(a) | WHERE y == "q" AND b IS NULL | GROK c "%{WORD:w}"'
    )
    assert query.source_fields == ["a", "b", "c"]


def test_multivalue_comparison_warns() -> None:
    query = parse_esql('FROM x | WHERE tags == "a"')
    assert query.rows([{"tags": ["a", "b"]}]) == []
    assert any("single-value function encountered multi-value" in w for w in query.warnings)


def test_default_limit_is_1000_rows() -> None:
    assert len(parse_esql("FROM x").rows({"n": i} for i in range(1200))) == 1000


def test_rows_render_multivalues_as_lists() -> None:
    assert parse_esql("FROM x").rows([{"a": {"b": [2, 1]}}]) == [{"a.b": [1, 2]}]


# --- errors ------------------------------------------------------------------------------------

ERROR_CASES = [
    pytest.param("FROM x | WHERE a ==", "line 1:20", id="syntax-position"),
    pytest.param('FROM x | WHERE a RLIKE "a\\.b"', "line 1:", id="syntax-bad-string-escape"),
    pytest.param(
        r'FROM x | WHERE a LIKE "a\\yb"',
        "escape character must be followed",
        id="like-invalid-escape",
    ),
    pytest.param(
        r'FROM x | WHERE a RLIKE "a\\qb"', "invalid character class", id="rlike-invalid-escape"
    ),
    pytest.param('FROM x | WHERE a RLIKE "(ab"', "expected ')'", id="rlike-unbalanced"),
    pytest.param('FROM x | WHERE SPLIT(a, "::") == "b"', "single byte", id="split-delimiter"),
    pytest.param("FROM x | WHERE LENGTH(a, b) == 1", "takes 1 arguments", id="arity"),
    pytest.param("FROM x | LIMIT -1", "non-negative integer", id="limit-negative"),
    pytest.param(
        'FROM x | WHERE aws.cloudtrail.flattened.request_parameters.sourceRegion == "x"',
        "flattened",
        id="flattened-subfield",
    ),
    pytest.param("", "non-empty", id="empty-query"),
]


@pytest.mark.parametrize("query, message", ERROR_CASES)
def test_query_errors(query: str, message: str) -> None:
    with pytest.raises(EvaluatorError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_esql(query)


def test_type_mismatch_fails_at_run_time() -> None:
    query = parse_esql('FROM x | WHERE n == "7"')
    with pytest.raises(EvaluatorError, match="compares integer 7 with keyword '7'"):
        query.matches({"n": 7})


UNSUPPORTED_CASES = [
    pytest.param("FROM x | STATS c = COUNT(*) BY a", "command STATS", id="stats"),
    pytest.param("FROM x | SORT a DESC", "command SORT", id="sort"),
    pytest.param("FROM x | MV_EXPAND a", "command MV_EXPAND", id="mv-expand"),
    pytest.param("FROM x | ENRICH policy ON a", "command ENRICH", id="enrich"),
    pytest.param("FROM x | LOOKUP JOIN idx ON a", "command LOOKUP JOIN", id="lookup-join"),
    pytest.param("FROM x | CHANGE_POINT a ON b", "command CHANGE_POINT", id="change-point"),
    pytest.param("FROM x | SAMPLE 0.5", "command SAMPLE", id="sample"),
    pytest.param("FROM x | FORK (WHERE a == 1) (WHERE a == 2)", "command FORK", id="fork"),
    pytest.param("FROM x | INLINESTATS c = COUNT(*) BY a", "command INLINESTATS", id="inlinestats"),
    pytest.param('FROM x | RERANK "q" ON a', "command RERANK", id="rerank"),
    pytest.param("FROM x | COMPLETION c = a WITH model", "command COMPLETION", id="completion"),
    pytest.param("ROW a = 1", "source command ROW", id="row"),
    pytest.param("SHOW INFO", "source command SHOW", id="show"),
    pytest.param("TS metrics", "source command TS", id="ts"),
    pytest.param("FROM x | WHERE foo(a)", "function FOO", id="unknown-function"),
    pytest.param(
        'FROM x | WHERE MV_CONTAINS(a, "b")', "function MV_CONTAINS", id="mv-contains-9.2"
    ),
    pytest.param("FROM x | WHERE COUNT(*) > 1", r"function COUNT\(\*\)", id="aggregate-star"),
    pytest.param("FROM x | WHERE a::integer == 1", "inline cast", id="inline-cast"),
    pytest.param('FROM x | WHERE a : "b"', "MATCH operator", id="match-operator"),
    pytest.param("FROM x | WHERE a == ?p", "query parameter", id="parameter"),
    pytest.param("FROM x | EVAL d = 1 day", "time-span literal", id="time-span"),
    pytest.param("FROM remote:logs-*", "cross-cluster", id="cross-cluster"),
    pytest.param("FROM logs-*::failures", "index selector", id="selector"),
    pytest.param("FROM x METADATA _score", "METADATA field _score", id="metadata-score"),
    pytest.param("FROM x | RENAME a* AS b*", "RENAME with wildcards", id="rename-wildcard"),
    pytest.param('FROM x | WHERE a RLIKE "a&b"', "intersection", id="rlike-intersection"),
    pytest.param('FROM x | WHERE a RLIKE "~a"', "complement", id="rlike-complement"),
    pytest.param('FROM x | WHERE a RLIKE "<1-5>"', "intervals", id="rlike-interval"),
    pytest.param(
        'FROM x | GROK a "%{COMBINEDAPACHELOG}"', "COMBINEDAPACHELOG", id="grok-unknown-pattern"
    ),
    pytest.param('FROM x | GROK a "[[:alpha:]]+"', "POSIX bracket", id="grok-posix-class"),
    pytest.param('FROM x | GROK a "\\\\p{L}"', r"escape \\p", id="grok-unicode-property"),
    pytest.param('FROM x | DISSECT a "%{*k} %{&k}"', "reference keys", id="dissect-reference-keys"),
]


@pytest.mark.parametrize("query, construct", UNSUPPORTED_CASES)
def test_unsupported_constructs_are_named(query: str, construct: str) -> None:
    with pytest.raises(UnsupportedQueryError, match=construct):
        parse_esql(query)


# --- real backend output ------------------------------------------------------------------------


def _backend_query(detection: str) -> str:
    rule = SigmaCollection.from_yaml(
        "title: t\nstatus: test\nlogsource:\n    product: aws\n    service: cloudtrail\n"
        f"detection:\n{detection}"
    )
    (query,) = ESQLBackend().convert(rule)
    return query


COPY_DETECTION = """\
    selection:
        eventSource: rds.amazonaws.com
        eventName|startswith: Copy
        requestParameters.sourceDBSnapshotIdentifier|contains: ':rds:'
        awsRegion:
            - us-east-1
            - eu-west-1
    selection_status:
        errorCode: null
    filter_same_region:
        sourceRegion|fieldref: awsRegion
    condition: selection and selection_status and not filter_same_region
"""

COPY_EVENT = {
    "eventSource": "rds.amazonaws.com",
    "eventName": "CopyDBSnapshot",
    "awsRegion": "us-east-1",
    "sourceRegion": "us-west-2",
    "requestParameters": {"sourceDBSnapshotIdentifier": ARN},
}

BACKEND_CASES = [
    pytest.param(COPY_EVENT, True, id="cross-region-copy"),
    pytest.param({**COPY_EVENT, "sourceRegion": "us-east-1"}, False, id="same-region"),
    pytest.param(
        {**COPY_EVENT, "eventName": "copyDBSnapshot"}, False, id="startswith-case-sensitive"
    ),
    pytest.param(
        {**COPY_EVENT, "awsRegion": "ap-south-1", "sourceRegion": "x"},
        False,
        id="region-not-listed",
    ),
    pytest.param({**COPY_EVENT, "errorCode": "AccessDenied"}, False, id="failed-call"),
    pytest.param(
        {k: v for k, v in COPY_EVENT.items() if k != "sourceRegion"},
        False,
        id="missing-fieldref-operand-drops-row",
    ),
    pytest.param(
        {**COPY_EVENT, "requestParameters": {"sourceDBSnapshotIdentifier": "nightly"}},
        False,
        id="plain-name-not-contains",
    ),
]


@pytest.mark.parametrize("event, expected", BACKEND_CASES)
def test_pysigma_esql_backend_output_runs(event: dict, expected: bool) -> None:
    query = _backend_query(COPY_DETECTION)
    assert query.startswith("from * metadata _id, _index, _version | where ")
    assert parse_esql(query).matches(event) is expected


def test_pysigma_regex_output_follows_lucene_anchoring() -> None:
    # Sigma |re emits rlike with the regex as written; Lucene reads ^ and $ as literals.
    query = parse_esql(_backend_query("    sel:\n        a|re: '^ab.*c$'\n    condition: sel"))
    assert query.matches({"a": "abxc"}) is False
    assert query.matches({"a": "^abxc$"}) is True


def test_pysigma_backslash_before_plain_char_is_rejected_like_elasticsearch() -> None:
    # Sigma 'x\\y*' (one literal backslash) comes out as LIKE "*x\\y*"; ES|QL refuses \y in LIKE.
    query = _backend_query("    sel:\n        c|endswith: 'x\\\\y*z'\n    condition: sel")
    with pytest.raises(EvaluatorError, match="escape character must be followed"):
        parse_esql(query)
