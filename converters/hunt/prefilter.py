"""Drop records that cannot match a rule before they reach the SQL engine.

The filter reads the rule's condition after the pipeline has processed it. It keeps
only requirements that every match must meet: a field in the top-level AND that must
equal one of a few plain strings (``eventName`` is ``CopyDBSnapshot`` or
``CopyDBClusterSnapshot``). It compares values that the JSON parser has already decoded,
so escapes such as ``\\u0043`` never hide a value. It errs towards keeping a record:

- a field that is missing or null drops the record, because the SQL comparison of a
  NULL with a string is never true inside the top-level AND;
- a value that is not a string keeps the record, because the engine reads it as text;
- a value with any non-ASCII character keeps the record, because the engines' ``lower()``
  follows Unicode tables that differ from Python's (DuckDB lowers U+0130 to ``i``);
- an ASCII value is compared in lower case, where every engine agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionOR,
)
from sigma.rule import SigmaRule
from sigma.types import SigmaString

from ..sql import DERIVED_FIELDS


@dataclass(frozen=True)
class Requirement:
    """A field that must equal, case-insensitively, one of some ASCII strings."""

    path: tuple[str, ...]
    # The allowed values, in lower case.
    values: frozenset[str]


@dataclass(frozen=True)
class RecordFilter:
    """Requirements that every record the rule matches meets; no requirement keeps every record."""

    requirements: tuple[Requirement, ...] = ()

    def keep(self, record: Any) -> bool:
        """Return False only when the record cannot match the rule."""
        for requirement in self.requirements:
            path = requirement.path
            value = record.get(path[0]) if len(path) == 1 else _lookup(record, path)
            if value is None:
                return False
            if not isinstance(value, str) or not value.isascii():
                continue
            if value.lower() not in requirement.values:
                return False
        return True

    def allowed_values(self, path: tuple[str, ...]) -> frozenset[str] | None:
        """Return the lower-case values a field must have, or None when it has no requirement."""
        for requirement in self.requirements:
            if requirement.path == path:
                return requirement.values
        return None


KEEP_ALL = RecordFilter()


def _lookup(record: Any, path: tuple[str, ...]) -> Any:
    value = record
    for key in path:
        # Records are dicts or lazily parsed simdjson objects; both offer get().
        if isinstance(value, str | int | float | bool | list) or value is None:
            return None
        value = value.get(key) if hasattr(value, "get") else None
    return value


def record_filter(rule: SigmaRule) -> RecordFilter:
    """Build the filter for a rule that a pipeline has already processed."""
    requirements: list[Requirement] = []
    for condition in rule.detection.parsed_condition:
        parsed = condition.parsed
        for part in _and_parts(parsed):
            requirement = _requirement(part)
            if requirement is not None:
                requirements.append(requirement)
    if len(rule.detection.parsed_condition) > 1:
        # Several conditions are alternatives: a record may match any of them.
        return KEEP_ALL
    # Check eventName first: an API name is rarer in CloudTrail than a service name, so
    # most records fail on the first check.
    requirements.sort(key=lambda requirement: requirement.path != ("eventName",))
    return RecordFilter(tuple(requirements))


def _and_parts(node: ConditionItem) -> list[ConditionItem]:
    if isinstance(node, ConditionAND):
        return [part for arg in node.args for part in _and_parts(arg)]
    return [node]


def _requirement(node: ConditionItem) -> Requirement | None:
    leaves = node.args if isinstance(node, ConditionOR) else [node]
    if not leaves or not all(
        isinstance(leaf, ConditionFieldEqualsValueExpression) for leaf in leaves
    ):
        return None
    fields = {leaf.field for leaf in leaves}
    if len(fields) != 1:
        return None
    field = fields.pop()
    if field is None or field in DERIVED_FIELDS:
        return None
    values = [_plain_ascii(leaf.value) for leaf in leaves]
    if any(value is None for value in values):
        return None
    return Requirement(
        tuple(field.split(".")), frozenset(value.lower() for value in values if value is not None)
    )


def _plain_ascii(value: Any) -> str | None:
    if not isinstance(value, SigmaString) or value.contains_special():
        return None
    text = str(value)
    return text if text.isascii() else None
