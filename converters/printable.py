"""Escape text from events and inputs so that it cannot break a line of output or a terminal."""

from __future__ import annotations

import json
import re

# Characters that json.dumps(ensure_ascii=False) leaves as they are but that break a
# line of output or a terminal: lone surrogates (not encodable as UTF-8), DEL and the C1
# controls (U+0085 ends a line for Python's str.splitlines), the Unicode line and
# paragraph separators, and the bidirectional overrides that reorder displayed text.
_UNSAFE_OUTPUT = re.compile("[\ud800-\udfff\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(value: object) -> str:
    """Serialise a value as one line of JSON that any UTF-8 terminal or reader takes as it is."""
    text = json.dumps(value, ensure_ascii=False)
    return _UNSAFE_OUTPUT.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


_UNSAFE_IN_MESSAGE = re.compile("[\x00-\x1f" + _UNSAFE_OUTPUT.pattern[1:])


def one_line(message: str) -> str:
    """Escape line breaks and other control characters in a message, keeping quotes and backslashes."""
    return _UNSAFE_IN_MESSAGE.sub(lambda found: f"\\u{ord(found.group()):04x}", message)


def printable(text: str) -> str:
    """Escape control characters and quotes, so that event content cannot break a line of output."""
    return json_text(text)[1:-1]
