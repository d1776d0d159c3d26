"""Tests of the offline SPL evaluator: one table row per Splunk semantic rule."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection

from converters.errors import EvaluatorError, EventsError, UnsupportedQueryError
from converters.evaluators.spl import parse_spl, splunk_event

ARN_WEST = "arn:aws:rds:us-west-2:123456789012:snapshot:db-2026-01-01"

# (id, query, event, expected verdict of SplQuery.matches)
SEARCH_CASES = [
    # An empty value is read both as absent and as a value; the query must give the
    # same verdict under both readings.
    ("empty-value-both-readings-match", 'x="" OR NOT x=*', {"x": ""}, True),
    ("empty-value-both-readings-no-match", 'x="a*" y=1', {"x": "", "y": "1"}, False),
    ("term-equal", "eventName=CopyDBSnapshot", {"eventName": "CopyDBSnapshot"}, True),
    (
        "term-value-case-insensitive",
        "eventName=copydbsnapshot",
        {"eventName": "CopyDBSnapshot"},
        True,
    ),
    ("term-whole-value-only", "eventName=Copy", {"eventName": "CopyDBSnapshot"}, False),
    (
        "term-field-name-case-sensitive",
        "EventName=CopyDBSnapshot",
        {"eventName": "CopyDBSnapshot"},
        False,
    ),
    ("term-quoted-value", 'userAgent="aws cli/2.0"', {"userAgent": "AWS CLI/2.0"}, True),
    (
        "term-leading-search-keyword",
        "search eventName=CopyDBSnapshot",
        {"eventName": "CopyDBSnapshot"},
        True,
    ),
    ("term-newline-is-whitespace", "a=1\nb=2", {"a": "1", "b": "2"}, True),
    ("term-field-named-search", "search=x", {"search": "x"}, True),
    ("quote-pipe-inside", 'x="a|b" | search x=*', {"x": "a|b"}, True),
    ("unquoted-escaped-pipe", r"x=a\|b", {"x": "a|b"}, True),
    ("term-equal-is-string-compare", "n=1", {"n": "1.0"}, False),
    ("wildcard-suffix", "eventSource=rds*", {"eventSource": "rds.amazonaws.com"}, True),
    ("wildcard-both-sides", "eventSource=*amazonaws*", {"eventSource": "rds.amazonaws.com"}, True),
    (
        "wildcard-inside-quotes",
        'eventSource="*.amazonaws.*"',
        {"eventSource": "rds.amazonaws.com"},
        True,
    ),
    (
        "wildcard-matches-zero-chars",
        "eventSource=rds.amazonaws.com*",
        {"eventSource": "rds.amazonaws.com"},
        True,
    ),
    ("wildcard-anchored-at-end", "eventSource=rds*", {"eventSource": "ec2.amazonaws.com"}, False),
    ("quote-escaped-quote", r'x="a\"b"', {"x": 'a"b'}, True),
    ("quote-escaped-backslash", r'x="C:\\temp"', {"x": "C:\\temp"}, True),
    ("quote-escaped-backslash-not-double", r'x="C:\\temp"', {"x": "C:\\\\temp"}, False),
    ("quote-unknown-escape-kept", r'x="a\d"', {"x": "a\\d"}, True),
    ("quote-backslash-star-keeps-backslash", r'x="a\*b"', {"x": "a\\zzb"}, True),
    ("quote-backslash-star-not-literal-star", r'x="a\*b"', {"x": "a*b"}, False),
    ("quote-star-always-wildcard", 'x="a*b"', {"x": "aXYZb"}, True),
    ("not-equal-other-value", "x!=a", {"x": "b"}, True),
    ("not-equal-same-value", "x!=A", {"x": "a"}, False),
    ("not-equal-missing-field", "x!=a", {}, False),
    ("not-term-missing-field", "NOT x=a", {}, True),
    ("exists-present", "x=*", {"x": "v"}, True),
    ("exists-absent", "x=*", {}, False),
    ("not-exists-absent", "NOT x=*", {}, True),
    ("not-exists-present", "NOT x=*", {"x": "v"}, False),
    ("not-equal-star-present", "x!=*", {"x": "v"}, False),
    ("not-equal-star-absent", "x!=*", {}, False),
    ("greater-numeric", "n>5", {"n": "10"}, True),
    ("less-numeric", "n<5", {"n": "10"}, False),
    ("greater-equal-bound", "n>=5", {"n": "5"}, True),
    ("less-equal-decimal", "n<=4.5", {"n": "4.5"}, True),
    ("greater-lexicographic-strings", "s>b", {"s": "c"}, True),
    ("greater-lexicographic-uppercase-first", "s>B", {"s": "a"}, True),
    ("greater-missing-field", "n>5", {}, False),
    ("in-list-plain", 'x IN ("a", "b*")', {"x": "a"}, True),
    ("in-list-wildcard", 'x IN ("a", "b*")', {"x": "bcd"}, True),
    ("in-list-case-insensitive", "x IN (a, b)", {"x": "A"}, True),
    ("in-list-no-match", 'x IN ("a", "b*")', {"x": "c"}, False),
    ("in-list-negated-missing", "NOT x IN (a, b)", {}, True),
    ("precedence-or-before-implicit-and", "a=1 b=2 OR c=3", {"c": "3"}, False),
    ("precedence-or-group-satisfied", "a=1 b=2 OR c=3", {"a": "1", "c": "3"}, True),
    ("precedence-or-before-explicit-and", "a=1 AND b=2 OR c=3", {"c": "3"}, False),
    ("precedence-parentheses-override", "(a=1 b=2) OR c=3", {"c": "3"}, True),
    ("precedence-not-before-or", "NOT a=1 OR b=2", {"a": "1"}, False),
    ("precedence-not-before-or-other-side", "NOT a=1 OR b=2", {"a": "1", "b": "2"}, True),
    (
        "multivalue-any-value",
        "resources{}.ARN=*:snapshot:b",
        {"resources{}.ARN": ["x", "arn:aws:rds:us-east-1:123456789012:snapshot:b"]},
        True,
    ),
    ("multivalue-no-value", "tags{}=z", {"tags{}": ["x", "y"]}, False),
    ("multivalue-negated-any-value", "NOT tags{}=x", {"tags{}": ["x", "y"]}, False),
    ("multivalue-in-list", "tags{} IN (q, y)", {"tags{}": ["x", "y"]}, True),
    ("lone-star-matches-all", "*", {}, True),
    ("search-command-after-pipe", "x=* | search y=2", {"x": "1", "y": "2"}, True),
    ("search-command-after-pipe-filters", "x=* | search y=2", {"x": "1", "y": "3"}, False),
]

# (id, query, event, expected verdict) for where and eval: case-sensitive, null-aware.
WHERE_CASES = [
    ("where-case-sensitive", '* | where x="abc"', {"x": "ABC"}, False),
    ("where-equal", '* | where x="abc"', {"x": "abc"}, True),
    ("where-double-equal", '* | where x=="abc"', {"x": "abc"}, True),
    ("where-not-equal", '* | where x!="abc"', {"x": "abd"}, True),
    ("where-not-equal-null-drops", '* | where x!="abc"', {}, False),
    ("where-null-comparison-drops", '* | where x="a"', {}, False),
    ("where-not-null-drops", '* | where NOT x="a"', {}, False),
    ("where-unquoted-word-is-field", "* | where a=b", {"a": "b", "b": "c"}, False),
    ("where-two-fields-equal", "* | where a=b", {"a": "v", "b": "v"}, True),
    ("where-double-quoted-is-string", '* | where a="b"', {"a": "b", "b": "c"}, True),
    (
        "where-single-quoted-dotted-field",
        "* | where 'requestParameters.sourceRegion'=\"us-west-2\"",
        {"requestParameters.sourceRegion": "us-west-2"},
        True,
    ),
    (
        "where-double-quoted-dotted-is-string",
        '* | where "requestParameters.sourceRegion"="us-west-2"',
        {"requestParameters.sourceRegion": "us-west-2"},
        False,
    ),
    (
        "where-fieldref-regions-differ",
        "* | where NOT 'awsRegion'='requestParameters.sourceRegion'",
        {"awsRegion": "us-east-1", "requestParameters.sourceRegion": "us-west-2"},
        True,
    ),
    (
        "where-fieldref-regions-same",
        "* | where NOT 'awsRegion'='requestParameters.sourceRegion'",
        {"awsRegion": "us-east-1", "requestParameters.sourceRegion": "us-east-1"},
        False,
    ),
    (
        "where-fieldref-missing-drops",
        "* | where NOT 'awsRegion'='requestParameters.sourceRegion'",
        {"awsRegion": "us-east-1"},
        False,
    ),
    ("where-numeric-fields", "* | where a<b", {"a": "9", "b": "10"}, True),
    ("where-string-fields-lexicographic", "* | where a<b", {"a": "b9", "b": "b10"}, False),
    ("where-number-literal", "* | where n>=5", {"n": "5"}, True),
    ("where-numeric-fields-equal-as-numbers", "* | where a=b", {"a": "1.0", "b": "1"}, True),
    ("where-numeric-field-equals-string", '* | where status="200"', {"status": "200"}, True),
    (
        "where-numeric-field-string-text-differs",
        '* | where status="200.0"',
        {"status": "200"},
        False,
    ),
    ("where-negative-number-literal", "* | where n>-1", {"n": "0"}, True),
    ("three-valued-null-or-true", '* | where x="a" OR y="b"', {"y": "b"}, True),
    ("three-valued-false-and-null", '* | where NOT (x="a" AND y="c")', {"y": "b"}, True),
    ("three-valued-null-or-false", '* | where NOT (x="a" OR y="c")', {"y": "b"}, False),
    ("three-valued-not-null", '* | where NOT isnotnull(x) OR NOT x="a"', {}, True),
    ("xor-one-true", '* | where x="a" XOR y="b"', {"x": "a", "y": "c"}, True),
    ("xor-both-true", '* | where x="a" XOR y="b"', {"x": "a", "y": "b"}, False),
    ("xor-null", '* | where x="a" XOR y="b"', {"y": "b"}, False),
    ("where-and-before-or", '* | where a="1" OR b="2" AND c="3"', {"a": "1"}, True),
    ("where-parentheses", '* | where (a="1" OR b="2") AND c="3"', {"a": "1"}, False),
    ("where-string-escaped-backslash", r'* | where x="C:\\temp"', {"x": "C:\\temp"}, True),
    ("where-string-escaped-quote", r'* | where x="a\"b"', {"x": 'a"b'}, True),
    ("where-multivalue-via-mvindex", '* | where mvindex(m, 1)="b"', {"m": ["a", "b"]}, True),
    ("where-true-function", "* | where true()", {}, True),
    ("eval-then-where", '* | eval y=x."-".z | where y="a-b"', {"x": "a", "z": "b"}, True),
    ("eval-concat-null", '* | eval y=x."-".z | where isnull(y)', {"x": "a"}, True),
    ("eval-sees-earlier-assignment", '* | eval a="x", b=a."y" | where b="xy"', {}, True),
    ("eval-null-removes-field", "* | eval x=null() | where isnull(x)", {"x": "v"}, True),
    ("eval-overwrites-field", '* | eval x="new" | search x=new', {"x": "old"}, True),
    ("eval-number-stored-as-text", "* | eval n=len(x) | search n=3", {"x": "abc"}, True),
    ("regex-matches-unanchored", '* | regex x="rds:us-west"', {"x": ARN_WEST}, True),
    ("regex-anchored", '* | regex x="^rds"', {"x": ARN_WEST}, False),
    ("regex-case-sensitive", '* | regex x="RDS"', {"x": ARN_WEST}, False),
    ("regex-inline-ignorecase", '* | regex x="(?i)RDS"', {"x": ARN_WEST}, True),
    ("regex-double-backslash-is-class", r'* | regex x=":\\d{12}:"', {"x": ARN_WEST}, True),
    ("regex-single-backslash-kept", r'* | regex x=":\d{12}:"', {"x": ARN_WEST}, True),
    ("regex-digit-class-is-ascii", r'* | regex x="^\d$"', {"x": "\u0663"}, False),
    ("regex-negated", '* | regex x!="us-east"', {"x": ARN_WEST}, True),
    ("regex-negated-matching", '* | regex x!="us-west"', {"x": ARN_WEST}, False),
    ("regex-missing-field-drops", '* | regex x="a"', {}, False),
    ("regex-escaped-quote", r'* | regex x="a\"b"', {"x": 'xa"b'}, True),
    ("regex-alternation-inside-quotes", '* | regex x="us-east-1|us-west-2"', {"x": ARN_WEST}, True),
    ("eval-quoted-dotted-target", "* | eval 'a.b'=\"x\" | search a.b=x", {}, True),
    ("regex-named-group", '* | regex x="(?<region>us-[a-z]+-\\d)"', {"x": ARN_WEST}, True),
]

# (id, eval expression, event, value of the result field, None when eval removes it)
FUNCTION_CASES = [
    ("lower", "lower(x)", {"x": "AbC"}, "abc"),
    ("lower-multivalue", "lower(m)", {"m": ["A", "B"]}, ["a", "b"]),
    ("lower-null", "lower(x)", {}, None),
    ("upper", "upper(x)", {"x": "AbC"}, "ABC"),
    ("len-code-points", "len(x)", {"x": "h\u00e9llo"}, "5"),
    ("len-null", "len(x)", {}, None),
    ("if-true", 'if(x="a", "yes", "no")', {"x": "a"}, "yes"),
    ("if-false", 'if(x="a", "yes", "no")', {"x": "b"}, "no"),
    ("if-null-condition-is-false", 'if(x="a", "yes", "no")', {}, "no"),
    ("case-second-pair", 'case(x="a", "A", x="b", "B")', {"x": "b"}, "B"),
    ("case-no-match-null", 'case(x="a", "A", x="b", "B")', {"x": "c"}, None),
    ("case-null-condition-skipped", 'case(x="a", "A", true(), "other")', {}, "other"),
    ("coalesce-first-non-null", 'coalesce(a, b, "d")', {"b": "2"}, "2"),
    ("coalesce-literal-fallback", 'coalesce(a, b, "d")', {}, "d"),
    ("isnull-missing", 'if(isnull(a), "null", "set")', {}, "null"),
    ("isnull-present", 'if(isnull(a), "null", "set")', {"a": ""}, "set"),
    ("isnotnull-present", 'if(isnotnull(a), "set", "null")', {"a": "v"}, "set"),
    ("match-unanchored", 'if(match(x, "rds"), "y", "n")', {"x": ARN_WEST}, "y"),
    ("match-anchored", 'if(match(x, "^arn:aws:rds:"), "y", "n")', {"x": ARN_WEST}, "y"),
    ("match-case-sensitive", 'if(match(x, "RDS"), "y", "n")', {"x": ARN_WEST}, "n"),
    ("match-inline-ignorecase", 'if(match(x, "(?i)RDS"), "y", "n")', {"x": ARN_WEST}, "y"),
    ("match-digit-escape", r'if(match(x, ":\d{12}:"), "y", "n")', {"x": ARN_WEST}, "y"),
    ("match-null-subject", 'if(isnull(match(x, "a")), "null", "set")', {}, "null"),
    ("replace-groups", r'replace(x, "^(\d+)/(\d+)$", "\2/\1")', {"x": "1/14"}, "14/1"),
    ("replace-every-occurrence", 'replace(x, "-", "_")', {"x": "a-b-c"}, "a_b_c"),
    ("like-wildcards", 'if(like(x, "arn:%:rds:us-_est-2:%"), "y", "n")', {"x": ARN_WEST}, "y"),
    ("like-whole-value", 'if(like(x, "rds%"), "y", "n")', {"x": ARN_WEST}, "n"),
    ("like-case-sensitive", 'if(like(x, "ARN%"), "y", "n")', {"x": ARN_WEST}, "n"),
    ("like-operator", 'if(x LIKE "arn%", "y", "n")', {"x": ARN_WEST}, "y"),
    ("split-delimiter", 'split(x, ":")', {"x": "a:b:c"}, ["a", "b", "c"]),
    ("split-no-delimiter-single-value", 'split(x, ":")', {"x": "abc"}, "abc"),
    ("split-empty-delimiter", 'split(x, "")', {"x": "abc"}, ["a", "b", "c"]),
    ("mvindex-region-of-arn", 'mvindex(split(x, ":"), 3)', {"x": ARN_WEST}, "us-west-2"),
    ("mvindex-negative", 'mvindex(split(x, ":"), -1)', {"x": ARN_WEST}, "db-2026-01-01"),
    ("mvindex-range", 'mvindex(split(x, ":"), 0, 1)', {"x": ARN_WEST}, ["arn", "aws"]),
    ("mvindex-out-of-range", 'mvindex(split(x, ":"), 9)', {"x": ARN_WEST}, None),
    ("mvindex-single-value", "mvindex(x, 0)", {"x": "only"}, "only"),
    ("mvcount-multivalue", "mvcount(m)", {"m": ["a", "b", "c"]}, "3"),
    ("mvcount-single", "mvcount(m)", {"m": "a"}, "1"),
    ("mvcount-missing", "mvcount(m)", {}, None),
    ("mvappend-flattens", 'mvappend(x, "b", m)', {"x": "a", "m": ["c", "d"]}, ["a", "b", "c", "d"]),
    ("mvappend-skips-null", 'mvappend(missing, "b")', {}, "b"),
    (
        "mvfilter-keeps-matching",
        'mvfilter(match(m, "^a"))',
        {"m": ["ab", "cd", "ae"]},
        ["ab", "ae"],
    ),
    ("mvfilter-none-left", 'mvfilter(m="z")', {"m": ["ab", "cd"]}, None),
    ("substr-from-start", 'substr("string", 1, 3)', {}, "str"),
    ("substr-negative-start", 'substr("string", -3)', {}, "ing"),
    ("substr-position-zero", 'substr("string", 0, 2)', {}, "s"),
    ("trim-default-spaces-tabs", "trim(x)", {"x": "  a b\t"}, "a b"),
    ("trim-characters", 'trim(x, "x")', {"x": "xxaxx"}, "a"),
    (
        "cidrmatch-inside",
        'if(cidrmatch("192.0.2.0/24", ip), "in", "out")',
        {"ip": "192.0.2.56"},
        "in",
    ),
    (
        "cidrmatch-outside",
        'if(cidrmatch("192.0.2.0/24", ip), "in", "out")',
        {"ip": "198.51.100.1"},
        "out",
    ),
    (
        "cidrmatch-not-an-ip",
        'if(cidrmatch("192.0.2.0/24", ip), "in", "out")',
        {"ip": "rds.amazonaws.com"},
        "out",
    ),
    (
        "cidrmatch-ipv6",
        'if(cidrmatch("2001:db8::/32", ip), "in", "out")',
        {"ip": "2001:db8::1"},
        "in",
    ),
    ("true-function", 'if(true(), "t", "f")', {}, "t"),
    ("null-function", 'coalesce(null(), "x")', {}, "x"),
    ("concatenation", 'x.":".y', {"x": "a", "y": "b"}, "a:b"),
    ("concatenation-number", "x.1", {"x": "a"}, "a1"),
]

# (id, query, event or None for a parse-time error, text the message must contain)
UNSUPPORTED_CASES = [
    ("command-stats", "x=1 | stats count", None, "| stats"),
    ("command-rex", 'x=1 | rex field=x "(?<a>b)"', None, "| rex"),
    ("command-uppercase", "x=1 | WHERE x=1", None, "| WHERE"),
    ("unknown-function", "x=1 | where foo(x)", None, "foo()"),
    ("keyword-term", "error", None, "keyword term error"),
    ("keyword-search-mid-query", "a=1 search b=2", None, "keyword term search"),
    ("quoted-keyword-term", '"access denied"', None, "keyword term"),
    ("term-directive", "TERM(x)", None, "TERM()"),
    ("double-quoted-field-name", '"resources{}.ARN"="arn:*"', None, "double-quoted field name"),
    ("search-modifier", "earliest=-1h x=1", None, "search modifier earliest"),
    ("cidr-search-value", 'ip="192.0.2.0/24"', None, "CIDR value"),
    ("wildcard-ordering", "n>5*", None, "wildcard in an ordering"),
    ("subsearch", "x=1 [search y=2]", None, "subsearch"),
    ("macro", "`cloudtrail` x=1", None, "macro"),
    ("regex-without-field", 'x=1 | regex "abc"', None, "_raw"),
    ("regex-pcre-end-anchor", r'x=1 | regex x="a\Z"', None, "'\\Z'"),
    ("regex-pcre-posix-class", 'x=1 | regex x="[[:alpha:]]"', None, "POSIX"),
    ("regex-pcre-ungreedy-flag", 'x=1 | regex x="(?U)a+"', None, "(?U"),
    ("regex-pcre-keep-out", r'x=1 | regex x="a\Kb"', None, "'\\K'"),
    ("regex-pcre-empty-min-quantifier", 'x=1 | regex x="a{,3}"', None, "{,n}"),
    ("match-pcre-unicode-property", r'* | where match(x, "\p{L}")', {"x": "a"}, "'\\p'"),
    ("table-wildcard", "* | table a*", None, "wildcard field names"),
    ("arithmetic-operator", "* | eval y=x+1", None, "arithmetic operator '+'"),
    ("bang-operator", "* | where !isnull(x)", None, "'!' operator"),
    ("unary-minus-field", "* | where -x=1", None, "unary minus"),
    ("in-operator-in-where", '* | where x in ("a")', None, "IN operator"),
    ("mvfilter-two-fields", "* | eval r=mvfilter(a=b)", None, "exactly one field"),
    ("replace-dollar-group", '* | eval r=replace(x, "(a)", "$1")', {"x": "a"}, "'$' group"),
    ("like-backslash", r'* | where like(x, "a\%")', {"x": "a%"}, "backslash"),
    ("compare-multivalue", '* | where m="a"', {"m": ["a", "b"]}, "multivalue operand"),
    ("not-equal-multivalue", "m!=a", {"m": ["a", "b"]}, "multivalue field"),
    ("empty-field-value", "x=*", {"x": ""}, "empty value"),
    ("compare-number-with-string", "* | where x=1", {"x": "abc"}, "mixes a number and a string"),
    (
        "order-numeric-field-against-string",
        '* | where n<"5"',
        {"n": "10"},
        "orders a numeric field",
    ),
    ("len-multivalue", "* | eval n=len(m)", {"m": ["a", "b"]}, "multivalue"),
    ("regex-negated-missing-field", '* | regex x!="a"', {}, "does not document"),
    ("regex-multivalue", '* | regex m="a"', {"m": ["a", "b"]}, "multivalue"),
    ("eval-float-as-text", "* | eval x=1.5", {}, "precision"),
]

# (id, query, event or None for a parse-time error, text the message must contain)
INVALID_CASES = [
    ("unbalanced-parenthesis", "(x=1", None, "invalid SPL"),
    ("unterminated-quote", 'x="a', None, "unterminated"),
    ("empty-base-search", "| where x=1", None, "empty base search"),
    ("pipe-without-command", "x=1 | ", None, "command name"),
    ("unquoted-operator-value", "x=OR", None, "quote it"),
    ("eval-wrong-arity", "* | eval y=lower(a, b)", None, "lower() takes 1"),
    ("eval-stores-boolean", '* | eval b=x="a"', {"x": "a"}, "Boolean"),
    ("where-non-boolean", "* | where x", {"x": "a"}, "not a Boolean"),
    ("case-odd-arguments", '* | eval y=case(x="a", "A", x="b")', None, "odd number"),
    ("and-non-boolean-operand", "* | where x AND true()", {"x": "a"}, "needs a Boolean"),
    ("event-value-not-text", "* | where isnotnull(n)", {"n": 5}, "splunk_event"),
    (
        "cidrmatch-bad-subnet",
        '* | where cidrmatch("not-a-subnet", ip)',
        {"ip": "192.0.2.1"},
        "not a CIDR",
    ),
]


def _case_ids(cases):
    return [case[0] for case in cases]


@pytest.mark.parametrize(
    ("query", "event", "expected"), [c[1:] for c in SEARCH_CASES], ids=_case_ids(SEARCH_CASES)
)
def test_search_term_semantics(query, event, expected):
    assert parse_spl(query).matches(event) is expected


@pytest.mark.parametrize(
    ("query", "event", "expected"), [c[1:] for c in WHERE_CASES], ids=_case_ids(WHERE_CASES)
)
def test_where_eval_regex_semantics(query, event, expected):
    assert parse_spl(query).matches(event) is expected


@pytest.mark.parametrize(
    ("expression", "event", "expected"),
    [c[1:] for c in FUNCTION_CASES],
    ids=_case_ids(FUNCTION_CASES),
)
def test_eval_function_results(expression, event, expected):
    row = parse_spl(f"* | eval r={expression} | table r").evaluate(event)
    assert row is not None
    assert row.get("r") == expected


@pytest.mark.parametrize(
    ("query", "event", "fragment"),
    [c[1:] for c in UNSUPPORTED_CASES],
    ids=_case_ids(UNSUPPORTED_CASES),
)
def test_unsupported_construct_raises(query, event, fragment):
    with pytest.raises(UnsupportedQueryError) as caught:
        parse_spl(query).evaluate(event if event is not None else {"x": "1"})
    if event is not None:
        # A runtime case must parse: the data, not the query, is what is unsupported.
        assert parse_spl(query) is not None
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("query", "event", "fragment"), [c[1:] for c in INVALID_CASES], ids=_case_ids(INVALID_CASES)
)
def test_invalid_query_raises_evaluator_error(query, event, fragment):
    with pytest.raises(EvaluatorError) as caught:
        parse_spl(query).evaluate(event if event is not None else {"x": "1"})
    assert type(caught.value) is EvaluatorError
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "table_clause",
    ["table eventName, awsRegion", "table eventName,awsRegion", "table eventName awsRegion"],
    ids=["comma-space", "comma", "space"],
)
def test_table_keeps_listed_fields(table_clause):
    event = {"eventName": "CopyDBSnapshot", "awsRegion": "us-east-1", "other": "x"}
    row = parse_spl(f"eventName=* | {table_clause}").evaluate(event)
    assert row == {"eventName": "CopyDBSnapshot", "awsRegion": "us-east-1"}
    assert list(row) == ["eventName", "awsRegion"]


def test_table_omits_missing_field():
    row = parse_spl("* | table a, missing").evaluate({"a": "1"})
    assert row == {"a": "1"}


def test_evaluate_without_table_returns_event():
    event = {"a": "1", "m": ["x", "y"]}
    row = parse_spl('a=1 | eval b="2"').evaluate(event)
    assert row == {"a": "1", "m": ["x", "y"], "b": "2"}
    assert event == {"a": "1", "m": ["x", "y"]}


def test_evaluate_filtered_out_returns_none():
    assert parse_spl("a=2 | table a").evaluate({"a": "1"}) is None


# --- splunk_event ------------------------------------------------------------------

# (id, raw record, expected fields; add_on_fields=False)
EVENT_CASES = [
    (
        "nested-object",
        {"requestParameters": {"sourceDBSnapshotIdentifier": ARN_WEST}},
        {"requestParameters.sourceDBSnapshotIdentifier": ARN_WEST},
    ),
    (
        "deeply-nested",
        {"userIdentity": {"sessionContext": {"attributes": {"mfaAuthenticated": "false"}}}},
        {"userIdentity.sessionContext.attributes.mfaAuthenticated": "false"},
    ),
    ("array-of-scalars", {"tags": ["a", "b"]}, {"tags{}": ["a", "b"]}),
    ("array-single-value", {"tags": ["a"]}, {"tags{}": "a"}),
    (
        "array-of-objects",
        {"resources": [{"ARN": "a1", "type": "t"}, {"ARN": "a2"}]},
        {"resources{}.ARN": ["a1", "a2"], "resources{}.type": "t"},
    ),
    ("nested-arrays", {"m": [[1, 2], [3]]}, {"m{}{}": ["1", "2", "3"]}),
    (
        "booleans",
        {"readOnly": False, "managementEvent": True},
        {"readOnly": "false", "managementEvent": "true"},
    ),
    ("integer", {"n": 42}, {"n": "42"}),
    ("float", {"f": 1.5}, {"f": "1.5"}),
    ("decimal-keeps-digits", {"f": Decimal("1.50")}, {"f": "1.50"}),
    ("json-null", {"requestParameters": None}, {"requestParameters": "null"}),
    ("empty-string", {"errorMessage": ""}, {"errorMessage": ""}),
    ("empty-object-and-array", {"o": {}, "a": []}, {}),
]


@pytest.mark.parametrize(
    ("record", "expected"), [c[1:] for c in EVENT_CASES], ids=_case_ids(EVENT_CASES)
)
def test_splunk_event_flattening(record, expected):
    assert splunk_event(record, add_on_fields=False) == expected


def test_splunk_event_add_on_error_code():
    fields = splunk_event({"eventName": "CopyDBSnapshot"})
    assert fields["errorCode"] == "success"
    assert parse_spl("errorCode=success").matches(fields)


def test_splunk_event_keeps_error_code():
    fields = splunk_event({"errorCode": "AccessDenied"})
    assert fields["errorCode"] == "AccessDenied"


def test_splunk_event_without_add_on():
    fields = splunk_event({"eventName": "CopyDBSnapshot"}, add_on_fields=False)
    assert "errorCode" not in fields
    assert parse_spl("NOT errorCode=*").matches(fields)


def test_splunk_event_decimal_from_json():
    record = json.loads('{"latency": 0.10}', parse_float=Decimal)
    assert splunk_event(record, add_on_fields=False) == {"latency": "0.10"}


def test_splunk_event_rejects_non_object():
    with pytest.raises(EventsError, match="JSON object"):
        splunk_event(["not", "a", "record"])  # type: ignore[arg-type]


# --- real backend output -----------------------------------------------------------

BACKEND_RULE = r"""
title: Cross-region RDS snapshot copy (evaluator test)
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: rds.amazonaws.com
        eventName: CopyDBSnapshot
        requestParameters.sourceDBSnapshotIdentifier|re: '^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:snapshot:'
    filter_same_region:
        awsRegion|fieldref: requestParameters.sourceRegion
    condition: selection and not filter_same_region
