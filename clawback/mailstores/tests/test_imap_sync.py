"""Incremental sync: first listing, nothing-changed, and exactly what a user changed."""

from __future__ import annotations

import json

import pytest

from clawback.mailstores.connectors.base import Ref
from clawback.mailstores.connectors.imap.session import Session

pytestmark = pytest.mark.dovecot


def _ref(folder: str, uidvalidity: int, uid: int) -> Ref:
    return Ref(folder, f"{uidvalidity}:{uid}")


def test_first_sync_lists_every_message(connector, user, deliver):
    inbox = deliver(user, "INBOX", 5)
    junk = deliver(user, "Junk", 2)

    changes = connector.sync(user, {})

    assert changes.complete is True
    assert changes.present == set(changes.added)
    assert sorted((r.folder, int(r.key.split(":")[1])) for r in changes.added) == sorted(
        [("INBOX", uid) for uid in inbox] + [("Junk", uid) for uid in junk]
    )
    assert changes.removed == [] and changes.flags == {}
    assert json.loads(json.dumps(changes.state)) == changes.state
    assert {f.name for f in changes.folders} >= {"INBOX", "Junk", "Trash", "Recoverable Items"}


def test_second_sync_with_the_returned_state_lists_nothing(connector, user, deliver):
    deliver(user, "INBOX", 3)
    first = connector.sync(user, {})

    second = connector.sync(user, json.loads(json.dumps(first.state)))

    assert (second.added, second.removed, second.flags) == ([], [], {})
    assert second.complete is False
    assert second.state == first.state


def test_unchanged_folders_are_not_selected(connector, user, deliver, monkeypatch):
    deliver(user, "INBOX", 3)
    first = connector.sync(user, {})
    selected: list[str] = []
    original = Session.select

    def spy(self, folder, **kwargs):
        selected.append(folder)
        return original(self, folder, **kwargs)

    monkeypatch.setattr(Session, "select", spy)

    connector.sync(user, first.state)

    assert selected == []  # STATUS alone showed nothing changed


def test_user_move_delete_and_flag_are_reported_exactly(connector, user, deliver, as_user):
    uids = deliver(user, "INBOX", 5)
    first = connector.sync(user, {})
    client = as_user(user)
    inbox_validity = client.select_folder("INBOX")[b"UIDVALIDITY"]
    moved, deleted, read = uids[0], uids[1], uids[2]

    client.move([moved], "Junk")
    client.add_flags([deleted], [rb"\Deleted"], silent=True)
    client.uid_expunge([deleted])
    client.add_flags([read], [rb"\Seen"], silent=True)
    junk_validity = client.select_folder("Junk", readonly=True)[b"UIDVALIDITY"]
    (junk_uid,) = client.search("ALL")

    changes = connector.sync(user, first.state)

    assert sorted(changes.removed) == sorted(
        [_ref("INBOX", inbox_validity, moved), _ref("INBOX", inbox_validity, deleted)]
    )
    assert changes.added == [_ref("Junk", junk_validity, junk_uid)]
    assert changes.flags == {_ref("INBOX", inbox_validity, read): ("\\Seen",)}
    assert changes.complete is False
    again = connector.sync(user, changes.state)
    assert (again.added, again.removed, again.flags) == ([], [], {})


def test_new_and_deleted_folders(connector, user, deliver, as_user):
    first = connector.sync(user, {})
    new_uids = deliver(user, "Projects", 2)

    appeared = connector.sync(user, first.state)
    as_user(user).delete_folder("Projects")
    vanished = connector.sync(user, appeared.state)

    assert sorted(int(r.key.split(":")[1]) for r in appeared.added) == new_uids
    assert {r.folder for r in appeared.added} == {"Projects"}
    assert sorted(vanished.removed) == sorted(appeared.added)
    assert "Projects" not in vanished.state["folders"]


def test_uidvalidity_change_replaces_the_folders_refs(connector, user, deliver, as_user):
    deliver(user, "Projects", 2)
    first = connector.sync(user, {})
    old = [r for r in first.added if r.folder == "Projects"]
    client = as_user(user)
    client.delete_folder("Projects")
    client.create_folder("Projects")  # same name, new UIDVALIDITY (RFC 3501 §2.3.1.1)
    deliver(user, "Projects", 1)

    changes = connector.sync(user, first.state)

    assert sorted(changes.removed) == sorted(old)
    assert len(changes.added) == 1
    assert changes.added[0].key.split(":")[0] != old[0].key.split(":")[0]


def test_unreadable_state_means_a_complete_resync(connector, user, deliver):
    deliver(user, "INBOX", 2)

    changes = connector.sync(user, {"version": 99, "folders": "?"})

    assert changes.complete is True
    assert len(changes.added) == 2
