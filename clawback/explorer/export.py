"""CSV export of Explorer results (SPEC §3): streamed, at most ``CLAWBACK_EXPORT_LIMIT`` rows.

Rows are read in chunks from a database cursor (``values_list(...).iterator``), turned into CSV
a chunk at a time and yielded, so memory stays flat whatever the size.  The columns are index
metadata only (no headers or bodies): View is enough to export, but an export takes a copy of
many rows out of Clawback, so :func:`start_export` writes an audit row first.

Cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) are
prefixed with ``'``: subjects and sender names are chosen by whoever sent the mail (OWASP "CSV
injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from clawback.audit.log import record
from clawback.mail.models import MessageCopy

CHUNK = 2000
# (CSV header, ORM path, formatter).  Names follow the API's fields.
_SET = "set"
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "pk", ""),
    ("received_at", "received_at", "time"),
    ("message_id", "message_id", ""),
    ("from_address", "from_address", ""),
    ("from_name", "from_name", ""),
    ("from_domain", "from_domain", ""),
    ("mail_from", "mail_from", ""),
    ("sender_ip", "sender_ip", ""),
    ("reply_to", "reply_to", ""),
    ("recipient", "recipient", ""),
    ("subject", "subject", ""),
    ("direction", "direction", ""),
    ("threats", "threats", _SET),
    ("detections", "detections", _SET),
    ("delivery_action", "delivery_action", ""),
    ("original_location", "original_location", ""),
    ("location", "location", ""),
    ("folder", "folder", ""),
    ("size", "size", ""),
    ("url_count", "url_count", ""),
    ("attachment_count", "attachment_count", ""),
    ("spf", "spf", ""),
    ("dkim", "dkim", ""),
    ("dmarc", "dmarc", ""),
    ("composite_auth", "composite_auth", ""),
    ("fingerprint", "fingerprint", ""),
    ("store", "store__name", ""),
)
HEADER = [name for name, _, _ in COLUMNS]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEWEST_FIRST = ("-received_at", "-pk")


def export_limit(limit: int | None = None) -> int:
    """``limit`` capped by the CLAWBACK_EXPORT_LIMIT setting (the setting when None)."""
    ceiling: int = settings.CLAWBACK_EXPORT_LIMIT
    return ceiling if limit is None else max(0, min(limit, ceiling))


def _time(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _members(value: str) -> str:
    return ";".join(member for member in value.split(",") if member)


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


_FORMATTERS: dict[str, Callable[[Any], object]] = {"time": _time, _SET: _members}


def export_rows(
    queryset: QuerySet[MessageCopy], *, limit: int | None = None, order: Sequence[str] = NEWEST_FIRST
) -> Iterator[list[object]]:
    """The CSV cells of ``queryset``'s copies in ``order`` (ORM ordering; default newest
    first), at most :func:`export_limit` rows."""
    paths = [path for _, path, _ in COLUMNS]
    formats = [_FORMATTERS.get(kind) for _, _, kind in COLUMNS]
    ordered = queryset.order_by(*order).values_list(*paths)[: export_limit(limit)]
    for row in ordered.iterator(chunk_size=CHUNK):
        yield [_safe(fmt(value) if fmt else value) for fmt, value in zip(formats, row, strict=True)]


def csv_chunks(rows: Iterable[list[object]], *, header: list[str] = HEADER) -> Iterator[str]:
    """CSV text (RFC 4180: CRLF line ends), the header first, in chunks of :data:`CHUNK` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    pending = 1
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()


def start_export(
    queryset: QuerySet[MessageCopy],
    *,
    acting_user: AbstractBaseUser | AnonymousUser | str | None,
    query: str,
    view: str = "all",
    limit: int | None = None,
    source: str = "web",
    order: Sequence[str] = NEWEST_FIRST,
) -> Iterator[str]:
    """Audit the export, then return its CSV chunks (hand them to a StreamingHttpResponse).

    ``query`` and ``view`` are what the analyst asked for, recorded as given; ``queryset`` is
    their result (the caller has already checked the View role); ``order`` is the table's sort."""
    cap = export_limit(limit)
    record(
        "explorer.export",
        actor=acting_user,
        data={"query": query, "view": view, "limit": cap, "source": source},
    )
    return csv_chunks(export_rows(queryset, limit=cap, order=order))


def filename(now: datetime) -> str:
    return f"clawback-export-{now:%Y%m%d-%H%M%S}.csv"
