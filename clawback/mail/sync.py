"""Incremental sync of mailboxes into the index: list, fetch and parse, write.

The three steps are separate so that :mod:`clawback.mail.runner` can run them in different
processes, and :func:`sync_mailbox` runs the same functions in one:

1. :func:`list_changes` asks the connector what changed since the saved state and reads the
   index for what it needs to know (which added refs are not indexed yet, which indexed copies
   vanished, the ids of copies whose flags changed).  It only reads the database.
2. :func:`fetch_and_parse` fetches one chunk of refs and turns each message into finished rows
   (:class:`clawback.mail.ingest.NewCopy`).  It does not touch the database.
3. :class:`Writer` is the only one that writes: it inserts copies in large transactions, applies
   moves, deletions and flag changes, and saves the new sync state.

Idempotent by construction: a mailbox's new state is committed together with (or after) the
last of its rows, so a sync killed half-way leaves the old state in place, and the next run
skips refs that are already indexed: nothing is indexed twice, and nothing indexed is fetched
again.  A message that vanished from one folder and appeared in another with the same Message-ID
during the same sync is the *same copy moved by the user*: its row is updated and its timeline
says so.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple, TypeVar

from django.db import transaction
from django.utils import timezone

from clawback.accounts.models import Organisation
from clawback.audit.log import record
from clawback.lib.bulk import dialect, prepare_bulk_writes
from clawback.mail.ingest import NewCopy, Target, insert_copies, parse_copy
from clawback.mail.models import MessageCopy, TimelineEvent
from clawback.mailstores.connectors.base import Connector, ConnectorError, FolderClass, Ref
from clawback.mailstores.connectors.registry import connector_for
from clawback.mailstores.models import Mailbox

log = logging.getLogger("clawback.sync")
T = TypeVar("T")
# Refs per fetch (one IMAP UID FETCH) and per unit of parser work.
FETCH_BATCH = 500
# Copies per write transaction.  Large transactions write each touched index page once: with
# the index's random keys (Message-ID, addresses, fingerprints) a commit of 250 rows costs
# SQLite nearly as many page writes as one of 2,000.
FLUSH_ROWS = 2000
# ... and at most this long between commits, so progress shows and states are saved.
FLUSH_SECONDS = 2.0


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


@dataclass
class Timings:
    """Wall-clock and CPU seconds per stage (``with timings("parse"): ...``), to show where a
    sync's time goes.  CPU is this thread's: what a process's helper threads do is not in it."""

    wall: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.wall[stage] += time.perf_counter() - wall
            self.cpu[stage] += time.thread_time() - cpu

    def add(self, other: Timings) -> None:
        for stage, seconds in other.wall.items():
            self.wall[stage] += seconds
        for stage, seconds in other.cpu.items():
            self.cpu[stage] += seconds


@dataclass(frozen=True)
class MailboxJob:
    """What listing one mailbox needs, picklable for a parser process."""

    target: Target
    state: dict[str, Any]

    @classmethod
    def of(cls, mailbox: Mailbox, org_domains: Sequence[str]) -> MailboxJob:
        target = Target(mailbox.store_id, mailbox.pk, mailbox.address, tuple(org_domains), dialect())
        return cls(target=target, state=dict(mailbox.sync_state or {}))


class Vanished(NamedTuple):
    """An indexed copy whose ref is gone: moved by the user if it turns up elsewhere, else deleted."""

    id: int
    location: str
    folder: str
    recipient: str


@dataclass
class Listing:
    """What changed in one mailbox, resolved against the index (see :func:`list_changes`)."""

    mailbox_id: int
    state: dict[str, Any]
    chunks: list[list[Ref]]
    vanished: dict[str, list[Vanished]]
    flags: list[tuple[int, list[str]]]


# --- 1. list ------------------------------------------------------------------------------


def list_changes(job: MailboxJob, conn: Connector) -> Listing:
    """The connector's changes since ``job.state``, with the refs still to index in chunks of
    :data:`FETCH_BATCH`.  Raises ``ConnectorError``."""
    mailbox_id = job.target.mailbox_id
    changes = conn.sync(job.target.address, job.state)
    return Listing(
        mailbox_id=mailbox_id,
        state=changes.state,
        chunks=list(chunked(_unindexed(mailbox_id, changes.added), FETCH_BATCH)),
        vanished=_vanished(mailbox_id, changes.removed),
        flags=_flag_changes(mailbox_id, changes.flags),
    )


def _indexed(mailbox_id: int, refs: Iterable[str], *fields: str) -> Iterator[tuple[Any, ...]]:
    """``fields`` of the mailbox's copies whose (encoded) ref is in ``refs``: 500 refs a query,
    each query's rows in id order."""
    for chunk in chunked(refs, 500):
        yield from MessageCopy.objects.filter(mailbox_id=mailbox_id, ref__in=chunk).order_by("id").values_list(*fields)


def _vanished(mailbox_id: int, removed: list[Ref]) -> dict[str, list[Vanished]]:
    """Indexed copies that left their folder, by Message-ID (candidates for a user move)."""
    by_id: dict[str, list[Vanished]] = defaultdict(list)
    fields = ("message_id", "id", "location", "folder", "recipient")
    for message_id, *rest in _indexed(mailbox_id, sorted({r.encode() for r in removed}), *fields):
        by_id[message_id].append(Vanished(*rest))
    return dict(by_id)


