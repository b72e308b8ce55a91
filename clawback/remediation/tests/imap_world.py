"""An indexed IMAP store on a private Dovecot, and reading its mailboxes directly."""

from __future__ import annotations

import contextlib
import itertools
import re
from dataclasses import dataclass

from clawback.lib.testing.dovecot import DovecotServer, append_messages
from clawback.mail.models import MessageCopy
from clawback.mail.sync import sync_mailbox
from clawback.mailstores.actions import do_add_store
from clawback.mailstores.models import Store
from clawback.remediation.tests.helpers import message

EVIL = "it@evil.example"
_MESSAGE_ID = re.compile(rb"<?([^<>\s]+)>?")
_stores = itertools.count(1)

# What a mailbox holds, read over IMAP as its user: folder -> {message_id: "flag flag"}.
ImapBox = dict[str, dict[str, str]]


@dataclass
class ImapWorld:
    server: DovecotServer
    store: Store
    users: list[str]
    tag: str  # makes this world's Message-IDs unique on the shared server

    def mid(self, name: str) -> str:
        return f"{name}.{self.tag}@evil.example" if name.startswith("evil") else f"{name}.{self.tag}@good.example"

    def copy(self, user: str, name: str) -> MessageCopy:
        return MessageCopy.objects.get(recipient=user, message_id=self.mid(name))

    def state(self) -> dict[str, ImapBox]:
        return {user: read_imap(self.server, user) for user in self.users}

    def sync(self) -> None:
        for mailbox in self.store.mailboxes.all():
            report = sync_mailbox(mailbox.pk)
            assert not report.error, report.error


def read_imap(server: DovecotServer, user: str) -> ImapBox:
    """Every folder's Message-IDs and flags, with the user's own login (not the connector)."""
    client = server.client(user)
    out: ImapBox = {}
    try:
        for _flags, _delim, folder in client.list_folders():
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            if not uids:
                continue
            data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]", "FLAGS"])
            found: dict[str, str] = {}
            for item in data.values():
                header = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].split(b":", 1)[1].strip()
                match = _MESSAGE_ID.search(header)
                assert match is not None
                flags = sorted(f.decode() for f in item[b"FLAGS"] if f != b"\\Recent")
                message_id = match.group(1).decode()
                assert message_id not in found, f"{message_id} twice in {user}/{folder}"
                found[message_id] = " ".join(flags)
            out[folder] = found
    finally:
        with contextlib.suppress(Exception):
            client.logout()
    return out


def build(server: DovecotServer, users: list[str], tag: str) -> ImapWorld:
    """Two mailboxes like the Maildir world: a phishing wave, a partner's mail."""
    a, b = users
    plan = [
        (a, "INBOX", "evil-1", EVIL, ()),
        (b, "INBOX", "evil-1", EVIL, ("\\Seen",)),
        (a, "INBOX", "evil-2", EVIL, ("\\Seen", "\\Flagged")),
        (a, "Archive", "evil-3", EVIL, ("\\Seen",)),
        (b, "Trash", "evil-4", EVIL, ()),
        (a, "INBOX", "good-1", "x@good.example", ()),
        (b, "INBOX", "good-1", "x@good.example", ("\\Seen",)),
    ]
    store = do_add_store(
        f"dove{next(_stores)}",
        "imap",
        params={
            "host": server.host,
            "port": server.imap_port,
            "master_user": server.master_user,
            "timeout": 10,
        },
        secrets={"password": server.master_password},
        mailboxes=users,
        acting_user="test",
    )
    world = ImapWorld(server, store, users, tag)
    for user, folder, name, sender, flags in plan:
        append_messages(server, user, folder, [message(world.mid(name), sender, user)], flags)
    world.sync()
    return world
