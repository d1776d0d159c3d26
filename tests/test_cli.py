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

from converters import cli
from converters.cli import main
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


# --- The command-line contract: every command, every kind of bad input -------------

COMMANDS = {
    "splunk": ["splunk", "--out", "{tmp}/out"],
    "elastic": ["elastic", "--out", "{tmp}/out"],
    "verify": ["verify"],
    "check": ["check"],
    "check-as-is": ["check", "--as-is"],
    "contribution": ["contribution", "--out", "{tmp}/out"],
    "hunt": ["hunt", "--out", "{tmp}/out"],
}
COMMAND_PARAMS = pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))


def command_args(command: str, tmp_path: Path, *extra: str | Path) -> list[str]:
    return [arg.format(tmp=tmp_path) for arg in COMMANDS[command]] + [str(e) for e in extra]


def assert_no_output_files(tmp_path: Path) -> None:
    assert not (tmp_path / "out").exists()


BAD_RULES = {
    "missing": (None, "rule file not found"),
    "broken-yaml": ("title: x\ndetection: [unclosed\n", "invalid YAML at line"),
    "not-sigma": ("title: x\nlogsource:\n    product: aws\ndetection:\n    condition: selection\n", "not a valid Sigma rule"),
    "not-utf8": (b"title: \xff\xfe\n", "not UTF-8 text"),
    "empty": ("", "holds no YAML document"),
    "not-mapping": ("- a\n- b\n", "must be a YAML mapping"),
}


# `check --as-is` lints the files as they are, so it reports a broken rule as findings.
LINT_CASES = {"broken-yaml", "not-sigma", "empty", "not-mapping"}


def write_bad_rule(tmp_path: Path, case: str) -> Path:
    content, _ = BAD_RULES[case]
    rule = tmp_path / "rule.yml"
    if isinstance(content, bytes):
        rule.write_bytes(content)
    elif content is not None:
        rule.write_text(content)
    return rule


@COMMAND_PARAMS
@pytest.mark.parametrize("case", BAD_RULES, ids=list(BAD_RULES))
def test_command_bad_rule_one_line(tmp_path: Path, command: str, case: str):
    if command == "check-as-is" and case in LINT_CASES:
        pytest.skip("check --as-is reports this as findings (test_check_as_is_reports_bad_rule)")
    rule = write_bad_rule(tmp_path, case)
    result = run(*command_args(command, tmp_path, "--rule", rule))
    assert_one_line_error(result, "rule.yml", BAD_RULES[case][1])
    assert result.stdout == ""
    assert_no_output_files(tmp_path)


@pytest.mark.parametrize("case", sorted(LINT_CASES))
def test_check_as_is_reports_bad_rule(tmp_path: Path, case: str):
    rule = write_bad_rule(tmp_path, case)
    result = run("check", "--as-is", "--rule", rule)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith(str(rule))]
    assert problems
    assert all(line.endswith("]") for line in problems)


@COMMAND_PARAMS
def test_command_unreadable_rule_one_line(tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    # Root reads files whatever their mode, so the denial is simulated in-process.
    rule = tmp_path / "rule.yml"
    rule.write_text(RULE_PATH.read_text())
    real_read_text = Path.read_text

    def deny(self: Path, *args: object, **kwargs: object) -> str:
        if self == rule:
            raise PermissionError(13, "Permission denied")
        return real_read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", deny)
    code = main(command_args(command, tmp_path, "--rule", rule))
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"error: {rule}: cannot read the rule file (Permission denied).\n"
    assert captured.out == ""
    assert_no_output_files(tmp_path)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["bogus"], "invalid choice: 'bogus'"),
        (["splunk", "--format", "x"], "unrecognized arguments: --format x"),
        (["verify", "--target", "x"], "unrecognized arguments: --target x"),
        ([], "the following arguments are required: COMMAND"),
    ],
    ids=["unknown-command", "unknown-format", "unknown-target", "no-command"],
)
def test_command_usage_error_one_line(args: list[str], fragment: str):
    result = run(*args)
    assert_one_line_error(result, fragment, "--help")
    assert result.stdout == ""


