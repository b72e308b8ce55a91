"""Syntax tree -> one ``Q`` over MessageCopy.

URL and attachment conditions become subqueries (:class:`RelatedMatch`): a copy with many URLs
is still one row, and ``not url.domain = x`` means "no URL of that domain" (copies without URLs
match).
``a != v`` is ``not a = v`` and ``a not in (...)`` is ``not a in (...)``, for every field.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import reduce
from typing import Any, TypeVar

from django.db.models import Exists, F, OuterRef, Q, QuerySet, TextField
from django.db.models import Value as SqlValue
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Lower
from django.db.models.lookups import Contains, Exact, IContains, In

from clawback.explorer.query.errors import QueryError
from clawback.explorer.query.fields import Case, FieldSpec, FieldType, Relation, lookup_field
from clawback.explorer.query.nodes import All, And, Comparison, Node, Not, Or, Value
from clawback.explorer.query.values import (
    BadValue,
    TimeValue,
    parse_bool,
    parse_choice,
    parse_integer,
    parse_number,
    parse_size,
    parse_time,
)
from clawback.mail.models import CopyAttachment, CopyUrl

# Negative operators compile as the positive one, negated; "in" is "=" over several values.
_POSITIVE = {"!=": "=", "not in": "=", "!~": "~", "in": "="}
_NEGATIVE = frozenset({"!=", "not in", "!~"})
_ORDER = {">": "gt", "<": "lt", ">=": "gte", "<=": "lte"}

T = TypeVar("T")
Handler = Callable[[FieldSpec, str, Sequence[Value], datetime], Q]


def compile_node(node: Node, now: datetime, negated: bool = False) -> Q:
    """``negated``: whether an odd number of ``not`` encloses ``node`` (see :func:`_any_of`)."""
    if isinstance(node, Comparison):
        return _comparison(node, now)
    if isinstance(node, Not):
        return ~compile_node(node.operand, now, not negated)
    if isinstance(node, And):
        return _all(compile_node(child, now, negated) for child in node.operands)
    if isinstance(node, Or):
        return _any_of(node.operands, now, negated)
    assert isinstance(node, All)
    return Q()


def _comparison(node: Comparison, now: datetime) -> Q:
    spec = lookup_field(node.field, node.field_span)
    scoped = _scoped(spec.relation, _condition(spec, node, now))
    return ~scoped if node.op in _NEGATIVE else scoped


def _condition(spec: FieldSpec, node: Comparison, now: datetime) -> Q:
    """The comparison as its positive form, on the table that holds the column."""
    _check_operator(spec, node)
    op = _POSITIVE.get(node.op, node.op)
    return _HANDLERS[spec.type](spec, op, node.values, now)


def _any_of(operands: Sequence[Node], now: datetime, negated: bool) -> Q:
    """Operands ORed.  Positive URL and attachment conditions become one subquery per table
    (``url.domain = a or url.domain = b``: one index scan of each value), and those of both
    tables one ``id IN (... UNION ALL ...)``: an IOC sweep ``url.domain = x or attachment.sha256
    = y`` is then two index lookups, where OR-ed subqueries would make PostgreSQL test every
    copy.  Under a ``not`` they stay apart, as NOT EXISTS each (an anti-join; ``NOT IN`` over a
    large subquery is quadratic on PostgreSQL)."""
    plain: list[Q] = []
    related: dict[Relation, list[Q]] = {}
    for child in operands:
        found = None if negated else _related_condition(child, now)
        if found is None:
            plain.append(compile_node(child, now, negated))
        else:
            related.setdefault(found[0], []).append(found[1])
    if related:
        plain.append(_related_any(related))
    return _any(plain)


def _related_condition(node: Node, now: datetime) -> tuple[Relation, Q] | None:
    """(table, condition) of a positive URL or attachment comparison, else None."""
    if not isinstance(node, Comparison) or node.op in _NEGATIVE:
        return None
    spec = lookup_field(node.field, node.field_span)
    if spec.relation is Relation.COPY:
        return None
    return spec.relation, _condition(spec, node, now)


def _related_any(related: dict[Relation, list[Q]]) -> Q:
    matches = [_related(relation).filter(_any(conditions)) for relation, conditions in related.items()]
    if len(matches) == 1:
        return Q(RelatedMatch(matches[0]))
    ids = [match.values("copy_id") for match in matches]
    return Q(pk__in=ids[0].union(*ids[1:], all=True))


def _check_operator(spec: FieldSpec, node: Comparison) -> None:
    if node.op not in spec.operators:
        raise QueryError.at(
            node.op_span,
            f'operator "{node.op}" does not apply to {spec.type} field "{spec.name}"',
            f"use {', '.join(spec.operators)}",
        )
    if not node.values:
        raise QueryError.at(node.list_span, f'empty list after "{node.op}"', "give one value or more")


def _scoped(relation: Relation, condition: Q) -> Q:
    if relation is Relation.COPY:
        return condition
    return Q(RelatedMatch(_related(relation).filter(condition)))


class RelatedMatch(Exists):
    """Some URL (attachment) of the copy is among ``related``.

    PostgreSQL gets ``EXISTS (... WHERE copy_id = copy.id)``, which its planner turns into a
    semi-join (negated: an anti-join) driven from whichever side is smaller.  SQLite cannot: it
    runs a correlated EXISTS once per copy, so ``url.domain = x`` would visit every copy.  There
    it is ``copy.id IN (SELECT copy_id ... WHERE ...)``, which SQLite runs once, through the
    (domain, copy) index, before looking the copies up by primary key; negated, SQLite probes
    the subquery's rows kept in a temporary index.
    """

    def __init__(self, related: QuerySet[Any]) -> None:
        super().__init__(related.filter(copy=OuterRef("pk")))
        self.members: In = In(F("pk"), related.values("copy_id").query)

    def get_source_expressions(self) -> list[Any]:
        return [self.query, self.members]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.query, self.members = exprs

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        return compiler.compile(self.members)


def _related(relation: Relation) -> QuerySet[Any]:
    if relation is Relation.URL:
        return CopyUrl.objects.all()
    return CopyAttachment.objects.all()


# -- one handler per field type; ``op`` is one of = ~ > < >= <= ---------------------------


def _text(spec: FieldSpec, op: str, values: Sequence[Value], now: datetime) -> Q:
    if op == "~":
        return Q(**{f"{spec.column}__icontains": values[0].text})
    forms = [form for value in values for form in _text_forms(spec, value.text)]
    if spec.case is not Case.INSENSITIVE:
        return _equal(spec.column, forms)
    if len(forms) == 1:
        return Q(**{f"{spec.column}__iexact": forms[0]})
    return Q(In(Lower(spec.column), [form.lower() for form in forms]))


def _text_forms(spec: FieldSpec, text: str) -> list[str]:
    """The stored forms ``text`` may take."""
    if spec.name == "message_id":
        # Message-IDs are pasted with and without their angle brackets (RFC 5322 §3.6.4).
        bare = text.strip().removeprefix("<").removesuffix(">")
        return [bare, f"<{bare}>"]
    if spec.name == "attachment.ext":
        return [text.lower().removeprefix(".")]
    return [text.lower() if spec.case is Case.LOWER else text]


def _numeric(spec: FieldSpec, op: str, values: Sequence[Value], now: datetime) -> Q:
    parse = _NUMBER_PARSERS[spec.type]
    numbers = [_convert(value, parse) for value in values]
    if op == "=":
        return _equal(spec.column, numbers)
    return Q(**{f"{spec.column}__{_ORDER[op]}": numbers[0]})


def _time(spec: FieldSpec, op: str, values: Sequence[Value], now: datetime) -> Q:
    times = [_convert(value, lambda text: parse_time(text, now)) for value in values]
    if op == "=":
        for value, time in zip(values, times, strict=True):
            if time.relative:
                raise QueryError.at(
                    value.span,
                    f'"=" needs a date, not the moment "{value.text}"',
                    f"use >, >=, < or <=, e.g. {spec.name} >= -7d",
                )
        return _any(_same_time(spec.column, time) for time in times)
    return _time_order(spec.column, op, times[0])


def _same_time(column: str, time: TimeValue) -> Q:
    if time.end is None:
        return Q(**{column: time.start})
    return Q(**{f"{column}__gte": time.start, f"{column}__lt": time.end})


def _time_order(column: str, op: str, time: TimeValue) -> Q:
    if time.end is None:
        return Q(**{f"{column}__{_ORDER[op]}": time.start})
    # A whole day: "> day" starts after it ends, "<= day" includes all of it.
    day_bounds = {
        ">": ("gte", time.end),
        ">=": ("gte", time.start),
        "<": ("lt", time.start),
        "<=": ("lt", time.end),
    }
    lookup, bound = day_bounds[op]
    return Q(**{f"{column}__{lookup}": bound})


def _choice(spec: FieldSpec, op: str, values: Sequence[Value], now: datetime) -> Q:
    return _equal(spec.column, _choices(spec, values))


def _member(spec: FieldSpec, op: str, values: Sequence[Value], now: datetime) -> Q:
    return _any(_has_member(spec.column, choice) for choice in _choices(spec, values))


def _has_member(column: str, choice: str) -> Q:
    if choice == "none":
        return Q(**{column: ""})
    # Sets are stored comma-wrapped (",phish,spam,"), so ",phish," matches one whole member.
    return Q(MemberOf(F(column), f",{choice},"))


class MemberOf(Contains):
    """``column LIKE '%,phish,%'`` with the member written into the SQL, not bound.

    The partial index ``copy_threat_received`` (mail.models) holds the phish and malware copies
    under exactly these terms.  SQLite uses a partial index only when the query repeats its
    terms literally, never through bound parameters (Django's psycopg cursors bind on the
    client, so PostgreSQL sees constants anyway, and proves "threat = malware" implies the
    index's condition).  Members come from a fixed vocabulary (``parse_choice``), checked again
    here, so nothing typed reaches the SQL text.
    """

    _SAFE = re.compile(r"[%,a-z-]+")

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sql, params = super().as_sql(compiler, connection)
        *outer, pattern = list(params)
        if not isinstance(pattern, str) or not self._SAFE.fullmatch(pattern):
            raise ValueError(f"not a set member: {pattern!r}")
        head, placeholder, tail = sql.rpartition("%s")
        assert placeholder, sql
        # "%%": the SQL still goes through parameter substitution, which reads "%%" as "%".
        return f"{head}'{pattern.replace('%', '%%')}'{tail}", outer


def _choices(spec: FieldSpec, values: Sequence[Value]) -> list[str]:
    return [_convert(value, lambda text: parse_choice(text, spec.values, spec.name)) for value in values]


def _bool(spec: FieldSpec, op: str, values: Sequence[Value], now: datetime) -> Q:
    return Q(**{spec.column: _convert(values[0], parse_bool)})


def _header(spec: FieldSpec, op: str, values: Sequence[Value], now: datetime) -> Q:
    # A missing header reads as "" (not NULL), so "not header.x = y" keeps copies without it.
    text = Coalesce(KeyTextTransform(spec.column, "headers"), SqlValue(""), output_field=TextField())
    if op == "~":
        return Q(IContains(text, values[0].text))
    texts = [value.text for value in values]
    return Q(Exact(text, texts[0])) if len(texts) == 1 else Q(In(text, texts))


_NUMBER_PARSERS: dict[FieldType, Callable[[str], float | int]] = {
    FieldType.INTEGER: parse_integer,
    FieldType.NUMBER: parse_number,
    FieldType.SIZE: parse_size,
}
_HANDLERS: dict[FieldType, Handler] = {
    FieldType.TEXT: _text,
    FieldType.INTEGER: _numeric,
    FieldType.NUMBER: _numeric,
    FieldType.SIZE: _numeric,
    FieldType.DATE: _time,
    FieldType.ENUM: _choice,
    FieldType.SET: _member,
    FieldType.BOOL: _bool,
    FieldType.HEADER: _header,
}


# -- helpers -------------------------------------------------------------------------------


def _convert(value: Value, parse: Callable[[str], T]) -> T:
    try:
        return parse(value.text)
    except BadValue as exc:
        raise QueryError.at(value.span, exc.message, exc.hint) from None


def _equal(column: str, values: Sequence[object]) -> Q:
    # One IN (...) rather than a chain of ORs: SQLite caps expression depth at 1000.
    if len(values) == 1:
        return Q(**{column: values[0]})
    return Q(**{f"{column}__in": list(dict.fromkeys(values))})


def _all(conditions: Iterable[Q]) -> Q:
    return reduce(operator.and_, conditions)


def _any(conditions: Iterable[Q]) -> Q:
    return reduce(operator.or_, conditions)
