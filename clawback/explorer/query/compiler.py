"""Syntax tree -> one ``Q`` over MessageCopy.

URL and attachment conditions become ``Exists(...)`` subqueries: a copy with many URLs is still
one row, and ``not url.domain = x`` means "no URL of that domain" (copies without URLs match).
``a != v`` is ``not a = v`` and ``a not in (...)`` is ``not a in (...)``, for every field.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import reduce
from typing import Any, TypeVar

from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models import Value as SqlValue
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Lower
from django.db.models.lookups import Exact, IContains, In

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


def compile_node(node: Node, now: datetime) -> Q:
    if isinstance(node, Comparison):
        return _comparison(node, now)
    if isinstance(node, Not):
        return ~compile_node(node.operand, now)
    if isinstance(node, And):
        return _all(compile_node(child, now) for child in node.operands)
    if isinstance(node, Or):
        return _any(compile_node(child, now) for child in node.operands)
    assert isinstance(node, All)
    return Q()


def _comparison(node: Comparison, now: datetime) -> Q:
    spec = lookup_field(node.field, node.field_span)
    _check_operator(spec, node)
    op = _POSITIVE.get(node.op, node.op)
    condition = _HANDLERS[spec.type](spec, op, node.values, now)
    scoped = _scoped(spec.relation, condition)
    return ~scoped if node.op in _NEGATIVE else scoped


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
    related = _related(relation).filter(condition, copy=OuterRef("pk"))
    return Q(Exists(related))


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
    return Q(**{f"{column}__contains": f",{choice},"})


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
