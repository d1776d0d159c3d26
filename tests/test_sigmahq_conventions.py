"""SigmaHQ's rule conventions, one check at a time, on small variations of a valid rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from converters.sigmahq.conventions import check_conventions, technique_tactics

NAME = Path("aws_rds_snapshot_copy_example.yml")
VALID = """\
title: AWS RDS Snapshot Copied Via The API
id: 5b0c7c2e-9d0f-4a55-8f37-2f4a1e0b6c11
status: experimental
description: Detects a copy of an Amazon RDS snapshot.
references:
    - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html
author: Example Author
date: 2026-12-04
tags:
    - attack.exfiltration
    - attack.t1537
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: rds.amazonaws.com
        eventName:
            - CopyDBSnapshot
            - CopyDBClusterSnapshot
    filter_main_same:
        awsRegion: us-east-1
    condition: selection and not filter_main_same
falsepositives:
    - Planned migrations
level: medium
"""

# (id, text to replace, replacement, expected problem key, part of the message)
VIOLATIONS = [
    ("trademark", "Detects a copy", "Detects an ATT&CK copy", "(file)", "trademark 'ATT&CK'"),
    (
        "title not first",
        "title: AWS RDS Snapshot Copied Via The API\nid: 5b0c7c2e-9d0f-4a55-8f37-2f4a1e0b6c11",
        "id: 5b0c7c2e-9d0f-4a55-8f37-2f4a1e0b6c11\ntitle: AWS RDS Snapshot Copied Via The API",
        "id",
        "first key is 'id'",
    ),
    (
        "date before author",
        "author: Example Author\ndate: 2026-12-04",
        "date: 2026-12-04\nauthor: Example Author",
        "(key order)",
        "references, date, author",
    ),
    (
        "title lower-case word",
        "Copied Via The API",
        "copied Via The API",
        "title",
        "'copied' is in lower case",
    ),
    (
        "title too long",
        "Copied Via The API",
        "Copied Via The API" + " Long" * 20,
        "title",
        "135 characters",
    ),
    (
        "title starts with Detects",
        "title: AWS",
        "title: Detects AWS",
        "title",
        "starts with 'Detects'",
    ),
    ("title ends with period", "The API\n", "The API.\n", "title", "ends with a period"),
    ("date with slashes", "date: 2026-12-04", "date: 2026/12/04", "date", "not a YYYY-MM-DD date"),
    (
        "modified equals date",
        "date: 2026-12-04\n",
        "date: 2026-12-04\nmodified: 2026-12-04\n",
        "modified",
        "modified equals date",
    ),
    ("status stable", "status: experimental", "status: stable", "status", "status is 'stable'"),
    (
        "technique without tactic",
        "    - attack.exfiltration\n",
        "",
        "tags",
        "has none of its tactics tagged",
    ),
    ("unknown technique", "attack.t1537", "attack.t1999", "tags", "not an ATT&CK technique"),
    (
        "duplicate tag",
        "    - attack.t1537\n",
        "    - attack.t1537\n    - attack.t1537\n",
        "tags",
        "more than once",
    ),
    (
        "attack site link",
        "    - https://docs.aws",
        "    - https://attack.mitre.org/techniques/T1537/\n    - https://docs.aws",
        "references",
        "links to attack.mitre.org",
    ),
    (
        "github branch link",
        "    - https://docs.aws",
        "    - https://github.com/SigmaHQ/sigma/blob/master/README.md\n    - https://docs.aws",
        "references",
        "not a commit permalink",
    ),
    ("singular reference key", "references:", "reference:", "reference", "singular key"),
    (
        "falsepositive lower case",
        "- Planned",
        "- planned",
        "falsepositives",
        "does not start with a capital",
    ),
    ("falsepositive none", "- Planned migrations", "- None", "falsepositives", "is a placeholder"),
    (
        "falsepositives missing",
        "falsepositives:\n    - Planned migrations\n",
        "",
        "falsepositives",
        "key is missing",
    ),
    (
        "filter without main",
        "filter_main_same",
        "filter_same",
        "detection.filter_same",
        "exclusion is named",
    ),
    (
        "negated selection",
        "filter_main_same",
        "selection_other",
        "detection.selection_other",
        "exclusion is named",
    ),
    (
        "one-element list",
        "            - CopyDBClusterSnapshot\n",
        "",
        "detection.selection.eventName",
        "a list with one element",
    ),
    (
        "regex bad escape",
        "        eventSource: rds.amazonaws.com",
        "        eventSource|re: 'rds\\.amazon\\qaws'",
        "detection.selection.eventSource|re",
        "escapes 'q'",
    ),
    (
        "unknown logsource",
        "service: cloudtrail",
        "service: cloudtrails",
        "logsource",
        "does not list the log source",
    ),
    (
        "logsource bad key",
        "    service: cloudtrail\n",
        "    service: cloudtrail\n    version: 2\n",
        "logsource.version",
        "is not allowed",
    ),
]


def test_conventions_valid_rule_passes():
    assert check_conventions(NAME, VALID) == []


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"), [v[1:] for v in VIOLATIONS], ids=[v[0] for v in VIOLATIONS]
)
def test_conventions_violation_reported(old: str, new: str, key: str, fragment: str):
    assert old in VALID
    problems = check_conventions(NAME, VALID.replace(old, new))
    matching = [problem for problem in problems if problem.key == key]
    assert matching, [problem.line() for problem in problems]
    assert fragment in matching[0].message


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("aws_short.yml", "has 13 characters"),
        ("aws_Upper_Case_Name.yml", "characters other than"),
        ("rds_snapshot_copy_example.yml", "does not start with 'aws_'"),
    ],
    ids=["too short", "upper case", "no aws prefix"],
)
def test_conventions_file_name_reported(name: str, fragment: str):
    problems = check_conventions(Path(name), VALID)
    assert {problem.key for problem in problems} == {"(file name)"}
    assert any(fragment in problem.message for problem in problems)


def test_conventions_collect_every_violation():
    text = VALID.replace("status: experimental", "status: test").replace("- Planned", "- planned")
    keys = [problem.key for problem in check_conventions(NAME, text)]
    assert keys == ["status", "falsepositives"]


def test_conventions_invalid_yaml_reported():
    problems = check_conventions(NAME, "title: [unclosed\n")
    assert [problem.key for problem in problems] == ["(file)"]
    assert "invalid YAML" in problems[0].message


def test_conventions_technique_tactics_from_shipped_data():
    assert technique_tactics()["t1537"] == {"exfiltration"}
    assert yaml.safe_load(VALID)["tags"] == ["attack.exfiltration", "attack.t1537"]


WINDOWS_LOGSOURCE = "logsource:\n    category: process_creation\n    product: windows\n"
AWS_LOGSOURCE = "logsource:\n    product: aws\n    service: cloudtrail\n"


def _windows_rule(field: str) -> str:
    text = VALID.replace(AWS_LOGSOURCE, WINDOWS_LOGSOURCE)
    return text.replace(
        "        eventSource: rds.amazonaws.com", f"        {field}|endswith: \\\\x.exe"
    )


def test_conventions_listed_fields_pass():
    problems = check_conventions(Path("proc_creation_win_example.yml"), _windows_rule("Image"))
    assert {problem.key for problem in problems} == {"detection"}
    reported = " ".join(problem.message for problem in problems)
    assert "'Image'" not in reported
    assert "'eventName'" in reported
    assert "'awsRegion'" in reported


def test_conventions_addon_fields_count():
    # GrandparentCommandLine is listed in the addon part of logsource.json only.
    problems = check_conventions(
        Path("proc_creation_win_example.yml"), _windows_rule("GrandparentCommandLine")
    )
    assert "'GrandparentCommandLine'" not in " ".join(problem.message for problem in problems)


def test_conventions_unlisted_field_reported():
    problems = check_conventions(Path("proc_creation_win_example.yml"), _windows_rule("ImagePath"))
    messages = [problem.message for problem in problems if problem.key == "detection"]
    assert "the field 'ImagePath' is not in the log source's field list" in messages
