"""Reject rule shapes that the Splunk backend would convert into a different query.

pySigma-backend-splunk 2.1.0 converts field references and regular expressions into
"deferred" pipeline commands (``| where``, ``| regex``) appended after the base search.
Such a part keeps its meaning only when it is ANDed with the rest of the rule, negated
by nothing or by a NOT that applies to it alone:

- under an OR, the backend either raises (field references) or builds a ``rex``/``eval``
  chain (regular expressions) that the offline SPL evaluator cannot run;
- inside a negated AND or OR group, the backend drops the negation silently, so
  ``not (A and fieldref)`` comes out as ``NOT A | where fieldref``.

The check runs after every other preprocessing item, on the condition as the backend
will see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
)
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.modifiers import SigmaRegularExpression
from sigma.processing.transformations.base import PreprocessingTransformation
from sigma.rule import SigmaRule
from sigma.types import SigmaFieldReference

DEFERRED_VALUE_TYPES = (SigmaFieldReference, SigmaRegularExpression)


@dataclass
class RejectMisplacedDeferredTransformation(PreprocessingTransformation):
    """Raise when a field reference or regex sits under an OR or a negated group."""

    target: str = "Splunk"

    def apply(self, rule: SigmaRule | SigmaCorrelationRule) -> None:
        super().apply(rule)
        if not isinstance(rule, SigmaRule):
            return
        for condition in rule.detection.parsed_condition:
            for leaf in _deferred_leaves(condition.parsed):
                self._check_ancestors(leaf, condition.condition)

    def _check_ancestors(self, leaf: ConditionFieldEqualsValueExpression, condition: str) -> None:
        construct = _describe(leaf)
        node: object = leaf
        inside_group = False
        while (parent := getattr(node, "parent", None)) is not None:
            if isinstance(parent, ConditionOR):
                raise SigmaFeatureNotSupportedByBackendError(
                    f"{construct} is ORed with other conditions in '{condition}'. The {self.target} "
                    "backend can only append it as a filter after the search, which would change "
                    "the meaning of the rule. Move it to a selection that is ANDed with the rest, "
                    "or split the rule.",
                    source=leaf.source,
                )
            if isinstance(parent, ConditionAND):
                inside_group = True
            if isinstance(parent, ConditionNOT) and inside_group:
                raise SigmaFeatureNotSupportedByBackendError(
                    f"{construct} is inside a negated group in '{condition}'. The {self.target} "
                    "backend would drop the negation and emit the opposite filter. Negate a "
                    "selection that holds only this detection item, for example "
                    "'not filter_main_same_region'.",
                    source=leaf.source,
                )
            node = parent


def _deferred_leaves(node: object) -> Iterator[ConditionFieldEqualsValueExpression]:
    if isinstance(node, ConditionFieldEqualsValueExpression):
        if isinstance(node.value, DEFERRED_VALUE_TYPES):
            yield node
    elif isinstance(node, ConditionItem):
        for arg in node.args:
            yield from _deferred_leaves(arg)


def _describe(leaf: ConditionFieldEqualsValueExpression) -> str:
    if isinstance(leaf.value, SigmaFieldReference):
        return f"The field reference '{leaf.field}|fieldref: {leaf.value.field}'"
    return f"The regular expression on '{leaf.field}'"
