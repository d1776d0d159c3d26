"""Command line behind the Make targets: convert rules and verify queries on events."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .elastic import DATA_SOURCES, check_output_format, convert_esql, kibana_rule, rules_ndjson
from .elastic_mapping import raw_component_template
from .errors import EventsError
from .events import Event, EventSet, iter_events, load_events
from .hunt.command import add_hunt_command
from .output import write_files_atomic, write_text_atomic
from .panther import convert_panther
from .printable import one_line
from .rules import load_rules
from .runner import run_handler
from .sentinel import analytics_rule, convert_kql, render_analytics_rule, validate_analytics_rule
from .sigmahq.commands import add_commands as add_sigmahq_commands
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


def cmd_elastic(args: argparse.Namespace) -> int:
    """Print the ES|QL queries of every rule; write them, the Kibana rules and the raw mappings."""
    rules = load_rules(args.rule or [DEFAULT_RULES])
    check_output_format(args.format, rules)
    indexes = {"raw": args.index or None, "ecs": args.ecs_index or None}
    folder = args.out / "elastic"
    files: dict[Path, str] = {}
    kibana_rules: dict[str, list[dict[str, Any]]] = {key: [] for key in DATA_SOURCES}
    for loaded in rules:
        for source in DATA_SOURCES.values():
            query = convert_esql(loaded, source, indexes[source.key])
            files[folder / f"{loaded.path.stem}.{source.key}.esql"] = query + "\n"
            kibana_rules[source.key].append(kibana_rule(loaded, source, query, indexes[source.key]))
    raw_queries = [text for path, text in files.items() if path.name.endswith(".raw.esql")]
    template = raw_component_template(raw_queries, kibana_rules["raw"])
    files[folder / "cloudtrail-raw-component-template.json"] = json.dumps(template, indent=2) + "\n"
    files[folder / "kibana-rules.ndjson"] = rules_ndjson([r for group in kibana_rules.values() for r in group])
    write_files_atomic(files)
    for path in files:
        print(f"wrote {path}", file=sys.stderr)
    print("\n\n".join(text.rstrip("\n") for path, text in files.items() if path.suffix == ".esql"))
    return 0


def cmd_panther(args: argparse.Namespace) -> int:
    """Write a Panther rule module and its YAML metadata per rule, with the cases as tests."""
    rules = load_rules(args.rule or [DEFAULT_RULES])
    cases = load_events([args.cases], strict=True).events
    converted = [convert_panther(loaded, cases) for loaded in rules]
    folder = args.out / "panther"
    files: dict[Path, str] = {}
    for rule in converted:
        files[folder / f"{rule.name}.py"] = rule.python
        files[folder / f"{rule.name}.yml"] = rule.metadata
    write_files_atomic(files)
    for path in files:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_sentinel(args: argparse.Namespace) -> int:
    """Print the KQL of every rule and write it with its scheduled analytics rule YAML."""
    rules = load_rules(args.rule or [DEFAULT_RULES])
    converted = []
    for loaded in rules:
        kql = convert_kql(loaded)
        document = analytics_rule(loaded.rule, kql)
        validate_analytics_rule(document, loaded.path)
        converted.append((loaded.path.stem, kql, render_analytics_rule(document)))
    folder = args.out / "sentinel"
    files: dict[Path, str] = {}
    for name, kql, document in converted:
        files[folder / f"{name}.kql"] = kql + "\n"
        files[folder / f"{name}.yaml"] = document
    write_files_atomic(files)
    for path in files:
        print(f"wrote {path}", file=sys.stderr)
    print("\n\n".join(kql for _, kql, _ in converted))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Run every emitted query on the events and report each verdict."""
    # Imported here: the evaluators take a while to load, and `hunt` needs none of them.
    from .targets import TARGETS
    from .verify import (
        Report,
        check_events,
        convert_queries,
        format_json_line,
        format_line,
        format_summary,
    )

    rules = load_rules(args.rule or [DEFAULT_RULES])
    targets = list(TARGETS.values())
    queries = convert_queries(rules, targets)
    # Events stream from the files one at a time, and each verdict line is printed as it
    # is decided, so memory does not grow with the size of the input.
    tally = EventSet()
    paths = args.events or [DEFAULT_EVENTS]
    read = 0

    def counted_events() -> Iterator[Event]:
        nonlocal read
        for event in iter_events(paths, tally, strict=args.strict):
            read += 1
            yield event

    events = counted_events()
    report = Report()
    show_rule = len(rules) > 1
    for verdict in check_events(queries, rules, events, targets, report):
        print(format_json_line(verdict) if args.json else format_line(verdict, show_rule))
    summary_stream = sys.stderr if args.json else sys.stdout
    if not args.json:
        print()
    for line in format_summary(report, tally, targets):
        print(line, file=summary_stream)
    if read == 0:
        raise EventsError(
            f"no CloudTrail record could be read from {', '.join(map(str, paths))} "
            f"(skipped inputs: {tally.skipped_count}); check the paths and the skipped inputs above."
        )
    return 0 if report.ok else EXIT_FINDINGS


class OneLineParser(argparse.ArgumentParser):
    """An argument parser that reports a usage error as one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"error: {self.prog}: {one_line(message)}. Run '{self.prog} --help' for the options.\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with one subcommand per Make target."""
    parser = OneLineParser(
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

    elastic = commands.add_parser("elastic", help="print ES|QL and write the queries and Kibana rules")
    _add_rule_option(elastic)
    elastic.add_argument("--index", default="", help=f"index pattern of raw CloudTrail JSON (default: {DATA_SOURCES['raw'].default_index})")
    elastic.add_argument("--ecs-index", default="", help=f"index pattern of the Elastic AWS integration (default: {DATA_SOURCES['ecs'].default_index})")
    elastic.add_argument("--format", default="esql", help="query language: esql (Lucene, KQL and EQL cannot compare two fields)")
    elastic.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    elastic.set_defaults(handler=cmd_elastic)

    panther = commands.add_parser("panther", help="write Panther Python rules and their YAML")
    _add_rule_option(panther)
    panther.add_argument(
        "--cases", type=Path, default=DEFAULT_EVENTS / "cases.json",
        help="case table whose cases become the rules' Tests (default: %(default)s)",
    )
    panther.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    panther.set_defaults(handler=cmd_panther)

    sentinel = commands.add_parser("sentinel", help="print KQL and write Sentinel analytics rules")
    _add_rule_option(sentinel)
    sentinel.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    sentinel.set_defaults(handler=cmd_sentinel)

    check = commands.add_parser("verify", help="run every emitted query on CloudTrail events")
    _add_rule_option(check)
    check.add_argument(
        "--events", type=Path, action="append", metavar="PATH",
        help="events file or folder: JSON, NDJSON or {\"Records\": [...]} (repeatable; default: tests/events)",
    )
    check.add_argument("--json", action="store_true", help="print one JSON object per event and target")
    check.add_argument("--strict", action="store_true", help="fail on the first unreadable input instead of skipping it")
    check.set_defaults(handler=cmd_verify)
    add_sigmahq_commands(commands)

    add_hunt_command(commands, DEFAULT_OUT)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_handler(args.handler, args)
