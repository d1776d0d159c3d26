"""Run every SigmaHQ check on rule files, offline, and collect the problems."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RuleError
from ..events import Event
from ..rules import LoadedRule, load_rule
from .conventions import check_conventions
from .layout import contribution_path, contribution_text
from .lint import lint_text
from .offline import network_blocked, process_cache_dir, use_shipped_data
from .problems import Problem
from .schema import check_schema
from .stock import STOCK_TARGETS, StockResult, run_stock, stock_problems
from .validators import run_validators

# The steps in the order SigmaHQ's CI runs them, then our stock conversion step.
STEPS = ("yamllint", "JSON schema v2.1.0", "sigma check", "SigmaHQ conventions", "stock conversion")


@dataclass
class CheckReport:
    """The problems found in the checked files and the stock conversion of each rule."""

    files: list[Path]
    problems: list[Problem] = field(default_factory=list)
    stock: dict[Path, list[StockResult]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return True when no check found a problem."""
        return not self.problems

    def step_counts(self) -> dict[str, int]:
        """Count the problems of each step."""
        return {
            step: sum(1 for problem in self.problems if problem.check == step) for step in STEPS
        }


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise RuleError(
            f"{path}: not UTF-8 text ({error.reason}). Save the rule as UTF-8."
        ) from error
    except OSError as error:
        raise RuleError(f"{path}: cannot read the rule file ({error.strerror}).") from error


def _stock_step(path: Path, cases: list[Event], report: CheckReport) -> None:
    try:
        loaded = load_rule(path)
    except RuleError:
        # The sigma check step has already reported why pySigma cannot read the rule.
        return
    results = [run_stock(loaded, target, cases) for target in STOCK_TARGETS]
    report.stock[path] = results
    report.problems.extend(stock_problems(loaded, results))


def check_files(paths: list[Path], cases: list[Event]) -> CheckReport:
    """Run every check on the rule files as they are, with the network blocked."""
    report = CheckReport(files=list(paths))
    with network_blocked():
        use_shipped_data(process_cache_dir())
        texts = {path: _read(path) for path in paths}
        for path, text in texts.items():
            report.problems.extend(lint_text(path, text))
        report.problems.extend(check_schema(paths))
        report.problems.extend(run_validators(paths))
        for path, text in texts.items():
            report.problems.extend(check_conventions(path, text))
        for path in paths:
            _stock_step(path, cases, report)
    report.problems.sort(key=lambda problem: (str(problem.file), STEPS.index(problem.check)))
    return report


def check_contributions(
    rules: list[LoadedRule], cases: list[Event]
) -> tuple[CheckReport, dict[Path, str]]:
    """Lay each rule out as SigmaHQ receives it and check those files.

    Return the report, with paths relative to the SigmaHQ repository root, and the
    text of each laid-out rule by that path.
    """
    texts = {Path(contribution_path(loaded)): contribution_text(loaded) for loaded in rules}
    with tempfile.TemporaryDirectory(prefix="sigmahq-") as root:
        files = []
        for relative, text in texts.items():
            target = Path(root) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            files.append(target)
        report = check_files(files, cases)
    report.files = list(texts)
    report.problems = [_relative(problem, Path(root)) for problem in report.problems]
    report.stock = {path.relative_to(root): results for path, results in report.stock.items()}
    return report, texts


def _relative(problem: Problem, root: Path) -> Problem:
    try:
        file = problem.file.relative_to(root)
    except ValueError:
        file = problem.file
    return Problem(file, problem.check, problem.key, problem.message, problem.expected)


def format_report(report: CheckReport) -> list[str]:
    """Render one line per problem, then one summary line per step."""
    lines = [problem.line() for problem in report.problems]
    for step, count in report.step_counts().items():
        lines.append(f"{step}: {_summary(count)}")
    return lines


def _summary(count: int) -> str:
    if count == 0:
        return "ok"
    return "1 problem" if count == 1 else f"{count} problems"
