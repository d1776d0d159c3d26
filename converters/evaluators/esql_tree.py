"""Read an ES|QL query with Elastic's ANTLR grammar (package ``esql-parser``) into commands.

The parse tree is walked node by node; no part of the query is read with regular expressions.
Commands, operators and functions outside the evaluator's scope raise UnsupportedQueryError
naming the construct.
"""

from __future__ import annotations

from typing import Any

from antlr4 import CommonTokenStream, InputStream, ParserRuleContext
from antlr4.error.ErrorListener import ErrorListener
from esql_parser.EsqlBaseLexer import EsqlBaseLexer
from esql_parser.EsqlBaseParser import EsqlBaseParser as P

from converters.errors import EvaluatorError, UnsupportedQueryError
from converters.evaluators.esql_commands import (
    Command,
    Drop,
    Eval,
    Extract,
    From,
    Keep,
    Limit,
    Rename,
    Where,
)
from converters.evaluators.esql_expressions import (
    Arithmetic,
    Column,
    Comparison,
    Expr,
    In,
    IsNull,
    Literal,
    Logical,
    Negate,
    Not,
    PatternMatch,
)
from converters.evaluators.esql_functions import build_call
from converters.evaluators.esql_grok import DissectPattern, GrokPattern
from converters.evaluators.esql_patterns import compile_like, compile_rlike
from converters.evaluators.esql_values import make_value

SUPPORTED_METADATA = ("_id", "_index", "_version")


class _RaiseOnError(ErrorListener):
    def __init__(self, query: str) -> None:
        self.query = query

    def syntaxError(self, recognizer, offendingSymbol, line, column, msg, e):
        raise EvaluatorError(
            f"ES|QL syntax error at line {line}:{column + 1}: {msg} (query: {self.query!r})"
        )


def parse_tree(query: str) -> tuple[P.SingleStatementContext, InputStream]:
    """Parse with the grammar; a lexer or parser error raises EvaluatorError with its position."""
    stream = InputStream(query)
    lexer = EsqlBaseLexer(stream)
    parser = P(CommonTokenStream(lexer))
    for recognizer in (lexer, parser):
        recognizer.removeErrorListeners()
        recognizer.addErrorListener(_RaiseOnError(query))
    return parser.singleStatement(), stream


