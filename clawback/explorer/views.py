"""The Explorer search page (SPEC §3): views, date range, query text or filter builder, charts,
the results table with the analyst's columns and sort, and the CSV export.

Everything here needs View.  Header conditions need Preview (``allow_headers``), as in the API.
The export holds index metadata only, so it needs View as the API's does, and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, Min, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from clawback.accounts.access import has_role, require_role, signed_in_user
from clawback.accounts.roles import Role
from clawback.explorer import catalog, charts, export, pivots, prefs
from clawback.explorer.builder import with_condition
from clawback.explorer.params import DEFAULT_QUERY, Search, read
from clawback.explorer.query import FIELDS, QueryError
from clawback.explorer.query.fields import HEADER_FIELD
from clawback.explorer.query.nodes import OPERATORS
from clawback.explorer.take_action import may_propose
from clawback.mail.models import MessageCopy

OPERATOR_LABELS = {
    "=": "= equals",
    "!=": "!= does not equal",
    "~": "~ contains",
    "!~": "!~ does not contain",
    ">": "> greater than",
    "<": "< less than",
    ">=": ">= at least",
    "<=": "<= at most",
    "in": "in (any of)",
    "not in": "not in (none of)",
}
TRACK_INTERVALS = (15, 60, 6 * 60, 24 * 60)


def _found(request: HttpRequest, search: Search) -> QuerySet[MessageCopy]:
    return search.found(now=timezone.now(), allow_headers=has_role(request.user, Role.PREVIEW))


@require_role(Role.VIEW)
@require_safe
def explorer(request: HttpRequest) -> HttpResponse:
    search, form = read(request.GET)
    context = _page_context(request, search, form)
    if not form.errors and not search.row_errors:
        try:
            found = _found(request, search)
        except QueryError as exc:
            context.update(error=exc, caret=exc.caret(search.q))
        else:
            context.update(_results(request, search, found))
    response = render(request, "explorer/search.html", context)
    # htmx puts this in the address bar: short, shareable, without the builder's row fields.
    response["HX-Push-Url"] = reverse("explorer") + search.url()
    return response


def _page_context(request: HttpRequest, search: Search, form: Any) -> dict[str, Any]:
    explorer_url = reverse("explorer")
    return {
        "form": form,
        "search": search,
        "q": request.GET.get("q", "") if form.errors else search.q,
        "fields": list(FIELDS.items()),
        "builder_fields": [name for name in FIELDS if name != HEADER_FIELD],
        "operators": [(op, OPERATOR_LABELS[op]) for op in OPERATORS],
        "builder_rows": _builder_rows(search),
        "default_query": DEFAULT_QUERY,
        "may_propose": may_propose(request.user),
        "views": [(view, explorer_url + search.url(view=view.key)) for view in catalog.VIEWS.values()],
        "view": catalog.VIEWS[search.view],
        "hidden": {k: v for k, v in search.params().items() if k not in ("q", "from", "to", "mode")},
        "saved_url": reverse("explorer-saved"),
        "tracked_url": reverse("explorer-tracked"),
        "track_intervals": TRACK_INTERVALS,
        "this_url": explorer_url + search.url(page=search.page),
    }


@dataclass(frozen=True)
class BuilderRow:
    index: int
    field: str
    op: str
    box: str
    negate: bool
    error: QueryError | None


def _builder_rows(search: Search) -> list[BuilderRow]:
    if search.builder is None:
        return []
    return [
        BuilderRow(i, row.field, row.op, row.box, row.negate, search.row_errors.get(i))
        for i, row in enumerate(search.builder.rows)
    ]


def _results(request: HttpRequest, search: Search, found: QuerySet[MessageCopy]) -> dict[str, Any]:
    now = timezone.now()
    total = found.count()
    context: dict[str, Any] = {
        "total": total,
        "since": catalog.default_range(now)[0] if search.default_range else None,
        "export_url": reverse("explorer-export") + search.url(),
        **_charts(search, found, total, now),
    }
    if catalog.VIEWS[search.view].grouped:
        context["campaigns"] = _campaigns(search, found, now)
        return context
    size = settings.CLAWBACK_PAGE_SIZE
    pages = max(1, -(-total // size))
    number = min(search.page, pages)
    context.update(
        rows=page_rows(found, search.sort, offset=(number - 1) * size, limit=size),
        number=number,
        pages=pages,
        prev_url=search.url(page=number - 1, **_select_all(search)) if number > 1 else "",
        next_url=search.url(page=number + 1, **_select_all(search)) if number < pages else "",
        select_all_url=search.url(page=number, select_all=1),
        clear_selection_url=search.url(page=number),
        columns=(columns := _columns(request, search)),
        all_columns=list(prefs.COLUMNS.values()),
        chosen={cell.column.key for cell in columns},
        select_all=search.select_all,
        effective_query=search.effective_query,
    )
    return context


def _select_all(search: Search) -> dict[str, int]:
    return {"select_all": 1} if search.select_all else {}


def page_rows(found: QuerySet[MessageCopy], sort: str, *, offset: int, limit: int) -> list[MessageCopy]:
    """One page of ``found`` in the table's sort (ids first, then their rows)."""
    return catalog.page(found, prefs.order_by(sort), offset=offset, limit=limit)


