"""Folder classification rules without a server (see ``imap/folders.py``)."""

from __future__ import annotations

from clawback.mailstores.connectors.base import FolderClass
from clawback.mailstores.connectors.imap.folders import classify_folders, target_folder


def _classes(listing, **kwargs):
    options = {"overrides": {}, "recoverable": "Recoverable Items", "quarantine": None} | kwargs
    return {f.name: f.folder_class for f in classify_folders(listing, **options)}


def test_usual_names_count_only_where_no_folder_has_the_attribute():
    # A server without SPECIAL-USE (Courier style, "INBOX." prefix).
    listing = [
        ((b"\\HasChildren",), b".", "INBOX"),
        ((), b".", "INBOX.Spam"),
        ((), b".", "INBOX.Deleted Items"),
        ((), b".", "INBOX.Sent Items"),
        ((), b".", "INBOX.Projects.Trash"),
    ]

    assert _classes(listing) == {
        "INBOX": FolderClass.INBOX,
        "INBOX.Spam": FolderClass.JUNK,
        "INBOX.Deleted Items": FolderClass.DELETED,
        "INBOX.Sent Items": FolderClass.SENT,
        "INBOX.Projects.Trash": FolderClass.OTHER,
    }


def test_attribute_beats_name():
    listing = [((), b"/", "INBOX"), ((b"\\Junk",), b"/", "Bulk"), ((), b"/", "Spam")]

    assert _classes(listing) == {
        "INBOX": FolderClass.INBOX,
        "Bulk": FolderClass.JUNK,
        "Spam": FolderClass.OTHER,
    }


def test_noselect_folders_are_never_targets():
    folders = classify_folders(
        [((b"\\Noselect", b"\\Trash"), b"/", "Trash"), ((), b"/", "INBOX")],
        overrides={},
        recoverable="Recoverable Items",
        quarantine=None,
    )

    assert target_folder(folders, FolderClass.DELETED) is None
    assert not folders[0].selectable


def test_override_is_the_preferred_target():
    folders = classify_folders(
        [((b"\\Junk",), b"/", "Junk"), ((), b"/", "Suspicious")],
        overrides={"Suspicious": FolderClass.JUNK},
        recoverable="Recoverable Items",
        quarantine=None,
    )

    found = target_folder(folders, FolderClass.JUNK)
    assert found is not None
    assert found.name == "Suspicious"
