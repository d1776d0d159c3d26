"""Run yamllint with SigmaHQ's settings, in strict mode as SigmaHQ's CI does."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from yamllint import linter
from yamllint.config import YamlLintConfig

from .offline import YAMLLINT_CONFIG
from .problems import Problem

CHECK = "yamllint"

# SigmaHQ's .yamllint expectation per yamllint rule, for the `expected` part of a problem.
EXPECTATIONS = {
    "indentation": "4-space indentation (lists may be indented or not)",
    "trailing-spaces": "no spaces at the end of a line",
    "document-start": "no '---' document start marker",
    "new-line-at-end-of-file": "a newline at the end of the file",
    "empty-lines": "at most 2 blank lines in a row, at the start and at the end",
    "comments": "a space after '#' and at least 1 space before an inline comment",
    "key-duplicates": "each key once per mapping",
    "truthy": "true or false for booleans",
    "syntax": "valid YAML",
}
DEFAULT_EXPECTATION = "yamllint's default rules as SigmaHQ's .yamllint configures them"


@lru_cache(maxsize=1)
def _config() -> YamlLintConfig:
    return YamlLintConfig(file=str(YAMLLINT_CONFIG))


def lint_text(path: Path, text: str) -> list[Problem]:
    """Return every yamllint error and warning in text; strict mode fails on both."""
    # No file path goes to yamllint: SigmaHQ's ignore list names folders of its own
    # repository (tests/, deprecated/), and a rule is checked wherever it sits here.
    return [
        Problem(
            file=path,
            check=CHECK,
            key=f"line {found.line}, column {found.column}",
            message=f"{found.desc} ({found.rule or 'syntax'} {found.level})",
            expected=EXPECTATIONS.get(found.rule or "syntax", DEFAULT_EXPECTATION),
        )
        for found in linter.run(text, _config())
    ]
