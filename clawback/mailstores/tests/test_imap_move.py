"""Move acts on exactly the given messages and returns where each one went."""

from __future__ import annotations

import pytest

from clawback.mailstores.connectors.base import FolderClass, Ref

pytestmark = pytest.mark.dovecot


def _message_ids(client, folder):
    client.select_folder(folder, readonly=True)
    uids = client.search("ALL")
    data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    return {uid: data[uid][b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].split(b":", 1)[1].strip() for uid in uids}


def test_move_moves_exactly_the_given_messages(connector, user, deliver, as_user):
    uids = deliver(user, "INBOX", 6)
    refs = connector.sync(user, {}).added
    client = as_user(user)
    before = _message_ids(client, "INBOX")
    chosen = [refs[1], refs[3]]

    moved = connector.move(user, chosen, FolderClass.JUNK)

    assert set(moved) == set(chosen)
    assert sorted(_message_ids(client, "INBOX")) == [uids[0], uids[2], uids[4], uids[5]]
    junk = _message_ids(client, "Junk")
    junk_validity = client.select_folder("Junk", readonly=True)[b"UIDVALIDITY"]
    for old, new in moved.items():
        validity, uid = (int(part) for part in new.key.split(":"))
        assert (new.folder, validity) == ("Junk", junk_validity)
        assert junk[uid] == before[int(old.key.split(":")[1])]


def test_moved_refs_are_usable(connector, user, deliver):
    deliver(user, "INBOX", 2)
    refs = connector.sync(user, {}).added

    moved = connector.move(user, refs, FolderClass.DELETED)
    back = connector.move(user, list(moved.values()), FolderClass.INBOX)

    assert {r.folder for r in moved.values()} == {"Trash"}
    assert {r.folder for r in back.values()} == {"INBOX"}
    assert len(list(connector.fetch(user, back.values()))) == 2


def test_refs_already_in_the_target_are_returned_unchanged(connector, user, deliver, as_user):
    deliver(user, "Junk", 1)
    deliver(user, "INBOX", 1)
    refs = connector.sync(user, {}).added
    in_junk = next(r for r in refs if r.folder == "Junk")

    moved = connector.move(user, refs, FolderClass.JUNK)

    assert moved[in_junk] == in_junk
    assert as_user(user).folder_status("Junk", ["MESSAGES"])[b"MESSAGES"] == 2


def test_missing_messages_are_left_out(connector, user, deliver):
    deliver(user, "INBOX", 1)
    (ref,) = connector.sync(user, {}).added
    validity = ref.key.split(":")[0]
    gone = Ref("INBOX", f"{validity}:999")

    moved = connector.move(user, [ref, gone, Ref("Nope", "1:1")], FolderClass.JUNK)

    assert list(moved) == [ref]


def test_move_from_several_folders(connector, user, deliver, as_user):
    deliver(user, "INBOX", 2)
    deliver(user, "Archive", 2)
    refs = connector.sync(user, {}).added

    moved = connector.move(user, refs, FolderClass.DELETED)

    assert len(moved) == 4
    client = as_user(user)
    assert client.folder_status("Trash", ["MESSAGES"])[b"MESSAGES"] == 4
    assert client.folder_status("Archive", ["MESSAGES"])[b"MESSAGES"] == 0
