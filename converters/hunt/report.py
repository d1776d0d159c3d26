"""Show a hunt's progress, its matches as a table and JSON lines, and its summary."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..printable import json_text, printable
from .run import HuntResult

# The progress display starts once a run has taken this long, so short runs stay quiet.
PROGRESS_DELAY_SECONDS = 2.0
# Redraw interval on a terminal, and line interval when stderr is a file or pipe.
REDRAW_SECONDS = 0.2
LOG_LINE_SECONDS = 10.0
BAR_WIDTH = 30
# Widest cell of the match table; longer values are cut with "...".
MAX_CELL = 48
# Skipped inputs listed one per line before the rest are only counted.
MAX_LISTED_SKIPS = 20


@dataclass
class Progress:
    """Progress display on stderr: files, records and records per second."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    started: float = field(default_factory=time.perf_counter)
    last_shown: float = 0.0
    shown: bool = False

    def __call__(self, files_done: int, files: int, records: int) -> None:
        """Update the display after a file; draw only when enough time has passed."""
        now = time.perf_counter()
        elapsed = now - self.started
        interactive = self.stream.isatty()
        interval = REDRAW_SECONDS if interactive else LOG_LINE_SECONDS
        final = files_done == files
        if elapsed < PROGRESS_DELAY_SECONDS or (now - self.last_shown < interval and not final):
            return
        if final and not self.shown:
            return
        self.last_shown, self.shown = now, True
        line = _progress_line(files_done, files, records, elapsed)
        if interactive:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _progress_line(files_done: int, files: int, records: int, elapsed: float) -> str:
    filled = BAR_WIDTH * files_done // max(files, 1)
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    rate = records / elapsed if elapsed > 0 else 0.0
    return f"[{bar}] files {files_done:,}/{files:,}  records {records:,}  {rate:,.0f} records/s"


def match_objects(result: HuntResult) -> list[dict[str, Any]]:
    """Return the JSON object of each match: eventID, the output fields and the file."""
    return [
        {name: match.get(name) for name in (*result.output_fields, "file")}
        for match in result.matches
    ]


def json_lines(result: HuntResult) -> str:
    """Render the matches as JSON lines."""
    return "".join(json_text(obj) + "\n" for obj in match_objects(result))


def match_table(result: HuntResult) -> list[str]:
    """Render the matches as an aligned text table of the output fields."""
    columns = list(result.output_fields)
    rows = [[_cell(match.get(name)) for name in columns] for match in result.matches]
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(columns)]
    lines = [
        "  ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True)).rstrip()
    ]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return lines


def _cell(value: Any) -> str:
    if value is None:
        return ""
    # printable() escapes control characters and Unicode line separators, so a value
    # cannot break the table's lines.
    text = printable(value) if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 3] + "..."


def summary_lines(result: HuntResult) -> list[str]:
    """Render the counts of a run: files, records, matches, skipped inputs, time and speed."""
    reasons = Counter(skip.reason for skip in result.skipped)
    rate = result.records / result.seconds if result.seconds > 0 else 0.0
    lines = [
        (
            f"engine {result.engine}: {result.files:,} files, {result.records:,} records, "
            f"{len(result.matches):,} matches, {len(result.skipped):,} skipped"
        ),
    ]
    lines += [f"  skipped {count:,}: {reason}" for reason, count in reasons.most_common()]
    lines.append(f"{result.seconds:.2f} s, {rate:,.0f} records/s")
    return lines


def skip_lines(result: HuntResult) -> list[str]:
    """List skipped inputs with their path and reason, the first MAX_LISTED_SKIPS of them."""
    lines = [f"skipped {skip.source}: {skip.reason}" for skip in result.skipped[:MAX_LISTED_SKIPS]]
    hidden = len(result.skipped) - MAX_LISTED_SKIPS
    if hidden > 0:
        lines.append(f"... and {hidden:,} more skipped inputs (see the summary for the reasons)")
    return lines
