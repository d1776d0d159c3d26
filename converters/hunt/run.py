"""Hunt with DuckDB: read files in parallel worker processes, evaluate the kept records in batches."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import EventsError
from ..rules import LoadedRule
from ..sql import convert_sql
from .duckdb_engine import DuckDbEngine
from .prefilter import KEEP_ALL, RecordFilter, record_filter
from .reader import FileResult, Skip, hunt_files, read_file

# Records handed to DuckDB at once. Bounds the memory that kept records take when the
# pre-filter keeps many (or is off) while staying large enough for DuckDB's threads.
BATCH_RECORDS = 20_000
# Files each reader process may read ahead of the main process.
# NOTE: a file's kept records stay in memory until the whole file is read, so one huge
# NDJSON file whose records all pass the pre-filter raises the peak with its size.
FILES_IN_FLIGHT_PER_WORKER = 2


@dataclass
class HuntResult:
    """The matches of one rule over some files, with counts for the summary."""

    engine: str
    matches: list[dict[str, Any]] = field(default_factory=list)
    output_fields: tuple[str, ...] = ()
    files: int = 0
    records: int = 0
    # Records that reached the SQL engine after the pre-filter.
    evaluated: int = 0
    skipped: list[Skip] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class HuntOptions:
    """How to run a hunt."""

    strict: bool = False
    jobs: int = 0
    prefilter: bool = True
    # Called after each file with the running totals: files done, files, records.
    progress: Callable[[int, int, int], None] | None = None


DEFAULT_OPTIONS = HuntOptions()


def hunt_duckdb(
    rule: LoadedRule, paths: list[Path], options: HuntOptions = DEFAULT_OPTIONS
) -> HuntResult:
    """Run rule over every CloudTrail file under paths with DuckDB."""
    started = time.perf_counter()
    query = convert_sql(rule, "duckdb")
    files = hunt_files(paths)
    keep = record_filter(query.processed_rule) if options.prefilter else KEEP_ALL
    result = HuntResult("duckdb", output_fields=query.output_fields)
    engine = DuckDbEngine(query)
    batch_files: list[str] = []
    batch_records: list[str] = []
    try:
        for file_result in _read_all(files, keep, options.jobs):
            _count(result, file_result, options.strict)
            batch_files.extend([file_result.path] * len(file_result.candidates))
            batch_records.extend(file_result.candidates)
            if len(batch_records) >= BATCH_RECORDS:
                _evaluate(engine, batch_files, batch_records, result)
            if options.progress:
                options.progress(result.files, len(files), result.records)
        _evaluate(engine, batch_files, batch_records, result)
    finally:
        engine.close()
    result.seconds = time.perf_counter() - started
    return result


def _count(result: HuntResult, file_result: FileResult, strict: bool) -> None:
    if strict and file_result.skipped:
        skip = file_result.skipped[0]
        raise EventsError(
            f"{skip.source}: {skip.reason}. Fix the input, or run without STRICT=1 to skip it."
        )
    result.files += 1
    result.records += file_result.records
    result.skipped.extend(file_result.skipped)


def _evaluate(
    engine: DuckDbEngine, files: list[str], records: list[str], result: HuntResult
) -> None:
    result.evaluated += len(records)
    result.matches.extend(engine.matches(files, records))
    files.clear()
    records.clear()


def _read_all(files: list[Path], keep: RecordFilter, jobs: int) -> Iterator[FileResult]:
    workers = min(jobs or os.cpu_count() or 1, len(files))
    read = partial(read_file, record_filter=keep)
    if workers <= 1:
        yield from map(read, files)
        return
    # Fork is the cheapest start on Linux; the workers only read files.
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with context.Pool(workers) as pool:
        yield from _in_order(pool, read, files, window=workers * FILES_IN_FLIGHT_PER_WORKER)


def _in_order(
    pool: Any, read: Callable[[Path], FileResult], files: list[Path], window: int
) -> Iterator[FileResult]:
    # Results come back in the files' order, so output and STRICT=1 failures are
    # reproducible. At most `window` files are read ahead: Pool.imap would read every
    # file while DuckDB is busy and hold all their kept records in memory.
    remaining = iter(files)
    pending = deque(pool.apply_async(read, (path,)) for path in islice(remaining, window))
    while pending:
        result = pending.popleft().get()
        following = next(remaining, None)
        if following is not None:
            pending.append(pool.apply_async(read, (following,)))
        yield result
