"""Reading CloudTrail records from the file shapes users have."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from converters.errors import EventsError
from converters.events import MAX_KEPT_SKIPS, EventSet, iter_events, load_events

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
        (b'[{"eventName": ', "invalid JSON"),
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


def test_events_truncated_array_keeps_records(tmp_path: Path):
    path = write(tmp_path / "x.json", "[" + json.dumps(RECORD) + ", " + json.dumps(RECORD)[:20])
    events = load_events([path])
    assert [e.record for e in events.events] == [RECORD]
    assert [(s.source, s.reason) for s in events.skipped] == [(f"{path}:[1]", "invalid JSON")]


def test_events_truncated_export_keeps_records(tmp_path: Path):
    text = json.dumps({"Records": [RECORD, RECORD, RECORD]})
    path = write(tmp_path / "x.json", text[: text.rindex("{")])
    events = load_events([path])
    assert len(events.events) == 2
    assert [(s.source, s.reason) for s in events.skipped] == [(f"{path}:Records[2]", "invalid JSON")]


def test_events_truncated_gzip_keeps_records(tmp_path: Path):
    lines = "".join(json.dumps(RECORD | {"eventID": f"e-{i}"}) + "\n" for i in range(2000))
    data = gzip.compress(lines.encode())
    path = write(tmp_path / "x.ndjson.gz", data[: len(data) // 2])
    events = load_events([path])
    assert 0 < len(events.events) < 2000
    assert events.events[0].record["eventID"] == "e-0"
    assert events.skipped[-1].reason.startswith("corrupt gzip data")


def test_events_non_utf8_line_keeps_neighbours(tmp_path: Path):
    path = write(tmp_path / "x.ndjson", (json.dumps(RECORD) + "\n").encode() + b'{"a": "\xff"}\n' + json.dumps(RECORD).encode())
    events = load_events([path])
    assert len(events.events) == 2
    assert [(s.source, s.reason) for s in events.skipped] == [(f"{path}:2", "not UTF-8 text")]


def test_events_non_utf8_export_is_skipped(tmp_path: Path):
    path = write(tmp_path / "x.json", b'{"Records": [{"eventSource": "\xff"}]}')
    events = load_events([path])
    assert events.events == []
    assert events.skipped[0].reason == "not UTF-8 text"


@pytest.mark.parametrize(
    ("content", "count"),
    [
        (json.dumps(RECORD, indent=4), 1),
        (json.dumps(RECORD, indent=4) + "\n" + json.dumps(RECORD, indent=2), 2),
        (json.dumps({"Records": []}), 0),
    ],
    ids=["pretty", "pretty-concatenated", "empty-export"],
)
def test_events_document_shapes(tmp_path: Path, content: str, count: int):
    events = load_events([write(tmp_path / "x.json", content)])
    assert len(events.events) == count
    assert events.skipped == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (json.dumps({"Records": 5}), "not a CloudTrail record"),
        (json.dumps({"rule_id": "r", "cases": 5}), "invalid case table: 'cases' must be a list"),
        ('"just a string"', "not a CloudTrail record"),
        ("not json at all", "invalid JSON"),
        (json.dumps(RECORD | {"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
         "nested deeper than 64 levels"),
        ('{"eventSource": "s", "eventName": "n", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
         "nested deeper than 64 levels"),
        ('[{"eventSource": "s", "eventName": "n", "x": ' + "[" * 100_000 + "]" * 100_000 + "}]",
         "nested deeper than 64 levels"),
    ],
    ids=[
        "records-not-list", "cases-not-list", "scalar", "not-json", "nested-deep",
        "nested-past-recursion", "nested-in-array",
    ],
)
def test_events_hostile_document_is_skipped(tmp_path: Path, content: str, reason: str):
    events = load_events([write(tmp_path / "x.json", content)])
    assert events.events == []
    assert [s.reason for s in events.skipped] == [reason]


def test_events_deep_line_keeps_neighbours(tmp_path: Path):
    deep = '{"eventSource": "s", "eventName": "n", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = write(tmp_path / "x.ndjson", json.dumps(RECORD) + "\n" + deep + "\n" + json.dumps(RECORD) + "\n")
    events = load_events([path])
    assert len(events.events) == 2
    assert [(s.source, s.reason) for s in events.skipped] == [(f"{path}:2", "invalid JSON")]


def test_events_skips_counted_past_kept(tmp_path: Path):
    path = write(tmp_path / "x.ndjson", "{broken\n" * (MAX_KEPT_SKIPS + 5))
    events = load_events([path])
    assert len(events.skipped) == MAX_KEPT_SKIPS
    assert events.skipped_count == MAX_KEPT_SKIPS + 5
    assert events.skip_reasons() == {"invalid JSON": MAX_KEPT_SKIPS + 5}


def test_events_unreadable_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write(tmp_path / "x.json", json.dumps(RECORD))
    real_open = Path.open

    def deny(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    events = load_events([path])
    assert events.events == []
    assert [s.reason for s in events.skipped] == ["cannot read the file (Permission denied)"]


def test_events_iter_streams_and_counts(tmp_path: Path):
    path = write(tmp_path / "x.ndjson", json.dumps(RECORD) + "\n[]\n" + json.dumps(RECORD) + "\n")
    tally = EventSet()
    stream = iter_events([path], tally)
    first = next(stream)
    assert first.record == RECORD
    assert tally.skipped_count == 0
    assert len(list(stream)) == 1
    assert tally.skipped_count == 1
    assert tally.events == []