@dataclass(frozen=True)
class HeaderCell:
    column: prefs.Column
    sort_url: str  # "" for a column that does not sort
    aria_sort: str  # "ascending", "descending" or ""


def _columns(request: HttpRequest, search: Search) -> list[HeaderCell]:
    cells = []
    current = search.sort.removeprefix("-")
    descending = search.sort.startswith("-")
    for column in prefs.columns_for(request.user):
        if not column.sort:
            cells.append(HeaderCell(column, "", ""))
            continue
        if column.key == current:
            aria, flipped = ("descending", column.key) if descending else ("ascending", f"-{column.key}")
        else:
            # Times and sizes start biggest first, text A to Z.
            aria, flipped = "", f"-{column.key}" if column.key in ("received", "size") else column.key
        cells.append(HeaderCell(column, search.url(sort=flipped), aria))
    return cells


# --- charts and campaigns --------------------------------------------------------------------


def _charts(search: Search, found: QuerySet[MessageCopy], total: int, now: datetime) -> dict[str, Any]:
    pinned = search.pinned(now)
    explorer_url = reverse("explorer")
    # Nothing found: no chart queries (a query the ORM proves empty has no SQL to wrap).
    spec = pivots.get_pivot(search.pivot)
    result = pivots.pivot(found, search.pivot) if total else pivots.PivotResult(spec.key, spec.label, [], 0, 0)

    def href(bucket: pivots.Bucket) -> str:
        return explorer_url + pinned.url(q=with_condition(search.q, bucket.query))

    context: dict[str, Any] = {
        "pivot": result,
        "pivot_svg": charts.bar_chart(result, href),
        "chart_pivots": [(key, pivots.PIVOTS[key].label) for key in pivots.CHART_PIVOTS],
        "chart_tab": search.pivot in pivots.CHART_PIVOTS,
        "chart_url": search.url(pivot=pivots.CHART_PIVOTS[0]),
        "tab_pivots": [(key, pivots.PIVOTS[key].label, search.url(pivot=key)) for key in pivots.TAB_PIVOTS],
    }
    span = _span(search, found, now) if total else None
    if span is not None:

        def narrowed(start: datetime, end: datetime) -> str:
            """The search within one bar of the histogram (the typed query kept)."""
            bounds = f"received >= {_instant(start)} and received < {_instant(end)}"
            return explorer_url + pinned.url(q=with_condition(search.q, bounds))

        histogram = pivots.histogram(found, start=span[0], end=span[1])
        context["histogram_svg"] = charts.histogram_chart(histogram, narrowed)
    return context


def _instant(moment: datetime) -> str:
    """An instant as the query language reads it (ISO 8601, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _span(search: Search, found: QuerySet[MessageCopy], now: datetime) -> tuple[datetime, datetime] | None:
    """The histogram's range: the date range, else from the first to the last copy found."""
    if search.default_range:
        return catalog.default_range(now)
    start, end = search.bounds()
    if start is None or end is None:
        seen = found.aggregate(first=Min("received_at"), last=Max("received_at"))
        if seen["first"] is None:
            return None
        start = start or seen["first"]
        end = end or seen["last"] + timedelta(seconds=1)
    return (start, end) if end > start else None


@dataclass(frozen=True)
class CampaignRow:
    campaign: catalog.Campaign
    url: str


def _campaigns(search: Search, found: QuerySet[MessageCopy], now: datetime) -> list[CampaignRow]:
    """The biggest campaigns, each with a link to its copies (all of them, in the All view)."""
    pinned = search.pinned(now)
    view = catalog.VIEWS["campaigns"]
    explorer_url = reverse("explorer")
    rows = []
    for campaign in catalog.campaigns(found):
        q = view.query(with_condition(search.q, campaign.query))
        rows.append(CampaignRow(campaign, explorer_url + pinned.url(q=q, view="all", mode="text")))
    return rows


# --- export and preferences ------------------------------------------------------------------


# require_role's type variable is bound to HttpResponse; a streamed download is only an
# HttpResponseBase (as remediation/views.py's export).
@require_role(Role.VIEW)  # type: ignore[type-var]
@require_safe
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """The search's copies as CSV, in the table's sort, streamed and audited (as the API's)."""
    search, form = read(request.GET)
    if form.errors:
        return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain; charset=utf-8")
    try:
        found = _found(request, search)
    except QueryError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    chunks = export.start_export(
        found,
        acting_user=signed_in_user(request),
        query=search.ranged_query,
        view=search.view,
        source="web",
        order=prefs.order_by(search.sort),
    )
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(timezone.now())}"'
    response["X-Export-Limit"] = str(export.export_limit())
    return response


@require_role(Role.VIEW)
@require_POST
def columns(request: HttpRequest) -> HttpResponse:
    """Remember the analyst's columns and go back to the results."""
    prefs.do_set_columns(signed_in_user(request), request.POST.getlist("columns"))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("explorer")
    return redirect(back)
