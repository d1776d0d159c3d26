"""The query targets that `verify` runs: how each converts a rule and evaluates its query."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sigma.pipelines.cloudtrail.splunk import DEFAULT_SOURCETYPE

from .ecs import to_ecs
from .elastic import DATA_SOURCES, convert_esql
from .evaluators.esql import EsqlQuery, parse_esql
from .evaluators.kql import cached_kql
from .evaluators.panther import run_rule
from .evaluators.spl import SplQuery, parse_spl, splunk_event
from .hunt.duckdb_engine import evaluate_duckdb
from .panther import convert_panther_module
from .rules import LoadedRule
from .sentinel import convert_kql
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


@lru_cache(maxsize=64)
def _parsed_esql(query: str) -> EsqlQuery:
    return parse_esql(query)


def _evaluate_esql(query: str, record: Mapping[str, Any]) -> bool:
    # Raw CloudTrail JSON is indexed as it is, so the record is the document.
    return _parsed_esql(query).matches(record)


def _evaluate_esql_ecs(query: str, record: Mapping[str, Any]) -> bool:
    return _parsed_esql(query).matches(to_ecs(record))


def _evaluate_kql(query: str, record: Mapping[str, Any]) -> bool:
    return cached_kql(query).matches(record)


TARGETS: dict[str, Target] = {
    "splunk": Target(
        name="splunk",
        description="Splunk SPL over the Splunk Add-on for AWS (sourcetype aws:cloudtrail)",
        convert=convert_spl,
        evaluate=_evaluate_spl,
    ),
    "esql": Target(
        name="esql",
        description="ES|QL over raw CloudTrail JSON documents",
        convert=lambda loaded: convert_esql(loaded, DATA_SOURCES["raw"]),
        evaluate=_evaluate_esql,
    ),
    "esql_ecs": Target(
        name="esql_ecs",
        description="ES|QL over the Elastic AWS integration (logs-aws.cloudtrail-*, ECS)",
        convert=lambda loaded: convert_esql(loaded, DATA_SOURCES["ecs"]),
        evaluate=_evaluate_esql_ecs,
    ),
    "panther": Target(
        name="panther",
        description="Panther Python rule over AWS.CloudTrail (rule() on Panther's event class)",
        convert=convert_panther_module,
        evaluate=run_rule,
    ),
    "kql": Target(
        name="kql",
        description="Microsoft Sentinel KQL over the AWSCloudTrail table (run with duckdb-kql)",
        convert=convert_kql,
        evaluate=_evaluate_kql,
    ),
    "duckdb": Target(
        name="duckdb",
        description="DuckDB SQL over raw CloudTrail records, as `make hunt` runs it",
        convert=convert_duckdb,
        evaluate=evaluate_duckdb,
    ),
}
