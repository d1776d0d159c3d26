"""Command line behind the Make targets: convert rules and verify queries on events."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import ToolkitError
from .events import load_events
from .hunt.command import add_hunt_command
from .output import write_text_atomic
from .rules import load_rules
from .splunk import SplunkOptions, convert_spl, saved_search_stanza, savedsearches_conf

DEFAULT_RULES = Path("sigma")
DEFAULT_EVENTS = Path("tests/events")
DEFAULT_OUT = Path("out")

# Exit codes: 1 when verify finds disagreeing targets or missed expectations,
# 2 when an input or option is invalid.
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def _add_rule_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rule", type=Path, action="append", metavar="PATH",
        help="Sigma rule file or folder of rules (repeatable; default: sigma/)",
    )


def cmd_splunk(args: argparse.Namespace) -> int:
    """Print the SPL of every rule and write out/splunk/savedsearches.conf."""
    options = SplunkOptions(index=args.index or None, sourcetype=args.sourcetype)
    rules = load_rules(args.rule or [DEFAULT_RULES])
    converted = [(loaded, convert_spl(loaded, options)) for loaded in rules]
    stanzas = [saved_search_stanza(loaded.rule, spl) for loaded, spl in converted]
    conf_path = args.out / "splunk" / "savedsearches.conf"
    write_text_atomic(conf_path, savedsearches_conf(stanzas))
    print("\n\n".join(spl for _, spl in converted))
    print(f"wrote {conf_path}", file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Run every emitted query on the events and report each verdict."""
    # Imported here: the evaluators take a while to load, and `hunt` needs none of them.
    from .targets import TARGETS
    from .verify import format_json_lines, format_lines, format_summary, verify

    rules = load_rules(args.rule or [DEFAULT_RULES])
    events = load_events(args.events or [DEFAULT_EVENTS], strict=args.strict)
    targets = list(TARGETS.values())
    report = verify(rules, events, targets)
    lines = format_json_lines(report) if args.json else format_lines(report, rules)
    for line in lines:
        print(line)
    summary_stream = sys.stderr if args.json else sys.stdout
    if not args.json:
        print()
    for line in format_summary(report, events, targets):
        print(line, file=summary_stream)
    return 0 if report.ok else EXIT_FINDINGS


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with one subcommand per Make target."""
    parser = argparse.ArgumentParser(
        prog="cloudtrail-sigma",
        description="Convert CloudTrail Sigma rules to SIEM queries and test them offline.",
    )
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    splunk = commands.add_parser("splunk", help="print SPL and write savedsearches.conf")
    _add_rule_option(splunk)
    splunk.add_argument("--index", default="", help="Splunk index to search (default: none, the role's default indexes)")
    splunk.add_argument("--sourcetype", default=SplunkOptions().sourcetype, help="Splunk source type (default: %(default)s)")
    splunk.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    splunk.set_defaults(handler=cmd_splunk)

    check = commands.add_parser("verify", help="run every emitted query on CloudTrail events")
    _add_rule_option(check)
    check.add_argument(
        "--events", type=Path, action="append", metavar="PATH",
        help="events file or folder: JSON, NDJSON or {\"Records\": [...]} (repeatable; default: tests/events)",
    )
    check.add_argument("--json", action="store_true", help="print one JSON object per event and target")
    check.add_argument("--strict", action="store_true", help="fail on the first unreadable input instead of skipping it")
    check.set_defaults(handler=cmd_verify)

    add_hunt_command(commands, DEFAULT_OUT)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ToolkitError as error:
        if args.debug:
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader of our output went away (for example `make verify | head`).
        # Point stdout at /dev/null so that the interpreter's final flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
