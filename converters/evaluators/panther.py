"""Run a generated Panther Python rule on CloudTrail records offline.

The rule module's rule() receives the record wrapped in Panther's event class
(converters/panther_event.py), as Panther's engine and panther-analysis-tool do.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from converters.errors import EvaluatorError
from converters.panther_event import panther_event

MODULE_NAME = "panther_generated_rule"


@lru_cache(maxsize=64)
def load_rule_module(source: str) -> types.ModuleType:
    """Compile and run a rule module's source once; raise EvaluatorError if it is invalid."""
    module = types.ModuleType(MODULE_NAME)
    try:
        code = compile(source, f"<{MODULE_NAME}>", "exec")
        exec(code, module.__dict__)  # noqa: S102 - the source is our own generated rule
    except SyntaxError as error:
        raise EvaluatorError(f"The Panther rule module is not valid Python: {error}") from error
    if not callable(module.__dict__.get("rule")):
        raise EvaluatorError(
            "The Panther rule module defines no rule(event) function. Regenerate it with 'make panther'."
        )
    return module


def run_rule(source: str, record: Mapping[str, Any]) -> bool:
    """Return the verdict of the rule module's rule() on one record."""
    verdict = load_rule_module(source).rule(panther_event(record))
    # Panther's engine rejects a rule() result that is not a bool.
    if not isinstance(verdict, bool):
        raise EvaluatorError(f"rule() returned {verdict!r}; Panther requires True or False.")
    return verdict


def call_function(source: str, name: str, record: Mapping[str, Any]) -> Any:
    """Call another function of the rule module (title, dedup, alert_context) on a record."""
    return getattr(load_rule_module(source), name)(panther_event(record))
