"""Every state change of the Explorer's saved and tracked queries: the one write path for the web
pages, the API and the CLI.

Each ``do_*`` function is atomic, checks who acts, and writes its audit row in the same
transaction; work for the task queue is enqueued after commit (STYLE.md).  A request that cannot
be carried out as asked raises :class:`ExplorerError` (or ``QueryError`` for the query text);
acting on someone else's query raises ``PermissionDenied``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from clawback.accounts.access import check_role, has_role
from clawback.accounts.roles import Role
from clawback.audit.log import record
from clawback.explorer.catalog import DEFAULT_VIEW, UnknownView, get_view
from clawback.explorer.models import SavedQuery, TrackedQuery
from clawback.explorer.query import compile_query

NAME_LENGTH = 200
# A tracked query runs at most every 15 minutes and at least once a week.
MIN_INTERVAL_MINUTES = 15
MAX_INTERVAL_MINUTES = 7 * 24 * 60


class ExplorerError(ValueError):
    """A saved or tracked query that cannot be stored as asked; the message says why."""


# --- checks ---------------------------------------------------------------------------------
def _check_query(user: User, query: str, view: str) -> None:
    """The actor may hunt, the view exists, and the query compiles for this actor (header
    conditions need Preview, as when they run it).  Raises QueryError for the text."""
    check_role(user, Role.VIEW)
    try:
        get_view(view)
    except UnknownView as exc:
        raise ExplorerError(str(exc)) from None
    compile_query(query, allow_headers=has_role(user, Role.PREVIEW))


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ExplorerError("give the query a name")
    if len(cleaned) > NAME_LENGTH:
        raise ExplorerError(f"the name is longer than {NAME_LENGTH} characters")
    return cleaned


def _check_owner(obj: SavedQuery | TrackedQuery, user: User) -> None:
    check_role(user, Role.VIEW)
    if obj.owner_id != user.pk:
        raise PermissionDenied(f'"{obj.name}" belongs to {obj.owner.get_username()}; only they can change it')


def _check_interval(minutes: int) -> None:
    if not MIN_INTERVAL_MINUTES <= minutes <= MAX_INTERVAL_MINUTES:
        raise ExplorerError(
            f"a tracked query runs every {MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES} minutes, not {minutes}"
        )


def _summary(obj: SavedQuery | TrackedQuery) -> dict[str, Any]:
    data: dict[str, Any] = {"name": obj.name, "query": obj.query, "view": obj.view}
    if isinstance(obj, SavedQuery):
        data["shared"] = obj.shared
    else:
        data["interval_minutes"] = obj.interval_minutes
    return data


def _taken(kind: str, name: str) -> ExplorerError:
    return ExplorerError(f'you already have a {kind} named "{name}"; pick another name')


# --- saved queries --------------------------------------------------------------------------
def do_save_query(
    *,
    acting_user: User,
    name: str,
    query: str,
    view: str = DEFAULT_VIEW,
    shared: bool = False,
) -> SavedQuery:
    """Save ``query`` (in ``view``) under ``name``, unique among the actor's saved queries."""
    name = _clean_name(name)
    _check_query(acting_user, query, view)
    try:
        with transaction.atomic():
            saved = SavedQuery.objects.create(owner=acting_user, name=name, query=query, view=view, shared=shared)
            record("explorer.saved_query.create", actor=acting_user, obj=saved, data=_summary(saved))
    except IntegrityError:
        raise _taken("saved query", name) from None
    return saved


def do_update_saved_query(
    saved: SavedQuery,
    *,
    acting_user: User,
    name: str | None = None,
    query: str | None = None,
    view: str | None = None,
    shared: bool | None = None,
) -> SavedQuery:
    """Change the given fields of the actor's own saved query."""
    _check_owner(saved, acting_user)
    new_name = saved.name if name is None else _clean_name(name)
    new_query = saved.query if query is None else query
    new_view = saved.view if view is None else view
    changed: dict[str, Any] = {"name": new_name, "query": new_query, "view": new_view}
    changed["shared"] = saved.shared if shared is None else shared
    _check_query(acting_user, new_query, new_view)
    before = _summary(saved)
    try:
        with transaction.atomic():
            for field, value in changed.items():
                setattr(saved, field, value)
            saved.save()
            record("explorer.saved_query.update", actor=acting_user, obj=saved, data={"before": before, **changed})
    except IntegrityError:
        saved.refresh_from_db()
        raise _taken("saved query", new_name) from None
    return saved


def do_delete_saved_query(saved: SavedQuery, *, acting_user: User) -> None:
    _check_owner(saved, acting_user)
    with transaction.atomic():
        record("explorer.saved_query.delete", actor=acting_user, obj=saved, data=_summary(saved))
        saved.delete()


# --- tracked queries ------------------------------------------------------------------------
def do_track_query(
    *,
    acting_user: User,
    name: str,
    query: str,
    view: str = DEFAULT_VIEW,
    interval_minutes: int = 60,
) -> TrackedQuery:
    """Run ``query`` in the background every ``interval_minutes``, first right after commit."""
    name = _clean_name(name)
    _check_query(acting_user, query, view)
    _check_interval(interval_minutes)
    try:
        with transaction.atomic():
            tracked = TrackedQuery.objects.create(
                owner=acting_user,
                name=name,
                query=query,
                view=view,
                interval_minutes=interval_minutes,
                next_run_at=timezone.now(),
            )
            record("explorer.tracked_query.create", actor=acting_user, obj=tracked, data=_summary(tracked))
            transaction.on_commit(lambda: _start(tracked.pk))
    except IntegrityError:
        raise _taken("tracked query", name) from None
    return tracked


def _start(tracked_id: int) -> None:
    from clawback.explorer import tracking
    from clawback.explorer.tasks import run_tracked_query

    run_tracked_query.enqueue(tracked_id)
    tracking.ensure_ticks()


def do_untrack_query(tracked: TrackedQuery, *, acting_user: User) -> None:
    """Stop tracking; the query's run history goes with it (the audit log keeps the query)."""
    _check_owner(tracked, acting_user)
    with transaction.atomic():
        record(
            "explorer.tracked_query.delete",
            actor=acting_user,
            obj=tracked,
            data={**_summary(tracked), "runs": tracked.runs.count()},
        )
        tracked.delete()
