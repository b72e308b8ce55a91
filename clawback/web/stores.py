"""A read-only summary of the mail stores for the Settings page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q

from clawback.mailstores.models import Mailbox, Store


@dataclass(frozen=True)
class StoreSummary:
    id: int
    name: str
    kind: str
    mailboxes: int
    failed_mailboxes: int
    never_synced: int
    last_synced_at: datetime | None

    @property
    def last_sync_status(self) -> str:
        """``empty`` (no mailboxes), ``error`` (any mailbox's last sync failed), ``new``
        (never synced), ``partial`` (some mailboxes not synced yet) or ``ok``."""
        if self.mailboxes == 0:
            return "empty"
        if self.failed_mailboxes:
            return "error"
        if self.never_synced == self.mailboxes:
            return "new"
        if self.never_synced:
            return "partial"
        return "ok"


def store_summaries() -> list[StoreSummary]:
    rows = Store.objects.annotate(
        n_mailboxes=Count("mailboxes"),
        n_failed=Count("mailboxes", filter=Q(mailboxes__status=Mailbox.Status.ERROR)),
        n_new=Count("mailboxes", filter=Q(mailboxes__status=Mailbox.Status.NEW)),
        newest_sync=Max("mailboxes__last_synced_at"),
    ).order_by("name")
    return [
        StoreSummary(
            id=row.pk,
            name=row.name,
            kind=row.kind,
            mailboxes=row.n_mailboxes,
            failed_mailboxes=row.n_failed,
            never_synced=row.n_new,
            last_synced_at=row.newest_sync,
        )
        for row in rows
    ]
