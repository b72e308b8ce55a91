"""The syntax tree of a query, and its canonical text.

Nodes compare by meaning: positions in the source text are kept for error messages but ignored
by ``==``, so ``parse_query(to_text(node)) == node`` for every parsed node.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

from clawback.explorer.query.errors import NOWHERE, Span

# The operators a comparison may use; "in" and "not in" take a parenthesised list.
OPERATORS = ("=", "!=", "~", "!~", ">", "<", ">=", "<=", "in", "not in")
LIST_OPERATORS = ("in", "not in")

# Must agree with BARE in grammar.lark; anything else is written quoted.
_BARE = re.compile(r"[^\s()\"',][^\s()\",]*")
_KEYWORDS = frozenset({"and", "or", "not", "in"})
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@dataclass(frozen=True)
class Value:
    """One value as the analyst meant it (quotes and escapes already removed)."""

    text: str
    span: Span = dataclasses.field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Comparison:
    """``field op value`` or ``field [not] in (values)``; ``field`` is lower-cased."""

    field: str
    op: str
    values: tuple[Value, ...]
    field_span: Span = dataclasses.field(default=NOWHERE, compare=False, repr=False)
    op_span: Span = dataclasses.field(default=NOWHERE, compare=False, repr=False)
    # The "(" of a list, for "in ()" errors.
    list_span: Span = dataclasses.field(default=NOWHERE, compare=False, repr=False)

    @classmethod
    def of(cls, field_name: str, op: str, values: Iterable[str]) -> Comparison:
        """Build a comparison by hand (the filter builder): ``Comparison.of("size", ">", ["1m"])``."""
        return cls(field_name.lower(), op, tuple(Value(v) for v in values))


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class All:
    """The empty query: every row."""


Node = Comparison | Not | And | Or | All


def to_text(node: Node) -> str:
    """The canonical text of ``node``: lower-case keywords, single spaces, minimal quoting."""
    if isinstance(node, Comparison):
        return _comparison_text(node)
    if isinstance(node, Not):
        return f"not {_operand_text(node.operand)}"
    if isinstance(node, And):
        return " and ".join(_operand_text(child) for child in node.operands)
    if isinstance(node, Or):
        return " or ".join(_operand_text(child) for child in node.operands)
    return ""


def _operand_text(node: Node) -> str:
    # Nested groups are always bracketed, so the tree shape survives a round trip.
    text = to_text(node)
    return f"({text})" if isinstance(node, And | Or) else text


def _comparison_text(node: Comparison) -> str:
    if node.op in LIST_OPERATORS:
        values = ", ".join(value_text(value.text) for value in node.values)
        return f"{node.field} {node.op} ({values})"
    return f"{node.field} {node.op} {value_text(node.values[0].text)}"


def value_text(text: str) -> str:
    """``text`` as a value token: bare when that lexes back to the same text, else quoted."""
    if _BARE.fullmatch(text) and text[0] not in "=!<>~" and text.lower() not in _KEYWORDS:
        return text
    return '"' + "".join(_ESCAPES.get(char, char) for char in text) + '"'
