"""The hunt subcommand: table, JSON lines, summary, exit codes and errors."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from converters.hunt.reader import Skip
from converters.hunt.report import Progress, match_table, summary_lines
from converters.hunt.run import HuntResult

from .conftest import ROOT, load_cases


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "converters", "hunt", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_hunt_default_logs_write_matches(tmp_path: Path):
    result = run("--out", tmp_path)
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "hunt" / "aws_rds_snapshot_cross_region.jsonl").read_text().splitlines()
    matches = [json.loads(line) for line in lines]
    expected = sum(1 for case in load_cases() if case.expected)
    assert len(matches) == expected
    assert set(matches[0]) >= {"eventID", "eventName", "userIdentity.arn", "file"}
    assert all(m["file"].startswith("tests/events/cases.json") for m in matches)
    assert f"{expected} matches" in result.stdout
    assert "eventID" in result.stdout.splitlines()[1]
    assert "engine duckdb:" in result.stdout
    assert "records/s" in result.stdout


def test_hunt_reports_skipped_file_with_path(tmp_path: Path):
    corrupt = tmp_path / "logs" / "corrupt.json.gz"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"\x1f\x8b\x08\x00broken")
    good = tmp_path / "logs" / "good.jsonl"
    good.write_text(
        json.dumps({"eventSource": "s3.amazonaws.com", "eventName": "GetObject"}) + "\n"
    )
    result = run("--logs", tmp_path / "logs", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert f"skipped {corrupt}: corrupt gzip data" in result.stderr
    assert "2 files, 1 records, 0 matches, 1 skipped" in result.stdout
    assert (tmp_path / "out" / "hunt" / "aws_rds_snapshot_cross_region.jsonl").read_text() == ""


def test_hunt_strict_fails_without_output(tmp_path: Path):
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"Records": [', encoding="utf-8")
    result = run("--logs", truncated, "--strict", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {truncated}: invalid JSON (truncated or corrupt). Fix the input, or run without STRICT=1 to skip it."
    ]
    assert not (tmp_path / "out").exists()


def test_hunt_missing_logs_path(tmp_path: Path):
    result = run("--logs", tmp_path / "nothing", "--out", tmp_path)
    assert result.returncode == 2
    assert "log file or folder not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_hunt_s3_folder_gzip(tmp_path: Path):
    folder = (
        tmp_path / "AWSLogs" / "123456789012" / "CloudTrail" / "eu-west-1" / "2026" / "11" / "01"
    )
    folder.mkdir(parents=True)
    record = {
        "eventSource": "rds.amazonaws.com",
        "eventName": "CopyDBSnapshot",
        "awsRegion": "eu-west-1",
        "eventID": "id-1",
        "requestParameters": {"sourceDBSnapshotIdentifier": "arn:aws:rds:us-east-1:1:snapshot:s"},
    }
    (folder / "a.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))
    result = run("--logs", tmp_path, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    match = json.loads(
        (tmp_path / "out" / "hunt" / "aws_rds_snapshot_cross_region.jsonl").read_text()
    )
    assert match["eventID"] == "id-1"
    assert match["file"] == str(folder / "a.json.gz")


def test_match_table_aligns_and_cuts():
    result = HuntResult("duckdb", output_fields=("eventID", "userAgent"))
    result.matches = [
        {"eventID": "e1", "userAgent": "x" * 100, "file": "f"},
        {"eventID": "e22", "userAgent": None, "file": "f"},
    ]
    lines = match_table(result)
    assert lines[0].split() == ["eventID", "userAgent"]
    assert lines[2].startswith("e1   ")
    assert lines[2].endswith("...")
    assert lines[3].rstrip() == "e22"


def test_summary_counts_reasons():
    result = HuntResult("duckdb", files=3, records=10, seconds=2.0)
    result.skipped = [Skip("a", "invalid JSON"), Skip("b", "invalid JSON"), Skip("c", "empty file")]
    lines = summary_lines(result)
    assert lines[0] == "engine duckdb: 3 files, 10 records, 0 matches, 3 skipped"
    assert lines[1] == "  skipped 2: invalid JSON"
    assert lines[-1] == "2.00 s, 5 records/s"


class FakeStream:
    def __init__(self, tty: bool) -> None:
        self.text = ""
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "pipe"])
def test_progress_quiet_on_short_runs(tty: bool):
    stream = FakeStream(tty)
    progress = Progress(stream=stream)  # type: ignore[arg-type]
    progress(1, 2, 100)
    progress(2, 2, 200)
    assert stream.text == ""


def test_progress_shows_bar_after_delay():
    stream = FakeStream(True)
    progress = Progress(stream=stream, started=0.0)  # type: ignore[arg-type]
    progress(1, 4, 1000)
    progress(4, 4, 4000)
    assert stream.text.startswith("\r[")
    assert "files 4/4  records 4,000" in stream.text
    assert stream.text.endswith("records/s\n")


def run_light(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "converters.hunt", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_hunt_module_entry_point_matches(tmp_path: Path):
    result = run_light("--logs", "tests/events", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "hunt" / "aws_rds_snapshot_cross_region.jsonl").read_text().splitlines()
    assert len(lines) == sum(1 for case in load_cases() if case.expected)
    assert "engine duckdb: 1 files" in result.stdout


def test_hunt_module_entry_point_error(tmp_path: Path):
    result = run_light("--logs", tmp_path / "nothing", "--out", tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: ")
    assert "log file or folder not found" in result.stderr
    assert "Traceback" not in result.stderr
