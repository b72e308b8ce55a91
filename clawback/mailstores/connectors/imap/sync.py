"""Incremental sync of one mailbox: what was added, removed or re-flagged since the last state.

Per selectable folder the state keeps UIDVALIDITY, UIDNEXT, MESSAGES, HIGHESTMODSEQ and the
set of known UIDs as a compact sequence set (``"1:40,42"``); the whole state is plain JSON:

    {"version": 1, "folders": {"INBOX": {"uidvalidity": 1700000000, "uidnext": 43,
                                         "messages": 41, "highestmodseq": 97,
                                         "uids": "1:40,42"}}}

A folder whose STATUS (RFC 3501 §6.3.10; HIGHESTMODSEQ per RFC 7162 §3.1.9) matches the state
is skipped without being selected.  Otherwise it is EXAMINEd and ``UID SEARCH ALL`` is diffed
against the known UIDs (new → added, missing → removed), and, with CONDSTORE, ``UID FETCH …
(FLAGS) (CHANGEDSINCE m)`` (RFC 7162 §3.1.4) reports flag changes.  A changed UIDVALIDITY
(RFC 3501 §2.3.1.1) replaces the folder's refs wholesale; a vanished folder removes them.  A
user moving a message from INBOX to Junk therefore shows as removed(INBOX) + added(Junk).

Without CONDSTORE, flag changes are not reported (there is no cheap way to see them).
QRESYNC (RFC 7162 §3.2) would save the SEARCH, but diffing UID sets is exact on every server
and costs one compact ESEARCH reply per changed folder.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from clawback.mailstores.connectors.base import Folder, Ref, SyncChanges
from clawback.mailstores.connectors.imap.errors import FolderMissing
from clawback.mailstores.connectors.imap.folders import FolderInfo
from clawback.mailstores.connectors.imap.session import FolderStatus, Session
from clawback.mailstores.connectors.imap.uidset import compress, expand

log = logging.getLogger(__name__)

STATE_VERSION = 1


@dataclass
class FolderState:
    uidvalidity: int
    uidnext: int
    messages: int
    highestmodseq: int | None
    uids: str

    def refs(self, folder: str) -> list[Ref]:
        return [make_ref(folder, self.uidvalidity, uid) for uid in expand(self.uids)]


def make_ref(folder: str, uidvalidity: int, uid: int) -> Ref:
    return Ref(folder=folder, key=f"{uidvalidity}:{uid}")


def parse_ref(ref: Ref) -> tuple[int, int] | None:
    """(UIDVALIDITY, UID) of an IMAP ref, or ``None`` if the key is not ours."""
    validity, sep, uid = ref.key.partition(":")
    if not sep or not validity.isdigit() or not uid.isdigit():
        return None
    return int(validity), int(uid)


def load_state(state: Mapping[str, Any]) -> dict[str, FolderState]:
    """The per-folder states, or ``{}`` (a full sync) for an empty or unreadable state."""
    if not state:
        return {}
    try:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"state version {state.get('version')!r}")
        folders = {name: FolderState(**value) for name, value in state["folders"].items()}
        for folder_state in folders.values():
            expand(folder_state.uids)  # validates
        return folders
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("discarding unreadable IMAP sync state (%s); doing a full sync", exc)
        return {}


def sync_mailbox(session: Session, state: Mapping[str, Any], folders: list[FolderInfo]) -> SyncChanges:
    """Compute the changes since ``state``.  Read-only: safe to retry from the start."""
    previous = load_state(state)
    changes = SyncChanges(
        state={},
        folders=[Folder(f.name, f.folder_class) for f in folders if f.selectable],
        complete=not previous,
    )
    new_states: dict[str, dict[str, Any]] = {}
    for info in folders:
        if not info.selectable:
            continue
        folder_state = _sync_folder(session, info.name, previous.pop(info.name, None), changes)
        if folder_state is not None:
            new_states[info.name] = asdict(folder_state)
    for name, gone in previous.items():  # deleted or renamed folders
        changes.removed += gone.refs(name)
    changes.state = {"version": STATE_VERSION, "folders": new_states}
    if changes.complete:
        changes.present = set(changes.added)
    return changes


def _sync_folder(session: Session, name: str, prev: FolderState | None, changes: SyncChanges) -> FolderState | None:
    try:
        # STATUS lets an unchanged folder be skipped unselected; with no previous state (a first
        # sync) there is nothing to compare, and EXAMINE reports the same values.
        if prev is not None and _unchanged(prev, session.status(name)):
            return prev
        selected = session.select(name, readonly=True, force=True)
        uids = session.search_all()
    except FolderMissing:  # deleted between LIST and now
        if prev is not None:
            changes.removed += prev.refs(name)
        return None
    new = FolderState(
        uidvalidity=selected.uidvalidity,
        # Values from EXAMINE, taken before SEARCH/FETCH: anything that changes later has a
        # higher UIDNEXT/MODSEQ and is seen next time (at worst twice, never never).
        uidnext=selected.uidnext,
        messages=selected.messages,
        highestmodseq=selected.highestmodseq,
        uids=compress(uids),
    )
    if prev is None or prev.uidvalidity != selected.uidvalidity:
        if prev is not None:
            changes.removed += prev.refs(name)
        changes.added += [make_ref(name, selected.uidvalidity, uid) for uid in uids]
        return new
    known = set(expand(prev.uids))
    current = set(uids)
    changes.added += [make_ref(name, new.uidvalidity, uid) for uid in sorted(current - known)]
    changes.removed += [make_ref(name, new.uidvalidity, uid) for uid in sorted(known - current)]
    kept = known & current
    if kept and prev.highestmodseq is not None and selected.highestmodseq != prev.highestmodseq:
        _changed_flags(session, name, new.uidvalidity, kept, prev.highestmodseq, changes)
    return new


def _unchanged(prev: FolderState, status: FolderStatus) -> bool:
    # Any append raises UIDNEXT, any expunge lowers MESSAGES, and with CONDSTORE any change
    # at all (flags included) raises HIGHESTMODSEQ.
    return (
        prev.uidvalidity == status.uidvalidity
        and prev.uidnext == status.uidnext
        and prev.messages == status.messages
        and prev.highestmodseq == status.highestmodseq
    )


def _changed_flags(
    session: Session,
    name: str,
    uidvalidity: int,
    kept: set[int],
    since: int,
    changes: SyncChanges,
) -> None:
    # "1:max" rather than the exact set: a short command whatever the gaps; the server
    # returns only messages changed since ``since``, and we keep only those we know.
    fetched = session.fetch(f"1:{max(kept)}", ["FLAGS"], [f"CHANGEDSINCE {since}"])
    for uid, item in fetched.items():
        if uid in kept:
            changes.flags[make_ref(name, uidvalidity, uid)] = flag_names(item.get(b"FLAGS", ()))


def flag_names(flags: Any) -> tuple[str, ...]:
    """IMAP flags as sorted strings, without ``\\Recent`` (session-only, RFC 3501 §2.3.2)."""
    names = {(f.decode("utf-8", "replace") if isinstance(f, bytes) else str(f)) for f in flags or ()}
    return tuple(sorted(n for n in names if n.lower() != "\\recent"))
