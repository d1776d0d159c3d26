"""Convert Sigma rules to DuckDB and Spark SQL over raw CloudTrail records.

pySigma-backend-databricks writes the WHERE expression for both engines: it compares
strings case-insensitively with ``lower()``, as Sigma requires, and reads dotted field
names as struct field access. The DuckDB backend and the sqlite backend on PyPI compare
plain strings with a case-sensitive ``=``, and the DuckDB one also reads a dotted name as
one flat column. Two small subclasses below correct what the Databricks output gets
wrong for these engines: Sigma's meaning of ``not`` on missing fields, and DuckDB's
string literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from sigma.backends.databricks import DatabricksBackend
from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionNOT
from sigma.conversion.deferred import DeferredQueryExpression
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaError, SigmaFeatureNotSupportedByBackendError
from sigma.pipelines.cloudtrail.region import (
    DERIVED_DESTINATION_REGION,
    DERIVED_SOURCE_REGION,
    DESTINATION_REGION_FIELD,
    SOURCE_REGION_CANDIDATES,
)
from sigma.pipelines.cloudtrail.sql import cloudtrail_duckdb_pipeline, cloudtrail_spark_pipeline
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaFieldReference, SigmaString, SpecialChars

from .errors import ConversionError
from .rules import LoadedRule

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")

# Every match reports these fields besides the rule's own output fields.
ALWAYS_SELECTED = ("eventID",)
DERIVED_FIELDS = frozenset({DERIVED_SOURCE_REGION, DERIVED_DESTINATION_REGION})
# Characters with a meaning in RE2 (DuckDB's regular expressions) that a literal part of
# a wildcard pattern must escape.
RE2_SPECIAL = frozenset("\\.^$|?*+()[]{}")


class SparkSqlBackend(DatabricksBackend):
    """The Databricks backend, with ``not`` read as Sigma reads it on missing fields.

    SQL compares a missing field (NULL) to a value as NULL, and ``NOT NULL`` is NULL, so
    ``not filter`` would drop a record that lacks the filter's field. Sigma counts such a
    filter as not matching, so ``not filter`` matches. COALESCE turns the unknown
    comparison into false before the negation.
    """

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> str:
        converted = self.convert_condition(cond.args[0], state)
        if converted is None or isinstance(converted, DeferredQueryExpression):
            raise SigmaFeatureNotSupportedByBackendError(
                "A negated part of the condition produced no SQL expression; "
                "rewrite the condition without it."
            )
        return f"NOT coalesce(({converted}), false)"

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Compare two fields case-insensitively, as Sigma compares strings."""
        converted = super().convert_condition_field_eq_field(cond, state)
        if cond.field in DERIVED_FIELDS or cond.value.field in DERIVED_FIELDS:
            # The pipeline derives the region fields in lower case already.
            return converted
        left = self.escape_and_quote_field(cond.field)
        right = self.escape_and_quote_field(cond.value.field)
        return f"lower({left}) = lower({right})"


class DuckDbSqlBackend(SparkSqlBackend):
    """The Databricks backend's SQL in DuckDB's spelling.

    DuckDB string literals escape a quote by doubling it and keep backslashes literal,
    its regular expressions are RE2 (no Java ``u`` flag), and it spells ``startswith`` as
    ``starts_with``. Regular-expression values and CIDR values are not supported.
    """

    escape_char: ClassVar[str] = "'"
    add_escaped: ClassVar[str] = ""
    startswith_expression: ClassVar[str] = "starts_with(lower({field}), lower({value}))"
    endswith_expression: ClassVar[str] = "ends_with(lower({field}), lower({value}))"
    wildcard_match_expression: ClassVar[str] = "regexp_matches({field}, {value})"
    re_expression: ClassVar[None] = None
    cidr_expression: ClassVar[None] = None
    # The Databricks OR optimisation writes Java regular expressions with rlike.
    optimize_or_as_regex: ClassVar[bool] = False

    def make_wildcard_regex(self, s: SigmaString) -> str:
        """Return a quoted, anchored, case-insensitive RE2 pattern for a wildcard string."""
        parts = []
        for part in s.s:
            if isinstance(part, str):
                parts.append("".join("\\" + c if c in RE2_SPECIAL else c for c in part))
            elif part == SpecialChars.WILDCARD_MULTI:
                parts.append(".*")
            elif part == SpecialChars.WILDCARD_SINGLE:
                parts.append(".")
            else:
                raise SigmaFeatureNotSupportedByBackendError(
                    f"Unsupported part {part!r} in a wildcard value"
                )
        pattern = "(?is)^" + "".join(parts) + "$"
        return "'" + pattern.replace("'", "''") + "'"