"""


def _copy_record(**overrides):
    record = {
        "eventVersion": "1.08",
        "eventSource": "rds.amazonaws.com",
        "eventName": "CopyDBSnapshot",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.10",
        "recipientAccountId": "123456789012",
        "requestParameters": {
            "sourceDBSnapshotIdentifier": ARN_WEST,
            "targetDBSnapshotIdentifier": "copy-1",
            "sourceRegion": "us-west-2",
        },
        "resources": [{"ARN": ARN_WEST}],
    }
    record.update(overrides)
    return record


@pytest.fixture(scope="module")
def backend_query():
    return SplunkBackend().convert(SigmaCollection.from_yaml(BACKEND_RULE))[0]


def test_backend_query_uses_regex_and_where(backend_query):
    assert "\n| regex requestParameters.sourceDBSnapshotIdentifier=" in backend_query
    assert "\n| where NOT 'awsRegion'='requestParameters.sourceRegion'" in backend_query


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, True),
        ({"awsRegion": "us-west-2"}, False),
        ({"eventName": "CopyDBClusterSnapshot"}, False),
        (
            {
                "requestParameters": {
                    "sourceDBSnapshotIdentifier": "db-local",
                    "sourceRegion": "us-west-2",
                }
            },
            False,
        ),
        ({"requestParameters": {"sourceDBSnapshotIdentifier": ARN_WEST}}, False),
        ({"eventSource": "RDS.AMAZONAWS.COM"}, True),
    ],
    ids=[
        "cross-region",
        "same-region",
        "other-event",
        "arn-regex-fails",
        "no-source-region",
        "source-case",
    ],
)
def test_backend_query_runs_on_events(backend_query, overrides, expected):
    event = splunk_event(_copy_record(**overrides))
    assert parse_spl(backend_query).matches(event) is expected


STATUS_RULE = r"""
title: RDS snapshot copy that succeeded (evaluator test)
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
    selection_event:
        eventName:
            - CopyDBSnapshot
            - CopyDBClusterSnapshot
    selection_status_success:
        errorCode: 'Success'
    selection_status_null:
        errorCode: null
    condition: selection_event and 1 of selection_status_*
