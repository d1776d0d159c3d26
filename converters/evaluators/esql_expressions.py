"""Expression nodes of the offline ES|QL evaluator and their null and multi-value rules.

Rules, from Elastic's "Working with NULL values in ES|QL" page
(https://www.elastic.co/docs/reference/query-languages/esql/esql-null-values): a comparison with
a null operand is null, ``NOT null`` is null, AND/OR use three-valued logic. From "ES|QL
multivalued fields" (https://www.elastic.co/docs/reference/query-languages/esql/esql-multivalued-fields):
single-value operators and functions return null, with a warning, on a multi-valued input.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from converters.errors import EvaluatorError
from converters.evaluators.esql_values import (
    EvalContext,
    Row,
    is_multi,
    is_number,
    type_name,
)

MV_WARNING = "single-value function encountered multi-value"


class Expr:
    """An ES|QL expression: ``evaluate`` returns a column value for one row."""

    text: str = ""

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        raise NotImplementedError

    def children(self) -> tuple[Expr, ...]:
        return ()

    def columns(self) -> Iterator[str]:
        """Yield every column name the expression reads."""
        for child in self.children():
            yield from child.columns()


def single(value: Any, ctx: EvalContext, what: str) -> Any:
    """Return a single value, or null with the ES|QL warning when it is multi-valued."""
    if is_multi(value):
        ctx.warn(f"evaluation of [{what}] failed, treating result as null: {MV_WARNING}")
        return None
    return value


def require_boolean(value: Any, what: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise EvaluatorError(
            f"[{what}] needs a boolean operand, found {type_name(value)} {value!r}"
        )


@dataclass
class Literal(Expr):
    value: Any
    text: str = ""

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        return self.value


@dataclass
class Column(Expr):
    name: str
    text: str = ""

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        return row.get(self.name)

    def columns(self) -> Iterator[str]:
        yield self.name


@dataclass
class Not(Expr):
    operand: Expr
    text: str = ""

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        value = single(self.operand.evaluate(row, ctx), ctx, self.text)
        require_boolean(value, self.text)
        return None if value is None else not value


@dataclass
class Logical(Expr):
    """AND / OR with three-valued logic."""

    op: str
    left: Expr
    right: Expr
    text: str = ""

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        left = single(self.left.evaluate(row, ctx), ctx, self.text)
        right = single(self.right.evaluate(row, ctx), ctx, self.text)
        require_boolean(left, self.text)
        require_boolean(right, self.text)
        decisive = self.op == "OR"  # true decides OR, false decides AND
        if left is decisive or right is decisive:
            return decisive
        if left is None or right is None:
            return None
        return not decisive


@dataclass
class IsNull(Expr):
    operand: Expr
    negated: bool
    text: str = ""

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        # A multi-valued field is not null: IS NULL only tests for the absence of values.
        return (self.operand.evaluate(row, ctx) is None) != self.negated


_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def check_comparable(left: Any, right: Any, what: str) -> None:
    """Reject operands ES|QL's type resolution would reject (keyword vs number, ...)."""
    if is_number(left) and is_number(right):
        return
    if type_name(left) != type_name(right):
        raise EvaluatorError(
            f"[{what}] compares {type_name(left)} {left!r} with {type_name(right)} {right!r}; "
            "ES|QL refuses to compare different types"
        )


@dataclass
class Comparison(Expr):
    op: str
    left: Expr
    right: Expr
    text: str = ""

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        left = single(self.left.evaluate(row, ctx), ctx, self.text)
        right = single(self.right.evaluate(row, ctx), ctx, self.text)
        if left is None or right is None:
            return None
        check_comparable(left, right, self.text)
        if isinstance(left, bool) and self.op not in ("==", "!="):
            raise EvaluatorError(f"[{self.text}] orders booleans, which ES|QL does not allow")
        # Strings compare as UTF-8 bytes in Elasticsearch, which is code-point order in Python.
        return _COMPARATORS[self.op](left, right)


@dataclass
class In(Expr):
    """``value IN (items)``, following the decision tree documented on ES|QL's ``In`` class.

    null value -> null; multi-valued value -> null and a warning; a multi-valued item never
    matches (warning); a match -> true; otherwise null if an item is null, else false.
    """

    value: Expr
    items: list[Expr]
    text: str = ""

    def children(self) -> tuple[Expr, ...]:
        return (self.value, *self.items)

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        value = single(self.value.evaluate(row, ctx), ctx, self.text)
        if value is None:
            return None
        saw_null = False
        for item in self.items:
            candidate = item.evaluate(row, ctx)
            if candidate is None:
                saw_null = True
                continue
            if is_multi(candidate):
                ctx.warn(f"evaluation of [{self.text}] found a multi-valued item: {MV_WARNING}")
                continue
            check_comparable(value, candidate, self.text)
            if value == candidate:
                return True
        return None if saw_null else False


@dataclass
class PatternMatch(Expr):
    """``LIKE`` / ``RLIKE`` over the whole value; a list of patterns matches if any does."""

    operand: Expr
    patterns: list[re.Pattern[str]]
    text: str = ""

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        value = single(self.operand.evaluate(row, ctx), ctx, self.text)
        if value is None:
            return None
        if not isinstance(value, str):
            raise EvaluatorError(f"[{self.text}] needs a string operand, found {type_name(value)}")
        return any(p.fullmatch(value) for p in self.patterns)


_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


@dataclass
class Arithmetic(Expr):
    """``+ - * / %`` on numbers, with Java integer semantics (truncating division)."""

    op: str
    left: Expr
    right: Expr
    text: str = ""

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        left = single(self.left.evaluate(row, ctx), ctx, self.text)
        right = single(self.right.evaluate(row, ctx), ctx, self.text)
        if left is None or right is None:
            return None
        if not (is_number(left) and is_number(right)):
            raise EvaluatorError(
                f"[{self.text}] needs numeric operands, found {type_name(left)} and "
                f"{type_name(right)}"
            )
        if self.op in "/%" and right == 0:
            ctx.warn(f"evaluation of [{self.text}] failed, treating result as null: / by zero")
            return None
        result = _arith(self.op, left, right)
        if isinstance(result, int) and not _INT_MIN <= result <= _INT_MAX:
            ctx.warn(f"evaluation of [{self.text}] failed, treating result as null: long overflow")
            return None
        return result


def _arith(op: str, left: Any, right: Any) -> Any:
    both_int = isinstance(left, int) and isinstance(right, int)
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        if both_int:
            quotient = abs(left) // abs(right)
            return quotient if (left >= 0) == (right >= 0) else -quotient
        return left / right
    if both_int:  # Java %: the sign follows the dividend
        remainder = abs(left) % abs(right)
        return remainder if left >= 0 else -remainder
    return math.fmod(left, right)


@dataclass
class Negate(Expr):
    operand: Expr
    text: str = ""

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        value = single(self.operand.evaluate(row, ctx), ctx, self.text)
        if value is None:
            return None
        if not is_number(value):
            raise EvaluatorError(f"[{self.text}] needs a numeric operand, found {type_name(value)}")
        return -value


@dataclass
class Call(Expr):
    """A scalar function call; ``impl`` receives the argument expressions, the row and context."""

    name: str
    args: list[Expr]
    impl: Callable[[Call, Row, EvalContext], Any] = field(repr=False)
    text: str = ""

    def children(self) -> tuple[Expr, ...]:
        return tuple(self.args)

    def evaluate(self, row: Row, ctx: EvalContext) -> Any:
        return self.impl(self, row, ctx)
