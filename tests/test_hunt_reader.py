"""Reading CloudTrail files for a hunt: layouts, formats and broken inputs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from converters.errors import EventsError
from converters.hunt.prefilter import KEEP_ALL, RecordFilter, Requirement
from converters.hunt.reader import NOT_CLOUDTRAIL, hunt_files, is_log_file, read_file

RECORD = {"eventSource": "rds.amazonaws.com", "eventName": "CopyDBSnapshot", "eventID": "a"}
OTHER = {"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventID": "b"}
COPIES_ONLY = RecordFilter((Requirement(("eventName",), frozenset({"copydbsnapshot"})),))


def write(path: Path, data: bytes | str, compress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def ndjson(*records: Any) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


FORMATS = {
    "s3 document gz": ("a.json.gz", json.dumps({"Records": [RECORD, OTHER]}), True),
    "s3 document plain": ("a.json", json.dumps({"Records": [RECORD, OTHER]}), False),
    "pretty s3 document": ("a.json", json.dumps({"Records": [RECORD, OTHER]}, indent=2), False),
    "json array": ("a.json", json.dumps([RECORD, OTHER]), False),
    "ndjson in .json": ("a.json", ndjson(RECORD, OTHER), False),
    "jsonl": ("a.jsonl", ndjson(RECORD, OTHER), False),
    "ndjson gz": ("a.ndjson.gz", ndjson(RECORD, OTHER), True),
    "case table": (
        "a.json",
        json.dumps({"rule_id": "x", "cases": [{"event": RECORD}, {"event": OTHER}]}),
        False,
    ),
    "wrapped events": (
        "a.jsonl",
        ndjson({"test_name": "t", "event": RECORD}, {"event": OTHER}),
        False,
    ),
}


@pytest.mark.parametrize("case", FORMATS.values(), ids=list(FORMATS))
def test_reader_formats_count_and_filter(case: tuple[str, str, bool], tmp_path: Path):
    name, text, compress = case
    path = write(tmp_path / name, text, compress)
    result = read_file(path, COPIES_ONLY)
    assert result.skipped == []
    assert result.records == 2
    assert [json.loads(c)["eventID"] for c in result.candidates] == ["a"]


def test_reader_keep_all_returns_every_record(tmp_path: Path):
    path = write(tmp_path / "a.json.gz", json.dumps({"Records": [RECORD, OTHER]}), True)
    candidates = read_file(path, KEEP_ALL).candidates
    assert [json.loads(c) for c in candidates] == [RECORD, OTHER]


def test_reader_document_keeps_escaped_name(tmp_path: Path):
    text = json.dumps({"Records": [RECORD]}).replace("CopyDBSnapshot", r"\u0043opyDBSnapshot")
    path = write(tmp_path / "a.json.gz", text, True)
    result = read_file(path, COPIES_ONLY)
    assert len(result.candidates) == 1
    assert json.loads(result.candidates[0])["eventName"] == "CopyDBSnapshot"


BROKEN = {
    "corrupt gzip": ("a.json.gz", b"\x1f\x8b\x08\x00garbage-garbage", "corrupt gzip data"),
    "truncated gzip": (
        "a.json.gz",
        gzip.compress(json.dumps({"Records": [RECORD]}).encode())[:-12],
        "corrupt gzip data",
    ),
    "truncated json": (
        "a.json",
        json.dumps({"Records": [RECORD, OTHER]})[:-20].encode(),
        "invalid JSON",
    ),
    "truncated pretty json": (
        "a.json",
        json.dumps({"Records": [RECORD]}, indent=2)[:-9].encode(),
        "invalid JSON",
    ),
    "not cloudtrail object": ("a.json", b'{"Items": [1, 2]}', "not CloudTrail"),
    "json scalar": ("a.json", b"42", "not CloudTrail"),
    "empty file": ("a.json", b"  \n", "empty file"),
    "not utf-8": ("a.json", b'{"Records": ["\xff\xfe"]}', "not UTF-8"),
}


@pytest.mark.parametrize("case", BROKEN.values(), ids=list(BROKEN))
def test_reader_reports_broken_file(case: tuple[str, bytes, str], tmp_path: Path):
    name, data, reason = case
    path = write(tmp_path / name, data)
    result = read_file(path, KEEP_ALL)
    assert result.records == 0
    assert result.candidates == []
    assert len(result.skipped) == 1
    assert result.skipped[0].source == str(path)
    assert reason in result.skipped[0].reason


def test_reader_corrupt_gzip_ndjson_keeps_earlier_lines(tmp_path: Path):
    data = gzip.compress(ndjson(*[RECORD] * 2000).encode())
    path = write(tmp_path / "a.ndjson.gz", data[: len(data) // 2])
    result = read_file(path, KEEP_ALL)
    assert 0 < result.records < 2000
    assert len(result.candidates) == result.records
    assert [skip.source for skip in result.skipped] == [str(path)]
    assert "corrupt gzip data after" in result.skipped[0].reason


def test_reader_skips_bad_lines_and_records(tmp_path: Path):
    text = ndjson(RECORD) + "{not json\n" + ndjson({"eventSource": 5, "eventName": "x"}, [1], OTHER)
    path = write(tmp_path / "a.jsonl", text)
    result = read_file(path, KEEP_ALL)
    assert result.records == 2
    assert [(skip.source, skip.reason) for skip in result.skipped] == [
        (f"{path}:2", "invalid JSON"),
        (f"{path}:3", NOT_CLOUDTRAIL),
        (f"{path}:4", NOT_CLOUDTRAIL),
    ]


def test_reader_records_with_bad_elements(tmp_path: Path):
    path = write(tmp_path / "a.json", json.dumps({"Records": [RECORD, "text", {"eventName": "x"}]}))
    result = read_file(path, KEEP_ALL)
    assert result.records == 1
    assert [skip.source for skip in result.skipped] == [f"{path}:Records[1]", f"{path}:Records[2]"]


def test_reader_integer_beyond_64_bits(tmp_path: Path):
    # simdjson rejects integers beyond 64 bits; the standard parser reads them.
    record = dict(RECORD, requestParameters={"size": 10**30})
    path = write(tmp_path / "a.json", json.dumps({"Records": [record]}))
    result = read_file(path, KEEP_ALL)
    assert result.skipped == []
    assert json.loads(result.candidates[0])["requestParameters"]["size"] == 10**30


def test_reader_unreadable_file(tmp_path: Path):
    path = tmp_path / "folder.json"
    path.mkdir()
    result = read_file(path, KEEP_ALL)
    assert result.records == 0
    assert "cannot read the file" in result.skipped[0].reason


def test_hunt_files_walks_s3_layout(tmp_path: Path):
    day = tmp_path / "AWSLogs" / "123456789012" / "CloudTrail" / "us-east-1" / "2026" / "11" / "02"
    first = write(day / "123456789012_CloudTrail_us-east-1_20261102T0000Z_A.json.gz", "{}", True)
    second = write(
        day.parent / "01" / "123456789012_CloudTrail_us-east-1_20261101T0000Z_B.json.gz", "{}", True
    )
    write(day / "digest.txt", "not a log")
    assert hunt_files([tmp_path]) == [second, first]


def test_hunt_files_missing_path(tmp_path: Path):
    with pytest.raises(EventsError, match="log file or folder not found"):
        hunt_files([tmp_path / "nothing"])


def test_hunt_files_folder_without_logs(tmp_path: Path):
    write(tmp_path / "notes.txt", "x")
    with pytest.raises(EventsError, match="no log files"):
        hunt_files([tmp_path])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.json", True),
        ("a.json.gz", True),
        ("a.jsonl", True),
        ("a.ndjson.gz", True),
        ("a.txt", False),
        ("a.gz", False),
    ],
)
def test_is_log_file_by_suffix(name: str, expected: bool):
    assert is_log_file(Path(name)) is expected