"""


@pytest.mark.parametrize(
    ("overrides", "add_on_fields", "expected"),
    [
        ({}, True, True),
        ({}, False, True),
        ({"errorCode": "AccessDenied"}, True, False),
        ({"eventName": "CopyDBClusterSnapshot"}, True, True),
        ({"eventName": "ModifyDBSnapshotAttribute"}, True, False),
    ],
    ids=["add-on-success", "absent-error-code", "access-denied", "cluster-snapshot", "other-event"],
)
def test_backend_in_list_and_null(overrides, add_on_fields, expected):
    query = SplunkBackend().convert(SigmaCollection.from_yaml(STATUS_RULE))[0]
    assert " IN (" in query
    assert "NOT errorCode=*" in query
    event = splunk_event(_copy_record(**overrides), add_on_fields=add_on_fields)
    assert parse_spl(query).matches(event) is expected


def test_backend_ored_regex_is_unsupported():
    rule = BACKEND_RULE.replace(
        "condition: selection and not filter_same_region",
        "condition: selection or filter_same_region",
    ).replace(
        "    filter_same_region:\n        awsRegion|fieldref: requestParameters.sourceRegion\n",
        "    filter_same_region:\n        awsRegion: us-east-1\n",
    )
    query = SplunkBackend().convert(SigmaCollection.from_yaml(rule))[0]
    with pytest.raises(UnsupportedQueryError, match=r"\| rex"):
        parse_spl(query)
