"""Tracked queries: tracking queues the first run and the scheduler; runs are claimed once and
store counts, what is new since the previous run and a sample; untracking is audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clawback.audit.models import AuditEvent
from clawback.explorer import tracking
from clawback.explorer.actions import ExplorerError, do_track_query, do_untrack_query
from clawback.explorer.models import TrackedQuery, TrackedQueryRun
from clawback.explorer.tasks import run_due_tracked_queries, run_tracked_query
from clawback.mail.models import MessageCopy
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db
EVIL = "sender.domain = evil.example"


def evil(n: int, **extra: Any) -> list[MessageCopy]:
    return [make_copy(sender=f"x{i}@evil.example", **extra) for i in range(n)]


def queued(task: Any) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task.module_path, status="READY"))


@pytest.fixture
def tracked(bob: User, django_capture_on_commit_callbacks: Callable[..., Any]) -> TrackedQuery:
    with django_capture_on_commit_callbacks(execute=True):
        return do_track_query(acting_user=bob, name="evil", query=EVIL, interval_minutes=60)


def test_tracking_is_audited_and_queues_the_first_run_and_the_scheduler(tracked: TrackedQuery) -> None:
    event = AuditEvent.objects.get(action="explorer.tracked_query.create")
    assert event.data == {"name": "evil", "query": EVIL, "view": "all", "interval_minutes": 60}
    assert [row.args_kwargs["args"] for row in queued(run_tracked_query)] == [[tracked.pk]]
    ticks = queued(run_due_tracked_queries)
    assert len(ticks) == tracking.SPARE_TICKS
    assert all(row.run_after > timezone.now() for row in ticks)


def test_the_first_run_counts_and_sets_the_baseline(tracked: TrackedQuery) -> None:
    copies = evil(3)
    make_copy(sender="friend@good.example")
    assert run_tracked_query.call(tracked.pk) == 3
    run = TrackedQueryRun.objects.get()
    assert (run.count, run.new_count, run.error) == (3, 0, "")
    assert run.sample_ids == [c.pk for c in sorted(copies, key=lambda c: c.received_at, reverse=True)]
    assert run.max_copy_id == MessageCopy.objects.order_by("-pk").first().pk  # type: ignore[union-attr]
    tracked.refresh_from_db()
    assert tracked.last_run_at is not None
    assert tracked.next_run_at == tracked.last_run_at + timedelta(minutes=60)


def test_a_due_time_is_claimed_once(tracked: TrackedQuery) -> None:
    now = timezone.now()
    assert tracking.run_if_due(tracked.pk, now=now) is not None
    assert tracking.run_if_due(tracked.pk, now=now) is None
    assert tracking.run_if_due(tracked.pk, now=now + timedelta(minutes=59)) is None
    assert tracking.run_if_due(tracked.pk, now=now + timedelta(minutes=60)) is not None
    assert TrackedQueryRun.objects.count() == 2


def test_new_counts_copies_indexed_since_the_previous_run(tracked: TrackedQuery) -> None:
    evil(2)
    now = timezone.now()
    tracking.run_if_due(tracked.pk, now=now)
    # Mail received long ago but indexed only now is new too.
    evil(3, received_at=now - timedelta(days=20))
    make_copy(sender="friend@good.example")
    second = tracking.run_if_due(tracked.pk, now=now + timedelta(hours=1))
    assert second is not None
    assert (second.count, second.new_count) == (5, 3)
    third = tracking.run_if_due(tracked.pk, now=now + timedelta(hours=2))
    assert third is not None
    assert (third.count, third.new_count) == (5, 0)


def test_relative_times_count_back_from_each_run(bob: User) -> None:
    tracked = do_track_query(acting_user=bob, name="recent", query="received >= -1h", interval_minutes=15)
    now = timezone.now()
    make_copy(received_at=now - timedelta(minutes=30))
    assert tracking.run_if_due(tracked.pk, now=now).count == 1  # type: ignore[union-attr]
    assert tracking.run_if_due(tracked.pk, now=now + timedelta(hours=1)).count == 0  # type: ignore[union-attr]


def test_the_view_applies(bob: User) -> None:
    tracked = do_track_query(acting_user=bob, name="phish", query=EVIL, view="phish")
    evil(2)
    evil(1, threats=["phish"])
    assert tracking.run_if_due(tracked.pk).count == 1  # type: ignore[union-attr]


def test_the_sample_holds_the_newest_twenty(tracked: TrackedQuery) -> None:
    now = timezone.now()
    copies = [make_copy(sender="x@evil.example", received_at=now - timedelta(minutes=n)) for n in range(25)]
    run = tracking.run_if_due(tracked.pk, now=now)
    assert run is not None
    assert run.sample_ids == [c.pk for c in copies[:20]]


def test_a_run_records_why_it_could_not_run(tracked: TrackedQuery, bob: User) -> None:
    bob.groups.set([Group.objects.get(name="Quarantine Administrator")])  # still View
    assert tracking.run_if_due(tracked.pk).error == ""  # type: ignore[union-attr]
    bob.groups.clear()
    tracked = TrackedQuery.objects.get(pk=tracked.pk)
    run = tracking.run_if_due(tracked.pk, now=tracked.next_run_at)
    assert run is not None
    assert "lacks the View role" in run.error and run.count == 0
    assert TrackedQuery.objects.filter(pk=tracked.pk).exists()


def test_the_tick_runs_due_queries_only(bob: User, django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    due = do_track_query(acting_user=bob, name="due", query=EVIL)
    later = do_track_query(acting_user=bob, name="later", query=EVIL)
    now = timezone.now()
    TrackedQuery.objects.filter(pk=later.pk).update(next_run_at=now + timedelta(minutes=30))
    assert tracking.tick(now) == 1
    assert list(TrackedQueryRun.objects.values_list("tracked_id", flat=True)) == [due.pk]
    assert len(queued(run_due_tracked_queries)) == tracking.SPARE_TICKS
    assert run_due_tracked_queries.call() == 0  # nothing else is due
    assert len(queued(run_due_tracked_queries)) == tracking.SPARE_TICKS


def test_no_ticks_once_nothing_is_tracked(tracked: TrackedQuery, bob: User) -> None:
    DBTaskResult.objects.all().delete()
    do_untrack_query(tracked, acting_user=bob)
    tracking.tick()
    assert not DBTaskResult.objects.exists()


def test_untrack_removes_the_runs_and_is_audited(tracked: TrackedQuery, bob: User) -> None:
    tracking.run_if_due(tracked.pk)
    pk = tracked.pk
    do_untrack_query(tracked, acting_user=bob)
    assert not TrackedQuery.objects.exists() and not TrackedQueryRun.objects.exists()
    event = AuditEvent.objects.get(action="explorer.tracked_query.delete")
    assert (event.object_id, event.data["runs"], event.data["query"]) == (str(pk), 1, EVIL)
    assert run_tracked_query.call(pk) is None  # its queued first run finds nothing to do


def test_only_the_owner_untracks(tracked: TrackedQuery, erin: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        do_untrack_query(tracked, acting_user=erin)
    assert TrackedQuery.objects.filter(pk=tracked.pk).exists()


@pytest.mark.parametrize("minutes", [0, 14, 7 * 24 * 60 + 1])
def test_interval_bounds(bob: User, minutes: int) -> None:
    with pytest.raises(ExplorerError, match="every 15 to 10080 minutes"):
        do_track_query(acting_user=bob, name="x", query="", interval_minutes=minutes)
    assert not TrackedQuery.objects.exists()


def test_names_are_unique_per_owner(tracked: TrackedQuery, bob: User) -> None:
    with pytest.raises(ExplorerError, match='already have a tracked query named "evil"'):
        do_track_query(acting_user=bob, name="evil", query="")


def test_old_runs_are_pruned(tracked: TrackedQuery, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracking, "KEEP_RUNS", 3)
    now = timezone.now()
    for hour in range(5):
        tracking.run_if_due(tracked.pk, now=now + timedelta(hours=hour))
    kept = list(TrackedQueryRun.objects.values_list("ran_at", flat=True))
    assert kept == [now + timedelta(hours=h) for h in (4, 3, 2)]
