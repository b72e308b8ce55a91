"""Scheduling of a remediation's work: runs per mailbox, their tasks, the watchdog, the finish.

Nothing here depends on a worker finishing what it started.  The task queue marks a task
*running* when a worker takes it, so a killed worker leaves a task that nobody will run again;
the watchdog (one delayed task per remediation, always with a spare queued behind it) notices
such runs by their expired lease or lost task and queues them again.  The executor then
re-examines whatever the dead worker had in flight (``executor.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import Task, normalize_json, task_enqueued
from django_tasks_db.models import DBTaskResult, get_date_max

from clawback.audit.log import record
from clawback.lib.bulk import update_rows
from clawback.mailstores.models import Mailbox
from clawback.remediation.models import (
    ACTIVE,
    DONE_BAD,
    DONE_OK,
    UNFINISHED,
    Action,
    ItemState,
    MailboxRun,
    Remediation,
    RemediationItem,
    RunState,
    Status,
)
from clawback.remediation.signals import remediation_changed

log = logging.getLogger("clawback.remediation")

# Watchdog tasks kept queued per active remediation: one may be lost with a killed worker.
SPARE_TICKS = 2
_READY, _RUNNING, _DONE = "READY", "RUNNING", ("SUCCESSFUL", "FAILED")


def lease_seconds() -> timedelta:
    return timedelta(seconds=settings.CLAWBACK_REMEDIATION_LEASE_SECONDS)


def tick_seconds() -> timedelta:
    return timedelta(seconds=settings.CLAWBACK_REMEDIATION_TICK_SECONDS)


# --- start ----------------------------------------------------------------------------------
def create_runs(remediation: Remediation) -> int:
    """One queued run per mailbox with pending items (inside the approving transaction)."""
    mailbox_ids = (
        remediation.items.filter(state=ItemState.PENDING, mailbox__isnull=False)
        .order_by()
        .values("mailbox_id")
        .distinct()
    )
    now = timezone.now()
    runs = [
        MailboxRun(remediation=remediation, mailbox_id=pk, store_id=store_id, updated_at=now)
        for pk, store_id in Mailbox.objects.filter(pk__in=mailbox_ids).values_list("pk", "store_id")
    ]
    MailboxRun.objects.bulk_create(runs, batch_size=1000)
    # Items whose mailbox was removed since they were indexed cannot be worked.
    remediation.items.filter(state=ItemState.PENDING, mailbox__isnull=True).update(
        state=ItemState.FAILED, reason="the mailbox was removed from Clawback", done_at=now
    )
    return len(runs)


def start(remediation_id: int) -> None:
    """Queue a task for every run that has none, and the watchdog (after commit)."""
    with transaction.atomic():
        runs = list(MailboxRun.objects.filter(remediation_id=remediation_id, state=RunState.QUEUED, task_id=""))
        _enqueue_runs(runs)
        ensure_ticks(remediation_id)


def _enqueue_runs(runs: list[MailboxRun], *, delay: float = 0) -> None:
    from clawback.remediation.tasks import execute_mailbox

    task = execute_mailbox
    if delay:
        task = execute_mailbox.using(run_after=timezone.now() + timedelta(seconds=delay))
    now = timezone.now()
    ids = enqueue_many(task, [(run.remediation_id, run.mailbox_id) for run in runs])
    db_now = connection.ops.adapt_datetimefield_value(now)
    rows = []
    for run, task_id in zip(runs, ids, strict=True):
        run.task_id, run.updated_at = task_id, now
        rows.append((task_id, db_now, run.pk))
    # One statement (bulk_update's CASE per row took ~0.15 s for 200 runs at every approval).
    update_rows(MailboxRun, ("task_id", "updated_at"), rows)


def enqueue_many(task: Task[..., Any], arg_lists: list[tuple[Any, ...]]) -> list[str]:
    """Enqueue ``task`` once per argument tuple; returns the task ids.

    On the database backend the rows are written by one bulk INSERT: a million-message
    remediation queues 10,000 tasks, and ``enqueue`` writes them one statement at a time
    (~2 ms each).  The rows are what the backend's own ``enqueue`` writes (its pre_save signal
    sets ``run_after``; bulk_create sends none, so it is set here), and ``task_enqueued`` is sent
    for each, as ``enqueue`` does.  Any other backend: ``enqueue`` per task.

    This mirrors ``DatabaseBackend._task_to_db_task`` of django-tasks-db 0.13 (pinned in
    pyproject.toml), including its private ``_get_id`` (which honours the backend's
    ``id_function`` option): check it again when upgrading that package.
    """
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend) or len(arg_lists) < 2:
        return [str(task.enqueue(*args).id) for args in arg_lists]
    backend.validate_task(task)
    rows: list[DBTaskResult[Any, Any]] = [
        DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after or get_date_max(),
            backend_name=backend.alias,
        )
        for args in arg_lists
    ]
    DBTaskResult.objects.bulk_create(rows, batch_size=1000)
    for row in rows:
        task_enqueued.send(type(backend), task_result=row.task_result)
    return [str(row.id) for row in rows]


def requeue_run(run_id: int, *, delay: float) -> None:
    """Queue a new task for one run (after a transient failure or a busy store)."""
    run = MailboxRun.objects.get(pk=run_id)
    _enqueue_runs([run], delay=delay)


def schedule_expiry(remediation_id: int, expires_at: datetime) -> None:
    from clawback.remediation.tasks import expire_proposal

    expire_proposal.using(run_after=expires_at).enqueue(remediation_id)


# --- watchdog -------------------------------------------------------------------------------
def _tick_rows(remediation_id: int) -> Iterable[DBTaskResult]:
    from clawback.remediation.tasks import watch_remediation

    return DBTaskResult.objects.filter(
        task_path=watch_remediation.module_path, status=_READY, args_kwargs__args__0=remediation_id
    )


def ensure_ticks(remediation_id: int) -> None:
    """Keep SPARE_TICKS watchdog tasks queued for the remediation."""
    from clawback.remediation.tasks import watch_remediation

    queued = _tick_rows(remediation_id).count()  # type: ignore[attr-defined]
    now = timezone.now()
    for n in range(queued, SPARE_TICKS):
        watch_remediation.using(run_after=now + tick_seconds() * (n + 1)).enqueue(remediation_id)


def tick(remediation_id: int) -> str:
    """The watchdog: re-queue stalled runs; finish the remediation when all runs are done."""
    status = Remediation.objects.filter(pk=remediation_id).values_list("status", flat=True).first()
    if status not in ACTIVE:
        return f"not active ({status})"
    ensure_ticks(remediation_id)
    rescued = rescue_stalled(remediation_id)
    if not MailboxRun.objects.filter(remediation_id=remediation_id).exclude(state=RunState.DONE).exists():
        try_finalize(remediation_id)
    return f"re-queued {rescued} runs"


def rescue_stalled(remediation_id: int) -> int:
    """Queue again each run nobody is working on: a running run whose lease expired (its worker
    died), a queued run whose task was lost, and a done run with unfinished items."""
    now = timezone.now()
    runs = list(MailboxRun.objects.filter(remediation_id=remediation_id).exclude(state=RunState.DONE))
    tasks = _task_states([r.task_id for r in runs if r.task_id])
    stalled = [r for r in runs if _stalled(r, tasks.get(r.task_id), now)]
    stalled += _reopened(remediation_id)
    rescued = []
    for run in stalled:
        # Only if nobody took the run meanwhile: the condition is the state we judged.
        with transaction.atomic():
            taken = MailboxRun.objects.filter(
                pk=run.pk, state=run.state, lease_owner=run.lease_owner, task_id=run.task_id
            ).update(state=RunState.QUEUED, lease_expires_at=None, task_id="", updated_at=now)
        if taken:
            rescued.append(run)
    if rescued:
        log.warning("remediation %s: re-queued %d stalled mailbox runs", remediation_id, len(rescued))
        with transaction.atomic():
            _enqueue_runs([MailboxRun.objects.get(pk=r.pk) for r in rescued])
    return len(rescued)


def _task_states(task_ids: list[str]) -> dict[str, tuple[str, datetime | None]]:
    states: dict[str, tuple[str, datetime | None]] = {}
    for i in range(0, len(task_ids), 500):
        rows = DBTaskResult.objects.filter(id__in=task_ids[i : i + 500]).values_list("id", "status", "started_at")
        states.update({str(pk): (status, started) for pk, status, started in rows})
    return states


def _stalled(run: MailboxRun, task: tuple[str, datetime | None] | None, now: datetime) -> bool:
    if run.state == RunState.RUNNING:
        return run.lease_expires_at is None or run.lease_expires_at < now
    if run.updated_at > now - tick_seconds():
        return False  # just queued; its task may not be written yet
    if task is None or task[0] in _DONE:
        return True
    started = task[1]
    # A task taken by a worker that never got the run's lease: the worker died first.
    return task[0] == _RUNNING and started is not None and started < now - lease_seconds()


def _reopened(remediation_id: int) -> list[MailboxRun]:
    """Done runs whose mailbox still has unfinished items (a defensive check; a run is only
    marked done when its mailbox has none)."""
    mailboxes = (
        MailboxRun.objects.filter(remediation_id=remediation_id, state=RunState.DONE)
        .filter(
            mailbox_id__in=Remediation.objects.get(pk=remediation_id)
            .items.filter(state__in=UNFINISHED)
            .values("mailbox_id")
        )
        .order_by()
    )
    return list(mailboxes)


def resume_stalled() -> int:
    """Watchdog pass over every active remediation (``clawback remediation resume``)."""
    total = 0
    for pk in Remediation.objects.filter(status__in=ACTIVE).values_list("pk", flat=True):
        with transaction.atomic():
            ensure_ticks(pk)
            start(pk)
        total += rescue_stalled(pk)
        if not MailboxRun.objects.filter(remediation_id=pk).exclude(state=RunState.DONE).exists():
            try_finalize(pk)
    return total


# --- finish ---------------------------------------------------------------------------------
def item_counts(remediation_id: int) -> dict[str, int]:
    rows = (
        Remediation.objects.get(pk=remediation_id)
        .items.order_by()
        .values("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return dict(rows)


def final_status(counts: dict[str, int]) -> Status:
    """Completed; Completed with errors; Failed when nothing succeeded (SPEC §4)."""
    ok = sum(counts.get(s, 0) for s in DONE_OK)
    bad = sum(counts.get(s, 0) for s in DONE_BAD)
    if not bad:
        return Status.COMPLETED
    return Status.COMPLETED_WITH_ERRORS if ok else Status.FAILED


def try_finalize(remediation_id: int) -> bool:
    """Finish the remediation if no item is left to do; True if this call finished it."""
    if RemediationItem.objects.filter(remediation_id=remediation_id, state__in=UNFINISHED).exists():
        return False  # the common case, answered without taking the write lock
    now = timezone.now()
    with transaction.atomic():
        remediation = Remediation.objects.select_for_update().get(pk=remediation_id)
        if remediation.status not in ACTIVE:
            return False
        if remediation.items.filter(state__in=UNFINISHED).exists():
            return False
        counts = item_counts(remediation_id)
        remediation.status = final_status(counts)
        remediation.counts = counts
        remediation.finished_at = now
        remediation.started_at = remediation.started_at or now
        remediation.save(update_fields=["status", "counts", "finished_at", "started_at"])
        MailboxRun.objects.filter(remediation_id=remediation_id).update(state=RunState.DONE, lease_expires_at=None)
        record(
            "remediation.complete",
            actor=None,
            obj=remediation,
            data={"name": remediation.name, "status": remediation.status, "counts": counts},
        )
        # The spare watchdogs have nothing left to watch.
        _tick_rows(remediation_id).delete()  # type: ignore[attr-defined]
        if remediation.action == Action.SOFT_DELETE:
            transaction.on_commit(partial(_schedule_purge, remediation_id, now))
        transaction.on_commit(
            partial(
                remediation_changed.send, sender=Remediation, remediation_id=remediation_id, status=remediation.status
            )
        )
    log.info("remediation %s finished: %s %s", remediation_id, remediation.status, counts)
    return True


def _schedule_purge(remediation_id: int, finished_at: datetime) -> None:
    from clawback.remediation.tasks import purge_soft_deleted_task

    days = settings.CLAWBACK_SOFT_DELETE_RETENTION_DAYS
    purge_soft_deleted_task.using(run_after=finished_at + timedelta(days=days)).enqueue(remediation_id)
