"""The Action center over HTTP (SPEC §5): list, read, export, create, approve, reject, undo.

Reads go through ``remediation/queries.py``; each write calls one ``do_*`` action, which checks
roles and four-eyes again (the roles below only gate the door) and writes the audit row.
Refusals answer 403, requests that cannot be carried out 400, both with a ``detail`` that says
why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Literal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from clawback.accounts.access import has_role
from clawback.accounts.roles import Role
from clawback.api.auth import requires
from clawback.api.schemas import ErrorOut
from clawback.explorer.query import QueryError, search
from clawback.remediation import listing, queries
from clawback.remediation.actions import (
    USER_ACTIONS,
    RemediationError,
    do_approve,
    do_propose,
    do_reject,
    do_submit,
    do_undo,
)
from clawback.remediation.export import csv_response
from clawback.remediation.models import Action, ItemState, Remediation, Severity, Source
from clawback.remediation.models import Status as RemStatus
from clawback.remediation.selection import Selection, SelectionError

router = Router(tags=["remediations"])
MAX_LIMIT = 1000
_ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


# --- schemas --------------------------------------------------------------------------------
class RemediationOut(Schema):
    id: int
    name: str
    approval_id: str
    status: str
    action: str
    severity: str
    source: str
    description: str
    item_count: int
    submitted_by: str
    submitted_at: datetime
    decided_by: str
    decided_at: datetime | None
    decision_note: str
    expires_at: datetime | None
    investigation_id: str
    reverse_of: int | None
    duplicate_of: int | None


class RemediationPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[RemediationOut]


class SelectionOut(Schema):
    kind: str
    query: str
    ids: list[int]
    exclusions: list[int]
    additions: list[dict[str, Any]]


class RemediationDetail(Schema):
    id: int
    name: str
    approval_id: str
    status: str
    action: str
    severity: str
    description: str
    source: str
    selection: SelectionOut
    include_sender_copy: bool
    submitted_by: str
    submitted_at: str | None
    decided_by: str
    decided_at: str | None
    decision_note: str
    expires_at: str | None
    investigation_id: str
    reverse_of: int | None
    duplicate_of: int | None
    started_at: str | None
    finished_at: str | None
    total: int
    counts: dict[str, int] = Field(description="messages per item result (item state)")
    done: int
    percent: float
    rate_per_second: float | None
    eta_seconds: float | None
    undoable: bool = Field(description="false for hard delete, which purges for good")
    two_step_reason: str = Field(description="why it waited for a second person; empty when it ran directly")
    counts_by_location: dict[str, int] = Field(description="messages per location when submitted")
    not_remediable: dict[str, int] = Field(description="messages that cannot be remediated, per reason")


class LogRowOut(Schema):
    item: int
    message_id: str
    subject: str
    mailbox: str
    from_location: str = Field(description="the folder (or location) the message was in")
    to_location: str = Field(description="where the action sends it; 'purged' for hard delete")
    result: str
    reason: str
    done_at: datetime | None


class LogPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[LogRowOut]


class SelectionIn(Schema):
    """Hand-picked copy ``ids``, or a ``query`` (optionally minus the ``exclude`` copy ids)."""

    ids: list[int] | None = None
    query: str | None = None
    exclude: list[int] = Field(default_factory=list)


class RemediationIn(Schema):
    name: str = Field(description="unique")
    action: str = Field(description="one of " + ", ".join(USER_ACTIONS))
    severity: str = Field(Severity.MEDIUM.value, description="low, medium or high")
    description: str = ""
    include_sender_copy: bool = Field(False, description="also the internal sender's copy in Sent")
    propose: bool = Field(False, description="propose it for another person to approve")
    selection: SelectionIn


class CreatedOut(RemediationOut):
    not_remediable: dict[str, int]


class RejectIn(Schema):
    reason: str = ""


class UndoIn(Schema):
    name: str = Field(description="a unique name for the undo remediation")
    propose: bool = False


class ListFilters(Schema):
    tab: Literal["pending", "history"] | None = Field(None, description="omit for both")
    name: str = ""
    approval_id: str = ""
    investigation_id: str = ""
    status: RemStatus | None = None
    source: Source | None = None
    action: Action | None = None
    decided_by: str = Field("", description="a user name, or Automation")
    since: date | None = Field(None, description="submitted on or after this day")
    until: date | None = Field(None, description="submitted on or before this day")

    def filters(self) -> queries.Filters:
        return queries.Filters(
            name=self.name,
            approval_id=self.approval_id,
            investigation_id=self.investigation_id,
            status=self.status.value if self.status else "",
            source=self.source.value if self.source else "",
            action=self.action.value if self.action else "",
            decided_by=self.decided_by,
            since=self.since,
            until=self.until,
        )


# --- reads ----------------------------------------------------------------------------------
@router.get("/remediations", response=RemediationPage, auth=requires(Role.VIEW), summary="List remediations")
def list_remediations(
    request: HttpRequest,
    filters: Query[ListFilters],
    limit: int = Query(50, ge=1, le=MAX_LIMIT),  # type: ignore[type-arg]
    offset: int = Query(0, ge=0),  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Newest first.  ``tab=pending`` are those waiting for approval, ``tab=history`` the rest."""
    base = {"pending": queries.pending, "history": queries.history}.get(filters.tab or "")
    found = queries.filtered(base() if base else Remediation.objects.all(), filters.filters())
    items = [_out(r) for r in found[offset : offset + limit]]
    return {"total": found.count(), "limit": limit, "offset": offset, "items": items}


