"""Text -> syntax tree, with lark's errors turned into :class:`QueryError` in plain words."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from clawback.explorer.query.errors import QueryError, Span
from clawback.explorer.query.nodes import OPERATORS, All, And, Comparison, Node, Not, Or, Value

# Bounds that keep the tree walk and the SQL shallow (SQLite refuses expressions nested over
# 1000 deep); far beyond anything typed by hand.
MAX_CONDITIONS = 256
MAX_DEPTH = 32
_GRAMMAR = Path(__file__).with_name("grammar.lark")
_VALUES = frozenset({"BARE", "STRING"})
_CONNECTIVES = frozenset({"and", "or"})
_AFTER_CONDITION = frozenset({"_AND", "_OR", "RPAR", "$END"})
_UNESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
_OPERATOR_LIST = ", ".join(OPERATORS)
# What each terminal of grammar.lark is called in an error message.
_WORDS = {
    "FIELD": "a field name",
    "OP": "an operator",
    "BARE": "a value",
    "STRING": "a value",
    "NOT": '"not"',
    "IN": '"in"',
    "_AND": '"and"',
    "_OR": '"or"',
    "_COMMA": '","',
    "LPAR": '"("',
    "RPAR": '")"',
    "$END": "the end of the query",
}


@functools.cache
def _lark() -> Lark:
    grammar = _GRAMMAR.read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", maybe_placeholders=False)


def parse_syntax(text: str) -> Node:
    """Parse ``text`` into a tree; checks syntax only (fields and values are checked later)."""
    if not text.strip():
        return All()
    return _Builder(text).node(_parse_tree(text))


def _parse_tree(text: str) -> Tree[Token]:
    # Step through the tokens ourselves so an error can name the token before it
    # ('missing value after "="'); lark only reports the token it choked on.
    interactive = _lark().parse_interactive(text)
    fed: list[Token] = []
    try:
        for token in interactive.iter_parse():
            fed.append(token)
        tree: Tree[Token] = interactive.feed_eof(fed[-1] if fed else None)
    except UnexpectedInput as exc:
        # The parser state still stands before the bad token: ask it what it would accept (the
        # lexer's idea of "expected" is wider, as LALR states are shared).
        raise _explain(exc, text, fed, frozenset(interactive.accepts())) from None
    return tree


# -- tree -> nodes -------------------------------------------------------------------------


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.conditions = 0

    def node(self, tree: Tree[Token], depth: int = 0) -> Node:
        kind = str(tree.data)
        children = tree.children
        if kind in ("any_of", "all_of"):
            operands = tuple(self.node(_tree(child), depth) for child in children)
            if len(operands) == 1:
                return operands[0]
            return Or(operands) if kind == "any_of" else And(operands)
        if kind in ("negation", "atom"):  # not x, ( x )
            _check_depth(_token(children[0]), depth + 1)
            inner = self.node(_tree(children[1]), depth + 1)
            return Not(inner) if kind == "negation" else inner
        self.conditions += 1
        comparison = self.comparison(kind, children)
        if self.conditions > MAX_CONDITIONS:
            raise QueryError.at(
                comparison.field_span,
                f"too many conditions (more than {MAX_CONDITIONS})",
                "list values with: field in (a, b, ...)",
            )
        return comparison

    def comparison(self, kind: str, children: list[Tree[Token] | Token]) -> Comparison:
        field_token = _token(children[0])
        field_span = _span(field_token)
        name = str(field_token).lower()
        if name in _CONNECTIVES:  # "or = x": the lexer took the keyword for a field name
            raise QueryError.at(field_span, f'expected a condition but found "{field_token}"', _condition_hint())
        if kind == "compare":
            op_token = _token(children[1])
            op = str(op_token)
            if op not in OPERATORS:
                raise QueryError.at(_span(op_token), f'unknown operator "{op}"', f"operators are {_OPERATOR_LIST}")
            value = _value(_token(children[2]))
            return Comparison(name, op, (value,), field_span, _span(op_token))
        first, last = _token(children[1]), _token(children[-2])
        op_span = Span.at(self.text, _start(first), _end(last))
        list_span, values = _values(_tree(children[-1]))
        op = "in" if kind == "member" else "not in"
        return Comparison(name, op, values, field_span, op_span, list_span)


def _check_depth(token: Token, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise QueryError.at(_span(token), f"query nested too deeply (more than {MAX_DEPTH} levels)")


def _values(tree: Tree[Token]) -> tuple[Span, tuple[Value, ...]]:
    tokens = [_token(child) for child in tree.children]
    return _span(tokens[0]), tuple(_value(token) for token in tokens[1:-1])


def _value(token: Token) -> Value:
    text = str(token)
    if token.type == "STRING":
        text = re.sub(r"\\(.)", _unescape, text[1:-1], flags=re.DOTALL)
    return Value(text, _span(token))


def _unescape(match: re.Match[str]) -> str:
    return _UNESCAPES.get(match[1], match[1])


def _tree(child: Tree[Token] | Token) -> Tree[Token]:
    assert isinstance(child, Tree)
    return child


def _token(child: Tree[Token] | Token) -> Token:
    assert isinstance(child, Token)
    return child


def _start(token: Token) -> int:
    return token.start_pos or 0


def _end(token: Token) -> int:
    return token.end_pos or 0


def _span(token: Token) -> Span:
    return Span(_start(token), _end(token), token.line or 1, token.column or 1, str(token))


# -- lark errors -> QueryError -------------------------------------------------------------


def _explain(exc: UnexpectedInput, text: str, fed: list[Token], expected: frozenset[str]) -> QueryError:
    if isinstance(exc, UnexpectedToken):
        # The failing token was either fed (parser refused it) or never fed (lexer refused it).
        earlier = [token for token in fed if token is not exc.token]
        if exc.token.type == "$END":
            return _early_end(expected, earlier, text)
        return _unexpected(exc.token, expected, earlier)
    if isinstance(exc, UnexpectedCharacters):
        return _bad_character(text, exc.pos_in_stream or 0)
    return QueryError(str(exc))


def _early_end(expected: frozenset[str], earlier: list[Token], text: str) -> QueryError:
    last = earlier[-1]
    if "RPAR" in expected:
        opened = _unclosed(earlier) or last
        return QueryError.at(_span(opened), 'unbalanced parentheses: "(" is never closed')
    if expected & _VALUES:
        return _missing_value(last)
    if "OP" in expected:
        return QueryError.at(
            _span(last),
            f'missing operator after "{last}"',
            f"operators are {_OPERATOR_LIST}",
        )
    if "FIELD" in expected:
        return QueryError.at(_span(last), f'missing condition after "{last}"')
    return QueryError.at(Span.at(text, len(text), len(text)), "unexpected end of query", f"expected {_words(expected)}")


def _unexpected(token: Token, expected: frozenset[str], earlier: list[Token]) -> QueryError:
    span = _span(token)
    if expected & _VALUES and token.type == "LPAR":
        return QueryError.at(span, 'a list needs "in"', "write: field in (a, b)")
    if expected & _VALUES:
        return _missing_value(earlier[-1], found=token)
    if token.type == "RPAR" and _unclosed(earlier) is None:
        return QueryError.at(span, 'unbalanced parentheses: ")" has no matching "("')
    if "OP" in expected:
        return _bad_operator(token, earlier[-1])
    if "FIELD" in expected:
        return QueryError.at(span, f'expected a condition but found "{token}"', _condition_hint())
    if expected <= _AFTER_CONDITION:
        return QueryError.at(span, f'unexpected "{token}" after a complete condition', _join_hint(token))
    return QueryError.at(span, f'unexpected "{token}"', f"expected {_words(expected)}")


def _bad_operator(token: Token, field: Token) -> QueryError:
    # Where a condition may start, the lexer reads "and"/"or" as a field name: "and x = 1".
    if field.lower() in _CONNECTIVES:
        return QueryError.at(_span(field), f'expected a condition but found "{field}"', _condition_hint())
    return QueryError.at(_span(token), f'unknown operator "{token}"', f"operators are {_OPERATOR_LIST}")


def _missing_value(after: Token, found: Token | None = None) -> QueryError:
    hint = f'found "{found}"; quote values that contain spaces, commas or quotes' if found else ""
    return QueryError.at(_span(after), f'missing value after "{after}"', hint)


def _bad_character(text: str, position: int) -> QueryError:
    span = Span.at(text, position, position + 1)
    if span.token in ('"', "'"):
        return QueryError.at(
            span, "unterminated string", f"close it with {span.token}, or escape a quote inside with \\{span.token}"
        )
    return QueryError.at(span, f'unexpected character "{span.token}"')


def _unclosed(tokens: list[Token]) -> Token | None:
    """The innermost "(" left open by ``tokens``, if any."""
    stack: list[Token] = []
    for token in tokens:
        if token.type == "LPAR":
            stack.append(token)
        elif token.type == "RPAR" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _condition_hint() -> str:
    return "a condition looks like: sender.domain = evil.example"


def _join_hint(token: Token) -> str:
    if token.type == "_COMMA":
        return "to match any of several values write: field in (a, b)"
    return 'join conditions with "and" or "or"'


def _words(expected: frozenset[str]) -> str:
    words = sorted({_WORDS.get(name, name) for name in expected})
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
