"""The Explorer search page (SPEC §3): the query language over the message index."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from clawback.accounts.access import has_role, require_role
from clawback.accounts.roles import Role
from clawback.explorer.query import FIELDS, QueryError, search
from clawback.explorer.take_action import may_propose
from clawback.mail.models import MessageCopy

# What an empty query means, as in the reference system: mail received yesterday and today.
# Run through the query language, so the page can show the range as a query one can edit.
DEFAULT_QUERY = "received >= yesterday"


class SearchForm(forms.Form):
    # Not stripped: error positions must match the text as the analyst typed it (with htmx the
    # textarea is not re-rendered).
    q = forms.CharField(required=False, max_length=20_000, strip=False)
    page = forms.IntegerField(required=False, min_value=1)
    # "Select all N results" (Take action): every row starts ticked; unticked rows are excluded.
    select_all = forms.BooleanField(required=False)

    def clean_q(self) -> str:
        # Browsers submit textarea line breaks as CRLF (HTML §4.10.21); the language counts LF.
        return str(self.cleaned_data["q"]).replace("\r\n", "\n")


def default_range_start(now: datetime) -> datetime:
    """The start of yesterday (UTC, as ``yesterday`` in the query language)."""
    return datetime.combine(now.astimezone(UTC).date() - timedelta(days=1), time.min, tzinfo=UTC)


def _found(q: str, now: datetime, *, allow_headers: bool) -> tuple[QuerySet[MessageCopy], datetime | None]:
    """The matching copies, newest first, and the start of the default range if it applied."""
    since = None if q.strip() else default_range_start(now)
    found = search(q if since is None else DEFAULT_QUERY, now=now, allow_headers=allow_headers)
    return found.select_related("store").order_by("-received_at", "-pk"), since


@require_role(Role.VIEW)
@require_safe
def explorer(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    context: dict[str, Any] = {
        "form": form,
        "fields": list(FIELDS.items()),
        "default_query": DEFAULT_QUERY,
        "may_propose": may_propose(request.user),
    }
    if not form.is_valid():
        context["q"] = request.GET.get("q", "")
        return render(request, "explorer/search.html", context)
    q: str = form.cleaned_data["q"]
    context["q"] = q
    try:
        found, since = _found(q, timezone.now(), allow_headers=has_role(request.user, Role.PREVIEW))
    except QueryError as exc:
        context.update(error=exc, caret=exc.caret(q))
        return render(request, "explorer/search.html", context)
    paginator = Paginator(found, settings.CLAWBACK_PAGE_SIZE)
    context.update(
        page=paginator.get_page(form.cleaned_data["page"]),
        since=since,
        q_param=urlencode({"q": q}),
        # What Take action selects from: the query as run (the default range spelled out).
        effective_query=q if since is None else DEFAULT_QUERY,
        select_all=form.cleaned_data["select_all"],
    )
    return render(request, "explorer/search.html", context)
