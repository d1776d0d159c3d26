"""The `hunt` subcommand behind `make hunt`, and `python -m converters.hunt`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import EventsError
from ..output import write_text_atomic
from ..rules import load_rules
from ..runner import run_handler
from .report import Progress, json_lines, match_table, skip_lines, summary_lines
from .run import HuntOptions, HuntResult, hunt_duckdb
from .spark_engine import DEFAULT_MASTER, hunt_spark

DEFAULT_LOGS = (Path("tests/events"), Path("tests/data/background"))
DEFAULT_RULES = Path("sigma")
DEFAULT_OUT = Path("out")
ENGINES = ("duckdb", "spark")


def add_hunt_command(commands: argparse._SubParsersAction, default_out: Path) -> None:
    """Add the hunt subcommand to the command line."""
    hunt = commands.add_parser(
        "hunt", help="run the rules over CloudTrail archives (DuckDB or Spark)"
    )
    _add_arguments(hunt, default_out)


def _add_arguments(hunt: argparse.ArgumentParser, default_out: Path) -> None:
    hunt.add_argument(
        "--rule",
        type=Path,
        action="append",
        metavar="PATH",
        help="Sigma rule file or folder of rules (repeatable; default: sigma/)",
    )
    hunt.add_argument(
        "--logs",
        type=Path,
        action="append",
        metavar="PATH",
        help="CloudTrail file or folder, searched recursively: S3 export layout, JSON arrays or NDJSON, "
        "gzip or not (repeatable; default: the bundled sample events)",
    )
    hunt.add_argument(
        "--engine", choices=ENGINES, default="duckdb", help="query engine (default: %(default)s)"
    )
    hunt.add_argument(
        "--spark-master",
        default=DEFAULT_MASTER,
        metavar="URL",
        help="Spark master for --engine spark (default: %(default)s, local mode)",
    )
    hunt.add_argument(
        "--jobs", type=int, default=0, help="reader processes for DuckDB (default: one per core)"
    )
    hunt.add_argument(
        "--no-prefilter",
        dest="prefilter",
        action="store_false",
        help="hand every record to DuckDB instead of only those that can match",
    )
    hunt.add_argument(
        "--strict",
        action="store_true",
        help="fail on the first unreadable input instead of skipping it",
    )
    hunt.add_argument(
        "--out", type=Path, default=default_out, help="output folder (default: %(default)s)"
    )
    hunt.set_defaults(handler=cmd_hunt)


def cmd_hunt(args: argparse.Namespace) -> int:
    """Hunt with every rule over the logs; print the matches and write them as JSON lines."""
    rules = load_rules(args.rule or [DEFAULT_RULES])
    logs = args.logs or list(DEFAULT_LOGS)
    for loaded in rules:
        options = HuntOptions(
            strict=args.strict, jobs=args.jobs, prefilter=args.prefilter, progress=Progress()
        )
        if args.engine == "spark":
            result = hunt_spark(loaded, logs, options, master=args.spark_master)
        else:
            result = hunt_duckdb(loaded, logs, options)
        path = args.out / "hunt" / f"{loaded.path.stem}.jsonl"
        if result.records == 0:
            # Keep the previous results: an empty file would look like "no matches".
            _print_result(loaded.path, result, None)
            raise EventsError(
                f"no CloudTrail record could be read from {', '.join(map(str, logs))} "
                f"(skipped inputs: {len(result.skipped)}); check the paths and the skipped "
                "files listed above."
            )
        write_text_atomic(path, json_lines(result))
        _print_result(loaded.path, result, path)
    return 0


def _print_result(rule_path: Path, result: HuntResult, output: Path | None) -> None:
    print(f"{rule_path}: {len(result.matches):,} matches")
    if result.matches:
        for line in match_table(result):
            print(line)
    print()
    for line in skip_lines(result):
        print(line, file=sys.stderr)
    for line in summary_lines(result):
        print(line)
    if output is not None:
        print(f"wrote {output}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run hunt alone, as `make hunt` does, and return its exit code.

    The main command line imports every converter, which takes about a second. This
    entry point imports only what a hunt needs.
    """
    parser = argparse.ArgumentParser(
        prog="python -m converters.hunt",
        description="Run the Sigma rules over CloudTrail archives with DuckDB or Spark.",
    )
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of errors")
    _add_arguments(parser, DEFAULT_OUT)
    args = parser.parse_args(argv)
    return run_handler(cmd_hunt, args)
