"""yamllint with SigmaHQ's settings: strict, 4-space indentation, no document start."""

from __future__ import annotations

from pathlib import Path

import pytest

from converters.sigmahq.lint import lint_text
from converters.sigmahq.offline import YAMLLINT_CONFIG

PATH = Path("aws_example_rule.yml")


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (
            "title: x\ndetection:\n  condition: sel\n",
            "line 3, column 3",
            "wrong indentation: expected 4 but found 2",
        ),
        ("title: x \n", "line 1, column 9", "trailing spaces (trailing-spaces error)"),
        ("---\ntitle: x\n", "line 1, column 1", "document-start warning"),
        ("title: x", "line 1, column 9", "no new line character at the end of file"),
        ("title: x\n\n\n\nlevel: low\n", "line 4, column 1", "too many blank lines (3 > 2)"),
        ("title: x  #comment\n", "line 1, column 12", "missing starting space in comment"),
    ],
    ids=[
        "two-space indent",
        "trailing space",
        "document start",
        "no final newline",
        "blank lines",
        "comment space",
    ],
)
def test_lint_reports_sigmahq_rule(text: str, key: str, message: str):
    problems = lint_text(PATH, text)
    assert [(problem.key, problem.check) for problem in problems] == [(key, "yamllint")]
    assert message in problems[0].message


def test_lint_accepts_long_lines_and_indented_lists():
    text = "title: " + "x" * 300 + "\ntags:\n    - attack.t1537\nrefs:\n- a\n"
    assert lint_text(PATH, text) == []


def test_lint_checks_files_under_tests():
    # SigmaHQ's config ignores its own tests/ folder; a rule is linted wherever it is.
    assert "    - tests/" in YAMLLINT_CONFIG.read_text()
    assert lint_text(Path("tests/aws_example_rule.yml"), "title: x \n") != []
