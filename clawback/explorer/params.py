"""What the Explorer page was asked for: view, query (typed, or built in the filter builder),
date range, sort, chart and page, read from the query string.

One reading serves the search page and the CSV export, so both run exactly the same search.

The date range: ``from`` and ``to`` are UTC days, ``to`` included, and stand for
``received >= <from> and received < <day after to>``.  With neither given, an empty query
shows yesterday and today (``received >= yesterday``, as in the reference system) and any other
query is not limited in time: links from elsewhere (an email's "other copies") mean all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict

from clawback.explorer import catalog, prefs
from clawback.explorer.builder import MAX_ROWS, Builder, Row, TooComplex, check_rows, rows_to_text, text_to_rows
from clawback.explorer.pivots import CHART_PIVOTS, PIVOTS
from clawback.explorer.query import QueryError
from clawback.mail.models import MessageCopy

# What an empty query means when no range is given: mail received yesterday and today.
# Written in the query language, so the page can show it and Take action can post it.
DEFAULT_QUERY = "received >= yesterday"
DEFAULT_PIVOT = CHART_PIVOTS[0]
MODES = ("text", "builder")


class SearchForm(forms.Form):
    # Not stripped: error positions must match the text as the analyst typed it.
    q = forms.CharField(required=False, max_length=20_000, strip=False)
    view = forms.ChoiceField(required=False, choices=[(key, v.label) for key, v in catalog.VIEWS.items()])
    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")
    page = forms.IntegerField(required=False, min_value=1)
    # "Select all N results" (Take action): every row starts ticked; unticked rows are excluded.
    select_all = forms.BooleanField(required=False)

    def __init__(self, data: QueryDict) -> None:
        # ``from`` is a Python keyword: the form names the range ``start`` and ``end``.
        renamed = data.copy()
        for outer, inner in (("from", "start"), ("to", "end")):
            renamed.setlist(inner, data.getlist(outer))
        super().__init__(renamed)

    def clean_q(self) -> str:
        # Browsers submit textarea line breaks as CRLF (HTML §4.10.21); the language counts LF.
        return str(self.cleaned_data["q"]).replace("\r\n", "\n")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "the range ends before it starts")
        return cleaned


@dataclass(frozen=True)
class Search:
    """One reading of the page's parameters."""

    q: str = ""
    view: str = catalog.DEFAULT_VIEW
    start: date | None = None
    end: date | None = None  # the last day included
    sort: str = prefs.DEFAULT_SORT
    pivot: str = DEFAULT_PIVOT
    mode: str = "text"
    page: int = 1
    select_all: bool = False
    builder: Builder | None = None  # the rows, in builder mode
    row_errors: dict[int, QueryError] = field(default_factory=dict)
    builder_problem: str = ""  # why the builder could not show the query

    @property
    def ranged(self) -> bool:
        return self.start is not None or self.end is not None

    @property
    def default_range(self) -> bool:
        """Whether the default range applies (an empty query and no range given)."""
        return not self.q.strip() and not self.ranged

    @property
    def range_text(self) -> str:
        """The range as query conditions, "" when none is given."""
        parts = []
        if self.start:
            parts.append(f"received >= {self.start.isoformat()}")
        if self.end:
            parts.append(f"received < {(self.end + timedelta(days=1)).isoformat()}")
        return " and ".join(parts)

    @property
    def ranged_query(self) -> str:
        """The range and the query as one query (what the export records, with the view)."""
        return catalog.join(self._range_part, self.q.strip())

    @property
    def effective_query(self) -> str:
        """The view, range and query as one query: what Take action selects from."""
        return catalog.join(catalog.VIEWS[self.view].condition, self._range_part, self.q.strip())

    @property
    def _range_part(self) -> str:
        return DEFAULT_QUERY if self.default_range else self.range_text

    def pinned(self, now: datetime) -> Search:
        """This search with the default range written out as dates, for links that add to the
        query (which would otherwise lift the default range)."""
        if not self.default_range:
            return self
        start, end = catalog.default_range(now)
        return replace(self, start=start.date(), end=(end - timedelta(days=1)).date())

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The range as instants ``[start, end)``, either open."""
        start = datetime.combine(self.start, time.min, tzinfo=UTC) if self.start else None
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC) if self.end else None
        return start, end

    def found(self, *, now: datetime, allow_headers: bool) -> QuerySet[MessageCopy]:
        """The matching copies (unordered); :class:`QueryError` points into ``q``."""
        text = DEFAULT_QUERY if self.default_range else self.q
        found = catalog.view_search(self.view, text, now=now, allow_headers=allow_headers)
        start, end = self.bounds()
        if start:
            found = found.filter(Q(received_at__gte=start))
        if end:
            found = found.filter(Q(received_at__lt=end))
        return found

    def params(self, **changes: Any) -> dict[str, str]:
        """The canonical query string of this search (defaults left out), with ``changes``."""
        search = replace(self, **changes)
        out = {"q": search.q}
        if search.view != catalog.DEFAULT_VIEW:
            out["view"] = search.view
        if search.start:
            out["from"] = search.start.isoformat()
        if search.end:
            out["to"] = search.end.isoformat()
        if search.sort != prefs.DEFAULT_SORT:
            out["sort"] = search.sort
        if search.pivot != DEFAULT_PIVOT:
            out["pivot"] = search.pivot
        if search.mode != "text":
            out["mode"] = search.mode
        # The page and the selection only where asked for: a new search starts on page 1.
        if "page" in changes:
            out["page"] = str(search.page)
        if changes.get("select_all"):
            out["select_all"] = "1"
        return out

    def url(self, **changes: Any) -> str:
        return "?" + urlencode(self.params(**changes))


def read(data: QueryDict) -> tuple[Search, SearchForm]:
    """The search the query string asks for, and its form (check ``form.errors``)."""
    form = SearchForm(data)
    cleaned = form.cleaned_data if form.is_valid() else {}
    search = Search(
        q=cleaned.get("q", data.get("q", "")),
        view=cleaned.get("view") or catalog.DEFAULT_VIEW,
        start=cleaned.get("start"),
        end=cleaned.get("end"),
        sort=_sort(data.get("sort", "")),
        pivot=data.get("pivot", "") if data.get("pivot", "") in PIVOTS else DEFAULT_PIVOT,
        mode=data.get("mode", "") if data.get("mode", "") in MODES else "text",
        page=cleaned.get("page") or 1,
        select_all=bool(cleaned.get("select_all")),
    )
    return _with_builder(search, data), form


def _sort(sort: str) -> str:
    return sort if sort.removeprefix("-") in prefs.SORTS else prefs.DEFAULT_SORT


# --- the filter builder ------------------------------------------------------------------------


def _with_builder(search: Search, data: QueryDict) -> Search:
    """Apply the builder's part of the request: rows posted in builder mode become the query;
    "add" and "remove-<n>" change the rows; ``switch`` changes mode (text -> builder only when
    the builder can show the query)."""
    builder = posted_rows(data) if search.mode == "builder" and data.get("rows") else None
    if builder is not None:
        builder = _edit(builder, data.get("row", ""))
        search = replace(search, q=rows_to_text(_complete(builder)), builder=builder)
    mode = data.get("switch", "") if data.get("switch", "") in MODES else search.mode
    if mode == "text":
        return replace(search, mode="text", builder=None)
    if builder is None:
        try:
            builder = text_to_rows(search.q)
        except (TooComplex, QueryError) as exc:
            # The text mode shows a QueryError with its caret; TooComplex says why, here.
            problem = exc.message if isinstance(exc, TooComplex) else ""
            return replace(search, mode="text", builder=None, builder_problem=problem)
        if not builder.rows:  # an empty query: start the analyst off with one blank row
            builder = replace(builder, rows=(Row("", "=", ("",)),))
    errors = check_rows(_complete(builder))
    return replace(search, mode="builder", builder=builder, row_errors=_by_shown_row(builder, errors))


def posted_rows(data: QueryDict) -> Builder:
    """The builder's rows as posted: ``field-<n>``, ``op-<n>``, ``value-<n>``, ``not-<n>``."""
    rows = []
    for index in range(MAX_ROWS):
        if f"field-{index}" not in data:
            break
        op = data.get(f"op-{index}", "=")
        negate = bool(data.get(f"not-{index}"))
        rows.append(Row.from_box(data.get(f"field-{index}", ""), op, data.get(f"value-{index}", ""), negate=negate))
    return Builder("or" if data.get("join") == "or" else "and", tuple(rows))


def _edit(builder: Builder, action: str) -> Builder:
    rows = list(builder.rows)
    if action == "add" and len(rows) < MAX_ROWS:
        rows.append(Row("", "=", ("",)))
    elif action.startswith("remove-") and action[7:].isdigit() and int(action[7:]) < len(rows):
        del rows[int(action[7:])]
    return replace(builder, rows=tuple(rows))


def _complete(builder: Builder) -> Builder:
    """The rows that name a field (a row just added and not filled in yet is left out)."""
    return replace(builder, rows=tuple(row for row in builder.rows if row.field))


def _by_shown_row(builder: Builder, errors: dict[int, QueryError]) -> dict[int, QueryError]:
    shown = [index for index, row in enumerate(builder.rows) if row.field]
    return {shown[index]: error for index, error in errors.items()}
