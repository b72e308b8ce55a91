"""The Action center (SPEC §5): Pending and History tabs, a remediation's page, its decisions.

Pages read through ``queries.py``/``listing.py``; every decision calls one ``do_*`` action,
which checks roles and four-eyes and writes the audit row.  Buttons are shown only to those who
may press them, but the refusal that counts is the action's: it is shown as a message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from clawback.accounts.access import has_role, require_role, signed_in_user
from clawback.accounts.roles import Role
from clawback.remediation import listing, policy, queries
from clawback.remediation.actions import RemediationError, do_approve, do_reject, do_undo
from clawback.remediation.export import csv_response
from clawback.remediation.forms import HISTORY, PENDING, FiltersForm, LogForm, RejectForm, UndoForm
from clawback.remediation.models import ACTIVE, FINISHED, Action, ItemState, Remediation, Source, Status

# The page is polled while workers run; each poll is a few small grouped queries.
POLL_SECONDS = 3
# Statuses after which an undo no longer counts (it may be tried again).
_DEAD_UNDO = (Status.REJECTED, Status.EXPIRED, Status.FAILED)
# The results the counts table always shows (others only when present).
_CORE_RESULTS = (
    ItemState.SUCCEEDED,
    ItemState.ALREADY_IN_DESTINATION,
    ItemState.NOT_FOUND,
    ItemState.FAILED,
    ItemState.NOT_REMEDIABLE,
)
_UNFINISHED = (ItemState.PENDING, ItemState.CLAIMED, ItemState.IN_FLIGHT)


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url_name: str


TABS = (Tab(PENDING, "Pending", "action-center"), Tab(HISTORY, "History", "action-center-history"))


# --- the tabs -------------------------------------------------------------------------------
@require_role(Role.VIEW)
@require_safe
def pending(request: HttpRequest) -> HttpResponse:
    return _tab(request, PENDING)


@require_role(Role.VIEW)
@require_safe
def history(request: HttpRequest) -> HttpResponse:
    return _tab(request, HISTORY)


def _tab(request: HttpRequest, tab: str) -> HttpResponse:
    form = FiltersForm(request.GET or None, tab=tab)
    context: dict[str, Any] = {
        "tabs": TABS,
        "tab": tab,
        "form": form,
        "pending_count": queries.pending().count(),
        "page": None,
    }
    if form.is_bound and not form.is_valid():
        return render(request, "remediation/list.html", context, status=400)
    found = queries.pending() if tab == PENDING else queries.history()
    if form.is_bound:
        found = queries.filtered(found, form.filters())
    page = Paginator(found, settings.CLAWBACK_PAGE_SIZE).get_page(request.GET.get("page"))
    running = listing.progress_by_remediation(r.pk for r in page if r.status in ACTIVE)
    context.update(
        page=page,
        rows=[(r, running.get(r.pk)) for r in page],
        filters_param=_without_page(request),
    )
    return render(request, "remediation/list.html", context)


def _without_page(request: HttpRequest) -> str:
    """The query string minus ``page``, for the pager's links."""
    return urlencode([(k, v) for k, values in request.GET.lists() if k != "page" for v in values])


# --- one remediation ------------------------------------------------------------------------
@require_role(Role.VIEW)
@require_safe
def remediation(request: HttpRequest, key: str) -> HttpResponse:
    r = _remediation(key)
    log_form = LogForm(request.GET)
    result = log_form.cleaned_data["result"] if log_form.is_valid() else ""
    log = Paginator(listing.log_items(r, result), settings.CLAWBACK_PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "r": r,
        "two_step": listing.two_step_reason(r),
        "by_location": sorted(queries.counts_by_location(r).items(), key=lambda kv: -kv[1]),
        "not_remediable": sorted(queries.not_remediable(r).items(), key=lambda kv: -kv[1]),
        "reversals": list(r.reversals.order_by("submitted_at")),
        "decision": _decision(request, r),
        "undo": _undo(request, r),
        "log": log,
        "log_form": log_form,
        "log_filter": urlencode({"result": result}) if result else "",
        "export_limit": queries.EXPORT_LIMIT,
        "reject_form": RejectForm(),
        "undo_form": UndoForm(initial={"name": f"Undo {r.name}"[:200]}),
        **_progress_context(r),
    }
    return render(request, "remediation/detail.html", context)


@require_role(Role.VIEW)
@require_safe
def progress(request: HttpRequest, key: str) -> HttpResponse:
    """The status, progress and counts fragment the page polls while workers run."""
    r = _remediation(key)
    response = render(request, "remediation/_progress.html", {"r": r, **_progress_context(r)})
    if request.GET.get("poll") and r.status not in ACTIVE:
        # It finished while the page was open: reload it whole (action log, Undo button).
        response["HX-Refresh"] = "true"
    return response


