"""Which copies an action may touch, and where it sends them (pure functions, no database).

Only copies in a remediable location are acted on (SPEC §4); the rest become items in state
*not remediable* with the reason below, never silently dropped.  Beyond the fixed rule (sent
and not-found copies), an action never pulls a copy *back* towards the user: moving a copy that
is already in Deleted Items to Junk would resurface it, so it is reported instead (the reference
system's ZAP skips "messages the user deleted" for the same reason).  Move to Inbox is the
explicit way back.
"""

from __future__ import annotations

from clawback.mailstores.connectors.base import FolderClass
from clawback.remediation.models import Action

TARGET: dict[str, FolderClass] = {
    Action.MOVE_TO_INBOX: FolderClass.INBOX,
    Action.MOVE_TO_JUNK: FolderClass.JUNK,
    Action.MOVE_TO_DELETED: FolderClass.DELETED,
    Action.SOFT_DELETE: FolderClass.RECOVERABLE,
    # Hard delete first moves to the recoverable folder (a fresh ref, and a place a killed
    # worker can find the message again), then expunges it there.
    Action.HARD_DELETE: FolderClass.RECOVERABLE,
}

# How far from the user each location is; a move never goes to a nearer one (except Inbox).
_DEPTH = {
    FolderClass.INBOX: 0,
    FolderClass.OTHER: 0,
    FolderClass.JUNK: 1,
    FolderClass.DELETED: 2,
    FolderClass.RECOVERABLE: 3,
}
_LABEL = {
    FolderClass.JUNK: "Junk",
    FolderClass.DELETED: "Deleted Items",
    FolderClass.RECOVERABLE: "the recoverable folder (soft-deleted)",
}

NOT_FOUND_REASON = "no longer in the mailbox (deleted, or moved where the index cannot see it)"
SENT_REASON = "a sent copy in the sender's Sent folder: choose \u201calso the sender's copy\u201d to act on it"
QUARANTINE_REASON = "in quarantine: release it or delete it from the quarantine instead"
HARD_DELETED_REASON = "hard-deleted: purged for good, cannot be restored"
PURGED_REASON = "purged from the recoverable folder after the retention period; cannot be restored"


def not_remediable_reasons(action: str, *, include_sender_copy: bool) -> dict[str, str]:
    """Location -> why a copy there is not acted on, for ``action``.  Locations not listed are
    remediable (undo restores from anywhere the message still is)."""
    reasons = {FolderClass.NOT_FOUND.value: NOT_FOUND_REASON}
    if action == Action.RESTORE:
        return reasons
    reasons[FolderClass.QUARANTINE.value] = QUARANTINE_REASON
    if not include_sender_copy:
        reasons[FolderClass.SENT.value] = SENT_REASON
    if action in (Action.MOVE_TO_INBOX, Action.HARD_DELETE):
        return reasons
    target = TARGET[action]
    for location, depth in _DEPTH.items():
        if depth > _DEPTH[target]:
            reasons[location.value] = (
                f"already in {_LABEL[location]}: moving it to {_LABEL.get(target, target.value)} "
                "would bring it back towards the user"
            )
    return reasons


def why_not(location: str, action: str, *, include_sender_copy: bool) -> str | None:
    """The reason a copy at ``location`` is not remediable by ``action``, or None."""
    return not_remediable_reasons(action, include_sender_copy=include_sender_copy).get(location)
