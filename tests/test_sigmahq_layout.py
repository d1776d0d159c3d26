"""The SigmaHQ layout of a rule: key order, indentation, dropped keys, folder, documentation values."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
import yaml

from converters.errors import ToolkitError
from converters.rules import LoadedRule, load_rule
from converters.sigmahq.layout import contribution_path, contribution_text, non_documentation_values


def _rule_from(tmp_path: Path, text: str) -> LoadedRule:
    path = tmp_path / "aws_rds_snapshot_layout_case.yml"
    path.write_text(text, encoding="utf-8")
    return load_rule(path)


def test_layout_drops_fields_only(project_rule: LoadedRule):
    source = yaml.safe_load(project_rule.text)
    laid_out = yaml.safe_load(contribution_text(project_rule))
    assert "fields" in source
    assert "fields" not in laid_out
    assert laid_out == {key: value for key, value in source.items() if key != "fields"}


def test_layout_keeps_detection_exactly(project_rule: LoadedRule):
    laid_out = yaml.safe_load(contribution_text(project_rule))
    assert laid_out["detection"] == yaml.safe_load(project_rule.text)["detection"]


def test_layout_indents_four_spaces(project_rule: LoadedRule):
    lines = contribution_text(project_rule).splitlines()
    assert "    - attack.exfiltration" in lines
    assert "    selection_event:" in lines
    assert "        eventName:" in lines
    assert "            - CopyDBSnapshot" in lines
    assert lines[0].startswith("title: ")


def test_layout_reorders_keys(tmp_path: Path, project_rule: LoadedRule):
    text = project_rule.text.replace("status: experimental\n", "").replace(
        "level: medium", "level: medium\nstatus: experimental"
    )
    laid_out = contribution_text(_rule_from(tmp_path, text))
    assert list(yaml.safe_load(laid_out))[:4] == ["title", "id", "status", "description"]


def test_layout_rejects_unknown_key(tmp_path: Path, project_rule: LoadedRule):
    text = project_rule.text + "custom_note: internal\n"
    with pytest.raises(ToolkitError, match="'custom_note' are not part of a SigmaHQ rule"):
        contribution_text(_rule_from(tmp_path, text))


def test_layout_path_cloudtrail_folder(project_rule: LoadedRule):
    assert contribution_path(project_rule) == PurePosixPath(
        "rules/cloud/aws/cloudtrail/aws_rds_snapshot_cross_region.yml"
    )


def test_layout_path_rejects_other_logsource(tmp_path: Path, project_rule: LoadedRule):
    text = project_rule.text.replace("service: cloudtrail", "service: guardduty")
    with pytest.raises(ToolkitError, match="service=guardduty"):
        contribution_path(_rule_from(tmp_path, text))


@pytest.mark.parametrize(
    ("record", "found"),
    [
        ({"recipientAccountId": "123456789012", "sourceIPAddress": "203.0.113.7"}, []),
        ({"recipientAccountId": "210987654321"}, ["210987654321"]),
        ({"sourceIPAddress": "8.8.8.8"}, ["8.8.8.8"]),
        ({"arn": "arn:aws:rds:us-east-1:111122223333:snapshot:x"}, ["111122223333"]),
        ({"nested": {"ips": ["198.51.100.1", "10.0.0.1"]}}, ["10.0.0.1"]),
    ],
    ids=[
        "documentation values",
        "real account",
        "public ip",
        "account in arn",
        "private ip in list",
    ],
)
def test_layout_documentation_values_checked(record: dict, found: list[str]):
    assert non_documentation_values(record) == found
