"""The Clawback query language (SPEC §3): hunt through the index with text analysts can type,
save and share.  Explorer, remediation, ZAP, the API and the CLI all use this one package.

Syntax
======

A query is conditions joined by ``and``, ``or``, ``not`` and parentheses; ``not`` binds
tighter than ``and``, which binds tighter than ``or``.  Keywords are case-insensitive.  An empty
query matches every copy::

    sender.domain in (evil.example, bad.example) and url.domain = bit.ly
        and received >= -7d and not location = junk

A condition is ``field operator value`` or ``field [not] in (value, value, ...)``:

================  ===========================================================================
``=``             equals the whole value; case is ignored except in ``message_id``,
                  ``fingerprint``, ``cluster``, ``campaign``, ``url.path`` and headers
``!=``            not equal; the same as ``not field = value``
``~``             contains, ignoring case (text fields and headers)
``!~``            does not contain
``> < >= <=``     numbers, sizes and times
``in``            equals any of the listed values; ``not in`` equals none of them
================  ===========================================================================

Values are bare (``evil.example``, ``user@x.y``, ``10.0.0.1``, ``-7d``, ``/login.php``,
``http://x/?a=b``, ``o'neil``) or quoted with ``"..."`` or ``'...'`` when they hold spaces,
commas, parentheses or double quotes, or are a keyword; inside quotes ``\\`` escapes the next
character (``\\n`` is a newline, ``\\t`` a tab).

- **Times** (``received``): ``-30m``, ``-12h``, ``-7d``, ``-2w`` (that long before now),
  ``now``, ``today``, ``yesterday``, a date ``2026-11-20`` or an ISO 8601 date-time
  ``2026-11-20T08:00:00+01:00`` (no offset means UTC).  A date is a whole UTC day:
  ``= 2026-11-20`` is that day, ``>= 2026-11-20`` from its start, ``> 2026-11-20`` from the
  next day, ``< 2026-11-20`` before it, ``<= 2026-11-20`` up to its end (inclusive).
  ``=`` refuses a moment such as ``-7d``; use ``>=``.
- **Sizes** (``size``, ``attachment.size``): bytes, or ``10k``, ``2mb``, ``1g`` (1k = 1024).
- **Enums** (``direction``, ``location``, ``auth.*``, ``delivery.action``, ``url.source``)
  accept only their listed values; **sets** (``threat``, ``detection``) test membership
  (``threat = phish`` matches a copy marked phish and spam), and ``none`` means empty.
- **URLs and attachments**: each condition asks whether *some* URL (attachment) of the copy
  matches; ``not url.domain = bit.ly`` matches copies with no bit.ly URL, including copies
  without URLs.  Two conditions may be met by two different URLs.
- **Headers**: ``header.<name>`` (``header.x-mailer ~ foo``): ``=`` compares the whole stored
  value (several headers of that name are joined by a newline), ``~`` a part; a missing header
  reads as empty.

``FIELDS`` lists every field with its type, description, operators and allowed values.

Errors are :class:`QueryError` naming the offending token, its line and 1-based column, with a
hint when one helps (``did you mean "sender.domain"?``).  A query holds at most 256 conditions
and 32 levels of ``not`` and parentheses.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from clawback.explorer.query.compiler import compile_node
from clawback.explorer.query.errors import QueryError
from clawback.explorer.query.fields import FIELDS, FieldSpec, FieldType
from clawback.explorer.query.nodes import (
    All,
    And,
    Comparison,
    Node,
    Not,
    Or,
    Value,
    to_text,
)
from clawback.explorer.query.parser import parse_syntax
from clawback.mail.models import MessageCopy

__all__ = [
    "FIELDS",
    "All",
    "And",
    "Comparison",
    "FieldSpec",
    "FieldType",
    "Node",
    "Not",
    "Or",
    "QueryError",
    "Value",
    "compile_query",
    "parse_query",
    "search",
    "to_text",
]

# Validation compiles against a fixed moment: relative times only shift bounds, never validity.
_CHECK_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def parse_query(text: str) -> Node:
    """The syntax tree of ``text``, with fields, operators and values checked."""
    node = parse_syntax(text)
    compile_node(node, _CHECK_TIME)
    return node


def compile_query(text: str, *, now: datetime | None = None, allow_headers: bool = True) -> Q:
    """One ``Q`` over MessageCopy; relative times count back from ``now`` (default: now).

    With ``allow_headers=False`` a ``header.<name>`` condition is refused: probing header
    values is reading mail content, which needs the Preview role (SPEC §3, §6).
    """
    node = parse_syntax(text)
    if not allow_headers:
        _refuse_headers(node)
    return compile_node(node, _aware(now or timezone.now()))


def _refuse_headers(node: Node) -> None:
    if isinstance(node, Comparison):
        if node.field.startswith("header."):
            raise QueryError.at(node.field_span, f'"{node.field}": searching headers needs the Preview role')
    elif isinstance(node, Not):
        _refuse_headers(node.operand)
    elif isinstance(node, And | Or):
        for operand in node.operands:
            _refuse_headers(operand)


def search(
    text: str,
    *,
    queryset: QuerySet[MessageCopy] | None = None,
    now: datetime | None = None,
    allow_headers: bool = True,
) -> QuerySet[MessageCopy]:
    """The copies matching ``text`` (within ``queryset`` if given), unordered, one SQL query.
    Front ends pass ``allow_headers=has_role(user, Role.PREVIEW)``."""
    base = MessageCopy.objects.all() if queryset is None else queryset
    return base.filter(compile_query(text, now=now, allow_headers=allow_headers))


def _aware(moment: datetime) -> datetime:
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)
