"""Soft delete moves to the recoverable folder (created if missing)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.dovecot


def test_soft_delete_moves_to_recoverable_items(connector, user, deliver, as_user):
    deliver(user, "INBOX", 3)
    refs = connector.sync(user, {}).added

    moved = connector.soft_delete(user, refs[:2])

    assert {r.folder for r in moved.values()} == {"Recoverable Items"}
    client = as_user(user)
    assert client.folder_status("Recoverable Items", ["MESSAGES"])[b"MESSAGES"] == 2
    assert client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 1


def test_soft_delete_creates_a_missing_recoverable_folder(make_connector, user, deliver, as_user):
    connector = make_connector(recoverable_folder="Purges")
    deliver(user, "INBOX", 1)
    refs = connector.sync(user, {}).added

    moved = connector.soft_delete(user, refs)

    assert {r.folder for r in moved.values()} == {"Purges"}
    client = as_user(user)
    assert client.folder_status("Purges", ["MESSAGES"])[b"MESSAGES"] == 1
    # Created but not subscribed, so mail clients do not show it.
    assert "Purges" not in {name for _, _, name in client.list_sub_folders()}
