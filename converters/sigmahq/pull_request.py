"""Write the SigmaHQ pull request: the rule in SigmaHQ's folder layout and PULL_REQUEST.md."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

from ..errors import ToolkitError
from ..events import Event
from ..output import write_files_atomic
from ..rules import LoadedRule
from .check import CheckReport, check_contributions, format_report
from .layout import non_documentation_values
from .stock import StockResult

PULL_REQUEST = "PULL_REQUEST.md"
# The packages whose versions the pull request names next to the check results.
CHECK_PACKAGES = (
    "yamllint",
    "check-jsonschema",
    "pySigma",
    "pySigma-validators-sigmahq",
    "sigma-cli",
    "pySigma-backend-splunk",
    "pySigma-backend-elasticsearch",
)

# Note on the stock conversion's gap that this toolkit's processing pipelines close.
PIPELINE_NOTE = (
    "Converted without a processing pipeline, the rule can only compare "
    "`requestParameters.sourceRegion` with `awsRegion`. The AWS CLI and SDKs remove the "
    "SourceRegion option before they send the request, so real events normally carry the "
    "source region only as the region field of the source snapshot ARN "
    "(`arn:PARTITION:rds:REGION:ACCOUNT:snapshot:NAME`). The stock queries therefore stay "
    "silent on most real cross-region copies. On the test cases they raise no alert on a "
    "same-region copy; the stock Splunk comparison is case-sensitive, though, so a "
    "sourceRegion that differs from awsRegion only in letter case would alert. "
    "This toolkit's pipelines derive the source region from the ARN and the response "
    "before they compare it with `awsRegion`."
)


class ContributionError(ToolkitError):
    """The rule does not pass SigmaHQ's checks, so no pull request is written."""


def example_event(rule: LoadedRule, cases: list[Event], results: list[StockResult]) -> Event:
    """Pick the first case the rule must alert on that every stock query alerts on."""
    alerted = [set(result.alerts) for result in results]
    for case in cases:
        if (
            case.expected_rule_id == str(rule.rule.id)
            and case.expected
            and all(case.label in a for a in alerted)
        ):
            leaked = non_documentation_values(case.record)
            if leaked:
                raise ContributionError(
                    f"case {case.label!r}: the example event contains values that are not documentation "
                    f"values ({', '.join(leaked)}). Use account 123456789012 and addresses in "
                    "192.0.2.0/24, 198.51.100.0/24 or 203.0.113.0/24."
                )
            return case
    raise ContributionError(
        f"{rule.path}: no case in the case table is a true positive that the stock queries alert on. "
        "Add such a case, so the pull request can show a matching log event."
    )


def _section(title: str, *lines: str) -> list[str]:
    return [f"### {title}", "", *lines, ""]


def _conversions(results: list[StockResult]) -> list[str]:
    lines = []
    for result in results:
        lines += [
            f"{result.target.title}:",
            "",
            f"```{result.target.language}",
            result.query or "",
            "```",
            "",
        ]
    return lines


def _misses(results: list[StockResult]) -> list[str]:
    lines = [PIPELINE_NOTE, ""]
    for result in results:
        missed = ", ".join(f"'{label}'" for label in result.missed) or "none"
        lines.append(
            f"- {result.target.name}: alerts on {len(result.alerts)} cases; "
            f"misses {len(result.missed)} cases the rule is meant to catch: {missed}."
        )
    return lines


def pull_request_text(
    rule: LoadedRule, relative: Path, report: CheckReport, cases: list[Event]
) -> str:
    """Render PULL_REQUEST.md with the sections of SigmaHQ's pull request template."""
    results = report.stock[relative]
    example = example_event(rule, cases, results)
    falsepositives = [f"- {entry}" for entry in rule.rule.falsepositives]

    # The sections of SigmaHQ's template first, then the evidence for reviewers.
    lines = [f"Pull request title: `new: {rule.rule.title}`", ""]
    lines += _section(
        "Summary of the Pull Request",
        rule.rule.description.strip(),
        "",
        f"The rule is `{relative.as_posix()}` and is tagged {', '.join(f'`{t}`' for t in map(str, rule.rule.tags))}.",
    )
    lines += _section("Changelog", f"new: {rule.rule.title}")
    lines += _section(
        "Example Log Event",
        f"A CloudTrail record the rule matches (case '{example.label}', documentation values only). "
        "Records of real cross-region copies usually lack requestParameters.sourceRegion; "
        "see the last section.",
        "",
        "```json",
        json.dumps(example.record, indent=2, ensure_ascii=False),
        "```",
    )
    lines += _section("Fixed Issues", "None. This pull request adds a new rule.")
    lines += _section(
        "SigmaHQ Rule Creation Conventions",
        "The rule follows SigmaHQ's rule creation conventions: key order, title case, "
        "file name, `status: experimental`, tactic and technique tags, named filters.",
    )

    lines += _section("False Positives", *falsepositives)
    lines += _section(
        "Checks Run Before Submission",
        "SigmaHQ's CI checks, run offline on the file of this pull request with "
        + ", ".join(f"{name} {version(name)}" for name in CHECK_PACKAGES)
        + ":",
        "",
        "```",
        *format_report(report),
        "```",
    )
    lines += _section("Stock Conversions", *_conversions(results))
    lines += _section("What Stock Conversion Misses", *_misses(results))
    return "\n".join(lines).rstrip() + "\n"


def write_contribution(rule: LoadedRule, cases: list[Event], out: Path) -> list[Path]:
    """Check the rule as SigmaHQ receives it; write it and PULL_REQUEST.md only when it passes."""
    report, texts = check_contributions([rule], cases)
    if not report.ok:
        raise ContributionError(
            f"{rule.path}: the rule fails {len(report.problems)} SigmaHQ checks; run `make check` "
            "for the list and fix them before contributing."
        )
    ((relative, text),) = texts.items()
    pull_request = pull_request_text(rule, relative, report, cases)
    rule_file, pull_request_file = out / relative, out / PULL_REQUEST
    write_files_atomic({rule_file: text, pull_request_file: pull_request})
    return [rule_file, pull_request_file]
