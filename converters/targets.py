"""The query targets that `verify` runs: how each converts a rule and evaluates its query."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sigma.pipelines.cloudtrail.splunk import DEFAULT_SOURCETYPE

from .evaluators.spl import SplQuery, parse_spl, splunk_event
from .hunt.duckdb_engine import evaluate_duckdb
from .rules import LoadedRule
from .splunk import convert_spl
from .sql import convert_duckdb


@dataclass(frozen=True)
class Target:
    """A query language the project emits, with its converter and offline evaluator."""

    name: str
    description: str
    convert: Callable[[LoadedRule], str]
    # Evaluate a converted query on one raw CloudTrail record. Each target shapes the
    # record as its data source stores it (Splunk fields, ECS documents, ...).
    evaluate: Callable[[str, Mapping[str, Any]], bool]


@lru_cache(maxsize=64)
def _parsed_spl(query: str) -> SplQuery:
    return parse_spl(query)


def _evaluate_spl(query: str, record: Mapping[str, Any]) -> bool:
    # Splunk stores each record with index-time metadata; the add-on's source type is
    # the one the converted searches select by default.
    event = splunk_event(record) | {"sourcetype": DEFAULT_SOURCETYPE, "index": "main"}
    return _parsed_spl(query).matches(event)


TARGETS: dict[str, Target] = {
    "splunk": Target(
        name="splunk",
        description="Splunk SPL over the Splunk Add-on for AWS (sourcetype aws:cloudtrail)",
        convert=convert_spl,
        evaluate=_evaluate_spl,
    ),
    "duckdb": Target(
        name="duckdb",
        description="DuckDB SQL over raw CloudTrail records, as `make hunt` runs it",
        convert=convert_duckdb,
        evaluate=evaluate_duckdb,
    ),
}
