"""Sync many mailboxes from one command: parser processes feed one writer.

Parsing is CPU-bound and the GIL serialises threads, so it runs in processes.  Each parser
process lists mailboxes and fetches and parses chunks of messages (:mod:`clawback.mail.sync`
steps 1 and 2); the parent only writes (step 3), in transactions of a few thousand copies, while
the parsers carry on.  What comes back is compact: finished row tuples, not parse objects.

    parent (writer)                        parser processes (``processes`` of them)
    jobs:    ("list", mailbox)        ──▶  list_changes, then fetch_and_parse of its first chunk
             ("parse", mailbox, refs) ──▶  fetch_and_parse (further chunks of big mailboxes)
    results: start / listed / parsed / failed / done  ◀──
    Writer.parsed(...) ... Writer.flush()

A small mailbox is one job on one IMAP login; a big one is split into chunks of
:data:`~clawback.mail.sync.FETCH_BATCH` that any process can take.  Chunks of listed mailboxes
go before new listings, so few mailboxes are open at a time.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import multiprocessing
import queue
import signal
import time
from collections import deque
from collections.abc import Iterator
from itertools import count
from typing import Any

from django.conf import settings
from django.db import connections

from clawback.accounts.models import Organisation
from clawback.mail.actions import do_request_sync
from clawback.mail.sync import (
    MailboxJob,
    SyncReport,
    Timings,
    Writer,
    fetch_and_parse,
    list_changes,
    sync_mailbox,
)
from clawback.mailstores.connectors.base import Connector, ConnectorError, Ref
from clawback.mailstores.connectors.registry import connector_for
from clawback.mailstores.models import Mailbox, Store

log = logging.getLogger("clawback.sync")
# Jobs handed out per parser process before their results are back: one being worked on and
# one waiting, so a process never idles while the parent is busy committing.
JOBS_PER_PROCESS = 2


def sync_all(
    mailbox_ids: list[int], processes: int | None = None, *, timings: Timings | None = None
) -> Iterator[SyncReport]:
    """Yield one report per mailbox as they finish.  One mailbox's failure stops no other.
    Where the time went is added to ``timings`` (see :func:`describe_timings`)."""
    processes = processes or settings.CLAWBACK_SYNC_PROCESSES
    timings = timings if timings is not None else Timings()
    if processes <= 1:
        for mailbox_id in mailbox_ids:
            yield sync_mailbox(mailbox_id, timings=timings)
        return
    mailboxes = list(Mailbox.objects.filter(pk__in=mailbox_ids).select_related("store").order_by("id"))
    yield from _Pipeline(mailboxes, processes, timings).run()


_PARSER_STAGES = (("list", "list"), ("fetch", "fetch"), ("parse", "parse"), ("send", "hand back"))


def describe_timings(timings: Timings, elapsed: float, processes: int) -> str:
    """One line on where a sync's time went: each stage's wall-clock seconds (CPU in brackets,
    where the stage can wait) in the parser processes, and the writer's."""

    def stage(name: str, label: str) -> str:
        wall, cpu = timings.wall.get(name, 0.0), timings.cpu.get(name, 0.0)
        return f"{label} {wall:.1f} s" + (f" (CPU {cpu:.1f})" if wall - cpu > 0.05 * wall + 0.05 else "")

    parsers = processes if processes > 1 else 1
    busy = sum(timings.wall.get(name, 0.0) for name, _ in _PARSER_STAGES)
    write = timings.wall.get("write", 0.0)
    if processes <= 1:  # one process does everything in turn
        busy += write
    idle = max(0.0, parsers * elapsed - busy)
    parts = ", ".join(stage(name, label) for name, label in _PARSER_STAGES)
    line = f"parsers ({parsers} x {elapsed:.1f} s): {parts}, idle {idle:.1f} s; writer: {stage('write', 'write')}"
    if processes > 1:
        line += f", waiting for parsers {timings.wall.get('writer idle', 0.0):.1f} s"
    return line


