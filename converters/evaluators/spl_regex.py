"""SPL string unescaping and the PCRE subset that maps exactly onto Python's re."""

from __future__ import annotations

import re

from converters.errors import UnsupportedQueryError

# Splunk expands \" \\ and \| in search strings and passes every other backslash
# sequence unchanged ("Quotes and escaping characters",
# https://help.splunk.com/en/splunk-enterprise/spl-search-reference/10.0/search-commands/search).
_SPL_ESCAPES = {'"': '"', "\\": "\\", "|": "|"}

# Escapes with the same meaning in PCRE (without UCP) and in Python re with re.ASCII.
_SAME_LETTER_ESCAPES = set("dDwWsSbBAfnrta")

# Inline flags whose meaning is the same in PCRE and Python re.
_SAME_FLAGS = set("ims-")

# Group openings after "(?" with the same meaning in both engines.
_SAME_GROUP_PREFIXES = (":", "=", "!", "<=", "<!", ">", "#", "P<", "P=")


def unescape_spl(text: str) -> str:
    """Expand the backslash sequences that SPL itself expands in a string."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _SPL_ESCAPES:
            out.append(_SPL_ESCAPES[text[i + 1]])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def compile_pcre(pattern: str, *, where: str) -> re.Pattern[str]:
    """Compile a PCRE pattern with Python re, or raise where the two engines may differ.

    ``where`` names the command or function for the error message. Matching with the
    result must use ``search`` (unanchored), as Splunk's regex command and match() do.
    """
    if not pattern.isascii():
        # PCRE in UTF mode and Python re.ASCII fold case differently outside ASCII.
        raise _unsupported(pattern, where, "a non-ASCII character")
    translated = _translate(pattern, where)
    try:
        # re.ASCII: without UCP, PCRE's \d \w \s \b are ASCII-only.
        return re.compile(translated, re.ASCII)
    except re.error as exc:
        raise _unsupported(pattern, where, f"syntax Python's re rejects ({exc})") from exc


def _unsupported(pattern: str, where: str, construct: str) -> UnsupportedQueryError:
    return UnsupportedQueryError(
        f"{where}: the PCRE pattern {pattern!r} uses {construct}, which the offline SPL "
        "evaluator cannot map exactly onto Python's re; rewrite the pattern without it"
    )


def _translate(pattern: str, where: str) -> str:
    out: list[str] = []
    i = 0
    in_class = False
    class_start = -1
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(_check_escape(pattern, i, where))
            i += 2
            continue
        if in_class:
            if char == "]" and i > class_start:
                in_class = False
            elif char == "[":
                raise _unsupported(pattern, where, "'[' inside a character class (POSIX classes)")
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            class_start = i + 1
            if pattern.startswith("^", class_start):
                class_start += 1
            out.append(char)
            i += 1
            continue
        if char == "(" and pattern.startswith("(?", i):
            opening, i = _translate_group_opening(pattern, i, where)
            out.append(opening)
            continue
        if char == "{" and pattern.startswith("{,", i):
            raise _unsupported(pattern, where, "the quantifier form '{,n}'")
        out.append(char)
        i += 1
    return "".join(out)


def _check_escape(pattern: str, i: int, where: str) -> str:
    if i + 1 >= len(pattern):
        raise _unsupported(pattern, where, "a trailing backslash")
    nxt = pattern[i + 1]
    if not nxt.isalnum() or nxt in _SAME_LETTER_ESCAPES:
        return pattern[i : i + 2]
    if nxt in "123456789" and not pattern[i + 2 : i + 3].isdigit():
        return pattern[i : i + 2]
    if nxt == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", pattern[i + 2 : i + 4]):
        return pattern[i : i + 2]
    raise _unsupported(pattern, where, f"the escape '\\{nxt}'")


def _translate_group_opening(pattern: str, i: int, where: str) -> tuple[str, int]:
    rest = pattern[i + 2 :]
    # PCRE's (?<name>...) is Python's (?P<name>...).
    named = re.match(r"<([A-Za-z_][A-Za-z0-9_]*)>", rest)
    if named:
        return f"(?P<{named.group(1)}>", i + 2 + named.end()
    if rest.startswith(_SAME_GROUP_PREFIXES):
        return "(?", i + 2
    flags = re.match(r"([A-Za-z-]+)[:)]", rest)
    if flags and set(flags.group(1)) <= _SAME_FLAGS:
        return "(?", i + 2
    raise _unsupported(pattern, where, f"the group opening '(?{rest[:3]}'")