def _unindexed(mailbox_id: int, refs: list[Ref]) -> list[Ref]:
    encoded = [r.encode() for r in refs]
    known = {ref for (ref,) in _indexed(mailbox_id, encoded, "ref")}
    if not known:
        return refs
    return [r for r, e in zip(refs, encoded, strict=True) if e not in known]


def _flag_changes(mailbox_id: int, flags: dict[Ref, tuple[str, ...]]) -> list[tuple[int, list[str]]]:
    by_ref = {r.encode(): list(f) for r, f in flags.items()}
    return [(copy_id, by_ref[ref]) for copy_id, ref in _indexed(mailbox_id, sorted(by_ref), "id", "ref")]


# --- 2. fetch and parse -------------------------------------------------------------------


def fetch_and_parse(target: Target, conn: Connector, refs: list[Ref], timings: Timings | None = None) -> list[NewCopy]:
    """Fetch ``refs`` (those that still exist) and parse them.  Raises ``ConnectorError``."""
    timings = timings or Timings()
    with timings("fetch"):
        fetched = list(conn.fetch(target.address, refs, batch_size=len(refs)))
    with timings("parse"):
        now = timezone.now()
        return [parse_copy(target, item, now) for item in fetched]


# --- 3. write -----------------------------------------------------------------------------


class _Move(NamedTuple):
    copy: Vanished
    to: NewCopy


@dataclass
class _Run:
    """One mailbox's sync as the writer sees it."""

    mailbox: Mailbox
    report: SyncReport
    listing: Listing | None = None
    pending: int = 0  # chunks listed but not parsed yet
    finished: bool = False
    failed: bool = False


@dataclass
class Writer:
    """Applies listings and parsed chunks of any number of mailboxes, in few transactions.

    Call :meth:`start`, :meth:`listed`, :meth:`parsed` (once per listed chunk) or :meth:`fail`;
    :meth:`flush` when :meth:`due` and at the end.  A mailbox whose last chunk arrived is
    finished in the next flush; its report comes back from that flush.
    """

    flush_rows: int = FLUSH_ROWS
    flush_seconds: float = FLUSH_SECONDS
    runs: dict[int, _Run] = field(default_factory=dict)
    _copies: list[NewCopy] = field(default_factory=list)
    _moves: list[_Move] = field(default_factory=list)
    _done: list[_Run] = field(default_factory=list)
    _since: float = field(default_factory=time.monotonic)
    timings: Timings = field(default_factory=Timings)

    def start(self, mailbox: Mailbox) -> None:
        self.runs[mailbox.pk] = _Run(mailbox, SyncReport(mailbox=mailbox.address))

    def listed(self, listing: Listing) -> None:
        run = self.runs[listing.mailbox_id]
        run.listing, run.pending = listing, len(listing.chunks)
        self._check_done(run)

    def parsed(self, mailbox_id: int, copies: list[NewCopy]) -> None:
        run = self.runs.get(mailbox_id)
        if run is None:  # failed, and its failure already written: the next sync redoes it
            return
        vanished = run.listing.vanished if run.listing else {}
        for copy in copies:
            candidates = vanished.get(copy.message_id) if copy.message_id else None
            if candidates:
                self._moves.append(_Move(candidates.pop(), copy))
                run.report.moved += 1
            else:
                self._copies.append(copy)
        run.pending -= 1
        self._check_done(run)

    def fail(self, mailbox_id: int, message: str, *, permanent: bool) -> None:
        run = self.runs.get(mailbox_id)
        if run is None or run.failed or run.finished:
            return  # finished already: what failed afterwards changes nothing
        run.failed = True
        run.report.error, run.report.permanent = message, permanent
        self._done.append(run)

    def is_failed(self, mailbox_id: int) -> bool:
        run = self.runs.get(mailbox_id)
        return run is None or run.failed

    def due(self) -> bool:
        if len(self._copies) >= self.flush_rows:
            return True
        busy = self._copies or self._moves or self._done
        return bool(busy) and time.monotonic() - self._since >= self.flush_seconds

    def flush(self) -> list[SyncReport]:
        """Commit everything pending; return the reports of the mailboxes finished by it."""
        copies, moves, done = self._copies, self._moves, self._done
        self._copies, self._moves, self._done = [], [], []
        self._since = time.monotonic()
        if copies or moves or done:
            now = timezone.now()
            prepare_bulk_writes()
            with self.timings("write"), transaction.atomic():
                fresh = _not_indexed(copies)
                insert_copies(fresh)
                _save_moves(moves, now)
                for run in done:
                    if not run.failed:
                        _finish(run, now)
                    else:
                        _record_failure(run)
            self._count(fresh)
        for run in done:
            del self.runs[run.mailbox.pk]
            if run.failed:
                log.warning(
                    "sync of %s failed (%s): %s",
                    run.mailbox.address,
                    "permanent" if run.report.permanent else "transient",
                    run.report.error,
                )
        return [run.report for run in done]

    def _check_done(self, run: _Run) -> None:
        if run.listing is not None and run.pending == 0 and not run.failed:
            run.finished = True
            self._done.append(run)

    def _count(self, inserted: list[NewCopy]) -> None:
        for copy in inserted:
            run = self.runs.get(copy.mailbox_id)
            if run is not None:
                run.report.added += 1
                run.report.parse_problems += copy.has_problems


