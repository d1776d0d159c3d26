"""The `check` and `contribution` subcommands behind `make check` and `make contribution`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ToolkitError
from ..events import Event, load_events
from ..rules import load_rules, rule_files
from .check import check_contributions, check_files, format_report
from .pull_request import write_contribution

DEFAULT_RULES = Path("sigma")
DEFAULT_CASES = Path("tests/events")
DEFAULT_OUT = Path("out/sigmahq")
# Exit code when a check finds problems; invalid input exits with 2 like the other commands.
EXIT_PROBLEMS = 1


def _cases(paths: list[Path] | None) -> list[Event]:
    return load_events(paths or [DEFAULT_CASES], strict=True).events


def cmd_check(args: argparse.Namespace) -> int:
    """Run SigmaHQ's CI checks offline and print one line per problem."""
    if args.as_is:
        report = check_files(rule_files(args.rule or [DEFAULT_RULES]), _cases(args.events))
    else:
        report, _ = check_contributions(
            load_rules(args.rule or [DEFAULT_RULES]), _cases(args.events)
        )
    for line in format_report(report):
        print(line)
    return 0 if report.ok else EXIT_PROBLEMS


def cmd_contribution(args: argparse.Namespace) -> int:
    """Write the rule in SigmaHQ's layout and PULL_REQUEST.md, if it passes every check."""
    rules = load_rules(args.rule or [DEFAULT_RULES])
    if len(rules) != 1:
        raise ToolkitError(
            f"a SigmaHQ pull request from this toolkit contains one rule, but {len(rules)} rules were given "
            f"({', '.join(str(rule.path) for rule in rules)}). Pass one with RULE=path."
        )
    for path in write_contribution(rules[0], _cases(args.events), args.out):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the check and contribution subcommands."""
    check = commands.add_parser("check", help="run SigmaHQ's CI checks offline on the rules")
    contribution = commands.add_parser("contribution", help="write the SigmaHQ pull request files")
    for parser in (check, contribution):
        parser.add_argument(
            "--rule",
            type=Path,
            action="append",
            metavar="PATH",
            help="Sigma rule file or folder (repeatable; default: sigma/)",
        )
        parser.add_argument(
            "--events",
            type=Path,
            action="append",
            metavar="PATH",
            help="case table with expected verdicts (default: tests/events)",
        )
    check.add_argument(
        "--as-is",
        action="store_true",
        help="check the files byte for byte instead of as `contribution` lays them out",
    )
    check.set_defaults(handler=cmd_check)
    contribution.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="output folder laid out like the SigmaHQ repository (default: %(default)s)",
    )
    contribution.set_defaults(handler=cmd_contribution)