# require_role's type variable is bound to HttpResponse; a streamed download is only an
# HttpResponseBase (widening the bound in accounts/access.py would drop this ignore).
@require_role(Role.VIEW)  # type: ignore[type-var]
@require_safe
def export(request: HttpRequest, key: str) -> HttpResponseBase:
    return csv_response(_remediation(key), actor=request.user)


def _remediation(key: str) -> Remediation:
    found = listing.find(key)
    if found is None:
        raise Http404(f"no remediation {key!r}")
    return found


def _progress_context(r: Remediation) -> dict[str, Any]:
    p = queries.progress(r)
    return {
        "progress": p,
        "results": [(state.label, state.value, p.counts.get(state, 0)) for state in _CORE_RESULTS],
        "unfinished": sum(p.counts.get(state, 0) for state in _UNFINISHED),
        "eta": _duration(p.eta) if p.eta is not None and p.remaining else "",
        "running": r.status in ACTIVE,
        "poll_seconds": POLL_SECONDS,
    }


def _duration(value: timedelta) -> str:
    """An ETA such as "2 h 5 min", "3 min 20 s" or "40 s" (not a stopwatch)."""
    seconds = max(int(value.total_seconds()), 1)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


@dataclass(frozen=True)
class Decision:
    """What the page offers for a pending remediation: the buttons, or why not."""

    pending: bool
    may_decide: bool = False
    why_not: str = ""


def _decision(request: HttpRequest, r: Remediation) -> Decision:
    if r.status != Status.PENDING_APPROVAL:
        return Decision(pending=False)
    if not has_role(request.user, Role.SEARCH_AND_PURGE):
        return Decision(pending=True, why_not="A person with the Search and Purge role approves or rejects it.")
    try:
        # Only to explain the missing buttons; do_approve checks again, and that check counts.
        policy.check_may_approve(r, signed_in_user(request))
    except PermissionDenied as exc:
        return Decision(pending=True, why_not=str(exc))
    return Decision(pending=True, may_decide=True)


@dataclass(frozen=True)
class Undo:
    """Whether the page offers Undo, or why not (hard delete: never)."""

    offered: bool = False
    why_not: str = ""


def _undo(request: HttpRequest, r: Remediation) -> Undo:
    if r.action == Action.HARD_DELETE:
        # Said before approval too (SPEC §4: "the UI says so before submission").
        return Undo(why_not="Hard delete purges the messages for good: it cannot be undone.")
    if r.status not in FINISHED or not has_role(request.user, Role.SEARCH_AND_PURGE):
        return Undo()
    if r.reversals.exclude(status__in=_DEAD_UNDO).exists():
        return Undo()  # the page lists the undo remediation instead
    return Undo(offered=True)


# --- decisions ------------------------------------------------------------------------------
@require_role(Role.SEARCH_AND_PURGE)
@require_POST
def approve(request: HttpRequest, key: str) -> HttpResponse:
    r = _remediation(key)
    with _refusals(request):
        done = do_approve(r, acting_user=signed_in_user(request))
        messages.success(request, f"Approved {done.name} ({done.approval_id}): {_status(done)}.")
    return redirect(_url(r))


@require_role(Role.SEARCH_AND_PURGE)
@require_POST
def reject(request: HttpRequest, key: str) -> HttpResponse:
    r = _remediation(key)
    form = RejectForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_url(r))
    with _refusals(request):
        done = do_reject(r, acting_user=signed_in_user(request), reason=form.cleaned_data["reason"].strip())
        messages.success(request, f"Rejected {done.name} ({done.approval_id}).")
    return redirect(_url(r))


@require_role(Role.SEARCH_AND_PURGE)
@require_POST
def undo(request: HttpRequest, key: str) -> HttpResponse:
    r = _remediation(key)
    form = UndoForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_url(r))
    with _refusals(request):
        reverse_ = do_undo(
            r,
            name=form.cleaned_data["name"],
            acting_user=signed_in_user(request),
            # The web UI's manual actions carry the Explorer source, as in the reference system.
            source=Source.EXPLORER,
            propose=form.cleaned_data["propose"],
        )
        messages.success(request, f"Undo {reverse_.name} ({reverse_.approval_id}) submitted: {_status(reverse_)}.")
        return redirect(_url(reverse_))
    return redirect(_url(r))


@contextmanager
def _refusals(request: HttpRequest) -> Iterator[None]:
    """Show an action's refusal (role, four-eyes, state, limits) as a message on the page."""
    try:
        yield
    except (PermissionDenied, RemediationError) as exc:
        messages.error(request, str(exc) or "Not allowed.")


def _form_errors(request: HttpRequest, form: RejectForm | UndoForm) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def _status(r: Remediation) -> str:
    return r.get_status_display().lower()


def _url(r: Remediation) -> str:
    return reverse("remediation", kwargs={"key": r.approval_id})
