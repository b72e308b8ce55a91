"""Who may do what with a remediation: roles (SPEC §6) and the approval policy (SPEC §4).

The one place these rules live; ``actions.py`` calls them, views and the CLI never re-implement
them.  Four-eyes (a different person approves) is enforced by :func:`check_may_approve`, which
only ``do_approve`` calls.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from clawback.accounts.access import check_role, has_role
from clawback.accounts.roles import Role
from clawback.remediation.models import AUTOMATION, Action, ApprovalPolicy, Remediation

# An actor is a person, or the automation (ZAP, automatic investigations), which holds no roles
# and needs none: it is configured by people who do.
Actor = User | str


def person(actor: Actor) -> User | None:
    """The user behind ``actor``, or None for the automation."""
    return None if isinstance(actor, str) else actor


def is_automation(actor: Actor) -> bool:
    return isinstance(actor, str)


def actor_name(actor: Actor) -> str:
    return actor if isinstance(actor, str) else actor.get_username()


def may_execute(actor: Actor) -> bool:
    """Search and Purge: execute and approve email remediation."""
    return isinstance(actor, str) or has_role(actor, Role.SEARCH_AND_PURGE)


def may_query_headers(actor: Actor) -> bool:
    """``header.<name>`` conditions read header contents: the Preview role (or the automation)."""
    return isinstance(actor, str) or has_role(actor, Role.PREVIEW)


def check_may_propose(actor: Actor) -> None:
    """Anyone allowed to hunt with Propose (or Search and Purge) may propose."""
    if isinstance(actor, str) or has_role(actor, Role.SEARCH_AND_PURGE):
        return
    check_role(actor, Role.PROPOSE)


def two_step_reason(action: str, count: int, policy: ApprovalPolicy | None = None) -> str | None:
    """Why the policy requires a second person for this remediation, or None."""
    policy = policy or ApprovalPolicy.current()
    if policy.two_step_always:
        return "the approval policy requires two-step approval for every remediation"
    if policy.two_step_for_hard_delete and action == Action.HARD_DELETE:
        return "the approval policy requires two-step approval for hard delete"
    if policy.two_step_above is not None and count > policy.two_step_above:
        return f"the approval policy requires two-step approval above {policy.two_step_above:,} messages"
    return None


def why_two_step(actor: Actor, action: str, count: int, *, propose: bool) -> str | None:
    """None when a remediation of ``count`` copies may run at once; else why it waits for a
    second person.  Submission and the Explorer's review both ask here."""
    if propose:
        return "proposed for approval"
    if not may_execute(actor):
        return f"{actor_name(actor)} lacks the Search and Purge role"
    if is_automation(actor):
        return None
    return two_step_reason(action, count)


def check_may_approve(remediation: Remediation, actor: Actor) -> None:
    """Raise PermissionDenied unless ``actor`` may approve or reject ``remediation``: Search
    and Purge, and not the person who proposed it or added messages to it (four-eyes)."""
    if isinstance(actor, str):
        if actor != AUTOMATION:
            raise PermissionDenied(f"{actor!r} is not a person nor the automation")
        return
    check_role(actor, Role.SEARCH_AND_PURGE)
    if actor_name(actor) in contributors(remediation) or (
        remediation.submitted_by_id is not None and remediation.submitted_by_id == actor.pk
    ):
        raise PermissionDenied(
            f"{actor_name(actor)} proposed (or added to) {remediation.name!r}: another person with the "
            "Search and Purge role must approve or reject it"
        )


def contributors(remediation: Remediation) -> set[str]:
    """Everyone who put messages into the remediation: its submitter and later additions."""
    names = {remediation.submitted_by_name}
    names.update(str(a.get("by", "")) for a in remediation.additions)
    return names
