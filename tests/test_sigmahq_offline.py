"""The SigmaHQ checks run with no network: shipped data, blocked sockets, and the real sigma check command."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from sigma.cli.check import check as sigma_check_command
from sigma.data import mitre_attack, mitre_d3fend

from converters.rules import load_rule
from converters.sigmahq import check as check_module
from converters.sigmahq.check import check_files
from converters.sigmahq.layout import contribution_path, contribution_text
from converters.sigmahq.offline import (
    ATTACK_FILE,
    D3FEND_FILE,
    SIGMA_CLI_CONFIG,
    NetworkBlockedError,
    network_blocked,
    use_shipped_data,
)

from .conftest import ROOT, RULE_PATH, load_cases

BROKEN = ROOT / "tests" / "data" / "sigmahq" / "broken"


def _attack_objects() -> dict[str, dict]:
    bundle = json.loads(ATTACK_FILE.read_text(encoding="utf-8"))
    return {
        obj["external_references"][0]["external_id"]: obj
        for obj in bundle["objects"]
        if obj.get("external_references")
    }


def test_network_blocked_rejects_connections():
    with network_blocked(), pytest.raises(NetworkBlockedError, match="offline check"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)


def test_network_blocked_rejects_dns_lookups():
    with network_blocked(), pytest.raises(NetworkBlockedError, match="example.org"):
        socket.getaddrinfo("example.org", 443)


def test_network_blocked_restores_sockets():
    before = socket.create_connection
    with network_blocked():
        assert socket.create_connection is not before
    assert socket.create_connection is before


def test_attack_data_exfiltration_tactic():
    tactic = _attack_objects()["TA0010"]
    assert tactic["type"] == "x-mitre-tactic"
    assert tactic["name"] == "Exfiltration"
    assert tactic["x_mitre_shortname"] == "exfiltration"


def test_attack_data_transfer_to_cloud_account():
    technique = _attack_objects()["T1537"]
    assert technique["type"] == "attack-pattern"
    assert technique["name"] == "Transfer Data to Cloud Account"
    assert technique["kill_chain_phases"] == [
        {"kill_chain_name": "mitre-attack", "phase_name": "exfiltration"}
    ]


def test_attack_data_loads_through_pysigma(tmp_path: Path):
    use_shipped_data(tmp_path)
    with network_blocked():
        assert mitre_attack.mitre_attack_tactics["TA0010"] == "exfiltration"
        assert mitre_attack.mitre_attack_techniques["T1537"] == "Transfer Data to Cloud Account"
        assert mitre_attack.mitre_attack_techniques_tactics_mapping["T1537"] == ["exfiltration"]
        assert mitre_attack.mitre_attack_version == "18.1"
    assert (tmp_path / "mitre_attack").is_dir()


def test_d3fend_data_loads_through_pysigma(tmp_path: Path):
    use_shipped_data(tmp_path)
    with network_blocked():
        tactics = set(mitre_d3fend.mitre_d3fend_tactics)
        techniques = mitre_d3fend.mitre_d3fend_techniques
    assert tactics == {"Model", "Harden", "Detect", "Isolate", "Deceive", "Evict", "Restore"}
    assert techniques["D3-NTA"] == "Network Traffic Analysis"
    assert D3FEND_FILE.stat().st_size < 100_000


def test_check_opens_no_socket(monkeypatch: pytest.MonkeyPatch):
    attempts: list[object] = []

    def record(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled by the test")

    # Replace the check's own guard, so that only this test's recorder receives attempts.
    monkeypatch.setattr(check_module, "network_blocked", _no_guard)
    monkeypatch.setattr(socket.socket, "connect", record)
    monkeypatch.setattr(socket, "create_connection", record)
    monkeypatch.setattr(socket, "getaddrinfo", record)
    report = check_files([BROKEN / "aws_rds_snapshot_validator_issues.yml"], load_cases())
    assert attempts == []
    assert ("sigma check", "tags") in {(problem.check, problem.key) for problem in report.problems}


class _no_guard:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _run_sigma_check(path: Path, cache: Path) -> int:
    use_shipped_data(cache)
    arguments = [
        "--fail-on-error",
        "--fail-on-issues",
        "--validation-config",
        str(SIGMA_CLI_CONFIG),
        str(path),
    ]
    with network_blocked():
        result = CliRunner().invoke(sigma_check_command, arguments)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code


def test_sigma_cli_check_passes_contribution(tmp_path: Path):
    loaded = load_rule(RULE_PATH)
    rule_file = tmp_path / contribution_path(loaded)
    rule_file.parent.mkdir(parents=True)
    rule_file.write_text(contribution_text(loaded), encoding="utf-8")
    assert _run_sigma_check(rule_file, tmp_path / "cache") == 0


@pytest.mark.parametrize(
    "name", ["aws_rds_snapshot_validator_issues.yml", "aws_rds_snapshot_schema_errors.yml"], ids=str
)
def test_sigma_cli_check_fails_fixture(tmp_path: Path, name: str):
    assert _run_sigma_check(BROKEN / name, tmp_path) == 1
