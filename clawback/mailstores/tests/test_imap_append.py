"""Append (restore/release) stores the exact bytes, flags and date, and returns the ref."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clawback.lib.testing.dovecot import sample_message
from clawback.mailstores.connectors.base import FolderClass, MailboxNotFound

pytestmark = pytest.mark.dovecot


def test_append_returns_the_ref_of_the_stored_message(connector, user, as_user):
    raw = sample_message(1, to=user)
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)

    ref = connector.append(user, FolderClass.INBOX, raw, ("\\Seen", "\\Deleted", "$Restored"), when)

    assert ref is not None and ref.folder == "INBOX"
    client = as_user(user)
    validity = client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"]
    uid = int(ref.key.split(":")[1])
    assert ref.key == f"{validity}:{uid}"
    data = client.fetch([uid], ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"])[uid]
    assert data[b"BODY[]"] == raw
    assert set(data[b"FLAGS"]) - {rb"\Recent"} == {rb"\Seen", b"$Restored"}  # never \Deleted
    (item,) = connector.fetch(user, [ref])
    assert item.internal_date == when


def test_append_to_the_recoverable_class(connector, user, as_user):
    ref = connector.append(user, FolderClass.RECOVERABLE, sample_message(2, to=user))

    assert ref is not None and ref.folder == "Recoverable Items"
    assert as_user(user).folder_status("Recoverable Items", ["MESSAGES"])[b"MESSAGES"] == 1


def test_append_to_a_class_without_a_folder(connector, user):
    with pytest.raises(MailboxNotFound):
        connector.append(user, FolderClass.QUARANTINE, sample_message(3, to=user))
