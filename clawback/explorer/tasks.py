"""Background work of the Explorer: tracked queries (tasks take ids, STYLE.md)."""

from __future__ import annotations

from django_tasks import task

from clawback.explorer import tracking


@task()
def run_due_tracked_queries() -> int:
    """The scheduler's tick: run every due tracked query, keep the next ticks queued."""
    return tracking.tick()


@task()
def run_tracked_query(tracked_id: int) -> int | None:
    """Run one tracked query now if it is due (its first run, right after it is created)."""
    result = tracking.run_if_due(tracked_id)
    return result.count if result is not None else None
