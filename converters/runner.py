"""Run a command handler with the command line's error contract: one line, exit 2."""

from __future__ import annotations

import argparse
import io
import os
import sys
import traceback
from collections.abc import Callable

from .errors import ToolkitError
from .printable import one_line

# Exit code for an invalid input or option, and for any other failure.
EXIT_ERROR = 2


def run_handler(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Call handler(args) and turn every error into one line on stderr and exit code 2.

    A traceback is shown only when args.debug is set.
    """
    # Event text that the terminal's encoding cannot show is escaped, not a crash.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        return handler(args)
    except ToolkitError as error:
        if args.debug:
            traceback.print_exc()
        # One line, whatever the message quotes (file names and values may contain line breaks).
        print(f"error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader of our output went away (for example `make verify | head`).
        # Point stdout at /dev/null so that the interpreter's final flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as error:
        if args.debug:
            raise
        print(
            f"error: internal error ({type(error).__name__}: {one_line(str(error))[:300]}). "
            "Run again with --debug (DEBUG=1 for make) to see the traceback, and report it.",
            file=sys.stderr,
        )
        return EXIT_ERROR
