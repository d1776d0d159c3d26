"""Text helpers for the queries that the CloudTrail pipelines emit."""

from __future__ import annotations


def split_top_level(expression: str, operator: str) -> list[str]:
    """Split an expression at each operator outside brackets and string literals.

    Both backends quote strings with double quotes (KQL also single-quotes JSON keys)
    and escape with a backslash, which is all the scanner needs to know.
    """
    parts, depth, quote, start, index = [], 0, "", 0, 0
    while index < len(expression):
        char = expression[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and expression.startswith(operator, index):
            parts.append(expression[start:index])
            start = index + len(operator)
            index = start
            continue
        index += 1
    parts.append(expression[start:])
    return parts
