"""GROK and DISSECT patterns of the offline ES|QL evaluator.

GROK expands ``%{PATTERN:name[:type]}`` references the way Elasticsearch's ``libs/grok`` does,
then translates the Oniguruma (Ruby syntax) expression to Python ``re`` and searches it
unanchored. DISSECT follows ``libs/dissect``'s byte-wise delimiter walk. Both return, per
input string, a mapping of column name to value, or None when the pattern does not match.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from converters.errors import EvaluatorError, UnsupportedQueryError

# A subset of Elasticsearch's ecs-v1 ``grok-patterns`` bank (libs/grok/src/main/resources),
# limited to patterns whose Oniguruma syntax maps exactly to Python ``re``.
GROK_PATTERNS: dict[str, str] = {
    "USERNAME": r"[a-zA-Z0-9._-]+",
    "USER": r"%{USERNAME}",
    "INT": r"(?:[+-]?(?:[0-9]+))",
    "BASE10NUM": r"(?<![0-9.+-])(?>[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+)))",
    "NUMBER": r"(?:%{BASE10NUM})",
    "BASE16NUM": r"(?<![0-9A-Fa-f])(?:[+-]?(?:0x)?(?:[0-9A-Fa-f]+))",
    "POSINT": r"\b(?:[1-9][0-9]*)\b",
    "NONNEGINT": r"\b(?:[0-9]+)\b",
    "WORD": r"\b\w+\b",
    "NOTSPACE": r"\S+",
    "SPACE": r"\s*",
    "DATA": r".*?",
    "GREEDYDATA": r".*",
    "QUOTEDSTRING": (
        r"(?>(?<!\\)(?>\"(?>\\.|[^\\\"]+)+\"|\"\"|(?>'(?>\\.|[^\\']+)+')|''|(?>`(?>\\.|[^\\`]+)+`)|``))"
    ),
    "QS": r"%{QUOTEDSTRING}",
    "UUID": r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
    "IPV4": (
        r"(?<![0-9])(?:(?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])"
        r"[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]))(?![0-9])"
    ),
    "IPV6": (
        r"((([0-9A-Fa-f]{1,4}:){7}([0-9A-Fa-f]{1,4}|:))|(([0-9A-Fa-f]{1,4}:){6}(:[0-9A-Fa-f]{1,4}|"
        r"((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))|"
        r"(([0-9A-Fa-f]{1,4}:){5}(((:[0-9A-Fa-f]{1,4}){1,2})|:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
        r"(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))|(([0-9A-Fa-f]{1,4}:){4}(((:[0-9A-Fa-f]{1,4})"
        r"{1,3})|((:[0-9A-Fa-f]{1,4})?:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|"
        r"[1-9]?\d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){3}(((:[0-9A-Fa-f]{1,4}){1,4})|((:[0-9A-Fa-f]{1,4})"
        r"{0,2}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|"
        r"(([0-9A-Fa-f]{1,4}:){2}(((:[0-9A-Fa-f]{1,4}){1,5})|((:[0-9A-Fa-f]{1,4}){0,3}:((25[0-5]|"
        r"2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(([0-9A-Fa-f]{1,4}:)"
        r"{1}(((:[0-9A-Fa-f]{1,4}){1,6})|((:[0-9A-Fa-f]{1,4}){0,4}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
        r"(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(:(((:[0-9A-Fa-f]{1,4}){1,7})|((:[0-9A-Fa-f]"
        r"{1,4}){0,5}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|"
        r":)))(%.+)?"
    ),
    "IP": r"(?:%{IPV6}|%{IPV4})",
    "HOSTNAME": (
        r"\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(\.?|\b)"
    ),
    "IPORHOST": r"(?:%{IP}|%{HOSTNAME})",
    "HOSTPORT": r"%{IPORHOST}:%{POSINT}",
    "EMAILLOCALPART": (
        r"[a-zA-Z0-9!#$%&'*+\-/=?^_`{|}~]{1,64}(?:\.[a-zA-Z0-9!#$%&'*+\-/=?^_`{|}~]{1,62}){0,63}"
    ),
    "EMAILADDRESS": r"%{EMAILLOCALPART}@%{HOSTNAME}",
    "YEAR": r"(?>\d\d){1,2}",
    "MONTHNUM": r"(?:0?[1-9]|1[0-2])",
    "MONTHDAY": r"(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])",
    "HOUR": r"(?:2[0123]|[01]?[0-9])",
    "MINUTE": r"(?:[0-5][0-9])",
    "SECOND": r"(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)",
    "ISO8601_TIMEZONE": r"(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))",
    "TIMESTAMP_ISO8601": (
        r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?"
    ),
}

# The reference syntax libs/grok recognises (Grok.GROK_PATTERN), without definitions.
_REFERENCE = re.compile(r"%\{(?P<pattern>[A-z0-9]+)(?::(?P<subname>[A-Za-z0-9@\[\]_:.-]+))?\}")


@dataclass(frozen=True)
class Capture:
    """One named group of a compiled grok expression: its column and value type."""

    group: str
    column: str
    kind: str


class GrokPattern:
    """A compiled GROK pattern; ``columns`` lists its output columns in pattern order."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        translator = _OnigurumaTranslator(_expand(pattern))
        try:
            self.regex = re.compile(translator.translate(), re.MULTILINE)
        except re.error as exc:
            raise UnsupportedQueryError(
                f"GROK pattern {pattern!r} uses regular-expression syntax that cannot be "
                f"translated to Python ({exc})"
            ) from exc
        self.captures = translator.captures
        self.columns: list[str] = list(dict.fromkeys(c.column for c in self.captures))
        self.kinds = {c.column: c.kind for c in self.captures}

    def parse(self, text: str) -> dict[str, list[Any]] | None:
        """Return each column's captured values (in order), or None when nothing matches."""
        match = self.regex.search(text)
        if match is None:
            return None
        found: dict[str, list[Any]] = {}
        for capture in self.captures:
            value = match.group(capture.group)
            if value is None:
                continue
            converted = _convert(value, capture.kind)
            if converted is _FAILED:  # ES|QL treats a failed conversion as a failed match
                return None
            found.setdefault(capture.column, []).append(converted)
        return found


