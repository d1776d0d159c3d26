"""Atomic output: a failed run leaves no partial file and no partial set of files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from converters.errors import ToolkitError
from converters.output import write_files_atomic, write_text_atomic


def test_output_file_mode_follows_umask(tmp_path: Path):
    previous = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "a.conf", "x\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.conf").stat().st_mode) == 0o644


def test_output_set_written_whole(tmp_path: Path):
    files = {tmp_path / "o" / "a.esql": "a\n", tmp_path / "o" / "b.ndjson": "b\n"}
    write_files_atomic(files)
    assert {path.name: path.read_text() for path in (tmp_path / "o").iterdir()} == {
        "a.esql": "a\n",
        "b.ndjson": "b\n",
    }


def test_output_set_blocked_leaves_nothing(tmp_path: Path):
    folder = tmp_path / "o"
    (folder / "b.ndjson").mkdir(parents=True)
    with pytest.raises(ToolkitError, match="b.ndjson: a folder is in the way"):
        write_files_atomic({folder / "a.esql": "a\n", folder / "b.ndjson": "b\n"})
    assert sorted(path.name for path in folder.iterdir()) == ["b.ndjson"]


def test_output_set_keeps_previous_files(tmp_path: Path):
    folder = tmp_path / "o"
    folder.mkdir()
    (folder / "a.esql").write_text("old\n")
    (folder / "b.ndjson").mkdir()
    with pytest.raises(ToolkitError):
        write_files_atomic({folder / "a.esql": "new\n", folder / "b.ndjson": "b\n"})
    assert (folder / "a.esql").read_text() == "old\n"
    assert sorted(path.name for path in folder.iterdir()) == ["a.esql", "b.ndjson"]
