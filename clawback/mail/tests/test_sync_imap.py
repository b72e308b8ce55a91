"""End to end on a real Dovecot: IMAP store -> sync -> index, then the user's changes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from imapclient import IMAPClient

from clawback.lib.testing.dovecot import DovecotServer
from clawback.mail.models import MessageCopy, TimelineEvent
from clawback.mail.sync import sync_mailbox
from clawback.mailstores.actions import do_add_store

pytestmark = [pytest.mark.django_db, pytest.mark.dovecot]


def phish(n: int, to: str) -> bytes:
    return (
        f"Received: from mx.evil.example (mx.evil.example [203.0.113.9]) by mx1.example.test; "
        f"Tue, 17 Nov 2026 08:0{n}:00 +0000\r\n"
        f"Message-ID: <p{n}.{to}@evil.example>\r\nFrom: IT <it@evil.example>\r\nTo: {to}\r\n"
        f"Subject: Password expiry {n}\r\nDate: Tue, 17 Nov 2026 08:00:00 +0000\r\n"
        "Authentication-Results: mx1.example.test; spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail\r\n"
        f"Content-Type: text/plain\r\n\r\nKeep your password: https://evil.example/k?{n}\r\n"
    ).encode()


@pytest.fixture
def store(dovecot: DovecotServer, new_user: Callable[[], str]):
    boxes = [new_user(), new_user()]
    return do_add_store(
        "corp",
        "imap",
        params={
            "host": dovecot.host,
            "port": dovecot.imap_port,
            "master_user": dovecot.master_user,
            "mailboxes": boxes,
        },
        secrets={"password": dovecot.master_password},
        mailboxes=boxes,
        acting_user="test",
    )


def test_sync_indexes_then_follows_user_changes(store, deliver, as_user: Callable[[str], IMAPClient]) -> None:
    box = store.mailboxes.order_by("address").first()
    deliver(box.address, "INBOX", [phish(i, box.address) for i in range(3)])
    deliver(box.address, "Junk", [phish(7, box.address)])
    report = sync_mailbox(box.pk)
    assert report.added == 4 and not report.error
    copy = MessageCopy.objects.get(message_id=f"p0.{box.address}@evil.example")
    assert (copy.location, copy.spf, copy.dmarc, copy.sender_ip) == ("inbox", "fail", "fail", "203.0.113.9")
    assert MessageCopy.objects.get(message_id=f"p7.{box.address}@evil.example").location == "junk"
    assert sync_mailbox(box.pk).changed == 0

    client = as_user(box.address)
    client.select_folder("INBOX")
    uids = sorted(client.search("ALL"))
    client.move([uids[0]], "Trash")  # the user drags #0 to Trash
    client.add_flags([uids[1]], [b"\\Deleted"])  # and deletes #1 for good
    client.uid_expunge([uids[1]])
    client.add_flags([uids[2]], [b"\\Seen"])  # and reads #2

    report = sync_mailbox(box.pk)
    assert (report.added, report.moved, report.deleted, report.flags_changed) == (0, 1, 1, 1)
    moved = MessageCopy.objects.get(message_id=f"p0.{box.address}@evil.example")
    assert (moved.location, moved.folder) == ("deleted", "Trash")
    assert moved.timeline.filter(kind=TimelineEvent.Kind.USER_MOVED, source="user").exists()
    assert MessageCopy.objects.get(message_id=f"p1.{box.address}@evil.example").location == "not_found"
    assert "\\Seen" in MessageCopy.objects.get(message_id=f"p2.{box.address}@evil.example").flags


def test_wrong_password_is_recorded_as_permanent(store) -> None:
    store.secrets = {"password": "wrong"}
    store.save()
    box = store.mailboxes.first()
    report = sync_mailbox(box.pk)
    assert report.permanent and report.error
    box.refresh_from_db()
    assert box.status == "error"
    assert "wrong" not in box.last_error


@pytest.mark.django_db(transaction=True)
def test_worker_runs_queued_sync_tasks(store, deliver) -> None:
    """`clawback sync --enqueue` queues one task per mailbox; `clawback worker --burst` runs them."""
    from clawback.cli import main

    for box in store.mailboxes.all():
        deliver(box.address, "INBOX", [phish(1, box.address)])
    assert main(["sync", "corp", "--enqueue"]) == 0
    assert main(["worker", "--burst", "--interval", "0"]) == 0
    assert MessageCopy.objects.filter(store=store).count() == 2