def _expand(pattern: str, depth: int = 0) -> str:
    """Replace every ``%{NAME[:field[:type]]}`` with its definition, as Grok.toRegex does."""
    if depth > 50:
        raise EvaluatorError(f"GROK pattern {pattern!r}: circular pattern references")

    def replace(match: re.Match[str]) -> str:
        name, subname = match.group("pattern"), match.group("subname")
        if name not in GROK_PATTERNS:
            raise UnsupportedQueryError(
                f"GROK pattern %{{{name}}} is not implemented by the offline evaluator; known "
                f"patterns: {', '.join(sorted(GROK_PATTERNS))}"
            )
        body = _expand(GROK_PATTERNS[name], depth + 1)
        if subname is None:
            return f"(?:{body})"
        return f"(?<{name}:{subname}>{body})"

    return _REFERENCE.sub(replace, pattern)


_FAILED = object()
_GROK_TYPES = ("string", "int", "long", "float", "double", "boolean")


def _convert(value: str, kind: str) -> Any:
    """Convert a capture the way GrokCaptureType does; return _FAILED when Java would throw."""
    if kind == "string":
        return value
    if kind in ("int", "long"):
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            return _FAILED
        number = int(value)
        bits = 31 if kind == "int" else 63
        return number if -(2**bits) <= number < 2**bits else _FAILED
    if kind in ("float", "double"):
        try:
            number = float(value)
        except ValueError:
            return _FAILED
        # Grok's float is a Java float, promoted to double by ES|QL.
        return struct.unpack("f", struct.pack("f", number))[0] if kind == "float" else number
    return value.lower() == "true"  # Boolean.parseBoolean


