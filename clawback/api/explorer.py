"""The Threat Explorer over HTTP (SPEC §3): views, pivots, histogram, campaigns, CSV export,
saved and tracked queries.

Everything here needs View.  The export holds index metadata only (no headers or bodies), so it
needs no more than the results table does; it is audited all the same, as it takes many rows
out of Clawback.  Header conditions (``header.<name>``) need Preview, as in ``/search``.
Saved queries: everyone sees their own and the shared ones, and changes only their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from clawback.accounts.access import has_role
from clawback.accounts.roles import Role
from clawback.api.auth import requires
from clawback.api.messages import MAX_LIMIT, summary
from clawback.api.schemas import ErrorOut, MessageSummary, QueryErrorOut
from clawback.explorer import actions, catalog, export, pivots
from clawback.explorer.models import SavedQuery, TrackedQuery, TrackedQueryRun
from clawback.explorer.query import QueryError

router = Router(tags=["explorer"])
ViewKey = Literal["all", "malware", "phish", "campaigns"]
VIEW = requires(Role.VIEW)


# --- schemas --------------------------------------------------------------------------------
class ViewOut(Schema):
    key: str
    label: str
    condition: str
    description: str


class ExplorerSearchOut(Schema):
    view: str
    query: str  # the view and q as one query (to save or paste into the CLI)
    total: int
    limit: int
    offset: int
    items: list[MessageSummary]


class PivotInfoOut(Schema):
    key: str
    label: str
    chart: bool  # in the chart's pivot picker (else a tab: Top URLs, Top targeted users)


class BucketOut(Schema):
    value: str
    count: int
    query: str  # the condition selecting this bucket's copies


class PivotOut(Schema):
    key: str
    label: str
    buckets: list[BucketOut]
    other: int
    values: int
    total: int


class HistogramBucketOut(Schema):
    start: datetime
    count: int


class HistogramOut(Schema):
    start: datetime
    end: datetime
    step_seconds: int
    buckets: list[HistogramBucketOut]


class CampaignOut(Schema):
    key: str
    kind: str
    query: str
    copies: int
    recipients: int
    senders: int
    first_seen: datetime
    last_seen: datetime
    subject: str
    sender: str
    malware: int
    phish: int


class SavedQueryIn(Schema):
    name: str
    query: str = ""
    view: ViewKey = "all"
    shared: bool = False


class SavedQueryPatch(Schema):
    name: str | None = None
    query: str | None = None
    view: ViewKey | None = None
    shared: bool | None = None


class SavedQueryOut(Schema):
    id: int
    name: str
    query: str
    view: str
    shared: bool
    owner: str
    mine: bool
    created_at: datetime
    updated_at: datetime


class SavedQueryPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[SavedQueryOut]


class TrackedQueryIn(Schema):
    name: str
    query: str = ""
    view: ViewKey = "all"
    interval_minutes: int = 60


class RunOut(Schema):
    ran_at: datetime
    count: int
    new_count: int
    sample_ids: list[int]
    duration_ms: int
    error: str


class TrackedQueryOut(Schema):
    id: int
    name: str
    query: str
    view: str
    interval_minutes: int
    created_at: datetime
    last_run_at: datetime | None
    next_run_at: datetime
    latest: RunOut | None


class TrackedQueryPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[TrackedQueryOut]


class RunPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[RunOut]


# --- helpers --------------------------------------------------------------------------------
def _query_error(exc: QueryError) -> Status[dict[str, Any]]:
    return Status(400, {"error": exc.message, "token": exc.token, "line": exc.line, "column": exc.column})


def _refused(exc: PermissionDenied | QueryError | actions.ExplorerError) -> Status[dict[str, Any]]:
    """An action's refusal: someone else's query (403), the query text, or the request (400)."""
    if isinstance(exc, PermissionDenied):
        return Status(403, {"detail": str(exc)})
    if isinstance(exc, QueryError):
        return _query_error(exc)
    return Status(400, {"detail": str(exc)})


def _user(request: HttpRequest) -> User:
    # RoleAuth has authenticated the request: the user is a real one.
    assert isinstance(request.user, User)
    return request.user


def _found(request: HttpRequest, view: str, q: str) -> Any:
    return catalog.view_search(view, q, allow_headers=has_role(_user(request), Role.PREVIEW))


def _saved_out(saved: SavedQuery, request: HttpRequest) -> dict[str, Any]:
    return {
        "id": saved.pk,
        "name": saved.name,
        "query": saved.query,
        "view": saved.view,
        "shared": saved.shared,
        "owner": saved.owner.get_username(),
        "mine": saved.owner_id == _user(request).pk,
        "created_at": saved.created_at,
        "updated_at": saved.updated_at,
    }


def _run_out(run: TrackedQueryRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    fields = ("ran_at", "count", "new_count", "sample_ids", "duration_ms", "error")
    return {name: getattr(run, name) for name in fields}


def _tracked_out(tracked: TrackedQuery, latest: TrackedQueryRun | None) -> dict[str, Any]:
    fields = ("name", "query", "view", "interval_minutes", "created_at", "last_run_at", "next_run_at")
    data = {name: getattr(tracked, name) for name in fields}
    return {"id": tracked.pk, **data, "latest": _run_out(latest)}


def _tracked_row(tracked: TrackedQuery) -> dict[str, Any]:
    """One of ``TrackedQuery.objects.with_latest_run()``."""
    latest_runs: list[TrackedQueryRun] = tracked.latest_runs  # type: ignore[attr-defined]
    return _tracked_out(tracked, latest_runs[0] if latest_runs else None)


def _own_tracked(request: HttpRequest, tracked_id: int) -> TrackedQuery:
    # Other people's tracked queries are private: not found, rather than forbidden.
    return get_object_or_404(TrackedQuery, pk=tracked_id, owner=_user(request))


def _page() -> Any:
    return Query(50, ge=1, le=MAX_LIMIT)  # type: ignore[type-arg]


def _paged(found: QuerySet[Any], limit: int, offset: int, out: Callable[[Any], Any]) -> dict[str, Any]:
    items = [out(row) for row in found[offset : offset + limit]]
    return {"total": found.count(), "limit": limit, "offset": offset, "items": items}


# --- hunting --------------------------------------------------------------------------------
@router.get("/explorer/views", response=list[ViewOut], auth=VIEW, summary="The Explorer's views")
def list_views(request: HttpRequest) -> list[dict[str, str]]:
    """All email, Malware, Phish and Campaigns, each with the condition it adds to a query."""
    return [view.__dict__ for view in catalog.VIEWS.values()]


@router.get(
    "/explorer/search",
    response={200: ExplorerSearchOut, 400: QueryErrorOut},
    auth=VIEW,
    summary="Search one view with the query language",
)
def search_view(
    request: HttpRequest,
    view: ViewKey = "all",
    q: str = "",
    limit: int = _page(),
    offset: int = Query(0, ge=0),  # type: ignore[type-arg]
) -> Status[dict[str, Any]]:
    """Copies of the view matching ``q``, newest first (as ``/search``, within a view)."""
    try:
        found = _found(request, view, q)
    except QueryError as exc:
        return _query_error(exc)
    items = [summary(copy) for copy in catalog.newest(found, offset=offset, limit=limit)]
    body = {"view": view, "query": catalog.VIEWS[view].query(q), "total": found.count()}
    return Status(200, {**body, "limit": limit, "offset": offset, "items": items})


@router.get("/explorer/pivots", response=list[PivotInfoOut], auth=VIEW, summary="The chart pivots")
def list_pivots(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"key": key, "label": pivots.PIVOTS[key].label, "chart": key in pivots.CHART_PIVOTS}
        for key in (*pivots.CHART_PIVOTS, *pivots.TAB_PIVOTS)
    ]


@router.get(
    "/explorer/pivots/{pivot}",
    response={200: PivotOut, 400: QueryErrorOut, 404: ErrorOut},
    auth=VIEW,
    summary="Copies per value of a pivot: the top values and the rest",
)
def pivot_counts(
    request: HttpRequest,
    pivot: str,
    view: ViewKey = "all",
    q: str = "",
    top: int = Query(10, ge=1, le=100),  # type: ignore[type-arg]
) -> Status[Any]:
    """``pivot`` is a query-language field: delivery.action, sender.domain, sender.ip, detection,
    threat, url.domain, url (Top URLs) or recipient.address (Top targeted users)."""
    if pivot not in pivots.PIVOTS:
        return Status(404, {"detail": f'no pivot "{pivot}"; pivots are {", ".join(pivots.PIVOTS)}'})
    try:
        result = pivots.pivot(_found(request, view, q), pivot, top=top)
    except QueryError as exc:
        return _query_error(exc)
    buckets = [{"value": b.value, "count": b.count, "query": b.query} for b in result.buckets]
    body = {"key": pivot, "label": result.label, "other": result.other, "values": result.values}
    return Status(200, {**body, "buckets": buckets, "total": result.total})


@router.get(
    "/explorer/histogram",
    response={200: HistogramOut, 400: QueryErrorOut},
    auth=VIEW,
    summary="Copies per time bucket (for the chart)",
)
def histogram(
    request: HttpRequest,
    view: ViewKey = "all",
    q: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    step_minutes: int | None = Query(None, ge=1, le=7 * 24 * 60),  # type: ignore[type-arg]
) -> Status[Any]:
    """Default range: yesterday and today (UTC), as the Explorer's; default step: the
    narrowest that gives at most 168 buckets.  At most 5,000 buckets."""
    start, end = _range(start, end)
    step = timedelta(minutes=step_minutes) if step_minutes else None
    if (end - start) / (step or pivots.step_for(start, end)) > 5000:
        raise HttpError(400, "too many buckets: widen step_minutes or narrow the range")
    try:
        result = pivots.histogram(_found(request, view, q), start=start, end=end, step=step)
    except QueryError as exc:
        return _query_error(exc)
    buckets = [{"start": at, "count": n} for at, n in result.buckets()]
    step_seconds = int(result.step.total_seconds())
    return Status(200, {"start": start, "end": end, "step_seconds": step_seconds, "buckets": buckets})


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    default_start, default_end = catalog.default_range(timezone.now())
    start = _aware(start) if start else default_start
    end = _aware(end) if end else default_end
    if end <= start:
        raise HttpError(400, "end must be after start")
    return start, end


def _aware(moment: datetime) -> datetime:
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


@router.get(
    "/explorer/campaigns",
    response={200: list[CampaignOut], 400: QueryErrorOut},
    auth=VIEW,
    summary="The Campaigns view: phish and malware grouped by campaign",
)
def campaigns(
    request: HttpRequest,
    q: str = "",
    limit: int = Query(50, ge=1, le=500),  # type: ignore[type-arg]
    min_copies: int = Query(2, ge=1),  # type: ignore[type-arg]
) -> Status[Any]:
    """Biggest first.  ``query`` of each campaign selects its copies (add it to ``q``)."""
    try:
        found = catalog.campaigns(_found(request, "campaigns", q), limit=limit, min_copies=min_copies)
    except QueryError as exc:
        return _query_error(exc)
    return Status(200, [{**campaign.__dict__, "query": campaign.query} for campaign in found])


@router.get(
    "/explorer/export.csv",
    response={200: None, 400: QueryErrorOut},
    auth=VIEW,
    summary="The view's copies as CSV (streamed, audited)",
)
def export_csv(
    request: HttpRequest,
    view: ViewKey = "all",
    q: str = "",
    limit: int | None = Query(None, ge=1),  # type: ignore[type-arg]
) -> Any:
    """Newest first, at most ``limit`` rows and never more than the CLAWBACK_EXPORT_LIMIT
    setting (default 200,000); the ``X-Export-Limit`` header says which cap applied.  Columns
    are index metadata (no headers or bodies).  Each export is written to the audit log."""
    try:
        found = _found(request, view, q)
    except QueryError as exc:
        return _query_error(exc)
    cap = export.export_limit(limit)
    chunks = export.start_export(found, acting_user=_user(request), query=q, view=view, limit=cap, source="api")
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(timezone.now())}"'
    response["X-Export-Limit"] = str(cap)
    return response


# --- saved queries --------------------------------------------------------------------------
@router.get("/explorer/saved", response=SavedQueryPage, auth=VIEW, summary="Saved queries: own and shared")
def list_saved(
    request: HttpRequest,
    mine: bool = False,
    limit: int = _page(),
    offset: int = Query(0, ge=0),  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Yours and the ones others shared (``mine=true``: yours only), by name."""
    found = SavedQuery.objects.filter(owner=_user(request)) if mine else SavedQuery.objects.visible_to(_user(request))
    return _paged(found.select_related("owner"), limit, offset, lambda saved: _saved_out(saved, request))