BACKENDS = {"duckdb": DuckDbSqlBackend, "spark": SparkSqlBackend}
PIPELINES = {"duckdb": cloudtrail_duckdb_pipeline, "spark": cloudtrail_spark_pipeline}


@dataclass(frozen=True)
class SqlQuery:
    """A converted rule: its SQL, the CloudTrail fields it reads and the fields a match reports."""

    engine: Engine
    text: str
    # Dotted CloudTrail field names that the engine's input table must provide.
    fields: tuple[str, ...]
    output_fields: tuple[str, ...]
    # The rule after the pipeline has processed it, for the record pre-filter.
    processed_rule: SigmaRule


def convert_sql(loaded: LoadedRule, engine: Engine) -> SqlQuery:
    """Convert one rule to a query for engine with the CloudTrail SQL pipeline."""
    rule = loaded.fresh()
    backend = BACKENDS[engine](processing_pipeline=PIPELINES[engine]())
    try:
        queries = backend.convert_rule(rule)
    except (SigmaError, NotImplementedError) as error:
        # Backends raise NotImplementedError for a construct that they cannot express.
        raise ConversionError(f"{loaded.path}: cannot convert to {engine} SQL: {error}") from error
    if len(queries) != 1:
        raise ConversionError(
            f"{loaded.path}: the SQL backend returned {len(queries)} queries; expected one."
        )
    output_fields = tuple(dict.fromkeys([*ALWAYS_SELECTED, *rule.fields]))
    fields = tuple(dict.fromkeys([*_detection_fields(rule), *_region_fields(), *output_fields]))
    return SqlQuery(engine, str(queries[0]), fields, output_fields, rule)


# Queries that convert_duckdb returned, by text. An evaluator that gets only the text
# looks up here which fields the query reads.
_CONVERTED: dict[str, SqlQuery] = {}


def convert_duckdb(loaded: LoadedRule) -> str:
    """Return the DuckDB SQL of one rule."""
    query = convert_sql(loaded, "duckdb")
    _CONVERTED[query.text] = query
    return query.text


def converted_query(text: str) -> SqlQuery:
    """Return the SqlQuery that convert_duckdb returned as text."""
    try:
        return _CONVERTED[text]
    except KeyError:
        raise ConversionError(
            "This DuckDB query did not come from convert_duckdb, so the fields it reads are "
            "unknown. Convert the rule with convert_duckdb first."
        ) from None


def _region_fields() -> list[str]:
    return [DESTINATION_REGION_FIELD, *(candidate.field for candidate in SOURCE_REGION_CANDIDATES)]


def _detection_fields(rule: SigmaRule) -> list[str]:
    found: list[str] = []
    for detection in rule.detection.detections.values():
        _collect_fields(detection, found)
    return [name for name in found if name not in DERIVED_FIELDS]


def _collect_fields(node: SigmaDetection | SigmaDetectionItem, found: list[str]) -> None:
    if isinstance(node, SigmaDetection):
        for item in node.detection_items:
            _collect_fields(item, found)
        return
    if node.field is None:
        raise ConversionError(
            "The SQL targets cannot search for a value in any field (a keyword detection). "
            "Name the field that contains the value."
        )
    found.append(node.field)
    found.extend(value.field for value in node.value if isinstance(value, SigmaFieldReference))
