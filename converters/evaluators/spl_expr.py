"""Parsed eval and where expressions and their evaluation against one event."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from lark import Token, Transformer, v_args

from converters.errors import EvaluatorError, UnsupportedQueryError
from converters.evaluators import spl_values as values
from converters.evaluators.spl_regex import unescape_spl
from converters.evaluators.spl_values import Value

Event = Mapping[str, object]


class Expr:
    """A node of a parsed eval expression."""

    def evaluate(self, event: Event) -> Value:
        raise NotImplementedError

    def children(self) -> tuple[Expr, ...]:
        return ()

    def field_refs(self) -> Iterator[str]:
        """Yield the names of the fields this expression reads."""
        for child in self.children():
            yield from child.field_refs()


@dataclass(frozen=True)
class Literal(Expr):
    value: Value

    def evaluate(self, event: Event) -> Value:
        return self.value


@dataclass(frozen=True)
class FieldRef(Expr):
    name: str

    def evaluate(self, event: Event) -> Value:
        return values.read_field(event, self.name)

    def field_refs(self) -> Iterator[str]:
        yield self.name


@dataclass(frozen=True)
class Comparison(Expr):
    operator: str
    left: Expr
    right: Expr

    def evaluate(self, event: Event) -> Value:
        return values.compare(self.operator, self.left.evaluate(event), self.right.evaluate(event))

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Logical(Expr):
    """A chain of AND, OR or XOR operands, combined with three-valued logic."""

    operator: str
    operands: tuple[Expr, ...]

    def evaluate(self, event: Event) -> Value:
        combine = _LOGICAL[self.operator]
        result = values.require_boolean(self.operands[0].evaluate(event), self.operator)
        for operand in self.operands[1:]:
            result = combine(result, values.require_boolean(operand.evaluate(event), self.operator))
        return result

    def children(self) -> tuple[Expr, ...]:
        return self.operands


_LOGICAL: dict[str, Callable[[bool | None, bool | None], bool | None]] = {
    "AND": values.logical_and,
    "OR": values.logical_or,
    "XOR": values.logical_xor,
}


@dataclass(frozen=True)
class Not(Expr):
    operand: Expr

    def evaluate(self, event: Event) -> Value:
        result = values.require_boolean(self.operand.evaluate(event), "NOT")
        return None if result is None else not result

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Concat(Expr):
    """The "." operator, which concatenates values as text and is null when any operand is null."""

    operands: tuple[Expr, ...]

    def evaluate(self, event: Event) -> Value:
        parts = []
        for operand in self.operands:
            value = operand.evaluate(event)
            if value is None:
                return None
            parts.append(values.to_text(value, "the '.' operator"))
        return "".join(parts)

    def children(self) -> tuple[Expr, ...]:
        return self.operands


@dataclass(frozen=True)
class Call(Expr):
    """A call of an eval function. ``impl`` receives the argument nodes and the event."""

    name: str
    arguments: tuple[Expr, ...]
    impl: Callable[[tuple[Expr, ...], Event], Value]

    def evaluate(self, event: Event) -> Value:
        return self.impl(self.arguments, event)

    def children(self) -> tuple[Expr, ...]:
        return self.arguments


@v_args(inline=True)
class ExprBuilder(Transformer):
    """Turn the parse tree of an eval or where expression into Expr objects.

    ``make_call`` builds a Call from a function name and its arguments, and raises
    UnsupportedQueryError for functions the evaluator does not implement.
    """

    def __init__(self, make_call: Callable[[str, tuple[Expr, ...]], Expr]) -> None:
        super().__init__()
        self._make_call = make_call

    def e_xor_chain(self, *operands: Expr) -> Expr:
        return operands[0] if len(operands) == 1 else Logical("XOR", operands)

    def e_or_chain(self, *operands: Expr) -> Expr:
        return operands[0] if len(operands) == 1 else Logical("OR", operands)

    def e_and_chain(self, *operands: Expr) -> Expr:
        return operands[0] if len(operands) == 1 else Logical("AND", operands)

    def e_not(self, operand: Expr) -> Expr:
        return Not(operand)

    def e_bang(self, operand: Expr) -> Expr:
        raise UnsupportedQueryError("the '!' operator is not supported; write NOT")

    def e_comparison(self, left: Expr, operator: Token, right: Expr) -> Expr:
        return Comparison(str(operator), left, right)

    def e_like_op(self, left: Expr, right: Expr) -> Expr:
        return self._make_call("like", (left, right))

    def e_in_op(self, *args: Expr) -> Expr:
        raise UnsupportedQueryError(
            "the IN operator and in() function of eval and where are not supported; "
            'write field="a" OR field="b"'
        )

    def e_concat_chain(self, *operands: Expr) -> Expr:
        return operands[0] if len(operands) == 1 else Concat(operands)

    def e_arith_chain(self, *items: Expr | Token) -> Expr:
        if len(items) == 1:
            return items[0]  # type: ignore[return-value]
        raise UnsupportedQueryError(
            f"the arithmetic operator '{items[1]}' is not supported by the offline SPL evaluator"
        )

    def e_negate(self, operand: Expr) -> Expr:
        if isinstance(operand, Literal) and isinstance(operand.value, (int, float)):
            return Literal(-operand.value)
        raise UnsupportedQueryError("unary minus is supported only before a number literal")

    def e_number(self, token: Token) -> Expr:
        text = str(token)
        return Literal(float(text) if "." in text else int(text))

    def e_string(self, token: Token) -> Expr:
        # eval performs one level of backslash unescaping before functions see a string
        # (replace() in "Text functions" of the Search Reference).
        return Literal(unescape_spl(str(token)[1:-1]))

    def e_quoted_field(self, token: Token) -> Expr:
        return FieldRef(str(token)[1:-1])

    def e_field(self, token: Token) -> Expr:
        return FieldRef(str(token))

    def e_call(self, name: Token, *arguments: Expr) -> Expr:
        return self._make_call(str(name), arguments)


def require_where_result(value: Value) -> bool:
    """Return whether where keeps an event, which it does only for true (not for false or null)."""
    if value is None or isinstance(value, bool):
        return value is True
    raise EvaluatorError(
        f"the where expression returned {value!r}, not a Boolean; where needs a condition "
        'such as field="value"'
    )
