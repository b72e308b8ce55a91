"""What a remediation would do, computed before anything is created (the Take action review).

Read-only.  It answers with the rules submission itself applies, so the review cannot promise
what the submission then does differently: the copies and the limits come from
:func:`~clawback.remediation.selection.copies_for`, what cannot be remediated from
:func:`~clawback.remediation.rules.not_remediable_reasons` (the table ``freeze_copies`` writes
into the items), and whether a second person must approve from the rule ``do_submit`` applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from clawback.remediation import policy
from clawback.remediation.policy import Actor
from clawback.remediation.rules import not_remediable_reasons
from clawback.remediation.selection import Selection, copies_for, with_sender_copies

# How many mailboxes the review names; the rest are counted.
TOP_MAILBOXES = 10


@dataclass(frozen=True)
class Blocked:
    """Copies in a location the action may not touch, and why."""

    location: str
    count: int
    reason: str


@dataclass(frozen=True)
class Review:
    total: int  # copies the remediation would hold, remediable or not
    mailboxes: int
    top_mailboxes: list[tuple[str, int]]  # (address, copies), most copies first
    by_location: list[tuple[str, int]]  # (folder class, copies) where they are now
    not_remediable: list[Blocked]
    # Why a submission would wait for a second person; None when it would run at once.
    two_step: str | None

    @property
    def remediable(self) -> int:
        return self.total - sum(b.count for b in self.not_remediable)

    @property
    def other_mailboxes(self) -> int:
        """Mailboxes beyond the top ones."""
        return self.mailboxes - len(self.top_mailboxes)

    @property
    def other_copies(self) -> int:
        """Copies in the mailboxes beyond the top ones."""
        return self.total - sum(n for _address, n in self.top_mailboxes)


def review(
    selection: Selection,
    action: str,
    *,
    include_sender_copy: bool,
    acting_user: Actor,
    now: datetime | None = None,
    top: int = TOP_MAILBOXES,
) -> Review:
    """What submitting ``selection`` with ``action`` would act on.  Raises what submission
    raises for the selection: ``SelectionError`` (limits, unknown ids) and ``QueryError``."""
    copies = copies_for(selection, now=now, allow_headers=policy.may_query_headers(acting_user))
    if include_sender_copy:
        copies = with_sender_copies(copies)
    copies = copies.order_by()
    by_location = sorted(
        ((row["location"], row["n"]) for row in copies.values("location").annotate(n=Count("pk"))),
        key=lambda pair: (-pair[1], pair[0]),
    )
    mailboxes = copies.values("mailbox__address").annotate(n=Count("pk")).order_by("-n", "mailbox__address")
    total = sum(n for _location, n in by_location)
    reasons = not_remediable_reasons(action, include_sender_copy=include_sender_copy)
    return Review(
        total=total,
        mailboxes=copies.values("mailbox_id").distinct().count(),
        top_mailboxes=[(row["mailbox__address"], row["n"]) for row in mailboxes[:top]],
        by_location=by_location,
        not_remediable=[Blocked(loc, n, reasons[loc]) for loc, n in by_location if loc in reasons],
        two_step=_two_step(acting_user, action, total),
    )


def _two_step(acting_user: Actor, action: str, count: int) -> str | None:
    # The very rule do_submit applies, asked of an unsaved remediation of this size: the
    # review must not hold a second copy of it.
    return policy.why_two_step(acting_user, action, count, propose=False)
