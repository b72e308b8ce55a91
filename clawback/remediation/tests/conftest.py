"""A small organisation on a Maildir store, indexed, for the remediation tests.

``ann`` and ``ben`` received a phishing wave from evil.example (in Inbox, Archive, Trash, some
read and flagged), a partner's mail from good.example, and an internal message that ``cat``
sent (so ``cat`` has the sender's copy in Sent).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import override_settings

from clawback.lib.testing.dovecot import DovecotServer
from clawback.mail.models import MessageCopy
from clawback.mail.sync import sync_mailbox
from clawback.mailstores.actions import do_add_store
from clawback.mailstores.models import Store
from clawback.remediation.tests.helpers import make_maildir, message, put
from clawback.remediation.tests.imap_world import ImapWorld, build

ANN, BEN, CAT = "ann@example.test", "ben@example.test", "cat@example.test"
EVIL = "it@evil.example"
EVIL_QUERY = "sender.domain = evil.example"

# (mailbox, folder, message id, sender, maildir flags)
MAIL = [
    (ANN, "", "evil-1@evil.example", EVIL, ""),
    (BEN, "", "evil-1@evil.example", EVIL, "S"),
    (ANN, "", "evil-2@evil.example", EVIL, "FS"),
    (ANN, "Archive", "evil-3@evil.example", EVIL, "S"),
    (BEN, "Trash", "evil-4@evil.example", EVIL, ""),
    (ANN, "", "good-1@good.example", "x@good.example", ""),
    (BEN, "", "good-1@good.example", "x@good.example", "S"),
    (ANN, "", "int-1@example.test", CAT, ""),
    (CAT, "Sent", "int-1@example.test", CAT, "S"),
]


@dataclass
class World:
    root: Path
    store: Store

    def copy(self, box: str, message_id: str) -> MessageCopy:
        return MessageCopy.objects.get(recipient=box, message_id=message_id)

    def ids(self, *pairs: tuple[str, str]) -> list[int]:
        return [self.copy(box, mid).pk for box, mid in pairs]

    def sync(self) -> None:
        for mailbox in self.store.mailboxes.all():
            report = sync_mailbox(mailbox.pk)
            assert not report.error, report.error


@pytest.fixture
def world(tmp_path: Path, db: None) -> World:
    root = tmp_path / "maildir"
    make_maildir(root, [ANN, BEN, CAT])
    for box, folder, message_id, sender, flags in MAIL:
        put(root, box, folder, message(message_id, sender, box), flags)
    store = do_add_store("local", "maildir", params={"path": str(root)}, acting_user="test")
    made = World(root, store)
    made.sync()
    assert MessageCopy.objects.count() == len(MAIL)
    return made


@pytest.fixture(autouse=True)
def _fast_settings() -> object:
    # Short leases and ticks keep recovery tests quick; small batches exercise batching.
    with override_settings(
        CLAWBACK_REMEDIATION_LEASE_SECONDS=2,
        CLAWBACK_REMEDIATION_TICK_SECONDS=1,
        CLAWBACK_REMEDIATION_RETRY_SECONDS=0,
    ):
        yield


_imap_users = iter(range(10_000))


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    server = DovecotServer(nusers=300)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def imap_world(dovecot: DovecotServer, db: None) -> ImapWorld:
    """Two fresh mailboxes on the session's Dovecot, delivered and indexed."""
    first = next(_imap_users) * 2
    if first + 1 >= len(dovecot.users):
        pytest.fail("out of Dovecot test users; raise nusers")
    return build(dovecot, dovecot.users[first : first + 2], tag=f"t{first}")
