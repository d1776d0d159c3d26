"""Preprocessing transformations that give ES|QL queries Sigma's matching semantics.

pySigma-backend-elasticsearch 2.1.1 emits ``field=="value"`` for Sigma strings, but ES|QL
``==`` is case-sensitive while Sigma strings match case-insensitively, and an ES|QL
comparison with a missing field is null, so ``not field=="value"`` drops the row where
Sigma's ``not`` matches it. The transformations here rewrite detection items before the
backend converts them. The ES|QL postprocessing step then rewrites the query text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sigma.conditions import (
    ConditionAND,
    ConditionIdentifier,
    ConditionItem,
    ConditionNOT,
    ConditionSelector,
)
from sigma.correlations import SigmaCorrelationRule
from sigma.processing.transformations.base import (
    DetectionItemTransformation,
    PreprocessingTransformation,
)
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaDetections, SigmaRule
from sigma.types import (
    SigmaCasedString,
    SigmaExists,
    SigmaFieldReference,
    SigmaNull,
    SigmaString,
    SigmaType,
)

from .region import DERIVED_DESTINATION_REGION, DERIVED_SOURCE_REGION

# Fields that the target pipeline defines itself, never taken from the event.
DERIVED_FIELDS = frozenset({DERIVED_SOURCE_REGION, DERIVED_DESTINATION_REGION})

# The backend quotes this placeholder field name in backticks, because it is not a plain
# field name; the ES|QL postprocessing step turns `to_lower(f)` back into the call.
LOWER_FUNCTION = "to_lower"


def lower_placeholder(field: str) -> str:
    """Return the placeholder field name that stands for ``to_lower(field)``."""
    return f"{LOWER_FUNCTION}({field})"


def _is_case_insensitive_string(value: SigmaType) -> bool:
    return isinstance(value, SigmaString) and not isinstance(value, SigmaCasedString)


def _case_sensitive(value: SigmaType) -> SigmaType:
    # The backend raises on case-sensitive strings, but ES|QL == and LIKE are case-sensitive
    # already, so the string converts as a plain one.
    if not isinstance(value, SigmaCasedString):
        return value
    plain = SigmaString()
    plain.original = value.original
    plain.s = value.s
    return plain


def _passes_to_lower(value: SigmaType) -> bool:
    # to_lower(null) is null, so null and existence tests keep their meaning.
    return _is_case_insensitive_string(value) or isinstance(value, (SigmaNull, SigmaExists))


@dataclass
class CaseInsensitiveMatchTransformation(DetectionItemTransformation):
    """Compare Sigma strings case-insensitively: ``to_lower(field)`` against the lowered value.

    Strings with the ``cased`` modifier keep their case and compare with plain ``==``.
    """

    def apply_detection_item(
        self, detection_item: SigmaDetectionItem
    ) -> SigmaDetection | SigmaDetectionItem | None:
        field = detection_item.field
        values = [_case_sensitive(v) for v in detection_item.value]
        if field is None or not any(_is_case_insensitive_string(v) for v in detection_item.value):
            detection_item.value = values
            return detection_item
        lowered = [v for v in detection_item.value if _passes_to_lower(v)]
        others = [_case_sensitive(v) for v in detection_item.value if not _passes_to_lower(v)]
        lowered_item = SigmaDetectionItem(
            lower_placeholder(field),
            [],
            [v.lower() if isinstance(v, SigmaString) else v for v in lowered],
            value_linking=detection_item.value_linking,
        )
        if not others:
            return lowered_item
        # Strings mixed with numbers, regular expressions, ...: the strings go through
        # to_lower, the rest keeps the field, joined as the values were.
        rest = SigmaDetectionItem(field, [], others, value_linking=detection_item.value_linking)
        return SigmaDetection([lowered_item, rest], item_linking=detection_item.value_linking)


@dataclass
class FieldRenameTransformation(DetectionItemTransformation):
    """Rename event fields, and fields named by field references, with a function."""

    rename: Callable[[str], str] | None = None

    def _renamed(self, field: str) -> str:
        assert self.rename is not None
        return field if field in DERIVED_FIELDS else self.rename(field)

    def apply_detection_item(
        self, detection_item: SigmaDetectionItem
    ) -> SigmaDetection | SigmaDetectionItem | None:
        if detection_item.field is not None:
            detection_item.field = self._renamed(detection_item.field)
        detection_item.value = [
            SigmaFieldReference(self._renamed(v.field), v.starts_with, v.ends_with)
            if isinstance(v, SigmaFieldReference)
            else v
            for v in detection_item.value
        ]
        return detection_item


def _needs_guard(item: SigmaDetectionItem) -> bool:
    if item.field is None or item.field in DERIVED_FIELDS:
        return False
    return any(not isinstance(v, (SigmaNull, SigmaExists)) for v in item.value)


def _guarded(item: SigmaDetectionItem) -> SigmaDetection:
    fields = [item.field] + [
        v.field
        for v in item.value
        if isinstance(v, SigmaFieldReference) and v.field not in DERIVED_FIELDS
    ]
    guards: list[SigmaDetectionItem | SigmaDetection] = [
        SigmaDetectionItem(field, [], [SigmaExists(True)]) for field in dict.fromkeys(fields)
    ]
    return SigmaDetection([*guards, item], item_linking=ConditionAND)


def _negated_identifiers(node: object, detections: SigmaDetections, negated: bool) -> set[str]:
    """Name the detections that the unprocessed condition references below a NOT."""
    if isinstance(node, ConditionIdentifier):
        return {node.identifier} if negated else set()
    if isinstance(node, ConditionSelector):
        references = node.resolve_referenced_detections(detections)
        return {ref.identifier for ref in references} if negated else set()
    if not isinstance(node, ConditionItem):
        return set()
    below_not = negated or isinstance(node, ConditionNOT)
    names: set[str] = set()
    for arg in node.args:
        names |= _negated_identifiers(arg, detections, below_not)
    return names


@dataclass
class NegatedNullGuardTransformation(PreprocessingTransformation):
    """AND an existence test to every comparison in a negated detection.

    In ES|QL ``not (field == "v")`` is null, and the row is dropped, when the field is
    missing, but in Sigma the negated selection matches. With the guard the negated part
    reads ``not (field is not null and field == "v")``, which is true for a missing field.
    Comparisons outside a negation need no guard: a null there drops the row, as Sigma
    does. A detection referenced both inside and outside a NOT is guarded everywhere,
    which is harmless outside the NOT because false and null both drop the row there.
    """

    def apply(self, rule: SigmaRule | SigmaCorrelationRule) -> None:
        super().apply(rule)
        if not isinstance(rule, SigmaRule):
            return
        negated: set[str] = set()
        for condition in rule.detection.parsed_condition:
            negated |= _negated_identifiers(condition.parse(False), rule.detection, False)
        for name in sorted(negated):
            self._guard(rule.detection.detections[name])

    def _guard(self, detection: SigmaDetection) -> None:
        for index, item in enumerate(detection.detection_items):
            if isinstance(item, SigmaDetection):
                self._guard(item)
            elif _needs_guard(item):
                detection.detection_items[index] = _guarded(item)