class _OnigurumaTranslator:
    """Rewrite an expanded Oniguruma (Ruby syntax) expression into Python ``re`` syntax."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.out: list[str] = []
        self.captures: list[Capture] = []

    def translate(self) -> str:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                self.out.append(self._escape(in_class=False))
            elif char == "[":
                self.out.append(self._char_class())
            elif char == "(":
                self.out.append(self._group_open())
            else:
                self.out.append(char)
                self.pos += 1
        return "".join(self.out)

    def _unsupported(self, what: str) -> UnsupportedQueryError:
        return UnsupportedQueryError(
            f"GROK regular expression {self.text!r}: {what} is not supported"
        )

    def _escape(self, in_class: bool) -> str:
        if self.pos + 1 >= len(self.text):
            raise EvaluatorError(f"GROK regular expression {self.text!r} ends with a backslash")
        letter = self.text[self.pos + 1]
        self.pos += 2
        if letter == "h":
            return "0-9a-fA-F" if in_class else "[0-9a-fA-F]"
        if letter == "H" and not in_class:
            return "[^0-9a-fA-F]"
        if letter == "z" and not in_class:
            return r"\Z"
        if letter == "Z" and not in_class:
            return r"(?=\n?\Z)"
        if letter in "dDwWsSbBA0123456789tnrfvaex" or not letter.isalpha():
            return "\\" + letter
        raise self._unsupported(f"the escape \\{letter}")

    def _char_class(self) -> str:
        parts = ["["]
        self.pos += 1
        if self.text.startswith("^", self.pos):
            parts.append("^")
            self.pos += 1
        if self.text.startswith("]", self.pos):
            parts.append("\\]")
            self.pos += 1
        while self.pos < len(self.text) and self.text[self.pos] != "]":
            char = self.text[self.pos]
            if char == "\\":
                parts.append(self._escape(in_class=True))
                continue
            if char == "[":
                raise self._unsupported("a nested or POSIX bracket class")
            if self.text.startswith("&&", self.pos):
                raise self._unsupported("class intersection &&")
            parts.append(char)
            self.pos += 1
        if self.pos >= len(self.text):
            raise EvaluatorError(
                f"GROK regular expression {self.text!r}: unterminated character class"
            )
        self.pos += 1
        return "".join(parts) + "]"

    def _group_open(self) -> str:
        rest = self.text[self.pos :]
        named = re.match(r"\(\?<([^>=!][^>]*)>", rest)
        if named:
            self.pos += named.end()
            return self._named_group(named.group(1))
        for prefix in ("(?:", "(?=", "(?!", "(?<=", "(?<!", "(?>", "(?#"):
            if rest.startswith(prefix):
                self.pos += len(prefix)
                return prefix
        options = re.match(r"\(\?([imx-]+)([:)])", rest)
        if options:
            return self._options(options)
        if rest.startswith("(?"):
            raise self._unsupported(f"the group syntax {rest[:4]!r}")
        self.pos += 1
        return "(?:"  # Grok columns come from named groups only; plain groups capture nothing

    def _named_group(self, name: str) -> str:
        group = f"g{len(self.captures)}"
        parts = name.split(":")
        column = parts[1] if len(parts) >= 2 else parts[0]
        kind = parts[2] if len(parts) >= 3 else "string"
        if kind not in _GROK_TYPES:
            raise EvaluatorError(f"GROK capture {name!r}: unknown type {kind!r}")
        self.captures.append(Capture(group, column, kind))
        return f"(?P<{group}>"

    def _options(self, match: re.Match[str]) -> str:
        flags, end = match.group(1), match.group(2)
        # Ruby's m flag is Python's s (dot matches newline).
        translated = flags.replace("m", "s")
        if end == ")" and self.pos != 0:
            raise self._unsupported(f"the inline option group {match.group(0)!r} after the start")
        self.pos += match.end()
        return f"(?{translated}{end}"


# --- DISSECT ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    name: str
    skip: bool
    pad: bool
    append: bool
    order: int | None


class DissectPattern:
    """A compiled DISSECT pattern with optional ``APPEND_SEPARATOR``."""

    def __init__(self, pattern: str, append_separator: str = "") -> None:
        self.pattern = pattern
        self.separator = append_separator
        self.leading, pairs = _split_dissect(pattern)
        self.pairs = [(_parse_key(key, pattern), delim.encode()) for key, delim in pairs]
        appended = {k.name for k, _ in self.pairs if k.append}
        self.pairs = [
            (_Key(k.name, k.skip, k.pad, k.name in appended, k.order), d) for k, d in self.pairs
        ]
        self.columns = list(dict.fromkeys(k.name for k, _ in self.pairs if not k.skip))
        if not self.pairs or not self.columns:
            raise EvaluatorError(
                f"DISSECT pattern {pattern!r}: unable to find any keys or delimiters"
            )

    def parse(self, text: str) -> dict[str, list[Any]] | None:
        """Return each column's value (a one-element list), or None when the pattern fails."""
        data = text.encode()
        lead = self.leading.encode()
        if not (len(data) > len(lead) and data.startswith(lead)):
            return None
        matched = _DissectWalk(self.pairs, data, len(lead)).run()
        if matched is None:
            return None
        return self._results(matched)

    def _results(self, matched: list[tuple[_Key, str]]) -> dict[str, list[Any]] | None:
        simple: dict[str, str] = {}
        appends: dict[str, list[tuple[int, str]]] = {}
        implicit = -1000
        for key, value in matched:
            if key.skip:
                continue
            if not key.append:
                simple[key.name] = value
                continue
            order = key.order if key.order is not None else implicit
            implicit += key.order is None
            appends.setdefault(key.name, []).append((order, value))
        for name, values in appends.items():
            simple[name] = self.separator.join(v for _, v in sorted(values, key=lambda p: p[0]))
        if len(matched) != len(self.pairs) or len(simple) != len(self.columns):
            return None
        return {name: [value] for name, value in simple.items()}


