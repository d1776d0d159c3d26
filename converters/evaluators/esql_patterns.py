"""Translate ES|QL ``LIKE`` wildcards and ``RLIKE`` Lucene regular expressions to Python ``re``.

Both operators match the whole value, case-sensitively. The patterns reach this module after
the ES|QL string literal has been unescaped, so ``"a\\\\*"`` in a query is ``a\\*`` here: two
escaping layers (https://www.elastic.co/docs/reference/query-languages/esql/functions-operators/operators#esql-like).
"""

from __future__ import annotations

import re

from converters.errors import EvaluatorError, UnsupportedQueryError

_ANY = re.DOTALL


def compile_like(pattern: str) -> re.Pattern[str]:
    """Compile a LIKE pattern: ``*`` any string, ``?`` one character, ``\\`` escapes.

    Elasticsearch rejects an escape that is not followed by ``*``, ``?`` or ``\\`` (esql-core
    ``StringUtils.wildcardToJavaPattern``, called when the pattern is built), so this does too.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 == len(pattern) or pattern[i + 1] not in "*?\\":
                raise EvaluatorError(
                    f"LIKE pattern {pattern!r}: invalid sequence at position {i}: the escape "
                    "character must be followed by *, ? or \\"
                )
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        i += 1
    return re.compile("".join(out), _ANY)


def compile_rlike(pattern: str) -> re.Pattern[str]:
    """Compile an RLIKE pattern, read with Lucene ``RegExp`` syntax and all optional operators.

    ES|QL builds ``new RegExp(pattern, RegExp.ALL)`` (esql-core ``RLikePattern``), so this parser
    follows Lucene's own recursive descent (``org.apache.lucene.util.automaton.RegExp``): ``^`` and
    ``$`` are ordinary characters, ``\\d \\s \\w`` are ASCII classes, ``"..."`` is a literal
    string, ``@`` any string, ``#`` the empty language. Intersection ``&``, complement ``~``,
    intervals ``<n-m>`` and named automata ``<name>`` raise UnsupportedQueryError.
    """
    try:
        return re.compile(_LuceneRegex(pattern).translate(), _ANY)
    except re.error as exc:  # a translation that Python refuses is our bug or an edge case
        raise UnsupportedQueryError(f"RLIKE pattern {pattern!r}: cannot translate ({exc})") from exc


# Lucene's predefined classes (RegExp.expandPredefined): ASCII only, unlike Python's.
_PREDEFINED = {"d": "0-9", "s": " \\t\\n\\r", "w": "a-zA-Z_0-9"}


class _LuceneRegex:
    """Recursive-descent reader of one Lucene regular expression, emitting Python regex text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def translate(self) -> str:
        if not self.text:
            return ""
        expr = self._union()
        if self.pos < len(self.text):
            self._fail(f"end-of-string expected at position {self.pos}")
        return expr

    # --- cursor helpers mirroring RegExp.peek/match/next -------------------------------------

    def _more(self) -> bool:
        return self.pos < len(self.text)

    def _peek(self, chars: str) -> bool:
        return self._more() and self.text[self.pos] in chars

    def _match(self, char: str) -> bool:
        if self._more() and self.text[self.pos] == char:
            self.pos += 1
            return True
        return False

    def _next(self) -> str:
        if not self._more():
            self._fail("unexpected end-of-string")
        char = self.text[self.pos]
        self.pos += 1
        return char

    def _fail(self, message: str) -> None:
        raise EvaluatorError(
            f"RLIKE pattern {self.text!r} is not a valid regular expression: {message}"
        )

    # --- grammar ------------------------------------------------------------------------------

    def _union(self) -> str:
        alternatives = [self._intersection()]
        while self._match("|"):
            alternatives.append(self._intersection())
        return alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"

    def _intersection(self) -> str:
        expr = self._concatenation()
        if self._peek("&"):
            raise UnsupportedQueryError(
                f"RLIKE pattern {self.text!r}: the Lucene intersection operator '&' is "
                "not supported"
            )
        return expr

    def _concatenation(self) -> str:
        parts = [self._repeat()]
        while self._more() and not self._peek(")|&"):
            parts.append(self._repeat())
        return "".join(parts)

    def _repeat(self) -> str:
        expr = self._complement()
        while self._peek("?*+{"):
            op = self._next()
            expr = self._bounded(expr) if op == "{" else f"(?:{expr}){op}"
        return expr

    def _bounded(self, expr: str) -> str:
        low = self._digits()
        high: int | None = low
        if self._match(","):
            high = self._digits(required=False)
        if not self._match("}"):
            self._fail(f"expected '}}' at position {self.pos}")
        if high is None:
            return f"(?:{expr}){{{low},}}"
        if low > high:  # Lucene builds the empty language for {n,m} with n > m
            return "(?!)"
        return f"(?:{expr}){{{low},{high}}}"

    def _digits(self, required: bool = True) -> int | None:
        start = self.pos
        while self._peek("0123456789"):
            self.pos += 1
        if start == self.pos:
            if required:
                self._fail(f"integer expected at position {self.pos}")
            return None
        return int(self.text[start : self.pos])

    def _complement(self) -> str:
        if self._peek("~"):
            raise UnsupportedQueryError(
                f"RLIKE pattern {self.text!r}: the Lucene complement operator '~' is not supported"
            )
        return self._char_class()

    def _char_class(self) -> str:
        if not self._match("["):
            return self._simple()
        negate = self._match("^")
        members, negated_sets = [self._class_member()], []
        while self._more() and not self._peek("]"):
            members.append(self._class_member())
        if not self._match("]"):
            self._fail(f"expected ']' at position {self.pos}")
        for member in list(members):
            if member.startswith("^"):
                members.remove(member)
                negated_sets.append(member)
        return _class_regex(members, negated_sets, negate)

    def _class_member(self) -> str:
        """Return a class body fragment; a leading '^' marks a negated predefined class."""
        predefined = self._predefined()
        if predefined is not None:
            return predefined
        low = self._char_exp()
        if self._match("-"):
            high = self._char_exp()
            if ord(low) > ord(high):
                self._fail(f"invalid range: from ({ord(low)}) cannot be > to ({ord(high)})")
            return f"{_class_char(low)}-{_class_char(high)}"
        return _class_char(low)

    def _predefined(self) -> str | None:
        """Read a backslash escape the way RegExp.matchPredefinedCharacterClass does.

        Returns a class fragment for \\d \\s \\w, '^' + fragment for \\D \\S \\W, the escaped
        backslash for ``\\\\``, or None (having consumed the backslash) for any other escape.
        """
        if not self._match("\\"):
            return None
        if self._peek("dDsSwW"):
            letter = self._next()
            body = _PREDEFINED[letter.lower()]
            return body if letter.islower() else "^" + body
        if self._peek("\\"):
            self.pos += 1
            return "\\\\"
        if self._more() and self.text[self.pos].isascii() and self.text[self.pos].isalpha():
            self._fail(f"invalid character class \\{self.text[self.pos]}")
        return None

    def _char_exp(self) -> str:
        self._match("\\")
        return self._next()

    def _simple(self) -> str:
        if self._match("."):
            return "."
        if self._match("#"):
            return "(?!)"
        if self._match("@"):
            return "(?:.*)"
        if self._match('"'):
            return self._quoted()
        if self._match("("):
            if self._match(")"):
                return "(?:)"
            inner = self._union()
            if not self._match(")"):
                self._fail(f"expected ')' at position {self.pos}")
            return f"(?:{inner})"
        if self._peek("<"):
            raise UnsupportedQueryError(
                f"RLIKE pattern {self.text!r}: Lucene intervals <n-m> and named automata <name> "
                "are not supported"
            )
        predefined = self._predefined()
        if predefined is not None:
            return f"[{predefined}]"  # also covers '^...' (negated) and an escaped backslash
        return re.escape(self._char_exp())

    def _quoted(self) -> str:
        start = self.pos
        while self._more() and not self._peek('"'):
            self.pos += 1
        if not self._match('"'):
            self._fail(f"expected '\"' at position {self.pos}")
        return f"(?:{re.escape(self.text[start : self.pos - 1])})"


def _class_char(char: str) -> str:
    return re.escape(char) if not char.isalnum() else char


def _class_regex(members: list[str], negated_sets: list[str], negate: bool) -> str:
    """Build a Python class for a Lucene class: a union of members and negated predefined sets."""
    options = [f"[{''.join(members)}]"] if members else []
    options += [f"[{body}]" for body in negated_sets]  # body already starts with '^'
    union = options[0] if len(options) == 1 else f"(?:{'|'.join(options)})"
    return f"(?:(?!{union}).)" if negate else union
