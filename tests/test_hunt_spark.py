"""Hunting with Spark SQL in local mode: the case table, archives and broken inputs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from converters.errors import EventsError
from converters.events import Event
from converters.hunt.run import HuntOptions, HuntResult
from converters.hunt.spark_engine import classify, hunt_spark, spark_session
from converters.rules import LoadedRule
from converters.synthetic import ArchiveSpec, write_archive

from .conftest import BACKGROUND_PATH, load_cases
from .test_hunt_run import write_cases

pytestmark = pytest.mark.slow

CASES = load_cases()
MASTER = "local[2]"


@pytest.fixture(scope="session")
def spark() -> Any:
    # One local session for the whole test run: starting one takes about ten seconds.
    session = spark_session(MASTER)
    yield session
    session.stop()


def run(rule: LoadedRule, paths: list[Path], spark: Any, **options: Any) -> HuntResult:
    assert spark is not None
    return hunt_spark(rule, paths, HuntOptions(**options), master=MASTER)


@pytest.fixture(scope="module")
def case_matches(project_rule: LoadedRule, spark: Any, tmp_path_factory: pytest.TempPathFactory):
    files = write_cases(tmp_path_factory.mktemp("cases"), CASES)
    result = run(project_rule, [Path(next(iter(files))).parent], spark)
    return files, {match["file"] for match in result.matches}


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case.label for case in CASES])
def test_hunt_spark_case_verdict(index: int, case_matches: tuple[dict[str, Event], set[str]]):
    files, matched = case_matches
    path = sorted(files)[index]
    assert (path in matched) is files[path].expected, files[path].label


def test_hunt_spark_background_no_matches(project_rule: LoadedRule, spark: Any):
    result = run(project_rule, [BACKGROUND_PATH], spark)
    assert result.records > 700
    assert result.matches == []


def test_hunt_spark_missing_fields_file(project_rule: LoadedRule, spark: Any, tmp_path: Path):
    record = {
        "eventSource": "rds.amazonaws.com",
        "eventName": "copydbclustersnapshot",
        "awsRegion": "eu-west-1",
        "requestParameters": {
            "sourceDBClusterSnapshotIdentifier": "arn:aws:rds:us-east-1:1:cluster-snapshot:c"
        },
    }
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))
    result = run(project_rule, [path], spark)
    assert result.records == 1
    assert len(result.matches) == 1
    assert result.matches[0]["file"] == str(path)


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory: pytest.TempPathFactory):
    spec = ArchiveSpec(records=3_000, files=3, cross_region_copies=12, other_copies=20, seed=11)
    return write_archive(tmp_path_factory.mktemp("archive"), spec)


def test_hunt_spark_s3_archive(project_rule: LoadedRule, spark: Any, small_archive):
    result = run(project_rule, [small_archive.root], spark)
    assert result.files == 3
    assert result.records == 3_000
    assert result.skipped == []
    assert {match["eventID"] for match in result.matches} == small_archive.expected_matches


def test_hunt_spark_reports_broken_files(
    project_rule: LoadedRule, spark: Any, small_archive, tmp_path: Path
):
    corrupt = tmp_path / "corrupt.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00broken")
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"Records": [{"eventSource": "rds.amazonaws.com"', encoding="utf-8")
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"Items": []}', encoding="utf-8")
    lines = tmp_path / "lines.jsonl"
    lines.write_text(
        '{"eventSource": "s3.amazonaws.com", "eventName": "GetObject"}\n{broken\n{"a": 1}\n'
    )
    result = run(project_rule, [small_archive.root, corrupt, truncated, foreign, lines], spark)
    assert {match["eventID"] for match in result.matches} == small_archive.expected_matches
    reasons = sorted(
        (Path(skip.source).name, skip.reason.split(" (")[0]) for skip in result.skipped
    )
    assert reasons == [
        ("corrupt.json.gz", "corrupt gzip data"),
        ("foreign.json", "not a CloudTrail record"),
        ("lines.jsonl", "invalid JSON"),
        ("lines.jsonl", "not a CloudTrail record"),
        ("truncated.json", "invalid JSON or Records not an array"),
    ]
    assert result.records == 3_001


def test_hunt_spark_strict_raises(project_rule: LoadedRule, spark: Any, tmp_path: Path):
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"Records": [{"eventSource": "rds.amazonaws.com"', encoding="utf-8")
    with pytest.raises(EventsError, match="truncated.json: invalid JSON.*STRICT=1"):
        run(project_rule, [truncated], spark, strict=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"Records": []}', "records"),
        ('\n  {\n "Records" : [', "records"),
        ("[{}]", "document"),
        ('{"a": 1}\n', "lines"),
    ],
    ids=["compact", "pretty", "array", "ndjson"],
)
def test_spark_classify_json_files(text: str, expected: str, tmp_path: Path):
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress(text.encode()))
    assert classify(path) == expected
