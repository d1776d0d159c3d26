"""Benchmark `make hunt` against decompression alone and a plain Python loop (`make bench`).

Every measurement runs in a fresh Python process, best of RUNS, all in the same run and
round robin, so the ratios compare figures taken on the same machine under the same load. Each process
reports its wall time, its matches and its peak resident memory (its own and that of
its largest child process). Every engine's matches are checked against the eventIDs the
generator planted and against each other.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .synthetic import GENERATOR_VERSION, ArchiveSpec, write_archive

RUNS = 3
# Beside the archive folder, not in it, so that the hunt does not read it as a log file.
MANIFEST = "archive-manifest.json"

# Code of each measurement, run as `python -c` with the archive root as argv[1] and an
# output folder as argv[2]. Each prints one JSON object: matches (eventIDs or a count).
DECOMPRESS = """
import json, multiprocessing, os, sys
from pathlib import Path
from isal import igzip
def size(path):
    return len(igzip.decompress(path.read_bytes()))
files = sorted(Path(sys.argv[1]).rglob("*.json.gz"))
with multiprocessing.get_context("fork").Pool(os.cpu_count()) as pool:
    total = sum(pool.map(size, files, chunksize=1))
print(json.dumps({"bytes": total, "matches": None}))
"""

BASELINE = """
import gzip, json, sys
from pathlib import Path
from converters.bench_baseline import matches_rule
found = []
for path in sorted(Path(sys.argv[1]).rglob("*.json.gz")):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for record in json.load(handle)["Records"]:
            if matches_rule(record):
                found.append(record.get("eventID"))
print(json.dumps({"matches": found}))
"""

HUNT = """
import json, sys
from pathlib import Path
from converters.hunt.command import main
code = main(["--logs", sys.argv[1], "--out", sys.argv[2], *sys.argv[3:]])
lines = (Path(sys.argv[2]) / "hunt" / "aws_rds_snapshot_cross_region.jsonl").read_text().splitlines()
print(json.dumps({"exit": code, "matches": [json.loads(line)["eventID"] for line in lines]}))
"""

# Peak memory of the process and of its largest child, read after the work is done.
MEMORY_SUFFIX = """
import resource as _resource
_self = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss
_children = _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"self_kib": _self, "child_kib": _children}))
"""


@dataclass
class Measurement:
    """The best of RUNS runs of one engine."""

    name: str
    seconds: float
    records: int
    matches: int | None
    agrees: bool | None
    self_mib: float
    child_mib: float

    @property
    def rate(self) -> float:
        """Return records per second."""
        return self.records / self.seconds


def prepare_archive(root: Path, spec: ArchiveSpec) -> tuple[int, set[str]]:
    """Write the archive unless root contains one of the same spec; return records and expected matches."""
    manifest = root.parent / MANIFEST
    if manifest.exists():
        saved = json.loads(manifest.read_text())
        if saved["spec"] == asdict(spec) and saved.get("generator") == GENERATOR_VERSION:
            return saved["records"], set(saved["expected_matches"])
    shutil.rmtree(root, ignore_errors=True)
    manifest.unlink(missing_ok=True)
    started = time.perf_counter()
    archive = write_archive(root, spec)
    print(
        f"generated {archive.records:,} records in {len(archive.files)} files in "
        f"{time.perf_counter() - started:.0f} s under {root}",
        file=sys.stderr,
    )
    payload = {
        "generator": GENERATOR_VERSION,
        "spec": asdict(spec),
        "records": archive.records,
        "expected_matches": sorted(archive.expected_matches),
    }
    manifest.write_text(json.dumps(payload))
    return archive.records, archive.expected_matches


def run_once(code: str, root: Path, out: Path, extra: list[str]) -> tuple[float, dict, dict]:
    """Run one measurement in a fresh interpreter; return wall seconds, its result and its memory."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", code + MEMORY_SUFFIX, str(root), str(out), *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{completed.stderr[-2000:]}")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    return seconds, json.loads(lines[-2]), json.loads(lines[-1])


