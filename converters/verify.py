"""Run every query the project emits on CloudTrail events and compare the verdicts.

printable() and json_text() live in converters.printable and stay importable from here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .events import Event, EventSet
from .printable import json_text, printable
from .rules import LoadedRule

if TYPE_CHECKING:
    from .targets import Target


@dataclass(frozen=True)
class Verdict:
    """Whether one target's query for one rule alerts on one event."""

    event: Event
    rule: LoadedRule
    target: str
    verdict: bool

    @property
    def expected(self) -> bool | None:
        """Return the case's expected verdict when it was written for this rule."""
        if self.event.expected_rule_id == str(self.rule.rule.id):
            return self.event.expected
        return None


@dataclass
class Report:
    """Counts of a run, with the disagreements between targets and the missed expectations.

    ``verdicts`` lists every verdict only when verify() collected them; a streamed run
    (check_events) keeps the counts alone, so that its memory does not grow with the input.
    """

    verdicts: list[Verdict] = field(default_factory=list)
    disagreements: list[tuple[Event, LoadedRule]] = field(default_factory=list)
    mismatches: list[Verdict] = field(default_factory=list)
    events: int = 0
    alerts: Counter[str] = field(default_factory=Counter)
    expected: int = 0

    @property
    def ok(self) -> bool:
        """Return True when all targets agree and every expectation holds."""
        return not self.disagreements and not self.mismatches

    def add_row(self, event: Event, rule: LoadedRule, row: list[Verdict]) -> None:
        """Count the verdicts of all targets for one event and rule."""
        self.alerts.update(v.target for v in row if v.verdict)
        self.expected += sum(1 for v in row if v.expected is not None)
        if len({v.verdict for v in row}) > 1:
            self.disagreements.append((event, rule))
        self.mismatches.extend(v for v in row if v.expected is not None and v.expected != v.verdict)


Queries = dict[tuple[Path, str], str]


def convert_queries(rules: list[LoadedRule], targets: list[Target]) -> Queries:
    """Convert each rule for each target, before any event is read."""
    return {(r.path, t.name): t.convert(r) for r in rules for t in targets}


def check_events(
    queries: Queries,
    rules: list[LoadedRule],
    events: Iterable[Event],
    targets: list[Target],
    report: Report,
) -> Iterator[Verdict]:
    """Evaluate every query on each event as it arrives, counting into report."""
    for event in events:
        report.events += 1
        for rule in rules:
            row = [
                Verdict(event, rule, t.name, t.evaluate(queries[(rule.path, t.name)], event.record))
                for t in targets
            ]
            report.add_row(event, rule, row)
            yield from row


def verify(rules: list[LoadedRule], events: EventSet, targets: list[Target]) -> Report:
    """Convert each rule for each target and evaluate every query on every event."""
    report = Report()
    queries = convert_queries(rules, targets)
    report.verdicts = list(check_events(queries, rules, events.events, targets, report))
    return report


def format_line(v: Verdict, show_rule: bool) -> str:
    """Render one verdict as a line for people."""
    parts = [printable(v.event.label)]
    if show_rule:
        parts.append(printable(v.rule.path.stem))
    parts += [v.target, "alert" if v.verdict else "no alert"]
    if v.expected is not None:
        parts.append("ok" if v.expected == v.verdict else "UNEXPECTED (expected "
                     + ("alert" if v.expected else "no alert") + ")")
    return "  ".join(parts)


def format_lines(report: Report, rules: list[LoadedRule]) -> list[str]:
    """Render one line per event, rule and target, for people."""
    return [format_line(v, len(rules) > 1) for v in report.verdicts]


def format_json_line(v: Verdict) -> str:
    """Render one verdict as a JSON object on one line, for scripts."""
    event_id = v.event.record.get("eventID")
    item: dict[str, object] = {
        # CloudTrail's eventID is a string; anything else (a NaN, an object) is not an id.
        "eventID": event_id if isinstance(event_id, str) else None,
        "target": v.target,
        "verdict": v.verdict,
        "rule": str(v.rule.rule.id),
        "source": v.event.source,
    }
    if v.event.name is not None:
        item["case"] = v.event.name
    if v.expected is not None:
        item["expected"] = v.expected
    return json_text(item)


def format_json_lines(report: Report) -> list[str]:
    """Render one JSON object per event, rule and target, for scripts."""
    return [format_json_line(v) for v in report.verdicts]


def format_summary(report: Report, events: EventSet, targets: list[Target]) -> list[str]:
    """Summarise a run: inputs, skipped records, alerts per target, disagreements."""
    lines = [f"{report.events} events from {events.files} files; {events.skipped_count} skipped"]
    for reason, count in sorted(events.skip_reasons().items()):
        lines.append(f"  skipped {count}: {printable(reason)}")
    for target in targets:
        alerts = report.alerts[target.name]
        lines.append(f"{target.name}: {alerts} {'alert' if alerts == 1 else 'alerts'}")
    lines.append(f"targets disagree on {len(report.disagreements)} events")
    if report.expected:
        lines.append(f"{len(report.mismatches)} of {report.expected} verdicts differ from the expected verdict")
    for event, rule in report.disagreements:
        lines.append(f"DISAGREE: {printable(event.label)} ({printable(rule.path.name)})")
    for v in report.mismatches:
        lines.append(f"UNEXPECTED: {printable(v.event.label)} on {v.target}")
    return lines
