"""Fetch returns the stored bytes exactly, never marks mail read, and skips what is gone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clawback.lib.testing.dovecot import sample_message
from clawback.mailstores.connectors.base import FolderClass, Ref

pytestmark = pytest.mark.dovecot


def test_fetch_returns_the_exact_bytes_without_setting_seen(connector, user, deliver, as_user):
    raws = [sample_message(i, to=user, body="x" * (i * 100)) for i in range(5)]
    raws.append(
        "Subject: =?utf-8?q?caf=C3=A9?=\r\nMessage-ID: <8bit@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        "\r\nCafé — naïve, 日本語\r\n".encode()
    )
    uids = deliver(user, "INBOX", raws)
    refs = connector.sync(user, {}).added

    fetched = list(connector.fetch(user, refs, batch_size=2))

    assert [f.raw for f in fetched] == raws
    assert [f.ref for f in fetched] == refs
    for item in fetched:
        assert item.size == len(item.raw)
        assert item.folder_class == FolderClass.INBOX
        assert item.flags == ()
        assert item.internal_date is not None
        assert item.internal_date.utcoffset() == timedelta(0)
    client = as_user(user)
    client.select_folder("INBOX", readonly=True)
    assert all(rb"\Seen" not in flags for flags in client.get_flags(uids).values())


def test_fetch_reports_folder_class_and_flags(connector, user, deliver):
    deliver(user, "Junk", 1, flags=[r"\Seen", "$Phishing"])
    refs = connector.sync(user, {}).added

    (item,) = connector.fetch(user, refs)

    assert item.folder_class == FolderClass.JUNK
    assert item.flags == ("$Phishing", "\\Seen")


def test_fetch_skips_vanished_stale_and_foreign_refs(connector, user, deliver, as_user):
    uids = deliver(user, "INBOX", 3)
    refs = connector.sync(user, {}).added
    client = as_user(user)
    client.select_folder("INBOX")
    client.add_flags([uids[0]], [rb"\Deleted"], silent=True)
    client.uid_expunge([uids[0]])
    validity, uid = refs[1].key.split(":")
    stale = Ref("INBOX", f"{int(validity) + 1}:{uid}")

    fetched = list(connector.fetch(user, [*refs, stale, Ref("No such folder", "1:1"), Ref("INBOX", "not-an-imap-key")]))

    assert [f.ref for f in fetched] == refs[1:]


def test_fetch_of_nothing_does_not_log_in(connector, user):
    assert list(connector.fetch(user, [])) == []
    assert connector.pool.logins == 0
