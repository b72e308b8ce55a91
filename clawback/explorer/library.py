"""The Explorer's saved and tracked queries, as pages (SPEC §3).

Thin views over ``clawback.explorer.actions``, the one write path the API and the CLI use too,
so the rules are the API's (``clawback/api/explorer.py``): everyone with View sees their own
saved queries and the shared ones, and changes only their own (the action refuses anyone else:
403); tracked queries are private, so someone else's is not found.  Header conditions need
Preview: the action checks that as it compiles the query for the actor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clawback.accounts.access import require_role, signed_in_user
from clawback.accounts.roles import Role
from clawback.explorer import actions, tracking
from clawback.explorer.catalog import DEFAULT_VIEW, VIEWS
from clawback.explorer.models import SavedQuery, TrackedQuery, TrackedQueryRun
from clawback.explorer.query import QueryError
from clawback.mail.models import MessageCopy

# How many of the latest runs the tracker page's trend draws.
TREND_RUNS = 60


# --- forms ----------------------------------------------------------------------------------
class QueryField(forms.CharField):
    """Query text as typed: not stripped, so error columns match; CRLF (how browsers submit
    line breaks, HTML §4.10.21.8) read as LF, which the language counts."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, max_length=20_000, strip=False, **kwargs)

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).replace("\r\n", "\n")


class _QueryForm(forms.Form):
    # Names and views are checked by the action, whose messages say what to do.
    name = forms.CharField(required=False, max_length=1000, strip=False)
    query = QueryField()
    view = forms.CharField(required=False, max_length=32)

    def clean_view(self) -> str:
        return str(self.cleaned_data["view"]) or DEFAULT_VIEW


class SavedQueryForm(_QueryForm):
    """What the Save query forms post (this page's and the Explorer's)."""

    shared = forms.BooleanField(required=False)
    next = forms.CharField(required=False, max_length=32)  # "explorer": back to the search page


class SavedQueryChangeForm(forms.Form):
    """Rename, share or unshare, change the query: only the fields posted change."""

    name = forms.CharField(required=False, max_length=1000, strip=False)
    query = QueryField()
    view = forms.CharField(required=False, max_length=32)
    shared = forms.NullBooleanField(required=False)  # "true" / "false"

    def changes(self, posted: QueryDict) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k in posted and v is not None}


class TrackedQueryForm(_QueryForm):
    interval_minutes = forms.IntegerField(required=False)

    def clean_interval_minutes(self) -> int:
        minutes = self.cleaned_data["interval_minutes"]
        return 60 if minutes is None else int(minutes)


# --- what the pages show --------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """Why a form was refused; for query text, where (the template draws the caret)."""

    message: str
    caret: str = ""


@dataclass
class SavedRow:
    saved: SavedQuery
    mine: bool
    open_url: str
    # The edit form's values: the saved query's, or what was posted when it was refused.
    values: dict[str, Any] = field(default_factory=dict)
    problem: Problem | None = None


@dataclass(frozen=True)
class TrendDot:
    x: str
    y: str
    label: str
    error: bool


@dataclass(frozen=True)
class Trend:
    """An inline SVG line of the counts of the latest runs, oldest left (drawn by
    ``_library_trend.html``; every text in it goes through the template's escaping)."""

    width: int
    height: int
    points: str
    dots: list[TrendDot]
    peak: int
    first: datetime
    last: datetime


def explorer_url(view: str, query: str, **extra: Any) -> str:
    """The Explorer search page running ``query`` in ``view``."""
    return f"{reverse('explorer')}?{urlencode({'view': view, 'q': query, **extra})}"


def every(minutes: int) -> str:
    """An interval as people say it: "every 15 min", "every 6 h", "every day"."""
    days, rest = divmod(minutes, 24 * 60)
    if not rest and days:
        return "every day" if days == 1 else f"every {days} days"
    if not minutes % 60:
        return "every hour" if minutes == 60 else f"every {minutes // 60} h"
    return f"every {minutes} min"