def test_splunk_output_below_a_file(tmp_path: Path):
    # /dev/null is a file even for root, so no folder can be created below it.
    result = run("splunk", "--out", "/dev/null/out")
    assert_one_line_error(result, "/dev/null", "cannot create the output folder", "Choose a writable output folder")
    assert result.stdout == ""


def test_splunk_failed_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    conf = tmp_path / "splunk" / "savedsearches.conf"
    conf.parent.mkdir()
    conf.write_text("previous\n")

    def fail_replace(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail_replace)
    code = main(["splunk", "--out", str(tmp_path)])
    assert code == 2
    assert "cannot write the output file (No space left on device)" in capsys.readouterr().err
    assert conf.read_text() == "previous\n"
    assert list(conf.parent.iterdir()) == [conf]


@COMMAND_PARAMS
def test_command_debug_shows_traceback(tmp_path: Path, command: str):
    result = run("--debug", *command_args(command, tmp_path, "--rule", tmp_path / "absent.yml"))
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert "rule file not found" in result.stderr


def test_command_internal_error_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    def broken(*args: object) -> int:
        raise RuntimeError("unexpected\nstate")

    monkeypatch.setattr(cli, "cmd_verify", broken)
    code = main(["verify"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "internal error (RuntimeError: unexpected\\u000astate)" in err
    assert "--debug" in err


BAD_EVENTS = {
    "malformed": (b'{"eventSource": "x", "eventName": }\n', "bad.json:1: invalid JSON"),
    "truncated": (b'{"Records": [{"eventSource": "rds.amazonaws.com", "eventName": "Co', "bad.json:Records[0]: invalid JSON"),
    "not-utf8": (b"\xff\xfe\x00{", "bad.json: not UTF-8 text (byte offset 0)"),
    "corrupt-gzip": (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", "bad.json: corrupt gzip data"),
    "not-cloudtrail": (b'{"Records": [{"eventName": "x"}]}', "bad.json:Records[0]: not a CloudTrail record"),
    "empty": (b"", "bad.json: empty file"),
}


@pytest.mark.parametrize("case", BAD_EVENTS, ids=list(BAD_EVENTS))
def test_verify_strict_bad_events_one_line(tmp_path: Path, case: str):
    content, fragment = BAD_EVENTS[case]
    (tmp_path / "bad.json").write_bytes(content)
    result = run("verify", "--events", tmp_path / "bad.json", "--strict")
    assert_one_line_error(result, fragment, "STRICT=1")


@pytest.mark.parametrize("case", BAD_EVENTS, ids=list(BAD_EVENTS))
def test_verify_bad_events_skipped_and_counted(tmp_path: Path, case: str):
    content, fragment = BAD_EVENTS[case]
    (tmp_path / "bad.json").write_bytes(content)
    good = json.loads(CASES_PATH.read_text())["cases"][0]["event"]
    (tmp_path / "good.ndjson").write_text(json.dumps(good) + "\n")
    result = run("verify", "--events", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 events from 2 files; 1 skipped" in result.stdout
    reason = fragment.split(": ", 1)[1]
    assert f"  skipped 1: {reason}" in result.stdout


def test_verify_hostile_eventid_json_lines(tmp_path: Path):
    event = json.loads(CASES_PATH.read_text())["cases"][0]["event"]
    hostile = ['a"\nb', "c\x85d", "e\u2028f", "g\u202eh", "\\", "", "|`'"]
    lines = [json.dumps(event | {"eventID": value}) for value in [*hostile, "\ud800"]]
    (tmp_path / "hostile.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("verify", "--events", tmp_path / "hostile.ndjson", "--json")
    assert result.returncode == 0, result.stderr
    assert "skipped 1: a string holds a lone UTF-16 surrogate escape" in result.stderr
    rows = result.stdout.split("\n")
    assert rows[-1] == ""
    parsed = [json.loads(row) for row in rows[:-1]]
    assert len(parsed) == len(hostile) * len(TARGETS)
    assert [row["eventID"] for row in parsed if row["target"] == "splunk"] == hostile


def test_verify_hostile_file_name_one_line(tmp_path: Path):
    event = json.loads(CASES_PATH.read_text())["cases"][0]["event"]
    del event["eventID"]
    folder = tmp_path / "a\nb\u2028c"
    folder.mkdir()
    (folder / "x.json").write_text("[" + json.dumps(event) + "]")
    result = run("verify", "--events", folder)
    assert result.returncode == 0, result.stderr
    verdicts = [line for line in result.stdout.splitlines() if "  alert" in line]
    assert verdicts == [f"{tmp_path}/a\\nb\\u2028c/x.json:[0]  {name}  alert" for name in TARGETS]


def test_verify_hostile_missing_path_one_line(tmp_path: Path):
    result = run("verify", "--events", tmp_path / "no\nsuch")
    assert_one_line_error(result, "no\\u000asuch: events file or folder not found")


def write_big_events(path: Path, shape: str, count: int, padding: int) -> None:
    """Write count CloudTrail records of about padding bytes each as NDJSON or one Records export."""
    record = {
        "eventVersion": "1.08",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "eventID": "big",
        # NOTE: the padding sits in userAgent because the ECS target's evaluator spends
        # about 14 ms grokking a request parameter string of 100 kB, too slow for this test.
        "userAgent": "k" * padding,
    }
    line = json.dumps(record)
    with path.open("w", encoding="utf-8") as handle:
        if shape == "ndjson":
            for _ in range(count):
                handle.write(line + "\n")
            return
        handle.write('{"Records": [')
        for index in range(count):
            handle.write(("," if index else "") + line)
        handle.write("]}")


MEASURE = (
    "import resource, runpy, sys\n"
    "sys.argv = ['converters', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('converters', run_name='__main__')\n"
    "finally:\n"
    "    print('peak-rss-kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["ndjson", "records"])
def test_verify_large_file_streams(tmp_path: Path, shape: str):
    path = tmp_path / f"big.{'ndjson' if shape == 'ndjson' else 'json'}"
    write_big_events(path, shape, count=300, padding=1_000_000)
    assert path.stat().st_size > 300_000_000
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, "verify", "--json", "--events", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    path.unlink()
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(result.stdout.splitlines()) == 300 * len(TARGETS)
    assert "300 events from 1 files; 0 skipped" in result.stderr
    peak_mb = int(result.stderr.rsplit("peak-rss-kb", 1)[1]) / 1024
    # Reading the file whole needs more than twice its size; streaming keeps one record.
    assert peak_mb < 200, f"peak memory {peak_mb:.0f} MB for a 300 MB file"


# --- Make targets: the same contract through make ----------------------------------


def run_make(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # CODE_STAMP= skips the reinstall step, and PY= runs the interpreter under test.
    return subprocess.run(
        ["make", "-s", *args, "CODE_STAMP=", f"PY={sys.executable}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )


def assert_make_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    assert len(ours) == 1, result.stderr
    for fragment in fragments:
        assert fragment in ours[0]


def test_make_splunk_missing_rule(tmp_path: Path):
    result = run_make("splunk", f"RULE={tmp_path}/absent.yml", f"OUT={tmp_path}/out")
    assert_make_error(result, "absent.yml: rule file not found")
    assert_no_output_files(tmp_path)


def test_make_splunk_unwritable_out():
    result = run_make("splunk", "OUT=/dev/null/out")
    assert_make_error(result, "cannot create the output folder")


def test_make_verify_broken_rule(tmp_path: Path):
    rule = tmp_path / "broken.yml"
    rule.write_text("title: x\ndetection: [unclosed\n")
    result = run_make("verify", f"RULE={rule}")
    assert_make_error(result, "broken.yml: invalid YAML")


def test_make_verify_strict_is_fatal(tmp_path: Path):
    good = json.loads(CASES_PATH.read_text())["cases"][0]["event"]
    (tmp_path / "good.ndjson").write_text(json.dumps(good) + "\n")
    (tmp_path / "bad.ndjson").write_text("{broken\n")
    skipped = run_make("verify", f"EVENTS={tmp_path}")
    assert skipped.returncode == 0, skipped.stderr
    assert "skipped 1: invalid JSON" in skipped.stdout
    strict = run_make("verify", f"EVENTS={tmp_path}", "STRICT=1")
    assert_make_error(strict, "bad.ndjson:1: invalid JSON")


def test_make_debug_shows_traceback(tmp_path: Path):
    result = run_make("verify", f"EVENTS={tmp_path}/none", "DEBUG=1")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_elastic_unknown_format_one_line(tmp_path: Path):
    result = run("elastic", "--format", "bogus", "--out", tmp_path / "out")
    assert_one_line_error(result, "Unknown Elastic output format 'bogus'", "Valid: esql")
    assert_no_output_files(tmp_path)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["elastic", "FORMAT=lucene", "OUT={tmp}/out"], "Lucene cannot compare two fields"),
        (["elastic", "OUT=/dev/null/out"], "cannot create the output folder"),
        (["elastic", "INDEX=Bad Index", "OUT={tmp}/out"], "Invalid Elasticsearch index pattern 'Bad Index'"),
        (["check", "RULE={tmp}/absent.yml"], "absent.yml: rule file not found"),
        (["contribution", "RULE={tmp}/absent.yml", "OUT={tmp}/out"], "absent.yml: rule file not found"),
        (["verify", "EVENTS={tmp}/absent"], "absent: events file or folder not found"),
    ],
    ids=["elastic-format", "elastic-out", "elastic-index", "check-rule", "contribution-rule", "verify-events"],
)
def test_make_target_error_one_line(tmp_path: Path, args: list[str], fragment: str):
    result = run_make(*(arg.format(tmp=tmp_path) for arg in args))
    assert_make_error(result, fragment)
    assert_no_output_files(tmp_path)


@pytest.mark.parametrize("case", BAD_EVENTS, ids=list(BAD_EVENTS))
def test_hunt_strict_bad_logs_one_line(tmp_path: Path, case: str):
    content, _ = BAD_EVENTS[case]
    (tmp_path / "bad.json").write_bytes(content)
    result = run("hunt", "--logs", tmp_path / "bad.json", "--strict", "--out", tmp_path / "out")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "bad.json" in errors[0]
    assert_no_output_files(tmp_path)


@pytest.mark.parametrize("case", BAD_EVENTS, ids=list(BAD_EVENTS))
def test_hunt_bad_logs_skipped_and_counted(tmp_path: Path, case: str):
    content, _ = BAD_EVENTS[case]
    (tmp_path / "bad.json").write_bytes(content)
    good = json.loads(CASES_PATH.read_text())["cases"][0]["event"]
    (tmp_path / "good.json").write_text(json.dumps(good) + "\n")
    result = run("hunt", "--logs", tmp_path, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "skipped" in result.stdout + result.stderr
    assert (tmp_path / "out" / "hunt").is_dir()


def test_hunt_hostile_event_one_line(tmp_path: Path):
    event = next(case["event"] for case in json.loads(CASES_PATH.read_text())["cases"] if case["expected"])
    event = event | {"eventID": 'id"\n  row\x1b[2J\u2028x\x85y', "userAgent": "ua\r\nline2\u202e"}
    (tmp_path / "hostile.json").write_text(json.dumps(event))
    result = run("hunt", "--logs", tmp_path / "hostile.json", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("id")]
    assert len(rows) == 1
    assert 'id\\"\\n  row\\u001b[2J\\u2028x\\u0085y' in rows[0]
    written = (tmp_path / "out" / "hunt" / "aws_rds_snapshot_cross_region.jsonl").read_text()
    lines = written.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["eventID"] == event["eventID"]
    assert json.loads(lines[0])["userAgent"] == event["userAgent"]


def test_verify_nothing_readable_fails(tmp_path: Path):
    (tmp_path / "corrupt.json.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    result = run("verify", "--events", tmp_path)
    assert result.returncode == 2
    assert "error: no CloudTrail record could be read from" in result.stderr
    assert "(skipped inputs: 1)" in result.stderr


def test_hunt_invalid_spark_master(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "converters.hunt", "--engine", "spark", "--spark-master", "bogus",
         "--logs", str(CASES_PATH), "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: invalid SPARK_MASTER 'bogus': use local, local[N], local[*], spark://HOST:PORT, "
        "yarn or k8s://URL."
    ]
    assert not (tmp_path / "hunt").exists()
