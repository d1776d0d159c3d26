"""Match every Sigma string exactly in ES|QL.

pySigma-backend-elasticsearch 2.1.1 escapes a literal ``*``, ``?`` or backslash of a Sigma
string with a backslash in every string it writes. In an ES|QL ``==`` or ``starts_with``
string, ``\\*`` is a syntax error. In a ``LIKE`` pattern the string escape is spent first,
so a backslash of the value escapes the next wildcard and the pattern matches something
else. A line break is written raw, which ES|QL strings cannot hold.

ExactEsqlValueTransformation turns every string with a literal ``*``, ``?`` or backslash
into an ``RLIKE`` Lucene regular expression that it escapes itself. Other strings keep the
backend's ``==``, ``starts_with``, ``ends_with`` and ``LIKE``, which are exact for them.
escape_line_breaks() then writes the line breaks inside string literals as ES|QL's ``\\n``
and ``\\r`` escapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sigma.modifiers import SigmaRegularExpression
from sigma.processing.transformations.base import DetectionItemTransformation
from sigma.rule import SigmaDetection, SigmaDetectionItem
from sigma.types import SigmaFieldReference, SigmaString, SpecialChars

from .esql_items import DERIVED_FIELDS, lower_placeholder

# Characters whose literal meaning a backend-escaped ES|QL string or LIKE pattern loses.
_SPECIAL_LITERALS = frozenset("*?\\")

# The backend writes a query on one line, so every line break in its output is part of a
# string literal.
_LINE_BREAK_ESCAPES = str.maketrans({"\n": "\\n", "\r": "\\r"})


def needs_rlike(value: SigmaString) -> bool:
    """Return whether the backend would write the value wrongly as ==, starts_with or LIKE."""
    return any(isinstance(part, str) and _SPECIAL_LITERALS.intersection(part) for part in value.s)


def lucene_regex(value: SigmaString) -> str:
    """Translate a Sigma string into a Lucene regular expression that matches the whole value."""
    pieces = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            pieces.append(".*")
        elif part == SpecialChars.WILDCARD_SINGLE:
            pieces.append(".")
        elif isinstance(part, str):
            pieces.extend(_lucene_literal(char) for char in part)
    return "".join(pieces)


def _lucene_literal(char: str) -> str:
    # Lucene RegExp reads a backslash followed by any character as that character, and
    # only ASCII punctuation has a special meaning. Letters and digits stay bare because
    # \d, \s and \w are classes. Control characters stay bare because Lucene has no
    # escapes such as \n.
    if char.isascii() and not char.isalnum() and 0x20 <= ord(char) < 0x7F:
        return "\\" + char
    return char


@dataclass
class ExactEsqlValueTransformation(DetectionItemTransformation):
    """Write strings with a literal '*', '?' or backslash as RLIKE expressions."""

    def apply_detection_item(
        self, detection_item: SigmaDetectionItem
    ) -> SigmaDetection | SigmaDetectionItem | None:
        if detection_item.field is None:
            return None
        if not any(isinstance(v, SigmaString) and needs_rlike(v) for v in detection_item.value):
            return None
        detection_item.value = [
            SigmaRegularExpression(lucene_regex(v))
            if isinstance(v, SigmaString) and needs_rlike(v)
            else v
            for v in detection_item.value
        ]
        return detection_item


@dataclass
class CaseInsensitiveFieldReferenceTransformation(DetectionItemTransformation):
    """Compare two fields case-insensitively: ``to_lower(a) == to_lower(b)``.

    The derived region fields are lower case already and keep their plain comparison.
    """

    def apply_detection_item(
        self, detection_item: SigmaDetectionItem
    ) -> SigmaDetection | SigmaDetectionItem | None:
        field = detection_item.field
        references = [v for v in detection_item.value if isinstance(v, SigmaFieldReference)]
        if field is None or field in DERIVED_FIELDS or len(references) != len(detection_item.value):
            return None
        if any(ref.field in DERIVED_FIELDS or ref.starts_with or ref.ends_with for ref in references):
            return None
        detection_item.field = lower_placeholder(field)
        detection_item.value = [SigmaFieldReference(lower_placeholder(ref.field)) for ref in references]
        return detection_item


def escape_line_breaks(query: str) -> str:
    """Write the line breaks of the backend's one-line query as ES|QL string escapes."""
    return query.translate(_LINE_BREAK_ESCAPES)
