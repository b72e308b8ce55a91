"""Tracked queries in the background: which are due, running one, and the scheduler's ticks.

The scheduler follows the remediation watchdog's pattern (``remediation/scheduling.py``): a
delayed task, ``run_due_tracked_queries``, runs every :data:`TICK` while any query is tracked,
always with a spare queued behind it, so one lost with a killed worker does not stop tracking.
A run is claimed by moving the query's ``next_run_at`` forward with a conditional UPDATE, so two
workers never run the same query twice for one due time.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clawback.accounts.access import check_role, has_role
from clawback.accounts.roles import Role
from clawback.explorer.catalog import UnknownView, view_search
from clawback.explorer.models import TrackedQuery, TrackedQueryRun
from clawback.explorer.query import QueryError
from clawback.mail.models import MessageCopy

TICK = timedelta(seconds=60)
SPARE_TICKS = 2
SAMPLE_SIZE = 20
KEEP_RUNS = 1000  # per tracked query; older runs are pruned


def ensure_ticks() -> None:
    """Keep SPARE_TICKS scheduler tasks queued while any query is tracked."""
    from clawback.explorer.tasks import run_due_tracked_queries

    if not TrackedQuery.objects.exists():
        return
    queued = DBTaskResult.objects.filter(task_path=run_due_tracked_queries.module_path, status="READY").count()
    now = timezone.now()
    for n in range(queued, SPARE_TICKS):
        run_due_tracked_queries.using(run_after=now + TICK * (n + 1)).enqueue()


def tick(now: datetime | None = None) -> int:
    """Run every due tracked query, then keep the ticks going; returns how many ran."""
    ran = run_due(now)
    ensure_ticks()
    return ran


def run_due(now: datetime | None = None) -> int:
    now = now or timezone.now()
    due = TrackedQuery.objects.filter(next_run_at__lte=now).order_by("next_run_at").values_list("pk", flat=True)
    return sum(1 for pk in list(due) if run_if_due(pk, now=now) is not None)


def claim(tracked_id: int, now: datetime) -> bool:
    """Move the query's next run forward if it is due; True for the one caller that did."""
    row = TrackedQuery.objects.filter(pk=tracked_id, next_run_at__lte=now).values("next_run_at", "interval_minutes")
    current = row.first()
    if current is None:
        return False
    following = now + timedelta(minutes=current["interval_minutes"])
    moved = TrackedQuery.objects.filter(pk=tracked_id, next_run_at=current["next_run_at"]).update(
        next_run_at=following, last_run_at=now
    )
    return moved == 1


def run_if_due(tracked_id: int, *, now: datetime | None = None) -> TrackedQueryRun | None:
    now = now or timezone.now()
    if not claim(tracked_id, now):
        return None
    try:
        return run(tracked_id, now=now)
    except TrackedQuery.DoesNotExist:
        return None  # untracked meanwhile


# "Run now" brings the next run forward at most once a minute: a double click, or two people
# on one page, make one run, not two.
RUN_NOW_GAP = timedelta(minutes=1)


def run_now(tracked_id: int, *, now: datetime | None = None) -> TrackedQueryRun | None:
    """Run at once, ahead of the schedule (the tracker page's Run now); None when it ran less
    than :data:`RUN_NOW_GAP` ago.  The next run is brought forward to ``now`` and claimed like a
    due one (:func:`claim`), so a worker starting it at the same moment does not run it too;
    the schedule then continues from now."""
    now = now or timezone.now()
    recent = Q(last_run_at__gt=now - RUN_NOW_GAP)
    TrackedQuery.objects.filter(pk=tracked_id, next_run_at__gt=now).exclude(recent).update(next_run_at=now)
    return run_if_due(tracked_id, now=now)


def run(tracked_id: int, *, now: datetime | None = None) -> TrackedQueryRun:
    """Run the query as its owner (their roles now) and store a result row."""
    now = now or timezone.now()
    tracked = TrackedQuery.objects.select_related("owner").get(pk=tracked_id)
    previous = tracked.runs.order_by("-ran_at", "-id").first()
    # The high-water mark is read first, so a copy indexed during the run is new next time.
    high = MessageCopy.objects.aggregate(high=Max("pk"))["high"] or 0
    started = time.perf_counter()
    result = TrackedQueryRun(tracked=tracked, ran_at=now, max_copy_id=high)
    try:
        owner = tracked.owner
        check_role(owner, Role.VIEW)
        found = view_search(tracked.view, tracked.query, now=now, allow_headers=has_role(owner, Role.PREVIEW))
        result.count = found.count()
        if previous is not None:
            result.new_count = found.filter(pk__gt=previous.max_copy_id, pk__lte=high).count()
        newest = found.order_by("-received_at", "-pk").values_list("pk", flat=True)[:SAMPLE_SIZE]
        result.sample_ids = list(newest)
    except (QueryError, UnknownView, PermissionDenied) as exc:
        result.error = str(exc)
    result.duration_ms = round((time.perf_counter() - started) * 1000)
    with transaction.atomic():
        result.save()
        _prune(tracked)
    return result


def _prune(tracked: TrackedQuery) -> None:
    cutoff = tracked.runs.order_by("-ran_at", "-id").values_list("ran_at", flat=True)[KEEP_RUNS : KEEP_RUNS + 1]
    oldest_kept = cutoff.first()
    if oldest_kept is not None:
        tracked.runs.filter(ran_at__lte=oldest_kept).delete()
