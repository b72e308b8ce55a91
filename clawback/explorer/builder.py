"""The filter builder (SPEC §3): rows of ``property operator value(s)``, all ANDed or all ORed,
converted to and from the query language without losing anything.

Text -> rows works on the syntax tree: a flat ``and`` (or a flat ``or``) of conditions, each
possibly under one ``not``, is a builder; anything nested is :class:`TooComplex` and stays text.
Rows -> text builds the tree back (``Comparison.of``) and prints it with the language's own
quoting (``to_text``), so ``rows_to_text(text_to_rows(t)) == to_text(parse_query(t))``.

A row holds its values as the analyst sees them in the builder's value box: for ``in`` and
``not in`` a comma-separated list in which a value holding a comma, or starting with a quote, is
written quoted (:func:`values_box`, :func:`split_values`); for every other operator the box is
the one value, verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clawback.explorer.query import QueryError, parse_query
from clawback.explorer.query.nodes import (
    LIST_OPERATORS,
    All,
    And,
    Comparison,
    Node,
    Not,
    Or,
    to_text,
    value_text,
)
from clawback.explorer.query.parser import parse_syntax

JOINS = ("and", "or")
MAX_ROWS = 50
TOO_COMPLEX = "This query is too complex for the builder (it nests and/or groups); edit it as text."
_UNESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


class TooComplex(ValueError):
    """Raised for a query the builder cannot show as rows; the text mode can."""

    def __init__(self, message: str = TOO_COMPLEX) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Row:
    field: str
    op: str
    values: tuple[str, ...]
    negate: bool = False  # "not field op value"

    @property
    def box(self) -> str:
        """The row's value box: the value, or the list for ``in`` / ``not in``."""
        return values_box(self.values) if self.op in LIST_OPERATORS else (self.values[0] if self.values else "")

    @classmethod
    def from_box(cls, field_name: str, op: str, box: str, *, negate: bool = False) -> Row:
        values = split_values(box) if op in LIST_OPERATORS else (box,)
        return cls(field_name.strip().lower(), op, values, negate)

    def node(self) -> Node:
        comparison = Comparison.of(self.field, self.op, self.values)
        return Not(comparison) if self.negate else comparison


@dataclass(frozen=True)
class Builder:
    join: str = "and"
    rows: tuple[Row, ...] = field(default_factory=tuple)


def text_to_rows(text: str) -> Builder:
    """The builder for ``text``.  Raises :class:`QueryError` if it does not parse, and
    :class:`TooComplex` if it is not a flat ``and`` or ``or`` of conditions."""
    return node_to_rows(parse_query(text))


def node_to_rows(node: Node) -> Builder:
    if isinstance(node, All):
        return Builder()
    if isinstance(node, Comparison | Not):
        return Builder("and", (_row(node),))
    operands = node.operands if isinstance(node, And | Or) else ()
    rows = tuple(_row(operand) for operand in operands)
    if len(rows) > MAX_ROWS:
        raise TooComplex(f"This query has more than {MAX_ROWS} conditions; edit it as text.")
    return Builder("or" if isinstance(node, Or) else "and", rows)


def _row(node: Node) -> Row:
    negate = isinstance(node, Not)
    inner = node.operand if isinstance(node, Not) else node
    if not isinstance(inner, Comparison):
        raise TooComplex
    return Row(inner.field, inner.op, tuple(value.text for value in inner.values), negate)


def rows_to_node(builder: Builder) -> Node:
    nodes = tuple(row.node() for row in builder.rows)
    if not nodes:
        return All()
    if len(nodes) == 1:
        return nodes[0]
    return Or(nodes) if builder.join == "or" else And(nodes)


def rows_to_text(builder: Builder) -> str:
    """The query text of ``builder`` (canonical: see ``to_text``)."""
    return to_text(rows_to_node(builder))


def check_rows(builder: Builder) -> dict[int, QueryError]:
    """Each row's error (fields, operators, values), by row index; empty when all are good."""
    errors: dict[int, QueryError] = {}
    for index, row in enumerate(builder.rows):
        try:
            parse_query(to_text(row.node()))
        except QueryError as exc:
            errors[index] = exc
    return errors


# --- the value box of "in" / "not in" -------------------------------------------------------


def values_box(values: tuple[str, ...]) -> str:
    """A list of values as the builder shows it: ``a, "b, c", d`` (query-language quoting)."""
    return ", ".join(value_text(value) for value in values)


def split_values(box: str) -> tuple[str, ...]:
    """The values of a list box: split at commas; an item starting with ``"`` or ``'`` runs to
    its closing quote (``\\`` escapes, as in the language); blank items are dropped."""
    values: list[str] = []
    position = 0
    while position <= len(box):
        while position < len(box) and box[position].isspace():
            position += 1
        if position < len(box) and box[position] in "\"'":
            value, position = _quoted(box, position)
            comma = box.find(",", position)
            position = len(box) + 1 if comma < 0 else comma + 1
            values.append(value)
            continue
        comma = box.find(",", position)
        end = len(box) if comma < 0 else comma
        if item := box[position:end].strip():
            values.append(item)
        position = end + 1
    return tuple(values)


def _quoted(box: str, start: int) -> tuple[str, int]:
    """The unescaped text of the quoted item at ``start`` and the index after its closing quote
    (an unclosed quote runs to the end)."""
    quote, out, position = box[start], [], start + 1
    while position < len(box) and box[position] != quote:
        if box[position] == "\\" and position + 1 < len(box):
            position += 1
            out.append(_UNESCAPES.get(box[position], box[position]))
        else:
            out.append(box[position])
        position += 1
    return "".join(out), position + 1


def with_condition(text: str, condition: str) -> str:
    """``text`` and ``condition`` (a chart bar, a campaign): the analyst's text is kept as
    typed, bracketed only when it is an ``or`` at the top."""
    if not text.strip():
        return condition
    node = parse_syntax(text)
    typed = f"({text.strip()})" if isinstance(node, Or) else text.strip()
    return f"{typed} and {condition}"
