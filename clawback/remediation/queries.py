"""Read-only views of remediations for the Action center, the API and the CLI (SPEC §5).

Nothing here writes; every change goes through ``actions.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from clawback.remediation.models import (
    AUTOMATION,
    DONE_BAD,
    DONE_OK,
    ItemState,
    Remediation,
    RemediationItem,
    Status,
)

PENDING_TAB = (Status.PENDING_APPROVAL,)
# The action log export's ceiling (SPEC §5).
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class Filters:
    """The Action center's filters; empty fields do not filter."""

    name: str = ""
    approval_id: str = ""
    investigation_id: str = ""
    status: str = ""
    source: str = ""
    action: str = ""
    decided_by: str = ""  # a user name, or "Automation"
    since: date | None = None
    until: date | None = None


def pending() -> QuerySet[Remediation]:
    return Remediation.objects.filter(status__in=PENDING_TAB)


def history() -> QuerySet[Remediation]:
    return Remediation.objects.exclude(status__in=PENDING_TAB)


def filtered(qs: QuerySet[Remediation], f: Filters) -> QuerySet[Remediation]:
    conditions = Q()
    if f.name:
        conditions &= Q(name__icontains=f.name)
    if f.approval_id:
        conditions &= Q(approval_id__iexact=f.approval_id)
    if f.investigation_id:
        conditions &= Q(investigation_id__iexact=f.investigation_id)
    if f.status:
        conditions &= Q(status=f.status)
    if f.source:
        conditions &= Q(source=f.source)
    if f.action:
        conditions &= Q(action=f.action)
    if f.decided_by:
        conditions &= Q(decided_by_name__iexact=f.decided_by)
    if f.since:
        conditions &= Q(submitted_at__date__gte=f.since)
    if f.until:
        conditions &= Q(submitted_at__date__lte=f.until)
    return qs.filter(conditions)


def get(key: str | int) -> Remediation:
    """By numeric id or approval id ("RA-7K2QXM"); raises Remediation.DoesNotExist."""
    text = str(key).strip()
    if text.isdigit():
        return Remediation.objects.get(pk=int(text))
    return Remediation.objects.get(approval_id__iexact=text)


@dataclass(frozen=True)
class Progress:
    total: int
    counts: dict[str, int]
    done: int
    remaining: int
    rate: float | None  # items per second so far
    eta: timedelta | None

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 100.0


def progress(remediation: Remediation, *, now: datetime | None = None) -> Progress:
    """Counts per item state, and an ETA from the pace of finished items since the start."""
    now = now or timezone.now()
    rows = remediation.items.order_by().values("state").annotate(n=Count("id")).values_list("state", "n")
    counts = {state: n for state, n in rows}
    total = sum(counts.values())
    finished = DONE_OK | DONE_BAD
    done = sum(n for state, n in counts.items() if state in finished)
    remaining = total - done
    rate = eta = None
    if remediation.started_at and done:
        last = remediation.items.aggregate(last=Max("done_at"))["last"] or now
        seconds = max((last - remediation.started_at).total_seconds(), 0.001)
        rate = done / seconds
        eta = timedelta(seconds=remaining / rate) if remaining else timedelta(0)
    return Progress(total=total, counts=counts, done=done, remaining=remaining, rate=rate, eta=eta)


def summary(remediation: Remediation) -> dict[str, Any]:
    """Everything a remediation page or ``remediation show --format json`` shows."""
    p = progress(remediation)
    return {
        "id": remediation.pk,
        "name": remediation.name,
        "approval_id": remediation.approval_id,
        "status": remediation.status,
        "action": remediation.action,
        "severity": remediation.severity,
        "description": remediation.description,
        "source": remediation.source,
        "selection": {
            "kind": remediation.selection_kind,
            "query": remediation.query,
            "ids": remediation.picked_ids,
            "exclusions": remediation.exclusions,
            "additions": remediation.additions,
        },
        "include_sender_copy": remediation.include_sender_copy,
        "submitted_by": remediation.submitted_by_name,
        "submitted_at": _iso(remediation.submitted_at),
        "decided_by": remediation.decided_by_name,
        "decided_at": _iso(remediation.decided_at),
        "decision_note": remediation.decision_note,
        "expires_at": _iso(remediation.expires_at),
        "investigation_id": remediation.investigation_id,
        "reverse_of": remediation.reverse_of_id,
        "duplicate_of": remediation.duplicate_of_id,
        "started_at": _iso(remediation.started_at),
        "finished_at": _iso(remediation.finished_at),
        "total": p.total,
        "counts": {state.value: p.counts.get(state.value, 0) for state in ItemState},
        "done": p.done,
        "percent": round(p.percent, 1),
        "rate_per_second": round(p.rate, 1) if p.rate is not None else None,
        "eta_seconds": round(p.eta.total_seconds(), 1) if p.eta is not None else None,
        "undoable": remediation.action != "hard-delete",
    }


def counts_by_location(remediation: Remediation) -> dict[str, int]:
    """Items per location at submission (the review step's "where they are now")."""
    rows = remediation.items.order_by().values("from_location").annotate(n=Count("id"))
    return {r["from_location"]: r["n"] for r in rows}


def not_remediable(remediation: Remediation) -> dict[str, int]:
    """What cannot be remediated, by reason."""
    rows = remediation.items.filter(state=ItemState.NOT_REMEDIABLE).order_by().values("reason").annotate(n=Count("id"))
    return {r["reason"]: r["n"] for r in rows}


LOG_COLUMNS = ["item", "message_id", "subject", "mailbox", "from", "to", "result", "reason", "done_at"]


def action_log(remediation: Remediation, *, limit: int = EXPORT_LIMIT) -> Iterator[dict[str, Any]]:
    """The per-message action log (message, mailbox, from -> to, result, reason), streamed."""
    items: QuerySet[RemediationItem] = (
        remediation.items.order_by("id")
        .select_related("copy")
        .only(
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
    )
    for item in items[:limit].iterator(chunk_size=2000):
        yield {
            "item": item.pk,
            "message_id": item.message_id,
            "subject": item.copy.subject if item.copy else "",
            "mailbox": item.mailbox_address,
            "from": item.from_folder or item.from_location,
            "to": item.to_folder or item.to_location,
            "result": item.state,
            "reason": item.reason,
            "done_at": _iso(item.done_at),
        }


def decided_by_choices() -> list[str]:
    names = set(Remediation.objects.exclude(decided_by_name="").values_list("decided_by_name", flat=True))
    return [*sorted(names - {AUTOMATION}), AUTOMATION]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