@router.post(
    "/explorer/saved",
    response={201: SavedQueryOut, 400: QueryErrorOut | ErrorOut},
    auth=VIEW,
    summary="Save a query",
)
def create_saved(request: HttpRequest, body: SavedQueryIn) -> Status[Any]:
    try:
        saved = actions.do_save_query(acting_user=_user(request), **body.dict())
    except (QueryError, actions.ExplorerError) as exc:
        return _refused(exc)
    return Status(201, _saved_out(saved, request))


@router.get(
    "/explorer/saved/{saved_id}", response={200: SavedQueryOut, 404: ErrorOut}, auth=VIEW, summary="A saved query"
)
def get_saved(request: HttpRequest, saved_id: int) -> Any:
    return _saved_out(_visible_saved(request, saved_id), request)


def _visible_saved(request: HttpRequest, saved_id: int) -> SavedQuery:
    return get_object_or_404(SavedQuery.objects.visible_to(_user(request)).select_related("owner"), pk=saved_id)


@router.patch(
    "/explorer/saved/{saved_id}",
    response={200: SavedQueryOut, 400: QueryErrorOut | ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=VIEW,
    summary="Change your saved query",
)
def update_saved(request: HttpRequest, saved_id: int, body: SavedQueryPatch) -> Status[Any]:
    saved = _visible_saved(request, saved_id)
    try:
        saved = actions.do_update_saved_query(saved, acting_user=_user(request), **body.dict())
    except (PermissionDenied, QueryError, actions.ExplorerError) as exc:
        return _refused(exc)
    return Status(200, _saved_out(saved, request))


@router.delete(
    "/explorer/saved/{saved_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    auth=VIEW,
    summary="Delete your saved query",
)
def delete_saved(request: HttpRequest, saved_id: int) -> Status[Any]:
    saved = _visible_saved(request, saved_id)
    try:
        actions.do_delete_saved_query(saved, acting_user=_user(request))
    except PermissionDenied as exc:
        return _refused(exc)
    return Status(204, None)


# --- tracked queries ------------------------------------------------------------------------
@router.get("/explorer/tracked", response=TrackedQueryPage, auth=VIEW, summary="Your tracked queries")
def list_tracked(
    request: HttpRequest,
    limit: int = _page(),
    offset: int = Query(0, ge=0),  # type: ignore[type-arg]
) -> dict[str, Any]:
    """With each one's latest run."""
    return _paged(TrackedQuery.objects.filter(owner=_user(request)).with_latest_run(), limit, offset, _tracked_row)


@router.post(
    "/explorer/tracked",
    response={201: TrackedQueryOut, 400: QueryErrorOut | ErrorOut},
    auth=VIEW,
    summary="Track a query: run it in the background every interval_minutes",
)
def create_tracked(request: HttpRequest, body: TrackedQueryIn) -> Status[Any]:
    """The first run is queued at once; every 15 minutes to 7 days after that."""
    try:
        tracked = actions.do_track_query(acting_user=_user(request), **body.dict())
    except (QueryError, actions.ExplorerError) as exc:
        return _refused(exc)
    return Status(201, _tracked_out(tracked, tracked.runs.first()))


@router.get(
    "/explorer/tracked/{tracked_id}",
    response={200: TrackedQueryOut, 404: ErrorOut},
    auth=VIEW,
    summary="One of your tracked queries",
)
def get_tracked(request: HttpRequest, tracked_id: int) -> Any:
    tracked = _own_tracked(request, tracked_id)
    return _tracked_out(tracked, tracked.runs.first())


@router.get(
    "/explorer/tracked/{tracked_id}/runs",
    response={200: RunPage, 404: ErrorOut},
    auth=VIEW,
    summary="Results of a tracked query, newest first",
)
def tracked_runs(
    request: HttpRequest,
    tracked_id: int,
    limit: int = _page(),
    offset: int = Query(0, ge=0),  # type: ignore[type-arg]
) -> Any:
    return _paged(_own_tracked(request, tracked_id).runs.order_by("-ran_at", "-id"), limit, offset, _run_out)


@router.delete(
    "/explorer/tracked/{tracked_id}",
    response={204: None, 404: ErrorOut},
    auth=VIEW,
    summary="Stop tracking a query (its results go with it)",
)
def delete_tracked(request: HttpRequest, tracked_id: int) -> Status[Any]:
    actions.do_untrack_query(_own_tracked(request, tracked_id), acting_user=_user(request))
    return Status(204, None)