@router.get(
    "/remediations/{remediation_id}",
    response={200: RemediationDetail, 404: ErrorOut},
    auth=requires(Role.VIEW),
    summary="One remediation: status, counts per result, progress",
)
def get_remediation(request: HttpRequest, remediation_id: str) -> dict[str, Any]:
    """``remediation_id`` is the id or the approval id (RA-…), here and below."""
    r = _get(remediation_id)
    return {
        **queries.summary(r),
        "two_step_reason": listing.two_step_reason(r),
        "counts_by_location": queries.counts_by_location(r),
        "not_remediable": queries.not_remediable(r),
    }


@router.get(
    "/remediations/{remediation_id}/items",
    response={200: LogPage, 404: ErrorOut},
    auth=requires(Role.VIEW),
    summary="The per-message action log, a page at a time",
)
def remediation_items(
    request: HttpRequest,
    remediation_id: str,
    result: ItemState | None = None,
    limit: int = Query(100, ge=1, le=MAX_LIMIT),  # type: ignore[type-arg]
    offset: int = Query(0, ge=0),  # type: ignore[type-arg]
) -> dict[str, Any]:
    """In item order; ``result`` keeps one result only (e.g. ``failed``)."""
    items = listing.log_items(_get(remediation_id), result.value if result else "")
    rows = [listing.log_row(item) for item in items[offset : offset + limit]]
    return {"total": items.count(), "limit": limit, "offset": offset, "items": rows}


@router.get(
    "/remediations/{remediation_id}/export.csv",
    response={404: ErrorOut},
    auth=requires(Role.VIEW),
    summary="The action log as CSV (up to 100,000 rows)",
    openapi_extra={
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}
    },
)
def export_remediation(request: HttpRequest, remediation_id: str) -> StreamingHttpResponse:
    """A header row, then one row per message.  Each export is written to the audit log."""
    return csv_response(_get(remediation_id), actor=request.user)


# --- writes ---------------------------------------------------------------------------------
@router.post(
    "/remediations",
    response={201: CreatedOut, **_ERRORS},
    auth=requires(Role.PROPOSE),
    summary="Submit or propose a remediation",
)
def create_remediation(request: HttpRequest, body: RemediationIn) -> Status[dict[str, Any]]:
    """With the Search and Purge role it runs at once (unless ``propose`` or the approval
    policy asks for a second person); otherwise it becomes a proposal (``pending_approval``).
    Limits, unknown ids, a bad query or a taken name answer 400 with the reason."""
    user = _user(request)
    selection = Selection(
        ids=tuple(body.selection.ids or ()),
        query=body.selection.query,
        exclusions=tuple(body.selection.exclude),
    )
    create = do_propose if body.propose else do_submit
    with _refusals():
        if selection.query is not None:
            # Header fields in a query need the Preview role, as in the Explorer.
            search(selection.query, allow_headers=has_role(user, Role.PREVIEW))
        r = create(
            acting_user=user,
            name=body.name,
            action=body.action,
            selection=selection,
            severity=body.severity,
            description=body.description,
            include_sender_copy=body.include_sender_copy,
            source=Source.API,
        )
    return Status(201, {**_out(r), "not_remediable": queries.not_remediable(r)})


@router.post(
    "/remediations/{remediation_id}/approve",
    response={200: RemediationOut, **_ERRORS},
    auth=requires(Role.SEARCH_AND_PURGE),
    summary="Approve a pending remediation (not your own)",
)
def approve_remediation(request: HttpRequest, remediation_id: str) -> dict[str, Any]:
    r = _get(remediation_id)
    with _refusals():
        return _out(do_approve(r, acting_user=_user(request)))


@router.post(
    "/remediations/{remediation_id}/reject",
    response={200: RemediationOut, **_ERRORS},
    auth=requires(Role.SEARCH_AND_PURGE),
    summary="Reject a pending remediation (not your own)",
)
def reject_remediation(request: HttpRequest, remediation_id: str, body: RejectIn) -> dict[str, Any]:
    r = _get(remediation_id)
    with _refusals():
        return _out(do_reject(r, acting_user=_user(request), reason=body.reason.strip()))


@router.post(
    "/remediations/{remediation_id}/undo",
    response={201: RemediationOut, **_ERRORS},
    auth=requires(Role.SEARCH_AND_PURGE),
    summary="Undo a finished remediation (not a hard delete)",
)
def undo_remediation(request: HttpRequest, remediation_id: str, body: UndoIn) -> Status[dict[str, Any]]:
    """Creates the reverse remediation, approved like any other; answers with it."""
    r = _get(remediation_id)
    with _refusals():
        reverse = do_undo(r, name=body.name, acting_user=_user(request), source=Source.API, propose=body.propose)
    return Status(201, _out(reverse))


# --- helpers --------------------------------------------------------------------------------
@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "not allowed") from None
    except (RemediationError, SelectionError) as exc:
        raise HttpError(400, str(exc)) from None
    except QueryError as exc:
        raise HttpError(400, f"query error at line {exc.line}, column {exc.column}: {exc.message}") from None


def _get(key: str) -> Remediation:
    found = listing.find(key)
    if found is None:
        raise HttpError(404, f"no remediation {key!r}")
    return found


def _user(request: HttpRequest) -> User:
    # RoleAuth put the authenticated user here.
    if not isinstance(request.user, User):
        raise HttpError(401, "authentication required")
    return request.user


def _out(r: Remediation) -> dict[str, Any]:
    return {
        "id": r.pk,
        "name": r.name,
        "approval_id": r.approval_id,
        "status": r.status,
        "action": r.action,
        "severity": r.severity,
        "source": r.source,
        "description": r.description,
        "item_count": r.item_count,
        "submitted_by": r.submitted_by_name,
        "submitted_at": r.submitted_at,
        "decided_by": r.decided_by_name,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
        "expires_at": r.expires_at,
        "investigation_id": r.investigation_id,
        "reverse_of": r.reverse_of_id,
        "duplicate_of": r.duplicate_of_id,
    }
