"""The action log as CSV (SPEC §5: up to 100,000 rows), for the Action center and the API.

The export names messages (subjects, Message-IDs, mailboxes), so it is content access: each one
is written to the audit log before the first byte is sent.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import StreamingHttpResponse

from clawback.audit.log import record
from clawback.remediation.models import Remediation
from clawback.remediation.queries import EXPORT_LIMIT, LOG_COLUMNS, action_log

# A cell starting with one of these is a formula to a spreadsheet; subjects come from
# attackers ("=HYPERLINK(...)"), so such cells are prefixed with a quote (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose ``write`` returns the line, for ``csv.writer`` to stream."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_lines(remediation: Remediation) -> Iterator[str]:
    """The header row, then one row per item (at most ``EXPORT_LIMIT``)."""
    writer = csv.writer(_Line())
    yield writer.writerow(LOG_COLUMNS)
    for row in action_log(remediation, limit=EXPORT_LIMIT):
        yield writer.writerow([_cell(row[column]) for column in LOG_COLUMNS])


def csv_response(remediation: Remediation, *, actor: AbstractBaseUser | AnonymousUser) -> StreamingHttpResponse:
    """An audited, streamed CSV download of the action log."""
    rows = min(remediation.item_count, EXPORT_LIMIT)
    record(
        "remediation.export",
        actor=actor,
        obj=remediation,
        data={
            "name": remediation.name,
            "approval_id": remediation.approval_id,
            "rows": rows,
            "truncated": remediation.item_count > EXPORT_LIMIT,
        },
    )
    response = StreamingHttpResponse(csv_lines(remediation), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{remediation.approval_id}-action-log.csv"'
    return response
