"""The synthetic archive generator behind `make bench`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from converters.synthetic import ACCOUNT, ArchiveSpec, iter_records, write_archive

SPEC = ArchiveSpec(records=2_000, files=4, cross_region_copies=15, other_copies=25, seed=3)


def test_synthetic_archive_layout_and_counts(tmp_path: Path):
    archive = write_archive(tmp_path, SPEC)
    assert len(archive.files) == 4
    assert archive.records == 2_000
    assert len(archive.expected_matches) == 15
    for path in archive.files:
        parts = path.relative_to(tmp_path).parts
        assert parts[:3] == ("AWSLogs", ACCOUNT, "CloudTrail")
        assert path.name.startswith(f"{ACCOUNT}_CloudTrail_{parts[3]}_")
        assert path.name.endswith(".json.gz")


def test_synthetic_archive_content_mix(tmp_path: Path):
    archive = write_archive(tmp_path, SPEC)
    records = list(iter_records(archive))
    assert len(records) == 2_000
    assert len({record["eventID"] for record in records}) == 2_000
    sources = Counter(record["eventSource"] for record in records)
    assert len(sources) >= 10
    copies = [r for r in records if r["eventName"] in ("CopyDBSnapshot", "CopyDBClusterSnapshot")]
    assert len(copies) == 40
    assert {r["eventID"] for r in copies} >= archive.expected_matches


def test_synthetic_archive_is_deterministic(tmp_path: Path):
    first = write_archive(tmp_path / "a", SPEC)
    second = write_archive(tmp_path / "b", SPEC)
    assert first.expected_matches == second.expected_matches
    assert [p.read_bytes() for p in first.files] == [p.read_bytes() for p in second.files]
