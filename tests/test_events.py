"""Reading CloudTrail records from the file shapes users have."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from converters.errors import EventsError
from converters.events import load_events

RECORD = {"eventSource": "rds.amazonaws.com", "eventName": "CopyDBSnapshot", "eventID": "e-1"}


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "content", "count"),
    [
        ("single.json", json.dumps(RECORD), 1),
        ("array.json", json.dumps([RECORD, RECORD]), 2),
        ("export.json", json.dumps({"Records": [RECORD, RECORD, RECORD]}), 3),
        ("lines.ndjson", json.dumps(RECORD) + "\n\n" + json.dumps(RECORD) + "\n", 2),
        ("lines.jsonl", json.dumps(RECORD) + "\n", 1),
        ("wrapped.ndjson", json.dumps({"test_name": "t", "event": RECORD}) + "\n", 1),
    ],
    ids=["single", "array", "records-export", "ndjson", "jsonl", "test-wrapper"],
)
def test_events_file_shapes(tmp_path: Path, name: str, content: str, count: int):
    events = load_events([write(tmp_path / name, content)])
    assert len(events.events) == count
    assert events.skipped == []
    assert events.events[0].record["eventID"] == "e-1"


def test_events_gzip_export(tmp_path: Path):
    path = write(tmp_path / "x.json.gz", gzip.compress(json.dumps({"Records": [RECORD]}).encode()))
    assert [e.record for e in load_events([path]).events] == [RECORD]


def test_events_folder_is_recursive(tmp_path: Path):
    nested = tmp_path / "AWSLogs" / "123456789012" / "CloudTrail" / "us-east-1" / "2026" / "11" / "20"
    nested.mkdir(parents=True)
    write(nested / "a.json.gz", gzip.compress(json.dumps({"Records": [RECORD]}).encode()))
    write(tmp_path / "notes.txt", "ignored")
    events = load_events([tmp_path])
    assert events.files == 1
    assert len(events.events) == 1


def test_events_case_table_carries_expectation(tmp_path: Path):
    table = {"rule_id": "r-1", "cases": [{"name": "n", "expected": True, "event": RECORD}]}
    event = load_events([write(tmp_path / "cases.json", json.dumps(table))]).events[0]
    assert (event.name, event.expected, event.expected_rule_id, event.label) == ("n", True, "r-1", "n")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"\xff\xfe{}", "not UTF-8 text (byte offset 0)"),
        (b"\x1f\x8b\x08\x00\x00\x00", "corrupt gzip data"),
        (b"[1, 2", "invalid JSON"),
        (b'{"eventName": "x"}', "not a CloudTrail record"),
    ],
    ids=["empty", "not-utf8", "corrupt-gzip", "truncated-array", "not-cloudtrail"],
)
def test_events_bad_file_is_skipped(tmp_path: Path, content: bytes, reason: str):
    path = write(tmp_path / "bad.json", content)
    events = load_events([path])
    assert events.events == []
    assert len(events.skipped) == 1
    assert events.skipped[0].reason.startswith(reason)
    assert events.skipped[0].source.startswith(str(path))


def test_events_bad_line_keeps_neighbours(tmp_path: Path):
    path = write(tmp_path / "x.ndjson", json.dumps(RECORD) + "\n{\"eventName\": \n" + json.dumps(RECORD) + "\n")
    events = load_events([path])
    assert len(events.events) == 2
    assert [(s.source, s.reason) for s in events.skipped] == [(f"{path}:2", "invalid JSON")]


def test_events_strict_raises_with_location(tmp_path: Path):
    path = write(tmp_path / "x.ndjson", json.dumps(RECORD) + "\n[]\n")
    with pytest.raises(EventsError, match=r"x\.ndjson:2: not a CloudTrail record\. Fix the input"):
        load_events([path], strict=True)


def test_events_missing_path(tmp_path: Path):
    with pytest.raises(EventsError, match="events file or folder not found"):
        load_events([tmp_path / "absent"])


def test_events_empty_folder(tmp_path: Path):
    with pytest.raises(EventsError, match="no event files"):
        load_events([tmp_path])
