"""Read helpers the Action center pages and the API share, on top of ``queries.py``.

Nothing here writes (the CSV export's audit row is written by ``export.py`` through ``record``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from clawback.audit.models import AuditEvent
from clawback.remediation import queries
from clawback.remediation.models import DONE_BAD, DONE_OK, Remediation, RemediationItem

_FINISHED_ITEM = DONE_OK | DONE_BAD
# Larger numbers are no primary key (bigint); PostgreSQL would raise rather than find nothing.
_MAX_PK = 2**63 - 1


def find(key: str) -> Remediation | None:
    """The remediation with this id or approval id (as typed in a URL), or None."""
    if key.strip().isdigit() and int(key) > _MAX_PK:
        return None
    try:
        return queries.get(key)
    except Remediation.DoesNotExist:
        return None


def log_items(remediation: Remediation, result: str = "") -> QuerySet[RemediationItem]:
    """The action log of ``remediation`` in item order, optionally one result (item state) only;
    slice it for a page."""
    items = remediation.items.order_by("id").select_related("copy")
    if result:
        items = items.filter(state=result)
    return items.only(
        "id",
        "message_id",
        "mailbox_address",
        "from_folder",
        "from_location",
        "to_folder",
        "to_location",
        "state",
        "reason",
        "done_at",
        "copy__subject",
    )


def log_row(item: RemediationItem) -> dict[str, Any]:
    """One action log row, with the keys of ``queries.LOG_COLUMNS`` (``from``/``to`` renamed
    for the API schema, where ``from`` is a Python keyword)."""
    return {
        "item": item.pk,
        "message_id": item.message_id,
        "subject": item.copy.subject if item.copy else "",
        "mailbox": item.mailbox_address,
        "from_location": item.from_folder or item.from_location,
        "to_location": item.to_folder or item.to_location,
        "result": item.state,
        "reason": item.reason,
        "done_at": item.done_at,
    }


@dataclass(frozen=True)
class RowProgress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100


def progress_by_remediation(ids: Iterable[int]) -> dict[int, RowProgress]:
    """Items done of items in total for each remediation of ``ids`` (one grouped query, for
    the running rows of one page of a list)."""
    wanted = list(ids)
    if not wanted:
        return {}
    done: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    rows = (
        RemediationItem.objects.filter(remediation_id__in=wanted)
        .order_by()
        .values_list("remediation_id", "state")
        .annotate(n=Count("id"))
    )
    for remediation_id, state, n in rows:
        total[remediation_id] += n
        if state in _FINISHED_ITEM:
            done[remediation_id] += n
    return {pk: RowProgress(done=done[pk], total=total[pk]) for pk in wanted}


def two_step_reason(remediation: Remediation) -> str:
    """Why the remediation waited for a second person ("" when it ran directly), as recorded
    by its submission in the audit log."""
    event = (
        AuditEvent.objects.filter(
            object_type=Remediation._meta.label_lower,
            object_id=str(remediation.pk),
            action__in=("remediation.propose", "remediation.submit", "remediation.undo"),
        )
        .order_by("id")
        .only("data")
        .first()
    )
    return str(event.data.get("two_step", "")) if event is not None else ""