def unquote_string(token_text: str) -> str:
    """Unescape an ES|QL string literal as ES|QL's parser does.

    Triple-quoted strings are taken verbatim. In double-quoted ones ``\\t \\n \\r \\" \\\\`` are
    escapes and any other backslash pair is kept as written, so it reaches LIKE/RLIKE/GROK intact.
    """
    if token_text.startswith('"""'):
        return token_text[3:-3]
    body, out, i = token_text[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"t": "\t", "n": "\n", "r": "\r", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def unquote_identifier(text: str) -> str:
    """Remove backquotes from an identifier or pattern; a doubled backquote is a literal one."""
    out, i, quoted = [], 0, False
    while i < len(text):
        if text[i] == "`":
            if quoted and text.startswith("``", i):
                out.append("`")
                i += 2
                continue
            quoted = not quoted
        else:
            out.append(text[i])
        i += 1
    return "".join(out)


_UNSUPPORTED_PROCESSING = {
    "statsCommand": "STATS",
    "sortCommand": "SORT",
    "enrichCommand": "ENRICH",
    "mvExpandCommand": "MV_EXPAND",
    "joinCommand": "LOOKUP JOIN",
    "changePointCommand": "CHANGE_POINT",
    "completionCommand": "COMPLETION",
    "sampleCommand": "SAMPLE",
    "forkCommand": "FORK",
    "inlinestatsCommand": "INLINESTATS",
    "lookupCommand": "LOOKUP",
    "insistCommand": "INSIST",
    "rerankCommand": "RERANK",
    "rrfCommand": "RRF",
}


class TreeReader:
    """Turn a parse tree into a ``From`` source and a list of processing commands."""

    def __init__(self, query: str, unreadable: frozenset[str]) -> None:
        self.query = query
        self.unreadable = unreadable
        tree, self.stream = parse_tree(query)
        self.tree = tree

    def text(self, ctx: ParserRuleContext) -> str:
        return self.stream.getText(ctx.start.start, ctx.stop.stop)

    def unsupported(self, what: str, ctx: ParserRuleContext) -> UnsupportedQueryError:
        line, column = ctx.start.line, ctx.start.column + 1
        return UnsupportedQueryError(
            f"{what} is not supported by the offline ES|QL evaluator (line {line}:{column}: "
            f"{self.text(ctx)!r})"
        )

    # --- commands -----------------------------------------------------------------------------

    def read(self) -> tuple[From, list[Command]]:
        source, processing = self._flatten(self.tree.query())
        return self._source(source), [self._processing(c) for c in processing]

    def _flatten(self, query: Any) -> tuple[Any, list[Any]]:
        commands = []
        while isinstance(query, P.CompositeQueryContext):
            commands.append(query.processingCommand())
            query = query.query()
        return query.sourceCommand(), list(reversed(commands))

    def _source(self, ctx: P.SourceCommandContext) -> From:
        if ctx.fromCommand() is None:
            keyword = ctx.start.text.upper()
            raise self.unsupported(f"source command {keyword}", ctx)
        fields = ctx.fromCommand().indexPatternAndMetadataFields()
        patterns = [p for pattern in fields.indexPattern() for p in self._index_pattern(pattern)]
        metadata = self._metadata(fields.metadata())
        return From(patterns, metadata, self.unreadable)

    def _index_pattern(self, ctx: P.IndexPatternContext) -> list[str]:
        if ctx.clusterString() is not None:
            raise self.unsupported("cross-cluster index pattern", ctx)
        if ctx.selectorString() is not None:
            raise self.unsupported("index selector (::)", ctx)
        node = ctx.indexString()
        text = node.getText()
        if node.QUOTED_STRING() is not None:
            text = unquote_string(text)
        patterns = [p.strip() for p in text.split(",")]
        if any(p.startswith("<") for p in patterns):
            raise self.unsupported("date-math index name", ctx)
        return patterns

    def _metadata(self, ctx: P.MetadataContext | None) -> list[str]:
        if ctx is None:
            return []
        names = [token.getText() for token in ctx.UNQUOTED_SOURCE()]
        for name in names:
            if name not in SUPPORTED_METADATA:
                raise self.unsupported(f"METADATA field {name}", ctx)
        return names

    def _processing(self, ctx: P.ProcessingCommandContext) -> Command:
        for method, keyword in _UNSUPPORTED_PROCESSING.items():
            if getattr(ctx, method)() is not None:
                raise self.unsupported(f"command {keyword}", ctx)
        if ctx.whereCommand() is not None:
            return Where(self.boolean(ctx.whereCommand().booleanExpression()))
        if ctx.evalCommand() is not None:
            return Eval([self._assignment(f) for f in ctx.evalCommand().fields().field()])
        if ctx.grokCommand() is not None:
            return self._grok(ctx.grokCommand())
        if ctx.dissectCommand() is not None:
            return self._dissect(ctx.dissectCommand())
        if ctx.keepCommand() is not None:
            return Keep(self._name_patterns(ctx.keepCommand().qualifiedNamePatterns()))
        if ctx.dropCommand() is not None:
            return Drop(self._name_patterns(ctx.dropCommand().qualifiedNamePatterns()))
        if ctx.renameCommand() is not None:
            return Rename([self._rename(c) for c in ctx.renameCommand().renameClause()])
        if ctx.limitCommand() is not None:
            return Limit(self._limit(ctx.limitCommand()))
        raise self.unsupported(f"command {ctx.start.text.upper()}", ctx)

    def _assignment(self, ctx: P.FieldContext) -> tuple[str, Expr]:
        expr = self.boolean(ctx.booleanExpression())
        name = (
            self._qualified_name(ctx.qualifiedName())
            if ctx.qualifiedName()
            else self.text(ctx.booleanExpression())
        )
        return name, expr

    def _grok(self, ctx: P.GrokCommandContext) -> Extract:
        source = self.primary(ctx.primaryExpression())
        return Extract("GROK", source, GrokPattern(unquote_string(ctx.string().getText())))

    def _dissect(self, ctx: P.DissectCommandContext) -> Extract:
        source = self.primary(ctx.primaryExpression())
        separator = ""
        options = ctx.commandOptions()
        for option in options.commandOption() if options else []:
            name = unquote_identifier(option.identifier().getText())
            value = self.constant(option.constant())
            if name.lower() != "append_separator" or not isinstance(value, str):
                raise EvaluatorError(
                    f"invalid DISSECT option {self.text(option)!r}; only "
                    'APPEND_SEPARATOR="<string>" exists'
                )
            separator = value
        pattern = unquote_string(ctx.string().getText())
        return Extract("DISSECT", source, DissectPattern(pattern, separator))

    def _name_patterns(self, ctx: P.QualifiedNamePatternsContext) -> list[str]:
        return [self._name_pattern(p) for p in ctx.qualifiedNamePattern()]

    def _name_pattern(self, ctx: P.QualifiedNamePatternContext) -> str:
        parts = []
        for part in ctx.identifierPattern():
            if part.ID_PATTERN() is None:
                raise self.unsupported("query parameter", part)
            parts.append(unquote_identifier(part.ID_PATTERN().getText()))
        return ".".join(parts)

    def _rename(self, ctx: P.RenameClauseContext) -> tuple[str, str]:
        old, new = self._name_pattern(ctx.oldName), self._name_pattern(ctx.newName)
        if "*" in old or "*" in new:
            raise self.unsupported("RENAME with wildcards", ctx)
        return old, new

    def _limit(self, ctx: P.LimitCommandContext) -> int:
        value = self.constant(ctx.constant())
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise EvaluatorError(
                f"LIMIT needs a non-negative integer, got {self.text(ctx.constant())!r}"
            )
        return value

    def _qualified_name(self, ctx: P.QualifiedNameContext) -> str:
        parts = []
        for part in ctx.identifierOrParameter():
            if part.identifier() is None:
                raise self.unsupported("query parameter", part)
            parts.append(unquote_identifier(part.identifier().getText()))
        return ".".join(parts)

    # --- expressions --------------------------------------------------------------------------

    def boolean(self, ctx: Any) -> Expr:
        text = self.text(ctx)
        if isinstance(ctx, P.LogicalNotContext):
            return Not(self.boolean(ctx.booleanExpression()), text)
        if isinstance(ctx, P.BooleanDefaultContext):
            return self.value(ctx.valueExpression())
        if isinstance(ctx, P.LogicalBinaryContext):
            op = ctx.operator.text.upper()
            return Logical(op, self.boolean(ctx.left), self.boolean(ctx.right), text)
        if isinstance(ctx, P.IsNullContext):
            return IsNull(self.value(ctx.valueExpression()), ctx.NOT() is not None, text)
        if isinstance(ctx, P.LogicalInContext):
            values = [self.value(v) for v in ctx.valueExpression()]
            expr: Expr = In(values[0], values[1:], text)
            return Not(expr, text) if ctx.NOT() is not None else expr
        if isinstance(ctx, P.RegexExpressionContext):
            return self._regex(ctx.regexBooleanExpression(), text)
        if isinstance(ctx, P.MatchExpressionContext):
            raise self.unsupported("the MATCH operator (:)", ctx)
        raise self.unsupported(f"expression {type(ctx).__name__}", ctx)

    def _regex(self, ctx: Any, text: str) -> Expr:
        operand = self.value(ctx.valueExpression())
        strings = ctx.string() if isinstance(ctx, P.LikeListExpressionContext) else [ctx.string()]
        patterns = [unquote_string(s.getText()) for s in strings]
        compile_ = compile_rlike if isinstance(ctx, P.RlikeExpressionContext) else compile_like
        expr: Expr = PatternMatch(operand, [compile_(p) for p in patterns], text)
        return Not(expr, text) if ctx.NOT() is not None else expr

    def value(self, ctx: Any) -> Expr:
        if isinstance(ctx, P.ComparisonContext):
            op = ctx.comparisonOperator().getText()
            return Comparison(op, self.operator(ctx.left), self.operator(ctx.right), self.text(ctx))
        return self.operator(ctx.operatorExpression())

    def operator(self, ctx: Any) -> Expr:
        text = self.text(ctx)
        if isinstance(ctx, P.OperatorExpressionDefaultContext):
            return self.primary(ctx.primaryExpression())
        if isinstance(ctx, P.ArithmeticUnaryContext):
            operand = self.operator(ctx.operatorExpression())
            return Negate(operand, text) if ctx.operator.text == "-" else operand
        if isinstance(ctx, P.ArithmeticBinaryContext):
            left, right = ctx.operatorExpression()
            return Arithmetic(ctx.operator.text, self.operator(left), self.operator(right), text)
        raise self.unsupported(f"expression {type(ctx).__name__}", ctx)

    def primary(self, ctx: Any) -> Expr:
        text = self.text(ctx)
        if isinstance(ctx, P.DereferenceContext):
            return Column(self._qualified_name(ctx.qualifiedName()), text)
        if isinstance(ctx, P.ConstantDefaultContext):
            return Literal(self.constant(ctx.constant()), text)
        if isinstance(ctx, P.ParenthesizedExpressionContext):
            return self.boolean(ctx.booleanExpression())
        if isinstance(ctx, P.FunctionContext):
            return self._function(ctx.functionExpression(), text)
        if isinstance(ctx, P.InlineCastContext):
            raise self.unsupported("inline cast (::)", ctx)
        raise self.unsupported(f"expression {type(ctx).__name__}", ctx)

    def _function(self, ctx: P.FunctionExpressionContext, text: str) -> Expr:
        name_ctx = ctx.functionName().identifierOrParameter()
        if name_ctx.identifier() is None:
            raise self.unsupported("query parameter as function name", ctx)
        name = unquote_identifier(name_ctx.identifier().getText())
        if ctx.ASTERISK() is not None:
            raise self.unsupported(f"function {name.upper()}(*)", ctx)
        if ctx.mapExpression() is not None:
            raise self.unsupported(f"named parameters of function {name.upper()}", ctx)
        args = [self.boolean(a) for a in ctx.booleanExpression()]
        return build_call(name, args, text)

    def constant(self, ctx: Any) -> Any:
        if isinstance(ctx, P.NullLiteralContext):
            return None
        if isinstance(ctx, P.BooleanLiteralContext):
            return ctx.getText().lower() == "true"
        if isinstance(ctx, P.IntegerLiteralContext):
            return int(ctx.getText())
        if isinstance(ctx, P.DecimalLiteralContext):
            return float(ctx.getText())
        if isinstance(ctx, P.StringLiteralContext):
            return unquote_string(ctx.string().getText())
        if isinstance(ctx, P.StringArrayLiteralContext):
            return make_value(unquote_string(s.getText()) for s in ctx.string())
        if isinstance(ctx, P.BooleanArrayLiteralContext):
            return make_value(b.getText().lower() == "true" for b in ctx.booleanValue())
        if isinstance(ctx, P.NumericArrayLiteralContext):
            return make_value(self._number(n.getText()) for n in ctx.numericValue())
        if isinstance(ctx, P.QualifiedIntegerLiteralContext):
            raise self.unsupported("time-span literal", ctx)
        if isinstance(ctx, P.InputParameterContext):
            raise self.unsupported("query parameter", ctx)
        raise self.unsupported(f"constant {type(ctx).__name__}", ctx)

    @staticmethod
    def _number(text: str) -> int | float:
        try:
            return int(text)
        except ValueError:
            return float(text)