def _problem(exc: Exception, query: str = "") -> Problem:
    if isinstance(exc, QueryError):
        return Problem(f"Query error: {exc}", caret=exc.caret(query))
    return Problem(str(exc) or "Not allowed.")


def _form_problem(form: forms.Form) -> Problem:
    return Problem("; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()))


def _prefill(request: HttpRequest) -> dict[str, str]:
    """The create form's values from the query string, so a page can link to "save this" or
    "track this" (``?q=…&view=…&name=…``)."""
    return {key: request.GET.get(key, "") for key in ("name", "q", "view")}


def _create_values(create: QueryDict | dict[str, str]) -> dict[str, str]:
    """The create form's name, query and view: as posted, or as ``_prefill`` read them."""
    return {
        "name": create.get("name", ""),
        "query": create.get("query", create.get("q", "")),
        "view": create.get("view") or DEFAULT_VIEW,
    }


def _base_context(section: str) -> dict[str, Any]:
    return {"section": section, "views": list(VIEWS.values()), "default_view": DEFAULT_VIEW}


# --- saved queries --------------------------------------------------------------------------
@require_role(Role.VIEW)
@require_http_methods(["GET", "HEAD", "POST"])
def saved_list(request: HttpRequest) -> HttpResponse:
    """GET: my saved queries and the shared ones.  POST: save one (also from the Explorer)."""
    if request.method != "POST":
        return _render_saved(request, create=_prefill(request))
    form = SavedQueryForm(request.POST)
    if not form.is_valid():
        return _render_saved(request, create=request.POST, problem=_form_problem(form), status=400)
    data = form.cleaned_data
    try:
        saved = actions.do_save_query(
            acting_user=signed_in_user(request),
            name=data["name"],
            query=data["query"],
            view=data["view"],
            shared=data["shared"],
        )
    except (actions.ExplorerError, QueryError) as exc:
        return _render_saved(request, create=request.POST, problem=_problem(exc, data["query"]), status=400)
    messages.success(request, f'Saved "{saved.name}".')
    if data["next"] == "explorer":
        return redirect(explorer_url(saved.view, saved.query, saved=saved.pk))
    return redirect("explorer-saved")


@require_role(Role.VIEW)
@require_POST
def saved_update(request: HttpRequest, saved_id: int) -> HttpResponse:
    saved = _visible_saved(request, saved_id)
    form = SavedQueryChangeForm(request.POST)
    if not form.is_valid():
        return _render_saved(request, editing=(saved.pk, request.POST, _form_problem(form)), status=400)
    try:
        actions.do_update_saved_query(saved, acting_user=signed_in_user(request), **form.changes(request.POST))
    except PermissionDenied as exc:
        # Someone else's shared query: its row has no edit form to reopen.
        return _render_saved(request, problem=_problem(exc), status=403)
    except (actions.ExplorerError, QueryError) as exc:
        problem = _problem(exc, form.cleaned_data["query"])
        return _render_saved(request, editing=(saved.pk, request.POST, problem), status=400)
    messages.success(request, f'Saved "{saved.name}"{" (shared)" if saved.shared else ""}.')
    return redirect("explorer-saved")


@require_role(Role.VIEW)
@require_POST
def saved_delete(request: HttpRequest, saved_id: int) -> HttpResponse:
    saved = _visible_saved(request, saved_id)
    try:
        actions.do_delete_saved_query(saved, acting_user=signed_in_user(request))
    except PermissionDenied as exc:
        return _render_saved(request, problem=_problem(exc), status=403)
    messages.success(request, f'Deleted "{saved.name}".')
    return redirect("explorer-saved")


def _visible_saved(request: HttpRequest, saved_id: int) -> SavedQuery:
    # Someone else's private query is not found, as in the API.
    visible = SavedQuery.objects.visible_to(signed_in_user(request)).select_related("owner")
    return get_object_or_404(visible, pk=saved_id)


def _render_saved(
    request: HttpRequest,
    *,
    create: QueryDict | dict[str, str] | None = None,
    problem: Problem | None = None,
    editing: tuple[int, QueryDict, Problem] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The list page; ``create`` fills the Save form, ``editing`` reopens a refused edit."""
    user = signed_in_user(request)
    found = SavedQuery.objects.visible_to(user).select_related("owner")
    page = Paginator(found, settings.CLAWBACK_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for saved in page:
        row = SavedRow(saved, mine=saved.owner_id == user.pk, open_url=explorer_url(saved.view, saved.query))
        row.values = {"name": saved.name, "query": saved.query, "view": saved.view}
        if editing is not None and editing[0] == saved.pk:
            row.values.update({k: editing[1][k] for k in row.values if k in editing[1]})
            row.problem = editing[2]
        rows.append(row)
    if editing is not None and not any(row.problem for row in rows):
        problem = editing[2]  # the edited query is on another page: say why at the top
    create = create or {}
    context = {
        **_base_context("saved"),
        "page": page,
        "rows": rows,
        "problem": problem,
        "create": {**_create_values(create), "shared": bool(create.get("shared"))},
    }
    return render(request, "explorer/saved_list.html", context, status=status)


# --- tracked queries ------------------------------------------------------------------------
@require_role(Role.VIEW)
@require_http_methods(["GET", "HEAD", "POST"])
def tracked_list(request: HttpRequest) -> HttpResponse:
    """GET: my tracked queries with their latest run.  POST: track one."""
    if request.method != "POST":
        return _render_tracked(request, create=_prefill(request))
    form = TrackedQueryForm(request.POST)
    if not form.is_valid():
        return _render_tracked(request, create=request.POST, problem=_form_problem(form), status=400)
    data = form.cleaned_data
    try:
        tracked = actions.do_track_query(
            acting_user=signed_in_user(request),
            name=data["name"],
            query=data["query"],
            view=data["view"],
            interval_minutes=data["interval_minutes"],
        )
    except (actions.ExplorerError, QueryError) as exc:
        return _render_tracked(request, create=request.POST, problem=_problem(exc, data["query"]), status=400)
    messages.success(request, f'Tracking "{tracked.name}" {every(tracked.interval_minutes)}: the first run is queued.')
    return redirect("explorer-tracked-detail", tracked_id=tracked.pk)


def _render_tracked(
    request: HttpRequest,
    *,
    create: QueryDict | dict[str, str],
    problem: Problem | None = None,
    status: int = 200,
) -> HttpResponse:
    found = TrackedQuery.objects.filter(owner=signed_in_user(request)).with_latest_run()
    page = Paginator(found, settings.CLAWBACK_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **_base_context("tracked"),
        "page": page,
        "rows": [_tracked_row(tracked) for tracked in page],
        "problem": problem,
        "create": {**_create_values(create), "interval_minutes": create.get("interval_minutes") or 60},
        "min_interval": actions.MIN_INTERVAL_MINUTES,
        "max_interval": actions.MAX_INTERVAL_MINUTES,
    }
    return render(request, "explorer/tracked_list.html", context, status=status)


@dataclass(frozen=True)
class TrackedRow:
    tracked: TrackedQuery
    latest: TrackedQueryRun | None
    every: str
    open_url: str


def _tracked_row(tracked: TrackedQuery) -> TrackedRow:
    # Prefetched by TrackedQuery.objects.with_latest_run().
    latest_runs: list[TrackedQueryRun] = tracked.latest_runs  # type: ignore[attr-defined]
    latest = latest_runs[0] if latest_runs else None
    return TrackedRow(tracked, latest, every(tracked.interval_minutes), explorer_url(tracked.view, tracked.query))


@require_role(Role.VIEW)
@require_safe
def tracked_detail(request: HttpRequest, tracked_id: int) -> HttpResponse:
    """The tracker page: the query, a trend of its counts, its runs (newest first), samples."""
    tracked = _own_tracked(request, tracked_id)
    runs = tracked.runs.order_by("-ran_at", "-id")
    page = Paginator(runs, settings.CLAWBACK_PAGE_SIZE).get_page(request.GET.get("page"))
    recent = list(runs[:TREND_RUNS])
    latest = recent[0] if recent else None
    # The sample comes from the latest run that worked (a failed run has none).
    sampled = next((run for run in recent if not run.error), None)
    if sampled is None and len(recent) == TREND_RUNS:
        sampled = runs.filter(error="").first()
    context = {
        **_base_context("tracked"),
        "tracked": tracked,
        "every": every(tracked.interval_minutes),
        "open_url": explorer_url(tracked.view, tracked.query),
        "page": page,
        "latest": latest,
        "sampled": sampled,
        "sample": _sample(sampled),
        "trend": trend(recent[::-1]),
        "due": tracked.next_run_at <= timezone.now(),
    }
    return render(request, "explorer/tracked_detail.html", context)


@require_role(Role.VIEW)
@require_POST
def tracked_run(request: HttpRequest, tracked_id: int) -> HttpResponse:
    """Run the query now, here rather than in a worker, ahead of its schedule if need be.

    ``tracking.run_now`` claims the run like a due one, so a worker or another click at the
    same moment does not run it too, and it runs at most once a minute this way.
    """
    tracked = _own_tracked(request, tracked_id)
    result = tracking.run_now(tracked.pk)
    if result is None:
        tracked.refresh_from_db()
        messages.info(
            request,
            f"It ran less than a minute ago; the next run is at {tracked.next_run_at:%Y-%m-%d %H:%M} UTC.",
        )
    elif result.error:
        messages.error(request, f"The run failed: {result.error}")
    else:
        messages.success(request, f"Ran: {result.count} match{'es' if result.count != 1 else ''}.")
    return redirect("explorer-tracked-detail", tracked_id=tracked.pk)


@require_role(Role.VIEW)
@require_POST
def tracked_delete(request: HttpRequest, tracked_id: int) -> HttpResponse:
    tracked = _own_tracked(request, tracked_id)
    actions.do_untrack_query(tracked, acting_user=signed_in_user(request))
    messages.success(request, f'Stopped tracking "{tracked.name}".')
    return redirect("explorer-tracked")


def _own_tracked(request: HttpRequest, tracked_id: int) -> TrackedQuery:
    # Other people's tracked queries are private: not found, rather than forbidden (as the API).
    return get_object_or_404(TrackedQuery, pk=tracked_id, owner=signed_in_user(request))


def _sample(run: TrackedQueryRun | None) -> list[MessageCopy]:
    """The run's sample copies still in the index, newest first (as the run listed them)."""
    if run is None or not run.sample_ids:
        return []
    found = MessageCopy.objects.in_bulk(run.sample_ids)
    return [found[pk] for pk in run.sample_ids if pk in found]


def trend(runs: list[TrackedQueryRun], *, width: int = 600, height: int = 120, pad: int = 8) -> Trend | None:
    """The counts of ``runs`` (oldest first) as SVG coordinates; None for fewer than two."""
    if len(runs) < 2:
        return None
    peak = max(run.count for run in runs) or 1
    step = (width - 2 * pad) / (len(runs) - 1)
    dots = []
    for i, run in enumerate(runs):
        x = pad + i * step
        y = height - pad - run.count / peak * (height - 2 * pad)
        when = f"{run.ran_at:%Y-%m-%d %H:%M} UTC"
        label = f"{when}: error" if run.error else f"{when}: {run.count} ({run.new_count} new)"
        dots.append(TrendDot(f"{x:.1f}", f"{y:.1f}", label, bool(run.error)))
    points = " ".join(f"{dot.x},{dot.y}" for dot in dots)
    return Trend(width, height, points, dots, peak, runs[0].ran_at, runs[-1].ran_at)
