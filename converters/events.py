"""Read CloudTrail records and case tables from JSON, NDJSON and S3-export files."""

from __future__ import annotations

import gzip
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EventsError

EVENT_SUFFIXES = (".json", ".jsonl", ".ndjson")
CASE_TABLE_KEYS = {"rule_id", "cases"}


@dataclass(frozen=True)
class Event:
    """One CloudTrail record, where it came from and, for a case, its name and expected verdict."""

    record: dict[str, Any]
    source: str
    name: str | None = None
    expected: bool | None = None
    # Id of the rule that the expected verdict applies to.
    expected_rule_id: str | None = None

    @property
    def label(self) -> str:
        """Return the case name, else the record's eventID, else its position in the file."""
        if self.name:
            return self.name
        event_id = self.record.get("eventID")
        return event_id if isinstance(event_id, str) and event_id else self.source


@dataclass(frozen=True)
class Skip:
    """A record or file that could not be read, and why."""

    source: str
    reason: str


@dataclass
class EventSet:
    """Events read from some files, and what was skipped."""

    events: list[Event] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    files: int = 0

    def skip_reasons(self) -> Counter[str]:
        """Count skipped inputs by reason."""
        return Counter(skip.reason for skip in self.skipped)


def event_files(path: Path) -> list[Path]:
    """List the event files at path: the file itself, or every event file under a folder."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and _is_event_file(p))
    if path.is_file():
        return [path]
    raise EventsError(f"{path}: events file or folder not found. Pass an existing path with EVENTS=.")


def _is_event_file(path: Path) -> bool:
    name = path.name.removesuffix(".gz")
    return name.endswith(EVENT_SUFFIXES)


def load_events(paths: list[Path], *, strict: bool = False) -> EventSet:
    """Read every record under paths; skip unreadable input, or raise on it when strict."""
    result = EventSet()
    for path in paths:
        files = event_files(path)
        if path.is_dir() and not files:
            raise EventsError(
                f"{path}: no event files (*.json, *.jsonl, *.ndjson, optionally .gz) in this folder."
            )
        for file in files:
            result.files += 1
            _read_file(file, result, strict)
    return result


def _read_file(path: Path, result: EventSet, strict: bool) -> None:
    try:
        text = _read_text(path)
    except EventsError as error:
        _skip(result, Skip(str(path), str(error)), strict)
        return
    stripped = text.lstrip()
    if not stripped:
        _skip(result, Skip(str(path), "empty file"), strict)
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
        if stripped[0] != "{":
            _skip(result, Skip(str(path), "invalid JSON"), strict)
            return
    if document is None:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                _add_line(result, path, number, line, strict)
        return
    for source, value in _document_records(path, document):
        _add_value(result, source, value, strict)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise EventsError(f"cannot read the file ({error.strerror})") from error
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise EventsError(f"corrupt gzip data ({error})") from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EventsError(f"not UTF-8 text (byte offset {error.start})") from error


def _document_records(path: Path, document: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(document, dict) and CASE_TABLE_KEYS <= document.keys():
        yield from _case_table(path, document)
    elif isinstance(document, dict) and isinstance(document.get("Records"), list):
        for index, value in enumerate(document["Records"]):
            yield f"{path}:Records[{index}]", value
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield f"{path}:[{index}]", value
    else:
        yield str(path), document


def _case_table(path: Path, document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    rule_id = document["rule_id"]
    for index, case in enumerate(document["cases"]):
        yield f"{path}:cases[{index}]", _Case(case, rule_id)


@dataclass(frozen=True)
class _Case:
    value: Any
    rule_id: str


def _add_line(result: EventSet, path: Path, number: int, line: str, strict: bool) -> None:
    source = f"{path}:{number}"
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        _skip(result, Skip(source, "invalid JSON"), strict)
        return
    _add_value(result, source, value, strict)


def _add_value(result: EventSet, source: str, value: Any, strict: bool) -> None:
    if isinstance(value, _Case):
        event = _case_event(source, value)
    elif _is_wrapped_record(value):
        # Test-event wrappers such as Panther's {"test_name": ..., "event": {...}}.
        event = Event(value["event"], source, name=value.get("test_name"))
    else:
        event = Event(value, source) if _is_cloudtrail(value) else None
    if event is None:
        _skip(result, Skip(source, "not a CloudTrail record"), strict)
        return
    result.events.append(event)


def _case_event(source: str, case: _Case) -> Event | None:
    value = case.value
    if not isinstance(value, dict):
        return None
    name, expected, record = value.get("name"), value.get("expected"), value.get("event")
    if not isinstance(name, str) or not isinstance(expected, bool) or not isinstance(record, dict):
        return None
    if not _is_cloudtrail(record):
        return None
    return Event(record, source, name=name, expected=expected, expected_rule_id=case.rule_id)


def _is_wrapped_record(value: Any) -> bool:
    return isinstance(value, dict) and not _is_cloudtrail(value) and _is_cloudtrail(value.get("event"))


def _is_cloudtrail(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("eventSource"), str)
        and isinstance(value.get("eventName"), str)
    )


def _skip(result: EventSet, skip: Skip, strict: bool) -> None:
    if strict:
        raise EventsError(f"{skip.source}: {skip.reason}. Fix the input, or run without STRICT=1 to skip it.")
    result.skipped.append(skip)
