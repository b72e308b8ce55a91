"""set_flags replaces the flags of exactly the given messages (undo restores read state)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.dovecot


def _flags(client, uids):
    client.select_folder("INBOX", readonly=True)
    return {uid: set(flags) - {rb"\Recent"} for uid, flags in client.get_flags(uids).items()}


def test_set_flags_replaces_flags_of_exactly_the_given_messages(connector, user, deliver, as_user):
    uids = deliver(user, "INBOX", 3, flags=[r"\Seen", "$Old"])
    refs = connector.sync(user, {}).added

    connector.set_flags(user, refs[:1], ("\\Flagged", "$New"))

    flags = _flags(as_user(user), uids)
    assert flags[uids[0]] == {rb"\Flagged", b"$New"}
    assert flags[uids[1]] == flags[uids[2]] == {rb"\Seen", b"$Old"}


def test_set_flags_never_sets_deleted(connector, user, deliver, as_user):
    uids = deliver(user, "INBOX", 1)
    refs = connector.sync(user, {}).added

    connector.set_flags(user, refs, ("\\Deleted", "\\Seen", "\\Recent"))

    assert _flags(as_user(user), uids)[uids[0]] == {rb"\Seen"}


def test_set_flags_to_nothing_marks_unread(connector, user, deliver, as_user):
    uids = deliver(user, "INBOX", 1, flags=[r"\Seen"])
    refs = connector.sync(user, {}).added

    connector.set_flags(user, refs, ())

    assert _flags(as_user(user), uids)[uids[0]] == set()
