"""Hunting with DuckDB end to end: the case table, archives, missing fields and strict mode."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from converters.errors import EventsError
from converters.events import Event
from converters.hunt.run import HuntOptions, hunt_duckdb
from converters.rules import LoadedRule
from converters.synthetic import ArchiveSpec, write_archive

from .conftest import BACKGROUND_PATH, load_cases

CASES = load_cases()


def write_cases(folder: Path, cases: list[Event]) -> dict[str, Event]:
    """Write each case as one NDJSON file, so a match names its case by file."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for index, case in enumerate(cases):
        path = folder / f"case{index:02d}.jsonl"
        path.write_text(json.dumps(case.record) + "\n", encoding="utf-8")
        files[str(path)] = case
    return files


@pytest.fixture(scope="module")
def case_matches(
    project_rule: LoadedRule, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Event], set[str]]:
    files = write_cases(tmp_path_factory.mktemp("cases"), CASES)
    result = hunt_duckdb(project_rule, [Path(next(iter(files))).parent])
    return files, {match["file"] for match in result.matches}


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case.label for case in CASES])
def test_hunt_duckdb_case_verdict(index: int, case_matches: tuple[dict[str, Event], set[str]]):
    files, matched = case_matches
    path = sorted(files)[index]
    assert (path in matched) is files[path].expected, files[path].label


def test_hunt_duckdb_background_no_matches(project_rule: LoadedRule):
    result = hunt_duckdb(project_rule, [BACKGROUND_PATH])
    assert result.records > 700
    assert result.matches == []


def test_hunt_duckdb_missing_fields_file(project_rule: LoadedRule, tmp_path: Path):
    # No record in the file has errorCode, responseElements or userIdentity; DuckDB must
    # read them as NULL rather than fail on an unknown column.
    record = {
        "eventSource": "rds.amazonaws.com",
        "eventName": "CopyDBClusterSnapshot",
        "awsRegion": "eu-west-1",
        "requestParameters": {
            "sourceDBClusterSnapshotIdentifier": "arn:aws:rds:us-east-1:1:cluster-snapshot:c"
        },
    }
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))
    result = hunt_duckdb(project_rule, [path])
    assert len(result.matches) == 1
    assert result.matches[0]["eventID"] is None
    assert result.matches[0]["userIdentity.arn"] is None


def test_hunt_duckdb_odd_value_types(project_rule: LoadedRule, tmp_path: Path):
    record: dict[str, Any] = {
        "eventSource": "rds.amazonaws.com",
        "eventName": "CopyDBSnapshot",
        "awsRegion": "eu-west-1",
        "errorCode": {"nested": True},
        "requestParameters": "not an object",
    }
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = hunt_duckdb(project_rule, [path])
    assert result.records == 1
    assert result.matches == []


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory: pytest.TempPathFactory):
    spec = ArchiveSpec(records=6_000, files=6, cross_region_copies=25, other_copies=40, seed=7)
    return write_archive(tmp_path_factory.mktemp("archive"), spec)


@pytest.mark.parametrize("prefilter", [True, False], ids=["prefilter", "no prefilter"])
@pytest.mark.parametrize("jobs", [1, 2], ids=["one process", "two processes"])
def test_hunt_duckdb_s3_archive(
    project_rule: LoadedRule, small_archive, prefilter: bool, jobs: int
):
    result = hunt_duckdb(
        project_rule, [small_archive.root], HuntOptions(jobs=jobs, prefilter=prefilter)
    )
    assert result.files == 6
    assert result.records == 6_000
    assert result.skipped == []
    assert {match["eventID"] for match in result.matches} == small_archive.expected_matches
    assert all(Path(match["file"]).name.endswith(".json.gz") for match in result.matches)


def test_hunt_duckdb_prefilter_evaluates_fewer(project_rule: LoadedRule, small_archive):
    filtered = hunt_duckdb(project_rule, [small_archive.root])
    everything = hunt_duckdb(project_rule, [small_archive.root], HuntOptions(prefilter=False))
    assert everything.evaluated == 6_000
    assert filtered.evaluated < 200


def test_hunt_duckdb_reports_and_counts_skips(
    project_rule: LoadedRule, small_archive, tmp_path: Path
):
    corrupt = tmp_path / "corrupt.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00broken")
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"Records": [{"eventSource": "rds.amazonaws.com"', encoding="utf-8")
    result = hunt_duckdb(project_rule, [small_archive.root, corrupt, truncated])
    assert result.files == 8
    assert len(result.matches) == len(small_archive.expected_matches)
    assert [(skip.source, skip.reason.split(" (")[0]) for skip in result.skipped] == [
        (str(corrupt), "corrupt gzip data"),
        (str(truncated), "invalid JSON"),
    ]


def test_hunt_duckdb_strict_raises_on_skip(project_rule: LoadedRule, tmp_path: Path):
    corrupt = tmp_path / "corrupt.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(EventsError, match="corrupt.json.gz: corrupt gzip data.*STRICT=1"):
        hunt_duckdb(project_rule, [corrupt], HuntOptions(strict=True))


def test_hunt_duckdb_progress_callback(project_rule: LoadedRule, small_archive):
    calls: list[tuple[int, int, int]] = []
    hunt_duckdb(
        project_rule, [small_archive.root], HuntOptions(progress=lambda *args: calls.append(args))
    )
    assert [call[0] for call in calls] == [1, 2, 3, 4, 5, 6]
    assert calls[-1] == (6, 6, 6_000)