class _Worker:
    """A parser process with its own job queue, so the parent knows what each one holds."""

    def __init__(self, ctx: Any, results: Any, processes: int) -> None:
        self.tasks: Any = ctx.Queue()
        self.jobs: set[int] = set()
        self.process = ctx.Process(
            target=_work, args=(self.tasks, results, processes), name="clawback-parser", daemon=True
        )
        self.process.start()


class _Pipeline:
    """The parent's side: hands out jobs, feeds results to the :class:`Writer`, watches the
    parser processes (one that dies fails the mailboxes it was working on, and is replaced)."""

    def __init__(self, mailboxes: list[Mailbox], processes: int, timings: Timings) -> None:
        self.processes = processes
        self.org_domains = tuple(Organisation.current().domains)
        self.timings = timings
        self.writer = Writer(timings=timings)
        self.lists: deque[Mailbox] = deque(mailboxes)
        self.chunks: deque[tuple[Mailbox, list[Ref]]] = deque()
        self.mailboxes = {m.pk: m for m in mailboxes}
        self.jobs: dict[int, tuple[int, _Worker]] = {}  # job number -> (mailbox id, its process)
        self.listed_by: dict[int, _Worker] = {}  # mailbox id -> the process that has it open
        self.numbers = count()
        self.ctx = multiprocessing.get_context("fork")
        # Bounded: parsers wait rather than pile results up while the parent commits.
        self.results: Any = self.ctx.Queue(maxsize=JOBS_PER_PROCESS * processes + 2)
        self.workers: list[_Worker] = []

    def run(self) -> Iterator[SyncReport]:
        try:
            for _ in range(self.processes):
                self._spawn()
            while self.lists or self.chunks or self.jobs:
                self._hand_out()
                try:
                    with self.timings("writer idle"):
                        message = self.results.get(timeout=0.2)
                except queue.Empty:
                    message = None
                if message is not None:
                    self._receive(message)
                self._watch()
                if self.writer.due():
                    yield from self.writer.flush()
            yield from self.writer.flush()
        finally:
            self._stop()

    def _hand_out(self) -> None:
        while self.chunks or self.lists:
            free = [w for w in self.workers if len(w.jobs) < JOBS_PER_PROCESS]
            if not free:
                return
            number = next(self.numbers)
            if self.chunks:
                mailbox, refs = self.chunks.popleft()
                if self.writer.is_failed(mailbox.pk):
                    continue
                # The process that listed the mailbox still has it selected: no new login.
                owner = self.listed_by.get(mailbox.pk)
                worker = owner if owner in free else min(free, key=lambda w: len(w.jobs))
                target = MailboxJob.of(mailbox, self.org_domains).target
                worker.tasks.put(("parse", number, mailbox.store, (target, refs)))
            else:
                mailbox = self.lists.popleft()
                worker = min(free, key=lambda w: len(w.jobs))
                self.writer.start(mailbox)
                self.listed_by[mailbox.pk] = worker
                worker.tasks.put(("list", number, mailbox.store, MailboxJob.of(mailbox, self.org_domains)))
            worker.jobs.add(number)
            self.jobs[number] = (mailbox.pk, worker)

    def _receive(self, message: tuple[Any, ...]) -> None:
        kind, number = message[0], message[1]
        if number not in self.jobs:
            return  # from a process already given up on
        if kind == "listed":
            listing = message[2]
            self.writer.listed(listing)
            mailbox = self.mailboxes[listing.mailbox_id]
            # The lister parses the first chunk itself (same login); the rest go to anyone.
            self.chunks.extend((mailbox, refs) for refs in listing.chunks[1:])
        elif kind == "parsed":
            self.writer.parsed(message[2], message[3])
        elif kind == "failed":
            self.writer.fail(message[2], message[3], permanent=message[4])
        elif kind == "done":
            _, worker = self.jobs.pop(number)
            worker.jobs.discard(number)
            self.timings.add(message[2])

    def _watch(self) -> None:
        """Fail the jobs of a parser process that died, and replace it if work remains."""
        for worker in list(self.workers):
            code = worker.process.exitcode
            if code is None:
                continue
            self.workers.remove(worker)
            for number in worker.jobs:
                mailbox_id, _ = self.jobs.pop(number)
                self.writer.fail(mailbox_id, f"parser process died (exit code {code})", permanent=False)
            worker.jobs.clear()
            if self.lists or self.chunks or self.jobs:
                self._spawn()

    def _spawn(self) -> None:
        # Never carry a database connection across fork; the parent reconnects on its next query.
        connections.close_all()
        self.workers.append(_Worker(self.ctx, self.results, self.processes))

    def _stop(self) -> None:
        for worker in self.workers:
            worker.tasks.put(None)
        deadline = time.monotonic() + 10
        for worker in self.workers:
            worker.process.join(max(0.1, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                worker.process.terminate()
                worker.process.join(5)
            worker.tasks.close()
        self.results.close()


def _work(tasks: Any, results: Any, processes: int) -> None:
    """A parser process: take jobs until ``None``; every job ends with a "done" message."""
    # Ctrl-C reaches the whole process group: the parent decides, and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    connectors: dict[int, Connector] = {}
    try:
        while (task := tasks.get()) is not None:
            kind, number, store, payload = task
            target = payload.target if kind == "list" else payload[0]
            timings = Timings()
            try:
                conn = connectors.get(store.pk) or connectors.setdefault(store.pk, _connector(store, processes))
                if kind == "list":
                    with timings("list"):
                        listing = list_changes(payload, conn)
                    results.put(("listed", number, listing))
                    refs = listing.chunks[0] if listing.chunks else None
                else:
                    refs = payload[1]
                if refs is not None:
                    copies = fetch_and_parse(target, conn, refs, timings)
                    with timings("send"):
                        results.put(("parsed", number, target.mailbox_id, copies))
            except ConnectorError as exc:
                results.put(("failed", number, target.mailbox_id, exc.message, exc.permanent))
            except Exception as exc:  # a bug in one mailbox must not stop the others
                log.exception("sync of %s crashed", target.address)
                results.put(("failed", number, target.mailbox_id, f"{type(exc).__name__}: {exc}", False))
            results.put(("done", number, timings))
    finally:
        for conn in connectors.values():
            with contextlib.suppress(Exception):
                conn.close()
        connections.close_all()


def _connector(store: Store, processes: int) -> Connector:
    # The store's connection limit is shared by all parser processes.
    limited = copy.copy(store)
    limited.max_connections = max(1, store.max_connections // processes)
    return connector_for(limited)


def sync_with_progress(stores: list[Store], processes: int | None = None) -> int:
    """Sync every mailbox of ``stores`` with a progress bar; return how many failed."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    ids = list(Mailbox.objects.filter(store__in=stores).order_by("id").values_list("id", flat=True))
    totals = SyncReport(mailbox="*")
    timings = Timings()
    failed: list[SyncReport] = []
    started = time.monotonic()
    columns = (
        TextColumn("sync"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[msgs]} msgs"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("sync", total=len(ids), msgs=0)
        for report in sync_all(ids, processes, timings=timings):
            for field in ("added", "moved", "deleted", "flags_changed", "parse_problems"):
                setattr(totals, field, getattr(totals, field) + getattr(report, field))
            if report.error:
                failed.append(report)
            progress.update(bar, advance=1, msgs=totals.added)
    elapsed = time.monotonic() - started
    rate = totals.added / elapsed if elapsed else 0.0
    console.print(
        f"{len(ids)} mailboxes: {totals.added} new, {totals.moved} moved, {totals.deleted} deleted, "
        f"{totals.flags_changed} flag changes, {totals.parse_problems} with parse problems; "
        f"{elapsed:.1f} s ({rate:.0f} msgs/s)",
        soft_wrap=True,
    )
    console.print(
        describe_timings(timings, elapsed, processes or settings.CLAWBACK_SYNC_PROCESSES),
        soft_wrap=True,
        highlight=False,
    )
    for report in failed:
        kind = "permanent" if report.permanent else "transient"
        console.print(f"[red]failed[/red] {report.mailbox} ({kind}): {report.error}")
    return len(failed)


def enqueue_sync(stores: list[Store], *, actor: str) -> int:
    return sum(do_request_sync(store, acting_user=actor) for store in stores)
