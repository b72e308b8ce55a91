"""Run many mailbox syncs from one command, in processes (parsing is CPU-bound: the GIL)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

from django.conf import settings
from django.db import connections

from clawback.mail.actions import do_request_sync
from clawback.mail.sync import SyncReport, sync_mailbox
from clawback.mailstores.models import Mailbox, Store


def _init_child() -> None:
    # Each child opens its own database connection on first use.
    connections.close_all()


def _sync_one(mailbox_id: int) -> SyncReport:
    try:
        return sync_mailbox(mailbox_id)
    finally:
        connections.close_all()


def sync_all(mailbox_ids: list[int], processes: int | None = None) -> Iterator[SyncReport]:
    """Yield one report per mailbox as they finish.  One mailbox's failure stops no other."""
    processes = processes or settings.CLAWBACK_SYNC_PROCESSES
    if processes <= 1 or len(mailbox_ids) <= 1:
        for mailbox_id in mailbox_ids:
            yield sync_mailbox(mailbox_id)
        return
    connections.close_all()  # never share a connection across fork
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=ctx, initializer=_init_child) as pool:
        futures = {pool.submit(_sync_one, mailbox_id): mailbox_id for mailbox_id in mailbox_ids}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # a crash in one mailbox must not hide the others
                address = Mailbox.objects.get(pk=futures[future]).address
                yield SyncReport(mailbox=address, error=f"{type(exc).__name__}: {exc}", permanent=False)


def sync_with_progress(stores: list[Store], processes: int | None = None) -> int:
    """Sync every mailbox of ``stores`` with a progress bar; return how many failed."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    ids = list(Mailbox.objects.filter(store__in=stores).order_by("id").values_list("id", flat=True))
    totals = SyncReport(mailbox="*")
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
        for report in sync_all(ids, processes):
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
        f"{elapsed:.1f} s ({rate:.0f} msgs/s)"
    )
    for report in failed:
        kind = "permanent" if report.permanent else "transient"
        console.print(f"[red]failed[/red] {report.mailbox} ({kind}): {report.error}")
    return len(failed)


def enqueue_sync(stores: list[Store], *, actor: str) -> int:
    return sum(do_request_sync(store, acting_user=actor) for store in stores)
