"""Folder classes from SPECIAL-USE (RFC 6154), configured names, and overrides."""

from __future__ import annotations

import pytest

from clawback.mailstores.connectors.base import FolderClass, MailboxNotFound

pytestmark = pytest.mark.dovecot


def test_special_use_decides_the_classes(connector, user):
    classes = {f.name: f.folder_class for f in connector.folders(user)}

    assert classes == {
        "INBOX": FolderClass.INBOX,
        "Junk": FolderClass.JUNK,
        "Trash": FolderClass.DELETED,
        "Sent": FolderClass.SENT,
        "Drafts": FolderClass.OTHER,
        "Archive": FolderClass.OTHER,
        "Recoverable Items": FolderClass.RECOVERABLE,
    }


def test_user_folders_are_other_even_when_named_like_special_ones(connector, user, as_user):
    client = as_user(user)
    client.create_folder("Projects")
    client.create_folder("Projects/Sent")
    client.create_folder("Spam")  # a \Junk folder exists, so the name means nothing

    classes = {f.name: f.folder_class for f in connector.folders(user)}

    assert classes["Projects"] == FolderClass.OTHER
    assert classes["Projects/Sent"] == FolderClass.OTHER
    assert classes["Spam"] == FolderClass.OTHER


def test_an_override_wins_over_discovery(make_connector, user, deliver, as_user):
    connector = make_connector(folder_overrides={"Archive": "junk"})
    deliver(user, "INBOX", 1)

    classes = {f.name: f.folder_class for f in connector.folders(user)}
    moved = connector.move(user, connector.sync(user, {}).added, FolderClass.JUNK)

    assert classes["Archive"] == FolderClass.JUNK
    assert classes["Junk"] == FolderClass.JUNK
    # The administrator's choice is also where "move to Junk" goes.
    assert {new.folder for new in moved.values()} == {"Archive"}
    assert as_user(user).folder_status("Archive", ["MESSAGES"])[b"MESSAGES"] == 1


def test_configured_quarantine_folder_is_classified_and_created_on_use(make_connector, user, deliver):
    connector = make_connector(quarantine_folder="Quarantine")
    deliver(user, "INBOX", 1)

    moved = connector.move(user, connector.sync(user, {}).added, FolderClass.QUARANTINE)

    assert {new.folder for new in moved.values()} == {"Quarantine"}
    classes = {f.name: f.folder_class for f in connector.folders(user)}
    assert classes["Quarantine"] == FolderClass.QUARANTINE


def test_a_class_without_a_folder_is_mailbox_not_found(connector, user, deliver):
    deliver(user, "INBOX", 1)
    refs = connector.sync(user, {}).added

    with pytest.raises(MailboxNotFound) as raised:
        connector.move(user, refs, FolderClass.QUARANTINE)

    assert raised.value.permanent is True


def test_non_ascii_folder_names_round_trip(connector, user, deliver, as_user):
    # Folder names travel as modified UTF-7 (RFC 3501 §5.1.3); refs carry the real name.
    as_user(user).create_folder("Café/Reçus")
    deliver(user, "Café/Reçus", 1)
    (ref,) = connector.sync(user, {}).added

    moved = connector.move(user, [ref], FolderClass.INBOX)

    assert ref.folder == "Café/Reçus"
    assert [item.raw[:5] for item in connector.fetch(user, moved.values())] == [b"From:"]
