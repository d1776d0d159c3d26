"""Read CloudTrail files one at a time: S3-export documents, JSON arrays and NDJSON, gzip or not.

Each file becomes a FileResult: how many CloudTrail records it held, what was skipped
and why, and the JSON text of the records the pre-filter kept. Nothing else of a file
outlives the call, so memory stays bounded by the largest single file of a JSON
document (NDJSON files stream line by line).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import simdjson
from isal import igzip, isal_zlib

from ..errors import EventsError
from .prefilter import KEEP_ALL, RecordFilter

DOCUMENT_SUFFIXES = (".json",)
LINE_SUFFIXES = (".jsonl", ".ndjson")
GZIP_MAGIC = b"\x1f\x8b"
CASE_TABLE_KEYS = frozenset({"rule_id", "cases"})
GZIP_ERRORS = (OSError, EOFError, zlib.error, isal_zlib.error)

MAPPING_TYPES = frozenset({dict, simdjson.Object})
NOT_CLOUDTRAIL = "not a CloudTrail record (a JSON object with string eventSource and eventName)"


@dataclass(frozen=True)
class Skip:
    """An input that was not read, where it is, and why."""

    source: str
    reason: str


@dataclass
class FileResult:
    """The outcome of reading one file."""

    path: str
    records: int = 0
    skipped: list[Skip] = field(default_factory=list)
    # JSON text of each record that the pre-filter kept.
    candidates: list[str] = field(default_factory=list)


def hunt_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders recursively into their CloudTrail files, sorted by path."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and is_log_file(p))
            if not files:
                raise EventsError(
                    f"{path}: no log files (*.json, *.jsonl, *.ndjson, optionally .gz) in this folder. "
                    "Pass a folder in the AWS S3 export layout or the log files themselves."
                )
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            raise EventsError(
                f"{path}: log file or folder not found. Pass an existing path with LOGS=."
            )
    return found


def is_log_file(path: Path) -> bool:
    """Return True for a file name that hunt reads: .json, .jsonl or .ndjson, optionally .gz."""
    name = path.name.removesuffix(".gz")
    return name.endswith(DOCUMENT_SUFFIXES + LINE_SUFFIXES)


def read_file(path: Path, record_filter: RecordFilter = KEEP_ALL) -> FileResult:
    """Read one file, count its records and keep those that pass record_filter."""
    result = FileResult(str(path))
    try:
        if path.name.removesuffix(".gz").endswith(LINE_SUFFIXES):
            _read_lines(path, result, record_filter)
        else:
            _read_document(path, result, record_filter)
    except OSError as error:
        result.skipped.append(Skip(str(path), f"cannot read the file ({error.strerror or error})"))
    return result


def _read_lines(path: Path, result: FileResult, record_filter: RecordFilter) -> None:
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        stream: BinaryIO = igzip.GzipFile(fileobj=raw) if compressed else raw  # type: ignore[assignment]
        try:
            _add_lines(enumerate(stream, start=1), path, result, record_filter)
        except GZIP_ERRORS as error:
            result.skipped.append(
                Skip(str(path), f"corrupt gzip data after {result.records} records ({error})")
            )


def _read_document(path: Path, result: FileResult, record_filter: RecordFilter) -> None:
    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:
        try:
            data = igzip.decompress(data)
        except GZIP_ERRORS as error:
            result.skipped.append(Skip(str(path), f"corrupt gzip data ({error})"))
            return
    if not data.strip():
        result.skipped.append(Skip(str(path), "empty file"))
        return
    try:
        document = _parse_document(data)
    except UnicodeDecodeError:
        result.skipped.append(Skip(str(path), "not UTF-8 text"))
        return
    except (ValueError, RuntimeError):
        # simdjson raises RuntimeError for integers beyond 64 bits.
        _read_unparsed(data, path, result, record_filter)
        return
    _add_document(document, path, result, record_filter)


# One parser per process: a new parser allocates its buffers again, which costs as much
# as parsing a typical CloudTrail file.
_PARSER: list[simdjson.Parser] = []


def _parse_document(data: bytes) -> Any:
    if not _PARSER:
        _PARSER.append(simdjson.Parser())
    try:
        return _PARSER[0].parse(data)
    except RuntimeError as error:
        if "re-use a parser" not in str(error):
            raise
    # Objects of the previous document are still alive (an exception kept them, say).
    _PARSER[0] = simdjson.Parser()
    return _PARSER[0].parse(data)


def _read_unparsed(
    data: bytes, path: Path, result: FileResult, record_filter: RecordFilter
) -> None:
    # simdjson rejects some valid JSON (integers beyond 64 bits, very deep nesting), and
    # NDJSON is not one document. Try the standard parser, then lines.
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        document = None
    if document is not None:
        _add_document(document, path, result, record_filter)
    elif _starts_with_json_object_line(data):
        _add_lines(enumerate(data.splitlines(), start=1), path, result, record_filter)
    else:
        result.skipped.append(Skip(str(path), "invalid JSON (truncated or corrupt)"))


def _add_lines(
    lines: Iterator[tuple[int, bytes]], path: Path, result: FileResult, record_filter: RecordFilter
) -> None:
    parser = simdjson.Parser()
    for number, line in lines:
        if not line.strip():
            continue
        try:
            # recursive=True returns plain dicts, so no object keeps the parser busy.
            value = parser.parse(line, True)
        except (ValueError, RuntimeError):
            value = _parse_line_slowly(line)
        if value is _INVALID:
            result.skipped.append(Skip(f"{path}:{number}", "invalid JSON"))
            continue
        _add_value(value, f"{path}:{number}", result, record_filter)


_INVALID = object()


def _starts_with_json_object_line(data: bytes) -> bool:
    first = next((line for line in data.splitlines() if line.strip()), b"")
    return isinstance(_parse_line_slowly(first), dict)


def _parse_line_slowly(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return _INVALID


def _add_document(
    document: Any, path: Path, result: FileResult, record_filter: RecordFilter
) -> None:
    if _is_mapping(document):
        records = document.get("Records")
        if _is_sequence(records):
            _add_values(records, f"{path}:Records", result, record_filter)
        elif CASE_TABLE_KEYS <= set(document.keys()) and _is_sequence(document.get("cases")):
            cases = [case.get("event") if _is_mapping(case) else case for case in document["cases"]]
            _add_values(cases, f"{path}:cases", result, record_filter)
        elif _is_cloudtrail(document) or _is_cloudtrail(document.get("event")):
            _add_value(document, str(path), result, record_filter)
        else:
            result.skipped.append(
                Skip(
                    str(path),
                    "not CloudTrail: a JSON object without Records, eventSource and eventName",
                )
            )
    elif _is_sequence(document):
        _add_values(document, str(path), result, record_filter)
    else:
        result.skipped.append(
            Skip(str(path), "not CloudTrail: the JSON document is not an object or array")
        )


def _add_values(values: Any, source: str, result: FileResult, record_filter: RecordFilter) -> None:
    # The hot loop of a hunt, run once per record: the common case (a CloudTrail record
    # whose eventName rules it out) costs two lookups and no call.
    keep = record_filter.keep
    names = record_filter.allowed_values(("eventName",))
    # Whether an eventName value can pass the filter, by value: an archive has a few
    # hundred distinct API names, so one dict lookup replaces the test for most records.
    possible: dict[str, bool] = {}
    candidates = result.candidates
    records = 0
    for index, value in enumerate(values):
        if type(value) in MAPPING_TYPES:
            event_source, event_name = value.get("eventSource"), value.get("eventName")
            if type(event_source) is str and type(event_name) is str:
                records += 1
                verdict = possible.get(event_name)
                if verdict is None:
                    verdict = possible[event_name] = _name_possible(event_name, names)
                if not verdict:
                    continue
                if keep(value):
                    candidates.append(_json_text(value))
                continue
        _add_value(value, f"{source}[{index}]", result, record_filter)
    result.records += records


def _name_possible(event_name: str, names: frozenset[str] | None) -> bool:
    # The same test that RecordFilter.keep() makes for eventName.
    return names is None or not event_name.isascii() or event_name.lower() in names


def _add_value(value: Any, source: str, result: FileResult, record_filter: RecordFilter) -> None:
    if not _is_cloudtrail(value):
        # Test-event wrappers such as Panther's {"test_name": ..., "event": {...}}.
        wrapped = value.get("event") if _is_mapping(value) else None
        if not _is_cloudtrail(wrapped):
            result.skipped.append(Skip(source, NOT_CLOUDTRAIL))
            return
        value = wrapped
    result.records += 1
    if record_filter.keep(value):
        result.candidates.append(_json_text(value))


def _json_text(value: Any) -> str:
    if isinstance(value, simdjson.Object):
        return value.mini.decode("utf-8")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _is_mapping(value: Any) -> bool:
    return isinstance(value, dict | simdjson.Object)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, list | simdjson.Array)


def _is_cloudtrail(value: Any) -> bool:
    return (
        _is_mapping(value)
        and isinstance(value.get("eventSource"), str)
        and isinstance(value.get("eventName"), str)
    )
