"""The command line behind the Make targets: outputs, exit codes and error messages."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from converters.targets import TARGETS

from .conftest import CASES_PATH, ROOT, RULE_PATH

SIGMA_CLI = Path(sys.executable).parent / "sigma"


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "converters", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_splunk_prints_spl_and_writes_conf(tmp_path: Path):
    result = run("splunk", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('sourcetype="aws:cloudtrail" eventSource="rds.amazonaws.com"')
    conf = (tmp_path / "splunk" / "savedsearches.conf").read_text()
    assert "[AWS RDS Snapshot Copied To Another Region]" in conf
    assert list((tmp_path / "splunk").iterdir()) == [tmp_path / "splunk" / "savedsearches.conf"]


def test_splunk_index_and_sourcetype(tmp_path: Path):
    result = run("splunk", "--out", tmp_path, "--index", "aws", "--sourcetype", "aws:cloudtrail:s3")
    assert result.stdout.startswith('index="aws" sourcetype="aws:cloudtrail:s3" ')


def test_splunk_hostile_index_is_quoted(tmp_path: Path):
    result = run("splunk", "--out", tmp_path, "--index", 'a" OR index="*')
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('index="a\\" OR index=\\"*" ')


def test_sigma_cli_prints_same_spl(tmp_path: Path):
    ours = run("splunk", "--out", tmp_path).stdout.strip()
    theirs = subprocess.run(
        [str(SIGMA_CLI), "convert", "-t", "splunk", "-p", "cloudtrail_splunk", str(RULE_PATH)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout.strip() == ours


def test_sigma_cli_lists_pipeline():
    listing = subprocess.run(
        [str(SIGMA_CLI), "list", "pipelines"], capture_output=True, text=True, timeout=120, check=False,
    )
    assert "cloudtrail_splunk" in listing.stdout


def test_splunk_other_rule_file(tmp_path: Path):
    rule = tmp_path / "other.yml"
    rule.write_text(RULE_PATH.read_text().replace("CopyDBClusterSnapshot", "RestoreDBClusterFromSnapshot"))
    result = run("splunk", "--rule", rule, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"RestoreDBClusterFromSnapshot"' in result.stdout


def test_splunk_missing_rule_file(tmp_path: Path):
    result = run("splunk", "--rule", tmp_path / "absent.yml", "--out", tmp_path)
    assert_one_line_error(result, "absent.yml: rule file not found")


def test_splunk_broken_yaml(tmp_path: Path):
    rule = tmp_path / "broken.yml"
    rule.write_text("title: x\ndetection: [unclosed\n")
    result = run("splunk", "--rule", rule, "--out", tmp_path / "out")
    assert_one_line_error(result, "broken.yml: invalid YAML at line", "Fix the YAML syntax")
    assert not (tmp_path / "out").exists()


def test_splunk_invalid_sigma(tmp_path: Path):
    rule = tmp_path / "invalid.yml"
    rule.write_text("title: x\nlogsource:\n    product: aws\ndetection:\n    condition: selection\n")
    result = run("splunk", "--rule", rule, "--out", tmp_path / "out")
    assert_one_line_error(result, "invalid.yml: not a valid Sigma rule")
    assert not (tmp_path / "out").exists()


def test_splunk_unconvertible_rule_leaves_no_file(tmp_path: Path):
    rule = tmp_path / "negated.yml"
    rule.write_text(RULE_PATH.read_text().replace(
        "        requestParameters.sourceRegion|fieldref: awsRegion\n",
        "        requestParameters.sourceRegion|fieldref: awsRegion\n        eventSource: rds.amazonaws.com\n",
    ))
    result = run("splunk", "--rule", rule, "--out", tmp_path / "out")
    assert_one_line_error(result, "negated.yml: cannot convert to Splunk SPL", "inside a negated group")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_splunk_unwritable_output(tmp_path: Path):
    tmp_path.chmod(0o500)
    try:
        result = run("splunk", "--out", tmp_path / "out")
    finally:
        tmp_path.chmod(0o700)
    assert_one_line_error(result, "cannot create the output folder")


def test_splunk_output_path_is_a_file(tmp_path: Path):
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    result = run("splunk", "--out", blocker)
    assert_one_line_error(result, "cannot create the output folder", "Choose a writable output folder")


def test_splunk_debug_shows_traceback(tmp_path: Path):
    result = run("--debug", "splunk", "--rule", tmp_path / "absent.yml")
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_panther_writes_rule_and_metadata(tmp_path: Path):
    result = run("panther", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "panther"
    assert sorted(p.name for p in folder.iterdir()) == [
        "aws_rds_snapshot_cross_region.py", "aws_rds_snapshot_cross_region.yml",
    ]
    assert "def rule(event):" in (folder / "aws_rds_snapshot_cross_region.py").read_text()
    assert "wrote " in result.stderr


def test_panther_missing_cases_file(tmp_path: Path):
    result = run("panther", "--cases", tmp_path / "none.json", "--out", tmp_path / "out")
    assert_one_line_error(result, "none.json: events file or folder not found")
    assert not (tmp_path / "out").exists()


def test_sentinel_prints_kql_and_writes_rule(tmp_path: Path):
    result = run("sentinel", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("AWSCloudTrail\n| extend rds_destination_region")
    folder = tmp_path / "sentinel"
    assert (folder / "aws_rds_snapshot_cross_region.kql").read_text() == result.stdout
    assert "kind: Scheduled" in (folder / "aws_rds_snapshot_cross_region.yaml").read_text()


@pytest.mark.parametrize("command", ["panther", "sentinel"])
def test_unconvertible_rule_leaves_no_output(command: str, tmp_path: Path):
    rule = tmp_path / "cidr.yml"
    rule.write_text(RULE_PATH.read_text().replace(
        "        eventSource: rds.amazonaws.com\n",
        "        eventSource: rds.amazonaws.com\n        sourceIPAddress|cidr: 192.0.2.0/24\n", 1))
    result = run(command, "--rule", rule, "--out", tmp_path / "out")
    assert_one_line_error(result, "cidr.yml: cannot convert to", "'cidr' modifier")
    assert not (tmp_path / "out").exists()


def test_verify_bundled_cases_pass():
    result = run("verify")
    assert result.returncode == 0, result.stdout + result.stderr
    cases = json.loads(CASES_PATH.read_text())["cases"]
    lines = [line for line in result.stdout.splitlines() if "  splunk  " in line]
    assert len(lines) == len(cases)
    assert all(line.endswith("  ok") for line in lines)
    assert "targets disagree on 0 events" in result.stdout


@pytest.mark.parametrize("target", ["panther", "kql"])
def test_verify_lists_target_verdicts(target: str):
    result = run("verify")
    assert result.returncode == 0, result.stdout + result.stderr
    cases = json.loads(CASES_PATH.read_text())["cases"]
    lines = [line for line in result.stdout.splitlines() if f"  {target}  " in line]
    assert len(lines) == len(cases)
    assert all(line.endswith("  ok") for line in lines)
    alerts = sum(1 for case in cases if case["expected"])
    assert f"{target}: {alerts} alerts" in result.stdout


def test_verify_json_lines():
    result = run("verify", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    first = rows[0]
    assert set(first) >= {"eventID", "target", "verdict"}
    assert isinstance(first["verdict"], bool)
    assert {row["target"] for row in rows} == set(TARGETS)


def test_verify_reports_wrong_expectation(tmp_path: Path):
    table = json.loads(CASES_PATH.read_text())
    table["cases"][0]["expected"] = not table["cases"][0]["expected"]
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps(table))
    result = run("verify", "--events", cases)
    assert result.returncode == 1
    assert "UNEXPECTED: reference: snapshot copied cross-region on splunk" in result.stdout


def test_verify_records_export_and_ndjson(tmp_path: Path):
    records = [case["event"] for case in json.loads(CASES_PATH.read_text())["cases"]]
    export = tmp_path / "AWSLogs" / "123456789012" / "CloudTrail" / "us-east-1" / "2026" / "11" / "20"
    export.mkdir(parents=True)
    with gzip.open(export / "part.json.gz", "wt") as handle:
        json.dump({"Records": records[:10]}, handle)
    (tmp_path / "more.ndjson").write_text("\n".join(json.dumps(r) for r in records[10:]) + "\n")
    result = run("verify", "--events", tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(records) * len(TARGETS)


def test_verify_skips_bad_records_and_counts_them(tmp_path: Path):
    good = json.loads(CASES_PATH.read_text())["cases"][0]["event"]
    (tmp_path / "mixed.ndjson").write_text(json.dumps(good) + "\n{broken\n[1, 2]\n")
    (tmp_path / "corrupt.json.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    result = run("verify", "--events", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 events from 2 files; 3 skipped" in result.stdout
    assert "skipped 1: invalid JSON" in result.stdout
    assert "skipped 1: not a CloudTrail record" in result.stdout
    assert "corrupt gzip data" in result.stdout


def test_verify_strict_fails_on_bad_record(tmp_path: Path):
    (tmp_path / "bad.ndjson").write_text("{broken\n")
    result = run("verify", "--events", tmp_path / "bad.ndjson", "--strict")
    assert_one_line_error(result, "bad.ndjson:1: invalid JSON", "STRICT=1")


def test_verify_missing_events_path(tmp_path: Path):
    result = run("verify", "--events", tmp_path / "none")
    assert_one_line_error(result, "none: events file or folder not found")


def test_verify_hostile_event_content_stays_on_one_line(tmp_path: Path):
    event = json.loads(CASES_PATH.read_text())["cases"][0]["event"]
    event["eventID"] = 'id"\n  splunk  alert\x1b[2J|'
    (tmp_path / "hostile.json").write_text(json.dumps(event))
    result = run("verify", "--events", tmp_path / "hostile.json")
    assert result.returncode == 0, result.stderr
    verdict_lines = [line for line in result.stdout.splitlines() if line.startswith("id")]
    assert verdict_lines == [f'id\\"\\n  splunk  alert\\u001b[2J|  {name}  alert' for name in TARGETS]


def test_make_help_lists_targets():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    for target in ("splunk", "elastic", "panther", "sentinel", "verify", "test", "install"):
        assert f"\n{target} " in "\n" + result.stdout
