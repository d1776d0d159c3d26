"""Exception family of the toolkit: every error a user can cause derives from ToolkitError."""


class ToolkitError(Exception):
    """An error the command line reports as one line, without a traceback."""


class RuleError(ToolkitError):
    """A Sigma rule file is missing, unreadable, not YAML, or not valid Sigma."""


class ConversionError(ToolkitError):
    """A target cannot express a construct of the rule."""


class EventsError(ToolkitError):
    """An events file is missing, unreadable or malformed."""


class EvaluatorError(ToolkitError):
    """An offline evaluator cannot parse or run a query."""


class UnsupportedQueryError(EvaluatorError):
    """A query uses a command, operator or function that an evaluator does not implement."""