def measure_all(
    steps: list[tuple[str, str, list[str]]],
    root: Path,
    out: Path,
    records: int,
    expected: set[str],
    runs: int = RUNS,
) -> list[Measurement]:
    """Run every step runs times, round robin, and keep each step's fastest run.

    Round robin rather than one step after the other: on a machine shared with other
    work, the load changes within minutes, and each step should see the same mix.
    """
    best: dict[str, tuple[float, dict, dict]] = {}
    for run in range(1, runs + 1):
        for name, code, extra in steps:
            attempt = run_once(code, root, out, extra)
            if name not in best or attempt[0] < best[name][0]:
                best[name] = attempt
            load = os.getloadavg()[0]
            print(f"  run {run}, {name}: {attempt[0]:.2f} s (load {load:.1f})", file=sys.stderr)
    return [_measurement(name, *best[name], records, expected) for name, _, _ in steps]


def _measurement(
    name: str, seconds: float, result: dict, memory: dict, records: int, expected: set[str]
) -> Measurement:
    found = result.get("matches")
    agrees = None if found is None else set(found) == expected and len(found) == len(expected)
    return Measurement(
        name,
        seconds,
        records,
        None if found is None else len(found),
        agrees,
        memory["self_kib"] / 1024,
        memory["child_kib"] / 1024,
    )


def machine() -> dict[str, str]:
    """Describe the machine: cores, memory and CPU model."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = subprocess.run(
        ["free", "-h"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
    }


def table(results: list[Measurement], floor: Measurement, baseline: Measurement) -> list[str]:
    """Render the results with ratios to the floor and to the baseline."""
    lines = [
        "| engine | best run (s) | records/s | vs decompression | vs Python loop | matches | agree | peak RSS: process / largest child (MiB) |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for m in results:
        agree = {None: "-", True: "yes", False: "NO"}[m.agrees]
        matches = "-" if m.matches is None else f"{m.matches:,}"
        lines.append(
            f"| {m.name} | {m.seconds:.2f} | {m.rate:,.0f} | {m.rate / floor.rate:.2f} | "
            f"{m.rate / baseline.rate:.2f} | {matches} | {agree} | {m.self_mib:,.0f} / {m.child_mib:,.0f} |"
        )
    return lines


def _spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m converters.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out/bench"), help="work folder (default: %(default)s)"
    )
    parser.add_argument(
        "--records", type=int, default=ArchiveSpec().records, help="records in the archive"
    )
    parser.add_argument(
        "--files", type=int, default=ArchiveSpec().files, help="files in the archive"
    )
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per engine; the best counts")
    parser.add_argument(
        "--no-spark", dest="spark", action="store_false", help="leave out Spark local mode"
    )
    return parser.parse_args(argv)


def _steps(spark: bool) -> list[tuple[str, str, list[str]]]:
    steps = [
        ("decompression only (isal, all cores)", DECOMPRESS, []),
        ("Python loop (gzip + json, one core)", BASELINE, []),
        ("make hunt, DuckDB", HUNT, []),
        ("make hunt, DuckDB, no pre-filter", HUNT, ["--no-prefilter"]),
    ]
    if spark and _spark_available():
        steps.append(("make hunt ENGINE=spark (local mode)", HUNT, ["--engine", "spark"]))
    return steps


def main(argv: list[str] | None = None) -> int:
    """Generate the archive, run every measurement and print the table."""
    args = _parse_args(argv)
    spec = ArchiveSpec(records=args.records, files=args.files)
    root = args.out / "archive"
    records, expected = prepare_archive(root, spec)

    load_before = os.getloadavg()
    steps = _steps(args.spark)
    results = measure_all(steps, root, args.out / "hunt-output", records, expected, args.runs)
    load_after = os.getloadavg()

    print("\n".join(table(results, results[0], results[1])))
    info = machine()
    info["load"] = f"1-minute load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    print(f"\nmachine: {info['cores']} cores, {info['cpu']}, Python {info['python']}")
    print(f"{info['load']}\n{info['memory']}")
    payload = {"machine": info, "spec": asdict(spec), "results": [asdict(m) for m in results]}
    (args.out / "results.json").write_text(json.dumps(payload, indent=2))
    return 0 if all(m.agrees is not False for m in results) else 1


if __name__ == "__main__":
    sys.exit(main())
