"""Match every Sigma string exactly in Splunk, or raise naming the value.

A Splunk search term cannot express every Sigma string (docs/evaluators.md, "Search
terms"). pySigma-backend-splunk 2.1.0 still emits one for each, and the query then
matches something else without any error:

- a literal ``*`` (Sigma ``\\*``) comes out as ``\\*``, which Splunk reads as a
  backslash followed by a wildcard, because SPL has no escape for ``*``;
- Sigma's single-character wildcard ``?`` comes out as ``*``, which matches any number
  of characters;
- a line break inside the quoted value breaks the query into several lines, and
  savedsearches.conf adds a space before each continuation backslash, so the saved
  search compares a different string.

ExactValueTransformation moves such a detection item into an anchored, case-insensitive
regular expression, which the backend emits as a ``| regex field="..."`` filter after
the search. The backend can only AND such a filter with the rest of the rule, so a
misplaced one (under an OR, inside a negated group) is rejected afterwards by
RejectMisplacedDeferredTransformation, with the value named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sigma.conditions import ConditionOR
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaTransformationError
from sigma.modifiers import SigmaRegularExpression
from sigma.processing.postprocessing import QueryPostprocessingTransformation
from sigma.processing.transformations.base import DetectionItemTransformation
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaCasedString, SigmaString, SpecialChars

# Characters that a quoted Splunk search term cannot hold with their literal meaning.
_LINE_BREAKS = frozenset("\n\r")

# (?i): Sigma strings are case-insensitive. (?s): Sigma's wildcards also match line
# breaks. \A ... (?!.) anchors at both ends of the value; "$" would also accept a
# trailing line break, in PCRE and in Python's re alike.
_REGEX_TEMPLATE = "(?is)\\A(?:{alternatives})(?!.)"

_SIGMA_ESCAPES = {"*": "\\*", "?": "\\?", "\\": "\\\\"}

# Control characters as \xHH, so that an error message stays on one line.
CONTROL_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F]}


@dataclass
class ExactValueRegex(SigmaRegularExpression):
    """A regular expression for Sigma strings that a search term cannot express."""

    values: tuple[str, ...] = field(default=(), compare=False)
    reason: str = field(default="", compare=False)


def search_term_problem(value: SigmaString) -> str | None:
    """Describe why a Splunk search term cannot express the value, or return None."""
    for part in value.s:
        if part == SpecialChars.WILDCARD_SINGLE:
            return "the single-character wildcard '?', which Splunk search terms lack"
        if isinstance(part, str) and "*" in part:
            return "a literal '*', which a Splunk search term always reads as a wildcard"
        if isinstance(part, str) and _LINE_BREAKS.intersection(part):
            return "a line break, which would split the search and its savedsearches.conf entry"
    return None


def pcre_for(value: SigmaString, shown: str, target: str) -> str:
    """Translate a Sigma string into an equivalent unanchored PCRE fragment of ASCII only."""
    pieces = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            pieces.append(".*")
        elif part == SpecialChars.WILDCARD_SINGLE:
            pieces.append(".")
        elif isinstance(part, str):
            pieces.extend(_pcre_literal(char, shown, target) for char in part)
        else:
            raise SigmaTransformationError(
                f"The value {shown} contains a placeholder, which the {target} "
                "pipeline cannot match exactly. Resolve placeholders before this pipeline."
            )
    return "".join(pieces)


def _pcre_literal(char: str, shown: str, target: str) -> str:
    if char.isascii() and char.isalnum():
        return char
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if code < 0x80:
        # In PCRE and Python's re, a backslash before an ASCII character that is not a
        # letter or digit always matches that character itself.
        return "\\" + char
    # NOTE: PCRE folds case outside ASCII only in UTF mode with UCP, and Splunk does not
    # document the mode of its regex command, so a non-ASCII letter could match
    # differently there than in a search term.
    raise SigmaTransformationError(
        f"The value {shown} needs a {target} '| regex' filter but contains the "
        f"non-ASCII character {char!r} (U+{code:04X}), whose case-insensitive match {target} "
        "does not document for regular expressions. Remove the character or replace it "
        "with the wildcard '?'."
    )


@dataclass
class ExactValueTransformation(DetectionItemTransformation):
    """Move detection items whose values a Splunk search term cannot express into a regex."""

    # NOTE: a negated item becomes `| regex field!="..."`. Splunk does not document whether
    # that keeps events without the field, so the SPL evaluator raises on such events
    # instead of giving a verdict.
    target: str = "Splunk"

    def apply_detection_item(
        self, detection_item: SigmaDetectionItem
    ) -> SigmaDetection | SigmaDetectionItem | None:
        strings = [v for v in detection_item.value if isinstance(v, SigmaString)]
        problems = [(v, p) for v in strings if (p := search_term_problem(v)) is not None]
        if not problems:
            return None
        first_value, reason = problems[0]
        self._check_convertible(detection_item, strings, first_value, reason)
        if detection_item.value_linking is ConditionOR:
            # One regular expression for all values keeps them in one ORed filter, which
            # the backend can append after the search.
            groups = [strings]
            kept = []
        else:
            # With "|all" every value must match on its own, so each one that a search
            # term cannot express becomes its own regular expression.
            groups = [[value] for value, _ in problems]
            kept = [v for v in strings if search_term_problem(v) is None]
        converted = [self._regex(detection_item, group, reason) for group in groups]
        detection_item.value = [*kept, *converted]
        return detection_item

    def _check_convertible(
        self,
        detection_item: SigmaDetectionItem,
        strings: list[SigmaString],
        first_value: SigmaString,
        reason: str,
    ) -> None:
        shown = shown_value(detection_item, first_value)
        if detection_item.field is None:
            raise SigmaTransformationError(
                f"The keyword value {shown} contains {reason}. The {self.target} pipeline can "
                "only match such a value exactly on a named field. Name the field.",
                source=detection_item.source,
            )
        if any(isinstance(v, SigmaCasedString) for v in strings):
            raise SigmaTransformationError(
                f"The case-sensitive value {shown} of '{detection_item.field}' contains "
                f"{reason}. The {self.target} pipeline matches such values with a "
                "case-insensitive regular expression. Drop the 'cased' modifier or use 're'.",
                source=detection_item.source,
            )
        if len(strings) != len(detection_item.value):
            raise SigmaTransformationError(
                f"The value {shown} of '{detection_item.field}' contains {reason} and shares "
                "its detection item with values that are not strings. Put it in a detection "
                "item of its own.",
                source=detection_item.source,
            )

    def _regex(
        self, item: SigmaDetectionItem, values: list[SigmaString], reason: str
    ) -> ExactValueRegex:
        shown = [shown_value(item, value) for value in values]
        alternatives = "|".join(
            pcre_for(value, text, self.target) for value, text in zip(values, shown, strict=True)
        )
        return ExactValueRegex(
            _REGEX_TEMPLATE.format(alternatives=alternatives), values=tuple(shown), reason=reason
        )


def shown_value(item: SigmaDetectionItem, value: SigmaString) -> str:
    """Quote a value as the rule wrote it, with control characters escaped for one-line messages."""
    originals = item.original_value or []
    if len(originals) == len(item.value) and value in item.value:
        # Modifiers such as contains add wildcards to the value; the message shows the
        # value before them, as it appears in the rule.
        original = originals[item.value.index(value)]
        if isinstance(original, SigmaString):
            value = original
    return "'" + sigma_notation(value).translate(CONTROL_ESCAPES) + "'"


def sigma_notation(value: SigmaString) -> str:
    """Write a Sigma string back in rule notation, escaping literal '*', '?' and backslashes."""
    pieces = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            pieces.append("*")
        elif part == SpecialChars.WILDCARD_SINGLE:
            pieces.append("?")
        elif isinstance(part, str):
            pieces.append("".join(_SIGMA_ESCAPES.get(char, char) for char in part))
    return "".join(pieces)


# The backend's deferred field reference: "| where 'a'='b'" or "| where NOT 'a'='b'",
# each on a line of its own (pySigma-backend-splunk 2.1.0, SplunkDeferredFieldRefExpression).
_FIELD_REFERENCE_WHERE = re.compile(r"^\| where (NOT )?'([^'\n]+)'='([^'\n]+)'$", re.MULTILINE)


@dataclass
class FieldReferenceCaseTransformation(QueryPostprocessingTransformation):
    """Compare field references case-insensitively, and read a missing field as unequal.

    ``where`` compares strings case-sensitively, and a comparison with a missing field is
    null, so ``where NOT 'a'='b'`` would drop events without ``a``. In Sigma both fields
    compare case-insensitively, and ``not`` of a comparison with a missing field holds.
    """

    # Fields whose values the pipeline itself derives in lower case (the region comparison).
    skip_fields: frozenset[str] = frozenset()

    def apply(self, rule: SigmaRule | SigmaCorrelationRule, query: str) -> str:
        super().apply(rule, query)
        return _FIELD_REFERENCE_WHERE.sub(self._rewrite, query)

    def _rewrite(self, found: re.Match[str]) -> str:
        negation, left, right = found.groups()
        if {left, right} & self.skip_fields:
            return found.group(0)
        comparison = (
            f"isnotnull('{left}') AND isnotnull('{right}') AND lower('{left}')=lower('{right}')"
        )
        return f"| where NOT ({comparison})" if negation else f"| where {comparison}"
