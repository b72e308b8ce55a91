"""The Explorer's Take action flow: selection → action and name → review → submit or propose.

Every step posts the whole state (the selection and the choices, as hidden fields) and the
server validates it again, limits included: nothing is kept between steps.  Only the last step
changes anything, through the remediation actions (``do_submit``, ``do_propose``,
``do_add_to_proposal``), which own the limits, the roles and four-eyes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clawback.accounts.access import has_role, signed_in_user
from clawback.accounts.roles import Role
from clawback.explorer.forms import ActionForm, AddToProposalForm, SelectionForm, open_proposals
from clawback.explorer.query import QueryError, compile_query
from clawback.remediation import policy
from clawback.remediation.actions import RemediationError, do_add_to_proposal, do_propose, do_submit
from clawback.remediation.models import Action, Remediation, Severity, Source, Status
from clawback.remediation.review import review
from clawback.remediation.selection import Selection, SelectionError, copies_for

F = TypeVar("F", bound=Callable[..., HttpResponse])

# The buttons' values (name="step").  No step: the first page, choosing the action.
EDIT, REVIEW, SUBMIT, PROPOSE, ADD = "edit", "review", "submit", "propose", "add"
CREATES = (SUBMIT, PROPOSE, ADD)


def may_propose(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether ``user`` may start a remediation (Propose, or Search and Purge): the policy's rule."""
    if not isinstance(user, User) or not user.is_authenticated:
        return False
    try:
        policy.check_may_propose(user)
    except PermissionDenied:
        return False
    return True


def require_may_propose(view: F) -> F:
    """Like ``require_role(Role.PROPOSE)``, but asks the remediation policy, which also lets
    Search and Purge holders in (they may submit, so they may start the flow)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_propose(request.user):
            raise PermissionDenied("the Propose or the Search and Purge role is required")
        return view(request, *args, **kwargs)

    wrapped.required_role = Role.PROPOSE  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


@dataclass(frozen=True)
class Problem:
    """Why the selection cannot go on, and where in the query when the query is at fault."""

    message: str
    caret: str = ""


@require_may_propose
@require_http_methods(["GET", "HEAD", "POST"])
def take_action(request: HttpRequest) -> HttpResponse:
    # GET opens the first step for a selection in the URL (a link from elsewhere); every other
    # step is a POST.
    data = request.POST if request.method == "POST" else request.GET
    step = data.get("step", "") if request.method == "POST" else ""
    chosen = SelectionForm(data)
    if not chosen.is_valid():
        message = " ".join(str(e) for errors in chosen.errors.values() for e in errors)
        return _page(request, {"problem": Problem(message)}, status=400)
    selection = chosen.selection()
    form = ActionForm(data if step else None)
    if step in (REVIEW, *CREATES) and form.is_valid():
        return _review(request, selection, form, step)
    return _choose(request, selection, form)


def _choose(request: HttpRequest, selection: Selection, form: ActionForm) -> HttpResponse:
    """Step 1: the action, name, severity, description (again with errors, or after Back)."""
    try:
        _check_query(request, selection)
        count = copies_for(selection).count()
    except (SelectionError, QueryError) as exc:
        return _page(request, {"problem": _problem(exc, selection)}, status=400)
    status = 400 if form.is_bound and form.errors else 200
    return _page(request, {"step": "choose", "selection": selection, "count": count, "form": form}, status=status)


def _review(request: HttpRequest, selection: Selection, form: ActionForm, step: str) -> HttpResponse:
    """Step 2, and step 3 when it fails: counts, what cannot be remediated, who must approve."""
    user = signed_in_user(request)
    error = ""
    if step in CREATES:
        try:
            return _create(request, selection, form, step)
        except (RemediationError, SelectionError, QueryError) as exc:
            error = _problem(exc, selection).message
    data = form.cleaned_data
    try:
        _check_query(request, selection)
        found = review(selection, data["action"], include_sender_copy=data["include_sender_copy"], acting_user=user)
    except (SelectionError, QueryError) as exc:
        return _page(request, {"problem": _problem(exc, selection)}, status=400)
    context = {
        "step": "review",
        "selection": selection,
        "form": form,
        "action_label": Action(data["action"]).label,
        "severity_label": Severity(data["severity"]).label,
        "review": found,
        "may_execute": policy.may_execute(user),
        "error": error,
        "add_form": AddToProposalForm(request.POST if step == ADD else None),
        "has_proposals": open_proposals().exists(),
    }
    return _page(request, context, status=400 if error else 200)


def _create(request: HttpRequest, selection: Selection, form: ActionForm, step: str) -> HttpResponse:
    """Step 3: the one state change, through the remediation actions; then its page."""
    user = signed_in_user(request)
    if step == ADD:
        return _add(request, selection, user)
    data = form.cleaned_data
    _check_query(request, selection)
    submit = do_submit if step == SUBMIT else do_propose
    remediation = submit(
        acting_user=user,
        name=data["name"],
        action=data["action"],
        selection=selection,
        severity=data["severity"],
        description=data["description"],
        include_sender_copy=data["include_sender_copy"],
        source=Source.EXPLORER,
    )
    messages.success(request, _outcome(remediation))
    return redirect(remediation_url(remediation))


def _add(request: HttpRequest, selection: Selection, user: User) -> HttpResponse:
    add_form = AddToProposalForm(request.POST)
    if not add_form.is_valid():
        raise RemediationError("choose an open proposal to add the messages to")
    proposal: Remediation = add_form.cleaned_data["proposal"]
    _check_query(request, selection)
    added = do_add_to_proposal(proposal, selection, acting_user=user)
    messages.success(
        request,
        f"{added:,} message{'' if added == 1 else 's'} added to {proposal.name} ({proposal.approval_id}); "
        "it still waits for approval.",
    )
    return redirect(remediation_url(proposal))


def _check_query(request: HttpRequest, selection: Selection) -> None:
    """Refuse header fields to a user without Preview, as the search page does (the remediation
    actions allow them: they also serve the automation).  Raises ``QueryError``."""
    if selection.query is not None:
        compile_query(selection.query, allow_headers=has_role(request.user, Role.PREVIEW))


def _outcome(remediation: Remediation) -> str:
    label = f"{remediation.name} ({remediation.approval_id})"
    if remediation.status == Status.PENDING_APPROVAL:
        return f"{label} is waiting for approval by another person with the Search and Purge role."
    if remediation.status == Status.DUPLICATE:
        return f"{label} repeats a remediation approved in the past hour: recorded as a duplicate, not run again."
    return f"{label} submitted: it is running."


def remediation_url(remediation: Remediation) -> str:
    return reverse("remediation", args=[remediation.approval_id])


def _problem(exc: Exception, selection: Selection) -> Problem:
    if isinstance(exc, QueryError):
        where = f"Query error at line {exc.line}, column {exc.column}: {exc.message}"
        return Problem(where, exc.caret(selection.query or ""))
    return Problem(str(exc))


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    # The query the results came from travels with every step, so that "Back to the results"
    # finds them again (also for hand-picked rows, whose selection holds no query).
    data = request.POST if request.method == "POST" else request.GET
    query = data.get("query", "")
    context["search_query"] = query
    context["back_url"] = reverse("explorer") + (f"?{urlencode({'q': query})}" if query else "")
    return render(request, "explorer/take_action.html", context, status=status)
