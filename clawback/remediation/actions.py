"""Every state change of a remediation: the one write path for the UI, the API, the CLI and tasks.

Each ``do_*`` function is atomic, checks who acts (``policy.py``), writes its audit row in the
same transaction, and leaves network work to tasks enqueued after commit (STYLE.md).  Errors a
person can fix are :class:`RemediationError` (and ``SelectionError``/``QueryError`` for the
selection); refusals by role or four-eyes are ``PermissionDenied``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from clawback.audit.log import record
from clawback.remediation import policy, scheduling
from clawback.remediation.models import (
    AUTOMATION,
    EXECUTED,
    FINISHED,
    Action,
    ApprovalPolicy,
    ItemState,
    Remediation,
    SelectionKind,
    Severity,
    Source,
    Status,
)
from clawback.remediation.policy import Actor, actor_name, is_automation
from clawback.remediation.selection import (
    Selection,
    copies_for,
    digest,
    freeze_copies,
    freeze_reversal,
    with_sender_copies,
)
from clawback.remediation.signals import remediation_changed, remediation_submitted

# Crockford-like alphabet without 0/O, 1/I/L: approval ids are read aloud and typed.
_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
USER_ACTIONS = tuple(a for a in Action if a != Action.RESTORE)


class RemediationError(ValueError):
    """A request that cannot be carried out as asked; the message says why and what to do."""


# --- submission -----------------------------------------------------------------------------
def do_submit(
    *,
    acting_user: Actor,
    name: str,
    action: str,
    selection: Selection,
    severity: str = Severity.MEDIUM,
    description: str = "",
    include_sender_copy: bool = False,
    source: str = Source.API,
) -> Remediation:
    """Submit a remediation.  It runs at once when ``acting_user`` holds Search and Purge and
    the approval policy allows; otherwise it becomes a proposal (status *pending approval*)
    if they may propose.  Raises ``PermissionDenied`` for anyone who may do neither."""
    return _create(
        acting_user=acting_user,
        name=name,
        action=action,
        selection=selection,
        severity=severity,
        description=description,
        include_sender_copy=include_sender_copy,
        source=source,
        propose=False,
    )


def do_propose(
    *,
    acting_user: Actor,
    name: str,
    action: str,
    selection: Selection,
    severity: str = Severity.MEDIUM,
    description: str = "",
    include_sender_copy: bool = False,
    source: str = Source.API,
) -> Remediation:
    """Propose a remediation for another person with Search and Purge to approve."""
    return _create(
        acting_user=acting_user,
        name=name,
        action=action,
        selection=selection,
        severity=severity,
        description=description,
        include_sender_copy=include_sender_copy,
        source=source,
        propose=True,
    )


def _create(
    *,
    acting_user: Actor,
    name: str,
    action: str,
    selection: Selection,
    severity: str,
    description: str,
    include_sender_copy: bool,
    source: str,
    propose: bool,
) -> Remediation:
    policy.check_may_propose(acting_user)
    _check_fields(name, action, severity, source)
    now = timezone.now()
    with transaction.atomic():
        copies = copies_for(selection, now=now, allow_headers=policy.may_query_headers(acting_user))
        if include_sender_copy:
            copies = with_sender_copies(copies)
        remediation = _new_remediation(
            acting_user,
            name=name,
            action=action,
            severity=severity,
            description=description,
            include_sender_copy=include_sender_copy,
            source=source,
            selection=selection,
            now=now,
        )
        freeze_copies(remediation.pk, copies, action, include_sender=include_sender_copy)
        _refresh_selection(remediation)
        if not remediation.item_count:
            raise RemediationError("the selection matches no messages")
        reason = policy.why_two_step(acting_user, remediation.action, remediation.item_count, propose=propose)
        _record_submission(remediation, acting_user, selection.describe(), reason)
        _decide(remediation, acting_user, reason, now)
    return remediation


def _check_fields(name: str, action: str, severity: str, source: str) -> None:
    _check_name(name)
    if action not in USER_ACTIONS:
        raise RemediationError(f"unknown action {action!r}; one of {', '.join(USER_ACTIONS)}")
    if severity not in Severity.values:
        raise RemediationError(f"unknown severity {severity!r}; one of {', '.join(Severity.values)}")
    _check_source(source)


def _check_name(name: str) -> None:
    if not name.strip():
        raise RemediationError("a remediation needs a name")
    if Remediation.objects.filter(name=name.strip()).exists():
        raise RemediationError(f"a remediation named {name.strip()!r} already exists; names are unique")


def _check_source(source: str) -> None:
    if source not in Source.values:
        raise RemediationError(f"unknown source {source!r}; one of {', '.join(Source.values)}")


def _new_remediation(
    acting_user: Actor, *, selection: Selection, now: datetime, name: str, **fields: Any
) -> Remediation:
    user = policy.person(acting_user)
    try:
        with transaction.atomic():
            return Remediation.objects.create(
                name=name.strip(),
                approval_id=_new_approval_id(),
                selection_kind=selection.kind,
                query=selection.query or "",
                exclusions=sorted(set(selection.exclusions)),
                picked_ids=sorted(set(selection.ids)),
                submitted_by=user,
                submitted_by_name=actor_name(acting_user),
                submitted_at=now,
                status=Status.PENDING_APPROVAL,
                **fields,
            )
    except IntegrityError:
        raise RemediationError(f"a remediation named {name.strip()!r} already exists; names are unique") from None


def _new_approval_id() -> str:
    while True:
        candidate = "RA-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))
        if not Remediation.objects.filter(approval_id=candidate).exists():
            return candidate


def _refresh_selection(remediation: Remediation) -> None:
    remediation.item_count = remediation.items.count()
    remediation.selection_digest = digest(remediation.pk)
    remediation.save(update_fields=["item_count", "selection_digest"])


def _record_submission(
    remediation: Remediation, acting_user: Actor, selection: dict[str, Any], reason: str | None
) -> None:
    not_remediable = remediation.items.filter(state=ItemState.NOT_REMEDIABLE).count()
    record(
        "remediation.propose" if reason else "remediation.submit",
        actor=acting_user,
        obj=remediation,
        data={
            "name": remediation.name,
            "approval_id": remediation.approval_id,
            "action": remediation.action,
            "source": remediation.source,
            "severity": remediation.severity,
            "selection": selection,
            "include_sender_copy": remediation.include_sender_copy,
            "items": remediation.item_count,
            "not_remediable": not_remediable,
            "two_step": reason or "",
        },
    )
    transaction.on_commit(partial(_send_submitted, remediation.pk))


def _decide(remediation: Remediation, acting_user: Actor, reason: str | None, now: datetime) -> None:
    if reason:
        remediation.expires_at = now + timedelta(days=settings.CLAWBACK_REMEDIATION_PROPOSAL_DAYS)
        remediation.save(update_fields=["expires_at"])
        transaction.on_commit(partial(scheduling.schedule_expiry, remediation.pk, remediation.expires_at))
        return
    _set_decision(remediation, acting_user, now)
    _queue(remediation, now)


def _set_decision(remediation: Remediation, acting_user: Actor, now: datetime) -> None:
    remediation.decided_by = policy.person(acting_user)
    remediation.decided_by_name = AUTOMATION if is_automation(acting_user) else actor_name(acting_user)
    remediation.decided_at = now
    remediation.save(update_fields=["decided_by", "decided_by_name", "decided_at"])


def _queue(remediation: Remediation, now: datetime) -> None:
    """Approved: a duplicate of a recent identical remediation is recorded and not run;
    anything else is queued, one run per mailbox, started after commit."""
    original = _recent_duplicate(remediation, now)
    if original is not None:
        remediation.status = Status.DUPLICATE
        remediation.duplicate_of = original
        remediation.finished_at = now
        remediation.save(update_fields=["status", "duplicate_of", "finished_at"])
        record(
            "remediation.duplicate",
            actor=None,
            obj=remediation,
            data={"duplicate_of": original.pk, "approval_id": original.approval_id, "action": remediation.action},
        )
        transaction.on_commit(partial(_send_changed, remediation.pk, Status.DUPLICATE))
        return
    remediation.status = Status.QUEUED
    remediation.save(update_fields=["status"])
    runs = scheduling.create_runs(remediation)
    if runs:
        transaction.on_commit(partial(scheduling.start, remediation.pk))
    else:
        scheduling.try_finalize(remediation.pk)  # nothing remediable: finished at once
    transaction.on_commit(partial(_send_changed, remediation.pk, Status.QUEUED))


def _recent_duplicate(remediation: Remediation, now: datetime) -> Remediation | None:
    minutes = settings.CLAWBACK_REMEDIATION_DEDUP_MINUTES
    if not minutes:
        return None
    return (
        Remediation.objects.filter(
            action=remediation.action,
            selection_digest=remediation.selection_digest,
            decided_at__gte=now - timedelta(minutes=minutes),
            status__in=EXECUTED,
        )
        .exclude(pk=remediation.pk)
        .order_by("decided_at")
        .first()
    )


# --- proposals ----------------------------------------------------------------------------
def do_add_to_proposal(remediation: Remediation, selection: Selection, *, acting_user: Actor) -> int:
    """Add messages to a pending proposal; returns how many copies were new to it."""
    policy.check_may_propose(acting_user)
    now = timezone.now()
    with transaction.atomic():
        remediation = _locked(remediation)
        if remediation.status != Status.PENDING_APPROVAL:
            raise RemediationError(f"{remediation.name!r} is {remediation.get_status_display().lower()}, not pending")
        copies = copies_for(selection, now=now, allow_headers=policy.may_query_headers(acting_user))
        if remediation.include_sender_copy:
            copies = with_sender_copies(copies)
        added = freeze_copies(
            remediation.pk, copies, remediation.action, include_sender=remediation.include_sender_copy
        )
        entry = {"by": actor_name(acting_user), "at": now.isoformat(), "added": added, **selection.describe()}
        remediation.additions = [*remediation.additions, entry]
        remediation.save(update_fields=["additions"])
        _refresh_selection(remediation)
        record("remediation.add", actor=acting_user, obj=remediation, data=entry)
    return added


def do_approve(remediation: Remediation, *, acting_user: Actor) -> Remediation:
    """Approve a pending proposal: it runs (or is recorded as a duplicate).  Four-eyes: the
    approver holds Search and Purge and is not whoever proposed or added to it."""
    now = timezone.now()
    _expire_if_overdue(remediation, now)
    with transaction.atomic():
        remediation = _pending(remediation, now)
        policy.check_may_approve(remediation, acting_user)
        _set_decision(remediation, acting_user, now)
        record(
            "remediation.approve",
            actor=acting_user,
            obj=remediation,
            data={"name": remediation.name, "approval_id": remediation.approval_id, "items": remediation.item_count},
        )
        _queue(remediation, now)
    return remediation


def do_reject(remediation: Remediation, *, acting_user: Actor, reason: str = "") -> Remediation:
    """Reject a pending proposal (same four-eyes rule as approval)."""
    now = timezone.now()
    _expire_if_overdue(remediation, now)
    with transaction.atomic():
        remediation = _pending(remediation, now)
        policy.check_may_approve(remediation, acting_user)
        _set_decision(remediation, acting_user, now)
        remediation.status = Status.REJECTED
        remediation.decision_note = reason
        remediation.finished_at = now
        remediation.save(update_fields=["status", "decision_note", "finished_at"])
        record(
            "remediation.reject",
            actor=acting_user,
            obj=remediation,
            data={"name": remediation.name, "approval_id": remediation.approval_id, "reason": reason},
        )
        transaction.on_commit(partial(_send_changed, remediation.pk, Status.REJECTED))
    return remediation


def _pending(remediation: Remediation, now: datetime) -> Remediation:
    """The locked, still-pending proposal (an overdue one was expired before, for good)."""
    remediation = _locked(remediation)
    if remediation.status != Status.PENDING_APPROVAL:
        raise RemediationError(
            f"{remediation.name!r} ({remediation.approval_id}) is {remediation.get_status_display().lower()}, "
            "not pending approval"
        )
    return remediation


def _expire_if_overdue(remediation: Remediation, now: datetime) -> None:
    """A proposal past its expiry is expired (committed) before anyone may decide on it."""
    with transaction.atomic():
        locked = _locked(remediation)
        if locked.status == Status.PENDING_APPROVAL and locked.expires_at and locked.expires_at <= now:
            _expire(locked, now)


def do_expire_proposals(*, now: datetime | None = None) -> int:
    """Expire proposals pending longer than CLAWBACK_REMEDIATION_PROPOSAL_DAYS; returns how many."""
    now = now or timezone.now()
    expired = 0
    overdue = Remediation.objects.filter(status=Status.PENDING_APPROVAL, expires_at__lte=now)
    for pk in overdue.values_list("pk", flat=True):
        with transaction.atomic():
            remediation = Remediation.objects.select_for_update().get(pk=pk)
            if remediation.status == Status.PENDING_APPROVAL:
                _expire(remediation, now)
                expired += 1
    return expired


def _expire(remediation: Remediation, now: datetime) -> None:
    remediation.status = Status.EXPIRED
    remediation.finished_at = now
    remediation.save(update_fields=["status", "finished_at"])
    record(
        "remediation.expire",
        actor=None,
        obj=remediation,
        data={
            "name": remediation.name,
            "approval_id": remediation.approval_id,
            "expired_at": str(remediation.expires_at),
        },
    )
    transaction.on_commit(partial(_send_changed, remediation.pk, Status.EXPIRED))


# --- undo -----------------------------------------------------------------------------------
def do_undo(
    remediation: Remediation,
    *,
    name: str,
    acting_user: Actor,
    source: str = Source.API,
    propose: bool = False,
) -> Remediation:
    """Build the reverse remediation: every message the original moved goes back to the folder
    it was in, with the flags it had.  Approved like any other (direct or two-step)."""
    policy.check_may_propose(acting_user)
    _check_name(name)
    _check_source(source)
    _check_undoable(remediation)
    now = timezone.now()
    with transaction.atomic():
        reverse = _new_remediation(
            acting_user,
            name=name,
            action=Action.RESTORE,
            severity=remediation.severity,
            description=f"Undo of {remediation.name} ({remediation.approval_id})",
            include_sender_copy=remediation.include_sender_copy,
            source=source,
            selection=Selection(),
            now=now,
        )
        reverse.selection_kind = SelectionKind.UNDO
        reverse.reverse_of = remediation
        reverse.save(update_fields=["selection_kind", "reverse_of"])
        freeze_reversal(reverse.pk, remediation.pk)
        _refresh_selection(reverse)
        if not reverse.item_count:
            raise RemediationError(f"nothing to undo: {remediation.name!r} moved no message")
        reason = policy.why_two_step(acting_user, reverse.action, reverse.item_count, propose=propose)
        record(
            "remediation.undo",
            actor=acting_user,
            obj=reverse,
            data={
                "name": reverse.name,
                "approval_id": reverse.approval_id,
                "undoes": remediation.pk,
                "undoes_approval_id": remediation.approval_id,
                "items": reverse.item_count,
                "two_step": reason or "",
            },
        )
        transaction.on_commit(partial(_send_submitted, reverse.pk))
        _decide(reverse, acting_user, reason, now)
    return reverse


def _check_undoable(remediation: Remediation) -> None:
    if remediation.action == Action.HARD_DELETE:
        raise RemediationError(
            f"{remediation.name!r} hard-deleted its messages: they are purged for good and cannot be restored"
        )
    if remediation.status not in FINISHED:
        raise RemediationError(
            f"{remediation.name!r} is {remediation.get_status_display().lower()}: "
            "only a finished remediation can be undone"
        )
    live = remediation.reversals.exclude(status__in=[Status.REJECTED, Status.EXPIRED, Status.FAILED]).first()
    if live is not None:
        raise RemediationError(f"{remediation.name!r} is already undone by {live.name!r} ({live.approval_id})")


# --- settings and links ---------------------------------------------------------------------
def do_set_policy(
    *,
    acting_user: User,
    two_step_always: bool,
    two_step_above: int | None,
    two_step_for_hard_delete: bool,
) -> ApprovalPolicy:
    """Change the approval policy (Manage settings role)."""
    from clawback.accounts.access import check_role
    from clawback.accounts.roles import Role

    check_role(acting_user, Role.MANAGE_SETTINGS)
    if two_step_above is not None and two_step_above < 0:
        raise RemediationError("two_step_above must be zero or more")
    with transaction.atomic():
        current = ApprovalPolicy.current()
        current.two_step_always = two_step_always
        current.two_step_above = two_step_above
        current.two_step_for_hard_delete = two_step_for_hard_delete
        current.updated_by_name = acting_user.get_username()
        current.save()
        record(
            "remediation.policy",
            actor=acting_user,
            obj=current,
            data={
                "two_step_always": two_step_always,
                "two_step_above": two_step_above,
                "two_step_for_hard_delete": two_step_for_hard_delete,
            },
        )
    return current


def do_link_investigation(remediation_id: int, investigation_id: str) -> None:
    """Record which investigation a remediation belongs to.  Called by the investigations app
    inside its own audited transaction (which names the remediation)."""
    Remediation.objects.filter(pk=remediation_id).update(investigation_id=investigation_id)


def do_resume(*, acting_user: Actor) -> int:
    """Re-start every queued or running remediation whose work has stalled (a killed worker,
    a lost task); returns how many runs were re-queued.  Safe to call at any time."""
    with transaction.atomic():
        record("remediation.resume", actor=acting_user, data={})
    return scheduling.resume_stalled()


# --- helpers --------------------------------------------------------------------------------
def _locked(remediation: Remediation) -> Remediation:
    return Remediation.objects.select_for_update().get(pk=remediation.pk)


def _send_submitted(remediation_id: int) -> None:
    remediation_submitted.send(sender=Remediation, remediation_id=remediation_id)


def _send_changed(remediation_id: int, status: str) -> None:
    remediation_changed.send(sender=Remediation, remediation_id=remediation_id, status=status)