# The two expressions DissectParser splits a pattern with (libs/dissect).
_LEADING = re.compile(r"^(.*?)%\{", re.DOTALL)
_KEY_AND_DELIMITER = re.compile(r"%\{([^}]*?)}(.+?(?=%\{)|.*$)", re.DOTALL)


def _split_dissect(pattern: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a dissect pattern into its leading delimiter and (key, following delimiter) pairs."""
    leading = _LEADING.match(pattern)
    lead = leading.group(1) if leading else ""
    pairs = [(m.group(1), m.group(2)) for m in _KEY_AND_DELIMITER.finditer(pattern[len(lead) :])]
    return lead, pairs


def _parse_key(text: str, pattern: str) -> _Key:
    """Read the modifiers of one dissect key (DissectKey): ?name, +name, +name/n, name->."""
    pad = text.endswith("->")
    body = text[:-2] if pad else text
    if body[:1] in ("*", "&"):
        raise UnsupportedQueryError(
            f"DISSECT pattern {pattern!r}: reference keys (%{{*key}}, %{{&key}}) are not supported "
            "by ES|QL"
        )
    if body[:1] == "?":
        return _Key(body[1:], True, pad, False, None)
    if body[:1] == "+":
        name, slash, order = body[1:].partition("/")
        if slash and not order.isdigit():
            raise EvaluatorError(f"DISSECT key {text!r} in {pattern!r}: invalid append order")
        return _Key(name, False, pad, True, int(order) if slash else None)
    if any(c in body for c in "+*&?/"):
        raise EvaluatorError(f"DISSECT key {text!r} in {pattern!r}: misplaced modifier")
    return _Key(body, body == "", pad, False, None)


class _DissectWalk:
    """The byte-wise left-to-right delimiter search of DissectParser.parse."""

    def __init__(self, pairs: list[tuple[_Key, bytes]], data: bytes, start: int) -> None:
        self.pairs = pairs
        self.data = data
        self.start = start

    def _at(self, i: int, delim: bytes) -> bool:
        return bool(delim) and self.data.startswith(delim, i)

    def run(self) -> list[tuple[_Key, str]] | None:
        found: list[tuple[_Key, str]] = []
        index = 0
        key, delim = self.pairs[0]
        i = value_start = self.start
        data = self.data
        while i < len(data):
            if not self._at(i, delim):
                i += 1
                continue
            found.append((key, data[value_start:i].decode(errors="replace")))
            i += len(delim)
            index, key, stop = self._skip_repeats(found, index, key, delim, i)
            i = stop
            if index + 1 >= len(self.pairs):
                break
            index += 1
            key, delim = self.pairs[index]
            value_start = i
        if len(found) < len(self.pairs) and not delim:
            found.append((key, data[value_start:].decode(errors="replace")))
        return found

    def _skip_repeats(
        self, found: list[tuple[_Key, str]], index: int, key: _Key, delim: bytes, i: int
    ) -> tuple[int, _Key, int]:
        """Consume consecutive copies of ``delim``; each one ends an empty value unless padded."""
        while self._at(i, delim):
            i += len(delim)
            if key.pad:
                continue
            if index + 1 >= len(self.pairs):
                break
            index += 1
            key = self.pairs[index][0]
            found.append((key, ""))
        return index, key, i


ParseFunction = Callable[[str], "dict[str, list[Any]] | None"]
