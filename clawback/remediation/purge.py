"""Soft-deleted mail is kept in the recoverable folder for a retention period, then purged
(SPEC §4: 14 days by default, CLAWBACK_SOFT_DELETE_RETENTION_DAYS).

Each soft delete schedules its own purge when it finishes; :func:`purge_soft_deleted` without a
remediation purges everything due (``clawback remediation purge``), so a lost schedule is only
a delay.  Only copies still where the soft delete put them are purged: a copy restored by undo
or moved by its owner is left alone.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clawback.audit.log import record
from clawback.mail.models import MessageCopy, TimelineEvent
from clawback.mailstores.connectors.base import ConnectorError, FolderClass, Ref
from clawback.mailstores.connectors.registry import connector_for
from clawback.mailstores.models import Mailbox
from clawback.remediation.models import Action, ItemState, RemediationItem

log = logging.getLogger("clawback.remediation")


def due_items(*, remediation_id: int | None = None, now: datetime | None = None) -> list[RemediationItem]:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CLAWBACK_SOFT_DELETE_RETENTION_DAYS)
    qs = RemediationItem.objects.filter(
        remediation__action=Action.SOFT_DELETE,
        state=ItemState.SUCCEEDED,
        purged_at__isnull=True,
        done_at__lte=cutoff,
        # Still where the soft delete put it (per the index).
        copy__ref=F("new_ref"),
        copy__location=FolderClass.RECOVERABLE.value,
    )
    if remediation_id is not None:
        qs = qs.filter(remediation_id=remediation_id)
    return list(qs.select_related("remediation").order_by("mailbox_id", "id"))


def purge_soft_deleted(*, remediation_id: int | None = None, now: datetime | None = None) -> int:
    """Expunge due soft-deleted copies, mailbox by mailbox; returns how many were purged."""
    by_mailbox: dict[int, list[RemediationItem]] = defaultdict(list)
    for item in due_items(remediation_id=remediation_id, now=now):
        if item.mailbox_id is not None:
            by_mailbox[item.mailbox_id].append(item)
    purged = 0
    for mailbox_id, items in by_mailbox.items():
        mailbox = Mailbox.objects.select_related("store").get(pk=mailbox_id)
        connector = connector_for(mailbox.store)
        try:
            connector.hard_delete(mailbox.address, [Ref.decode(i.new_ref) for i in items])
        except ConnectorError as exc:
            log.warning("purge in %s failed (%s); retried at the next purge", mailbox.address, exc.message)
            continue
        finally:
            connector.close()
        _record(mailbox, items)
        purged += len(items)
    return purged


def _record(mailbox: Mailbox, items: list[RemediationItem]) -> None:
    now = timezone.now()
    days = settings.CLAWBACK_SOFT_DELETE_RETENTION_DAYS
    with transaction.atomic():
        RemediationItem.objects.filter(pk__in=[i.pk for i in items]).update(purged_at=now)
        copies = MessageCopy.objects.in_bulk([i.copy_id for i in items if i.copy_id])
        events = []
        for copy in copies.values():
            events.append(
                TimelineEvent(
                    copy=copy,
                    at=now,
                    kind=TimelineEvent.Kind.REMEDIATION,
                    source=TimelineEvent.Source.SYSTEM,
                    actor="system",
                    from_location=copy.location,
                    to_location=FolderClass.NOT_FOUND.value,
                    from_folder=copy.folder,
                    result="purged",
                    detail=f"soft-deleted copy purged after the {days}-day retention period",
                )
            )
            copy.ref, copy.folder, copy.location = f"gone:{copy.pk}", "", FolderClass.NOT_FOUND.value
        MessageCopy.objects.bulk_update(list(copies.values()), ["ref", "folder", "location"], batch_size=500)
        TimelineEvent.objects.bulk_create(events, batch_size=1000)
        remediations = sorted({i.remediation_id for i in items})
        record(
            "remediation.purge",
            actor=None,
            obj=mailbox,
            data={"remediations": remediations, "purged": len(items), "retention_days": days},
        )
