"""Convert Sigma rules to Splunk SPL and to scheduled alerts in savedsearches.conf."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sigma.backends.splunk import SplunkBackend
from sigma.exceptions import SigmaError
from sigma.pipelines.cloudtrail.splunk import DEFAULT_SOURCETYPE, cloudtrail_splunk_pipeline
from sigma.rule import SigmaRule

from .errors import ConversionError
from .rules import LoadedRule

# alert.severity takes 1 to 6 (savedsearches.conf.spec: 1-debug ... 6-fatal, default 3).
# NOTE: Splunk Web labels them Info, Low, Medium, High, Critical from 1 to 5 as far as
# we know: a new alert defaults to Medium there and to 3 in the spec. Not checked
# against a running Splunk.
ALERT_SEVERITY = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

# The search runs every 15 minutes over the last 30, so each run overlaps the previous
# one and events that CloudTrail delivers late are still seen. Throttling on the
# caller's ARN drops the repeated alerts that the overlap produces.
CRON_SCHEDULE = "*/15 * * * *"
EARLIEST_TIME = "-30m@m"
LATEST_TIME = "now"
SUPPRESS_PERIOD = "60m"
SUPPRESS_FIELD = "userIdentity.arn"


@dataclass(frozen=True)
class SplunkOptions:
    """Search scope: the Splunk index (None for the default indexes) and the source type."""

    index: str | None = None
    sourcetype: str = DEFAULT_SOURCETYPE


def convert_spl(loaded: LoadedRule, options: SplunkOptions = SplunkOptions()) -> str:
    """Convert one rule to an SPL search with the CloudTrail Splunk pipeline."""
    backend = SplunkBackend(
        processing_pipeline=cloudtrail_splunk_pipeline(
            sourcetype=options.sourcetype, index=options.index
        )
    )
    try:
        queries = backend.convert_rule(loaded.fresh())
    except SigmaError as error:
        raise ConversionError(f"{loaded.path}: cannot convert to Splunk SPL: {error}") from error
    if len(queries) != 1:
        raise ConversionError(
            f"{loaded.path}: the Splunk backend returned {len(queries)} queries; expected one."
        )
    return str(queries[0])


def _conf_value(key: str, value: str) -> str:
    # In .conf files a line that ends with a backslash continues on the next line, so a
    # multi-line value is written with " \" at the end of each line but the last. A line
    # of the value that itself ends with a backslash would be read as a continuation
    # (and the last one would swallow the next key).
    lines = value.split("\n")
    if any(line.rstrip().endswith("\\") for line in lines):
        source = "query" if key == "search" else "title or description"
        raise ConversionError(
            f"savedsearches.conf: a line of the value of '{key}' ends with a backslash, which "
            "Splunk reads as a line continuation, and .conf files have no escape for it "
            f"(value ends with {value[-40:]!r}). Change the rule's {source} so that no line "
            "ends with a backslash."
        )
    return " \\\n".join(lines)


def _stanza_name(title: str) -> str:
    # Square brackets end a stanza name and a newline would end the line.
    return " ".join(title.translate({ord("["): "(", ord("]"): ")"}).split())


def _techniques(rule: SigmaRule) -> list[str]:
    return [
        tag.name.upper()
        for tag in rule.tags
        if tag.namespace == "attack" and tag.name.lower().startswith("t")
    ]


def saved_search_settings(rule: SigmaRule, spl: str) -> dict[str, str]:
    """Return the savedsearches.conf keys of the scheduled alert for one rule."""
    level = rule.level.name.lower() if rule.level else "medium"
    description = " ".join((rule.description or rule.title).split())
    annotations = {"mitre_attack": _techniques(rule)}
    return {
        "description": description,
        "search": spl,
        "disabled": "0",
        "enableSched": "1",
        "cron_schedule": CRON_SCHEDULE,
        "dispatch.earliest_time": EARLIEST_TIME,
        "dispatch.latest_time": LATEST_TIME,
        "counttype": "number of events",
        "relation": "greater than",
        "quantity": "0",
        "alert.track": "1",
        "alert.severity": str(ALERT_SEVERITY.get(level, ALERT_SEVERITY["medium"])),
        "alert.digest_mode": "0",
        "alert.suppress": "1",
        "alert.suppress.period": SUPPRESS_PERIOD,
        "alert.suppress.fields": SUPPRESS_FIELD,
        "action.correlationsearch.enabled": "1",
        "action.correlationsearch.label": _stanza_name(rule.title),
        "action.correlationsearch.annotations": json.dumps(annotations),
    }


def saved_search_stanza(rule: SigmaRule, spl: str) -> str:
    """Render one scheduled alert stanza."""
    lines = [f"[{_stanza_name(rule.title)}]"]
    lines += [f"{key} = {_conf_value(key, value)}" for key, value in saved_search_settings(rule, spl).items()]
    return "\n".join(lines) + "\n"


def savedsearches_conf(stanzas: list[str]) -> str:
    """Join stanzas into a savedsearches.conf file."""
    header = (
        "# Scheduled alerts generated from Sigma rules by cloudtrail-sigma.\n"
        "# Regenerate with 'make splunk' instead of editing this file.\n"
    )
    return header + "\n" + "\n".join(stanzas)
