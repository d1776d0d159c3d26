"""Stream the JSON values of one events file, whatever its shape, without loading it whole.

Shapes, distinguished by the first bytes and the first object's top-level keys:

- ``{"Records": [...]}`` (CloudTrail's S3 export, often one line of many megabytes) and
  ``[...]`` arrays: parsed incrementally (json_stream, on ijson), one record at a time;
- a case table ``{"rule_id": ..., "cases": [...]}``: small, parsed whole;
- NDJSON (one value a line): read line by line, so a broken line loses only itself;
- one or more pretty-printed objects: parsed incrementally.

Any shape may be gzip-compressed (detected by its magic bytes, not its name).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson

from . import json_stream

CASE_TABLE_KEYS = frozenset({"rule_id", "cases"})
GZIP_MAGIC = b"\x1f\x8b"
JSON_WHITESPACE = b" \t\r\n"
CHUNK_SIZE = 1 << 16


@dataclass(frozen=True)
class Skip:
    """A record or file that could not be read, and why."""

    source: str
    reason: str


@dataclass(frozen=True)
class CaseEntry:
    """One entry of a case table, with the id of the rule that the table is written for."""

    value: Any
    rule_id: Any


Item = tuple[str, Any] | Skip


def read_values(path: Path) -> Iterator[Item]:
    """Yield (source, JSON value) for each value in the file, and a Skip for each unreadable part."""
    try:
        compressed = _is_gzip(path)
    except OSError as error:
        yield Skip(str(path), f"cannot read the file ({error.strerror or error})")
        return
    try:
        yield from _read_shape(path)
    except (OSError, EOFError, zlib.error) as error:
        # Records read before the damage stay read; the rest of the file is skipped.
        if compressed and not isinstance(error, (PermissionError, FileNotFoundError)):
            yield Skip(str(path), f"corrupt gzip data ({error})")
        else:
            yield Skip(str(path), f"cannot read the file ({getattr(error, 'strerror', None) or error})")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


@contextmanager
def _open(path: Path) -> Iterator[IO[bytes]]:
    with path.open("rb") as handle:
        if handle.read(2) == GZIP_MAGIC:
            handle.seek(0)
            with gzip.GzipFile(fileobj=handle) as unzipped:
                yield unzipped
        else:
            handle.seek(0)
            yield handle


def _read_shape(path: Path) -> Iterator[Item]:
    first = _first_byte(path)
    if first is None:
        yield Skip(str(path), "empty file")
    elif first == b"[":
        yield from _stream_items(path, "array", lambda i: f"{path}:[{i}]")
    elif first == b"{":
        yield from _read_object_file(path)
    else:
        yield from _read_other(path)


def _first_byte(path: Path) -> bytes | None:
    with _open(path) as stream:
        while chunk := stream.read(CHUNK_SIZE):
            rest = chunk.lstrip(JSON_WHITESPACE)
            if rest:
                return rest[:1]
    return None


def _stream_items(path: Path, container: str, source: Callable[[int], str]) -> Iterator[Item]:
    """Yield the values of the file's top level, its top-level array or its Records array."""
    count = 0
    with _open(path) as stream:
        events = json_stream.basic_events(stream)
        if container == "array":
            values = json_stream.array_items(events)
        elif container == "Records":
            values = json_stream.member_items(events, "Records")
        else:
            values = json_stream.top_level_values(events)
        try:
            for value in values:
                yield source(count), value
                count += 1
        except ijson.JSONError as error:
            yield Skip(source(count), _json_error_reason(error))


def _json_error_reason(error: Exception) -> str:
    # yajl reports bytes that are not UTF-8 as a lexical error naming UTF8.
    return "not UTF-8 text" if "UTF8" in str(error) else "invalid JSON"


def _read_object_file(path: Path) -> Iterator[Item]:
    shape = _object_file_shape(path)
    if shape == "export":
        yield from _stream_items(path, "Records", lambda i: f"{path}:Records[{i}]")
    elif shape == "case_table":
        yield from _read_case_table(path)
    elif shape == "objects" and not _first_line_is_json(path):
        yield from _stream_items(path, "top", lambda i: str(path) if i == 0 else f"{path}#{i + 1}")
    else:
        yield from _read_lines(path)


def _object_file_shape(path: Path) -> str:
    """Classify a file that starts with '{' by the top-level keys of its first object."""
    keys: set[str] = set()
    with _open(path) as stream:
        try:
            for key, value_start in json_stream.top_level_keys(json_stream.basic_events(stream)):
                keys.add(key)
                if key == "Records" and value_start == "start_array":
                    return "export"
        except ijson.JSONError:
            # The first object is broken: read the file as NDJSON, so that only the
            # broken lines are lost.
            return "lines"
    return "case_table" if CASE_TABLE_KEYS <= keys else "objects"


def _first_line_is_json(path: Path) -> bool:
    with _open(path) as stream:
        line = stream.readline()
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _read_case_table(path: Path) -> Iterator[Item]:
    with _open(path) as stream:
        try:
            document = json.load(stream)
        except UnicodeDecodeError as error:
            yield Skip(str(path), f"not UTF-8 text (byte offset {error.start})")
            return
        except (ValueError, RecursionError):
            yield Skip(str(path), "invalid JSON")
            return
    cases = document["cases"]
    if not isinstance(cases, list):
        yield Skip(str(path), "invalid case table: 'cases' must be a list")
        return
    for index, case in enumerate(cases):
        yield f"{path}:cases[{index}]", CaseEntry(case, document["rule_id"])


def _read_lines(path: Path) -> Iterator[Item]:
    with _open(path) as stream:
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            source = f"{path}:{number}"
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield Skip(source, "not UTF-8 text")
                continue
            try:
                yield source, json.loads(text)
            except (ValueError, RecursionError):
                yield Skip(source, "invalid JSON")


def _read_other(path: Path) -> Iterator[Item]:
    """Read a file that starts with neither '[' nor '{': a JSON scalar, or not JSON at all."""
    with _open(path) as stream:
        head = stream.read(CHUNK_SIZE)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the chunk is not an error.
        if error.start < len(head) - 3:
            yield Skip(str(path), f"not UTF-8 text (byte offset {error.start})")
            return
    yield from _stream_items(path, "top", lambda i: str(path) if i == 0 else f"{path}#{i + 1}")

