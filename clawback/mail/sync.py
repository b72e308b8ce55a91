"""Incremental sync of one mailbox into the index (ARCHITECTURE: connector.sync -> parse -> index).

Idempotent by construction: a sync killed half-way leaves the old sync state in place, and the
next run skips refs that are already indexed, so nothing is indexed twice.  A message that
vanished from one folder and appeared in another with the same Message-ID during the same sync
is the *same copy moved by the user*: its row is updated and its timeline says so.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import islice
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from clawback.accounts.models import Organisation
from clawback.audit.log import record
from clawback.mail.ingest import build_copy, insert_copies, parse_fetched
from clawback.mail.models import MessageCopy, TimelineEvent
from clawback.mailstores.connectors.base import Connector, ConnectorError, FolderClass, Ref, SyncChanges
from clawback.mailstores.connectors.registry import connector_for
from clawback.mailstores.models import Mailbox

log = logging.getLogger("clawback.sync")
T = TypeVar("T")
BATCH = 250


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


@dataclass
class SyncReport:
    mailbox: str
    added: int = 0
    moved: int = 0
    deleted: int = 0
    flags_changed: int = 0
    parse_problems: int = 0
    error: str = ""
    permanent: bool = False

    @property
    def changed(self) -> int:
        return self.added + self.moved + self.deleted + self.flags_changed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sync_mailbox(mailbox_id: int, *, connector: Connector | None = None) -> SyncReport:
    mailbox = Mailbox.objects.select_related("store").get(pk=mailbox_id)
    own = connector is None
    conn = connector or connector_for(mailbox.store)
    report = SyncReport(mailbox=mailbox.address)
    try:
        changes = conn.sync(mailbox.address, mailbox.sync_state)
        _apply(mailbox, conn, changes, report)
    except ConnectorError as exc:
        report.error, report.permanent = exc.message, exc.permanent
        _record_failure(mailbox, report)
        return report
    finally:
        if own:
            conn.close()
    with transaction.atomic():
        mailbox.sync_state = changes.state
        mailbox.status = Mailbox.Status.OK
        mailbox.last_error = ""
        mailbox.last_synced_at = timezone.now()
        mailbox.save(update_fields=["sync_state", "status", "last_error", "last_synced_at"])
        if report.changed:
            record("mailbox.sync", actor=None, obj=mailbox, data=report.as_dict())
    return report


def _record_failure(mailbox: Mailbox, report: SyncReport) -> None:
    log.warning(
        "sync of %s failed (%s): %s", mailbox.address, "permanent" if report.permanent else "transient", report.error
    )
    with transaction.atomic():
        mailbox.status = Mailbox.Status.ERROR
        mailbox.last_error = report.error
        mailbox.save(update_fields=["status", "last_error"])
        record("mailbox.sync.failed", actor=None, obj=mailbox, data=report.as_dict())


def _vanished(mailbox: Mailbox, changes: SyncChanges) -> dict[str, list[MessageCopy]]:
    """Indexed copies that left their folder, by Message-ID (candidates for a user move)."""
    refs = {r.encode() for r in changes.removed}
    by_id: dict[str, list[MessageCopy]] = defaultdict(list)
    for chunk in chunked(sorted(refs), 500):
        for copy in MessageCopy.objects.filter(mailbox=mailbox, ref__in=chunk):
            by_id[copy.message_id].append(copy)
    return by_id


def _unindexed(mailbox: Mailbox, refs: list[Ref]) -> list[Ref]:
    out: list[Ref] = []
    for chunk in chunked(refs, 500):
        known = set(
            MessageCopy.objects.filter(mailbox=mailbox, ref__in=[r.encode() for r in chunk]).values_list(
                "ref", flat=True
            )
        )
        out += [r for r in chunk if r.encode() not in known]
    return out


def _apply(mailbox: Mailbox, conn: Connector, changes: SyncChanges, report: SyncReport) -> None:
    org_domains = Organisation.current().domains
    vanished = _vanished(mailbox, changes)
    for refs in chunked(_unindexed(mailbox, changes.added), BATCH):
        now = timezone.now()
        new_rows = []
        moved: list[tuple[MessageCopy, str, str]] = []
        for fetched in conn.fetch(mailbox.address, refs, batch_size=BATCH):
            parsed = parse_fetched(fetched, org_domains, mailbox.address)
            candidates = vanished.get(parsed.message_id) if parsed.message_id else None
            if candidates:
                copy = candidates.pop()
                moved.append((copy, copy.location, copy.folder))
                copy.ref = fetched.ref.encode()
                copy.folder = fetched.ref.folder
                copy.location = fetched.folder_class.value
                copy.flags = list(fetched.flags)
                continue
            report.parse_problems += bool(parsed.parse_problems)
            new_rows.append((build_copy(mailbox, fetched, parsed, now), parsed))
        with transaction.atomic():
            insert_copies(new_rows)
            _save_moves(moved, now)
        report.added += len(new_rows)
        report.moved += len(moved)
    gone = [copy for copies in vanished.values() for copy in copies]
    with transaction.atomic():
        _save_deletions(gone, timezone.now())
        report.flags_changed = _save_flags(mailbox, changes.flags)
    report.deleted = len(gone)


def _save_moves(moved: list[tuple[MessageCopy, str, str]], now: Any) -> None:
    if not moved:
        return
    MessageCopy.objects.bulk_update([m[0] for m in moved], ["ref", "folder", "location", "flags"])
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            copy=copy,
            at=now,
            kind=TimelineEvent.Kind.USER_MOVED,
            source=TimelineEvent.Source.USER,
            actor=copy.recipient,
            from_location=old_location,
            to_location=copy.location,
            from_folder=old_folder,
            to_folder=copy.folder,
            result="moved",
            detail="seen at sync",
        )
        for copy, old_location, old_folder in moved
    )


def _save_deletions(gone: list[MessageCopy], now: Any) -> None:
    if not gone:
        return
    events = []
    for copy in gone:
        events.append(
            TimelineEvent(
                copy=copy,
                at=now,
                kind=TimelineEvent.Kind.USER_DELETED,
                source=TimelineEvent.Source.USER,
                actor=copy.recipient,
                from_location=copy.location,
                to_location=FolderClass.NOT_FOUND.value,
                from_folder=copy.folder,
                result="deleted",
                detail="gone from the mailbox at sync",
            )
        )
        copy.location = FolderClass.NOT_FOUND.value
        copy.folder = ""
        copy.ref = f"gone:{copy.pk}"
    MessageCopy.objects.bulk_update(gone, ["location", "folder", "ref"], batch_size=500)
    TimelineEvent.objects.bulk_create(events, batch_size=1000)


def _save_flags(mailbox: Mailbox, flags: dict[Ref, tuple[str, ...]]) -> int:
    if not flags:
        return 0
    by_ref = {r.encode(): list(f) for r, f in flags.items()}
    changed = []
    for chunk in chunked(sorted(by_ref), 500):
        for copy in MessageCopy.objects.filter(mailbox=mailbox, ref__in=chunk).only("id", "ref", "flags"):
            copy.flags = by_ref[copy.ref]
            changed.append(copy)
    MessageCopy.objects.bulk_update(changed, ["flags"], batch_size=500)
    return len(changed)
