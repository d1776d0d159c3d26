"""Validate rule files against the Sigma JSON schema with check-jsonschema, as SigmaHQ's CI does."""

from __future__ import annotations

import contextlib
import io
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from check_jsonschema.cli.main_command import main as check_jsonschema

from ..errors import ToolkitError
from .offline import SCHEMA_FILE
from .problems import Problem

CHECK = "JSON schema v2.1.0"
# check-jsonschema reports paths as `$.key`, `$.key[0]` or `$.key.sub`.
TOP_KEY = re.compile(r"^\$\.([^.\[]+)")


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def expectation(path: str) -> str:
    """Describe what the schema allows at a reported path, from the schema itself."""
    match = TOP_KEY.match(path)
    properties = _schema()["properties"]
    if match is None or match.group(1) not in properties:
        required = ", ".join(_schema()["required"])
        return f"a mapping with the keys {required} and only keys the Sigma specification defines"
    node = properties[match.group(1)]
    constants = [choice["const"] for choice in node.get("oneOf", []) if "const" in choice]
    if constants:
        return "one of " + ", ".join(constants)
    pattern = node.get("pattern") or node.get("items", {}).get("pattern")
    if pattern:
        return f"a value matching {pattern}"
    if node.get("format"):
        return f"a {node['format']}"
    return node.get("description", "a value the Sigma specification allows")


def check_schema(paths: list[Path]) -> list[Problem]:
    """Return every schema violation in the rule files."""
    output = io.StringIO()
    arguments = ["--schemafile", str(SCHEMA_FILE), "--output-format", "json", *map(str, paths)]
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
        exit_code = check_jsonschema.main(arguments, standalone_mode=False)
    try:
        report = json.loads(output.getvalue())
    except json.JSONDecodeError as error:
        raise ToolkitError(
            f"check-jsonschema exited with {exit_code} and printed no JSON report. "
            "Run it by hand on the rule to see why."
        ) from error
    problems = [
        Problem(
            file=Path(found["filename"]),
            check=CHECK,
            key=found["path"],
            message=found["message"],
            expected=expectation(found["path"]),
        )
        for found in report.get("errors", [])
    ]
    for found in report.get("parse_errors", []):
        problems.append(
            Problem(Path(found["filename"]), CHECK, "(file)", found["message"], "valid YAML")
        )
    return problems