def _not_indexed(copies: list[NewCopy]) -> list[NewCopy]:
    """``copies`` without those a concurrent sync of the same mailbox indexed meanwhile (the
    unique (mailbox, ref) constraint would otherwise fail the whole transaction)."""
    if not copies:
        return copies
    mailboxes = {c.mailbox_id for c in copies}
    known: set[tuple[int, str]] = set()
    for chunk in chunked([c.ref for c in copies], 2000):
        known.update(
            MessageCopy.objects.filter(mailbox_id__in=mailboxes, ref__in=chunk).values_list("mailbox_id", "ref")
        )
    if not known:
        return copies
    return [c for c in copies if (c.mailbox_id, c.ref) not in known]


def _finish(run: _Run, now: datetime) -> None:
    listing, mailbox, report = run.listing, run.mailbox, run.report
    assert listing is not None
    gone = [copy for copies in listing.vanished.values() for copy in copies]
    _save_deletions(gone, now)
    _save_flags(listing.flags)
    report.deleted, report.flags_changed = len(gone), len(listing.flags)
    mailbox.sync_state = listing.state
    mailbox.status = Mailbox.Status.OK
    mailbox.last_error = ""
    mailbox.last_synced_at = now
    mailbox.save(update_fields=["sync_state", "status", "last_error", "last_synced_at"])
    if report.changed:
        record("mailbox.sync", actor=None, obj=mailbox, data=report.as_dict())


def _record_failure(run: _Run) -> None:
    mailbox = run.mailbox
    mailbox.status = Mailbox.Status.ERROR
    mailbox.last_error = run.report.error
    mailbox.save(update_fields=["status", "last_error"])
    record("mailbox.sync.failed", actor=None, obj=mailbox, data=run.report.as_dict())


def _save_moves(moves: list[_Move], now: datetime) -> None:
    if not moves:
        return
    MessageCopy.objects.bulk_update(
        [
            MessageCopy(id=old.id, ref=new.ref, folder=new.folder, location=new.location, flags=list(new.flags))
            for old, new in moves
        ],
        ["ref", "folder", "location", "flags"],
        batch_size=500,
    )
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                copy_id=old.id,
                at=now,
                kind=TimelineEvent.Kind.USER_MOVED,
                source=TimelineEvent.Source.USER,
                actor=old.recipient,
                from_location=old.location,
                to_location=new.location,
                from_folder=old.folder,
                to_folder=new.folder,
                result="moved",
                detail="seen at sync",
            )
            for old, new in moves
        ],
        batch_size=1000,
    )


def _save_deletions(gone: list[Vanished], now: datetime) -> None:
    if not gone:
        return
    MessageCopy.objects.bulk_update(
        [MessageCopy(id=c.id, location=FolderClass.NOT_FOUND.value, folder="", ref=f"gone:{c.id}") for c in gone],
        ["location", "folder", "ref"],
        batch_size=500,
    )
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                copy_id=c.id,
                at=now,
                kind=TimelineEvent.Kind.USER_DELETED,
                source=TimelineEvent.Source.USER,
                actor=c.recipient,
                from_location=c.location,
                to_location=FolderClass.NOT_FOUND.value,
                from_folder=c.folder,
                result="deleted",
                detail="gone from the mailbox at sync",
            )
            for c in gone
        ],
        batch_size=1000,
    )


def _save_flags(flags: list[tuple[int, list[str]]]) -> None:
    if flags:
        MessageCopy.objects.bulk_update(
            [MessageCopy(id=copy_id, flags=value) for copy_id, value in flags], ["flags"], batch_size=500
        )


# --- one mailbox in this process ----------------------------------------------------------


def sync_mailbox(mailbox_id: int, *, connector: Connector | None = None, timings: Timings | None = None) -> SyncReport:
    """List, fetch, parse and index one mailbox in this process (tasks, tests, one-off syncs)."""
    mailbox = Mailbox.objects.select_related("store").get(pk=mailbox_id)
    job = MailboxJob.of(mailbox, Organisation.current().domains)
    conn = connector or connector_for(mailbox.store)
    writer = Writer(timings=timings or Timings())
    writer.start(mailbox)
    reports: list[SyncReport] = []
    try:
        with writer.timings("list"):
            listing = list_changes(job, conn)
        writer.listed(listing)
        for refs in listing.chunks:
            writer.parsed(mailbox_id, fetch_and_parse(job.target, conn, refs, writer.timings))
            if writer.due():
                reports += writer.flush()
    except ConnectorError as exc:
        writer.fail(mailbox_id, exc.message, permanent=exc.permanent)
    finally:
        if connector is None:
            conn.close()
    reports += writer.flush()
    return reports[0]
