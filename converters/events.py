"""Read CloudTrail records and case tables from JSON, NDJSON and S3-export files."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EventsError
from .event_reader import CaseEntry, Skip, read_values
from .json_stream import MAX_DEPTH, TOO_DEEP

__all__ = ["Event", "EventSet", "Skip", "event_files", "iter_events", "load_events"]

EVENT_SUFFIXES = (".json", ".jsonl", ".ndjson")
MAX_KEPT_SKIPS = 1000


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


@dataclass
class EventSet:
    """Events read from some files, and what was skipped.

    ``skipped`` keeps the first MAX_KEPT_SKIPS skips, so that a huge unreadable file
    cannot fill the memory. ``skipped_count`` and ``skip_reasons()`` count them all.
    """

    events: list[Event] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    files: int = 0
    skipped_count: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add_skip(self, skip: Skip) -> None:
        """Count a skipped input, and keep it while fewer than MAX_KEPT_SKIPS are kept."""
        self.skipped_count += 1
        self.reasons[skip.reason] += 1
        if len(self.skipped) < MAX_KEPT_SKIPS:
            self.skipped.append(skip)

    def skip_reasons(self) -> Counter[str]:
        """Count skipped inputs by reason."""
        return Counter(self.reasons)


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
    result.events.extend(iter_events(paths, result, strict=strict))
    return result


def iter_events(paths: list[Path], tally: EventSet, *, strict: bool = False) -> Iterator[Event]:
    """Yield every record under paths as it is read, counting files and skipped input in tally.

    Only one record at a time is held, so files of any size can be checked. tally.events
    stays as it is.
    """
    for path in paths:
        files = event_files(path)
        if path.is_dir() and not files:
            raise EventsError(
                f"{path}: no event files (*.json, *.jsonl, *.ndjson, optionally .gz) in this folder."
            )
        for file in files:
            tally.files += 1
            for item in read_values(file):
                if isinstance(item, Skip):
                    _skip(tally, item, strict)
                    continue
                event = _to_event(*item)
                if isinstance(event, Skip):
                    _skip(tally, event, strict)
                else:
                    yield event


def _to_event(source: str, value: Any) -> Event | Skip:
    if isinstance(value, CaseEntry):
        event = _case_event(source, value)
    elif _is_wrapped_record(value):
        # Test-event wrappers such as Panther's {"test_name": ..., "event": {...}}.
        event = Event(value["event"], source, name=value.get("test_name"))
    else:
        event = Event(value, source) if _is_cloudtrail(value) else None
    if event is None:
        return Skip(source, "not a CloudTrail record")
    if _depth(event.record) > MAX_DEPTH:
        return Skip(source, f"nested deeper than {MAX_DEPTH} levels")
    if not _is_unicode(event.record):
        return Skip(source, "a string holds a lone UTF-16 surrogate escape, which is not Unicode text")
    return event


def _is_unicode(record: dict[str, Any]) -> bool:
    # JSON may escape half of a surrogate pair alone ("\ud800"), which Python reads into a
    # str that no UTF-8 writer or engine accepts, and which no CloudTrail record contains.
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _depth(value: Any) -> int:
    """Measure how deeply objects and arrays nest, without recursion (the input is untrusted)."""
    deepest = 0
    pending = [(value, 0)]
    while pending:
        item, level = pending.pop()
        if item is TOO_DEEP:
            return MAX_DEPTH + 1
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level + 1)
            if level + 1 > MAX_DEPTH:
                break
            pending.extend((child, level + 1) for child in item)
    return deepest


def _case_event(source: str, case: CaseEntry) -> Event | None:
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
    result.add_skip(skip)
