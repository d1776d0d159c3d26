"""Run every query the project emits on CloudTrail events and compare the verdicts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .events import Event, EventSet
from .rules import LoadedRule
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
    """All verdicts of a run, with the disagreements between targets and the missed expectations."""

    verdicts: list[Verdict] = field(default_factory=list)
    disagreements: list[tuple[Event, LoadedRule]] = field(default_factory=list)
    mismatches: list[Verdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when all targets agree and every expectation holds."""
        return not self.disagreements and not self.mismatches


def verify(rules: list[LoadedRule], events: EventSet, targets: list[Target]) -> Report:
    """Convert each rule for each target and evaluate every query on every event."""
    report = Report()
    queries = {(r.path, t.name): t.convert(r) for r in rules for t in targets}
    for event in events.events:
        for rule in rules:
            row = [
                Verdict(event, rule, t.name, t.evaluate(queries[(rule.path, t.name)], event.record))
                for t in targets
            ]
            report.verdicts.extend(row)
            if len({v.verdict for v in row}) > 1:
                report.disagreements.append((event, rule))
            report.mismatches.extend(v for v in row if v.expected is not None and v.expected != v.verdict)
    return report


def printable(text: str) -> str:
    """Escape control characters and quotes, so that event content cannot break a line of output."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def format_lines(report: Report, rules: list[LoadedRule]) -> list[str]:
    """Render one line per event, rule and target, for people."""
    show_rule = len(rules) > 1
    lines = []
    for v in report.verdicts:
        parts = [printable(v.event.label)]
        if show_rule:
            parts.append(v.rule.path.stem)
        parts += [v.target, "alert" if v.verdict else "no alert"]
        if v.expected is not None:
            parts.append("ok" if v.expected == v.verdict else "UNEXPECTED (expected "
                         + ("alert" if v.expected else "no alert") + ")")
        lines.append("  ".join(parts))
    return lines


def format_json_lines(report: Report) -> list[str]:
    """Render one JSON object per event, rule and target, for scripts."""
    lines = []
    for v in report.verdicts:
        item: dict[str, object] = {
            "eventID": v.event.record.get("eventID"),
            "target": v.target,
            "verdict": v.verdict,
            "rule": str(v.rule.rule.id),
            "source": v.event.source,
        }
        if v.event.name is not None:
            item["case"] = v.event.name
        if v.expected is not None:
            item["expected"] = v.expected
        lines.append(json.dumps(item, ensure_ascii=False))
    return lines


def format_summary(report: Report, events: EventSet, targets: list[Target]) -> list[str]:
    """Summarise a run: inputs, skipped records, alerts per target, disagreements."""
    lines = [f"{len(events.events)} events from {events.files} files; {len(events.skipped)} skipped"]
    for reason, count in sorted(events.skip_reasons().items()):
        lines.append(f"  skipped {count}: {reason}")
    for target in targets:
        alerts = sum(1 for v in report.verdicts if v.target == target.name and v.verdict)
        lines.append(f"{target.name}: {alerts} alerts")
    lines.append(f"targets disagree on {len(report.disagreements)} events")
    expected = sum(1 for v in report.verdicts if v.expected is not None)
    if expected:
        lines.append(f"{len(report.mismatches)} of {expected} verdicts differ from the expected verdict")
    for event, rule in report.disagreements:
        lines.append(f"DISAGREE: {printable(event.label)} ({rule.path.name})")
    for v in report.mismatches:
        lines.append(f"UNEXPECTED: {printable(v.event.label)} on {v.target}")
    return lines
