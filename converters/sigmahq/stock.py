"""Convert a rule with the stock Splunk and ES|QL backends and run the queries on the case table.

SigmaHQ users convert rules with the stock backends and no custom processing
pipeline. Without our pipeline the rule can only compare
requestParameters.sourceRegion with awsRegion, so the stock queries must at
least never alert on the cases the rule must not alert on (same-region copies,
failed calls, other events).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sigma.backends.elasticsearch import ESQLBackend
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection
from sigma.conversion.base import Backend
from sigma.exceptions import SigmaError

from ..errors import ToolkitError
from ..evaluators.spl import parse_spl, splunk_event
from ..events import Event
from ..rules import LoadedRule
from .problems import Problem

CHECK = "stock conversion"


def _evaluate_spl(query: str, record: Mapping[str, Any]) -> bool:
    return parse_spl(query).matches(splunk_event(record))


def _evaluate_esql(query: str, record: Mapping[str, Any]) -> bool:
    # Imported here so that the rest of the check runs where the ES|QL evaluator is absent.
    try:
        from ..evaluators.esql import parse_esql
    except ImportError as error:
        raise ToolkitError(
            "the ES|QL evaluator (converters.evaluators.esql) is not installed, so the stock "
            "ES|QL query cannot be run. Install the complete toolkit with `make install`."
        ) from error
    # The stock query keeps the rule's CloudTrail field names, so it runs on records
    # indexed as they are (nested objects become dotted columns), where no field is
    # mapped as flattened. It does not run on the Elastic AWS integration's ECS documents.
    return parse_esql(query, flattened_fields=()).matches(record)


@dataclass(frozen=True)
class StockTarget:
    """A stock pySigma backend and the offline evaluator that runs its queries."""

    name: str
    title: str
    language: str
    backend: Callable[[], Backend]
    evaluate: Callable[[str, Mapping[str, Any]], bool]


STOCK_TARGETS = (
    StockTarget(
        "splunk",
        "Splunk (pySigma-backend-splunk, no pipeline)",
        "spl",
        SplunkBackend,
        _evaluate_spl,
    ),
    StockTarget(
        "esql",
        "ES|QL (pySigma-backend-elasticsearch, no pipeline)",
        "esql",
        ESQLBackend,
        _evaluate_esql,
    ),
)


@dataclass
class StockResult:
    """One stock conversion of one rule and the verdicts of its query on the cases."""

    target: StockTarget
    query: str | None = None
    error: str | None = None
    alerts: list[str] = field(default_factory=list)
    false_alerts: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


def convert_stock(loaded: LoadedRule, target: StockTarget) -> str:
    """Convert one rule with a stock backend and no processing pipeline."""
    queries = target.backend().convert(SigmaCollection([loaded.fresh()]))
    if len(queries) != 1:
        raise ToolkitError(
            f"{loaded.path}: the stock {target.name} backend returned {len(queries)} queries; expected one."
        )
    return str(queries[0])


def run_stock(loaded: LoadedRule, target: StockTarget, cases: list[Event]) -> StockResult:
    """Convert the rule and evaluate the query on the cases written for this rule."""
    result = StockResult(target)
    try:
        result.query = convert_stock(loaded, target)
    except (SigmaError, NotImplementedError) as error:
        result.error = f"{type(error).__name__}: {error}"
        return result
    rule_id = str(loaded.rule.id)
    for case in (case for case in cases if case.expected_rule_id == rule_id):
        verdict = target.evaluate(result.query, case.record)
        if verdict:
            result.alerts.append(case.label)
        if verdict and not case.expected:
            result.false_alerts.append(case.label)
        if case.expected and not verdict:
            result.missed.append(case.label)
    return result


def stock_problems(loaded: LoadedRule, results: list[StockResult]) -> list[Problem]:
    """Turn failed conversions and alerts on expected negatives into problems."""
    problems = []
    for result in results:
        if result.error is not None:
            problems.append(
                Problem(
                    loaded.path,
                    CHECK,
                    f"(conversion: {result.target.name})",
                    f"the stock backend cannot convert the rule ({result.error})",
                    f"a rule that {result.target.title} converts",
                )
            )
        problems.extend(
            Problem(
                loaded.path,
                CHECK,
                f"(case: {label})",
                f"the stock {result.target.name} query alerts on a case the rule must not alert on",
                "no alert on same-region copies, failed calls and other events",
            )
            for label in result.false_alerts
        )
    return problems
