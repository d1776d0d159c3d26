"""Running generated Panther rule modules offline: verdicts and errors."""

from __future__ import annotations

import pytest

from converters.errors import EvaluatorError
from converters.evaluators.panther import call_function, load_rule_module, run_rule

MODULE = """
def rule(event):
    return event.deep_get("userIdentity", "type") == "Root"


def title(event):
    return "root used " + event.get("eventName", "")
"""


def test_run_rule_returns_verdict():
    assert run_rule(MODULE, {"userIdentity": {"type": "Root"}}) is True
    assert run_rule(MODULE, {"userIdentity": {"type": "IAMUser"}}) is False


def test_run_rule_passes_panther_event():
    # Panther's event class looks keys up case-insensitively.
    assert run_rule(MODULE, {"USERIDENTITY": {"TYPE": "Root"}}) is True


def test_call_function_runs_title():
    assert call_function(MODULE, "title", {"eventName": "ConsoleLogin"}) == "root used ConsoleLogin"


def test_run_rule_rejects_non_bool():
    with pytest.raises(
        EvaluatorError, match="rule\\(\\) returned 'yes'; Panther requires True or False"
    ):
        run_rule('def rule(event):\n    return "yes"\n', {})


def test_load_rule_module_rejects_syntax_error():
    with pytest.raises(EvaluatorError, match="not valid Python"):
        load_rule_module("def rule(event)\n    return True\n")


def test_load_rule_module_needs_rule_function():
    with pytest.raises(EvaluatorError, match="defines no rule\\(event\\) function"):
        load_rule_module("def title(event):\n    return 'x'\n")
