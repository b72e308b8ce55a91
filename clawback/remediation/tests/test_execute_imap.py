"""Each action on a real Dovecot moves exactly the selected copies (read back over IMAP as the
users themselves); undo restores folders and flags; a Dovecot restart mid-run is survived."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.test import override_settings

from clawback.lib.testing.dovecot import DovecotServer, append_messages
from clawback.mail.sync import sync_mailbox
from clawback.mailstores.actions import do_add_store
from clawback.remediation.actions import do_submit, do_undo
from clawback.remediation.models import ACTIVE, ItemState, Remediation, Status
from clawback.remediation.selection import Selection
from clawback.remediation.tests.conftest import EVIL_QUERY
from clawback.remediation.tests.helpers import drain, message
from clawback.remediation.tests.imap_world import ImapWorld, read_imap

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db(transaction=True)]


def run(user: Any, action: str, name: str = "r") -> Remediation:
    remediation = do_submit(acting_user=user, name=name, action=action, selection=Selection.of_query(EVIL_QUERY))
    drain()
    return Remediation.objects.get(pk=remediation.pk)


def changes(before: dict[str, Any], after: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    out = set()
    for box, folders in before.items():
        for folder, ids in folders.items():
            for mid in ids:
                now = [f for f, later in after[box].items() if mid in later]
                if now != [folder]:
                    out.add((box, mid.split(".")[0], folder, ",".join(now) or "-"))
    return out


@pytest.mark.parametrize(
    ("action", "target", "names"),
    [
        (
            "move-to-junk",
            "Junk",
            {(0, "evil-1", "INBOX"), (1, "evil-1", "INBOX"), (0, "evil-2", "INBOX"), (0, "evil-3", "Archive")},
        ),
        (
            "move-to-deleted",
            "Trash",
            {(0, "evil-1", "INBOX"), (1, "evil-1", "INBOX"), (0, "evil-2", "INBOX"), (0, "evil-3", "Archive")},
        ),
        (
            "soft-delete",
            "Recoverable Items",
            {
                (0, "evil-1", "INBOX"),
                (1, "evil-1", "INBOX"),
                (0, "evil-2", "INBOX"),
                (0, "evil-3", "Archive"),
                (1, "evil-4", "Trash"),
            },
        ),
        (
            "hard-delete",
            "-",
            {
                (0, "evil-1", "INBOX"),
                (1, "evil-1", "INBOX"),
                (0, "evil-2", "INBOX"),
                (0, "evil-3", "Archive"),
                (1, "evil-4", "Trash"),
            },
        ),
        ("move-to-inbox", "INBOX", {(0, "evil-3", "Archive"), (1, "evil-4", "Trash")}),
    ],
)
def test_each_action_moves_exactly_the_selection(
    imap_world: ImapWorld, erin: Any, action: str, target: str, names: set[tuple[int, str, str]]
) -> None:
    before = imap_world.state()
    remediation = run(erin, action)
    after = imap_world.state()
    users = imap_world.users
    assert changes(before, after) == {(users[i], name, src, target) for i, name, src in names}
    assert remediation.status in (Status.COMPLETED, Status.COMPLETED_WITH_ERRORS)
    if target not in ("-", "INBOX"):
        # Flags travel with the message; the index names the new UID (COPYUID).
        assert after[users[0]][target][imap_world.mid("evil-2")] == "\\Flagged \\Seen"
        copy = imap_world.copy(users[0], "evil-2")
        assert copy.folder == target and copy.ref.startswith(target)
        item = remediation.items.get(copy=copy)
        assert item.new_ref == copy.ref and item.state == ItemState.SUCCEEDED


def test_undo_restores_folders_and_flags(imap_world: ImapWorld, erin: Any) -> None:
    before = imap_world.state()
    done = run(erin, "move-to-junk")
    a = imap_world.users[0]
    # The user reads the unread one in Junk and unflags the flagged one.
    client = imap_world.server.client(a)
    client.select_folder("Junk")
    uids = {m: u for u, m in _ids(client).items()}
    client.add_flags([uids[imap_world.mid("evil-1")]], [b"\\Seen"])
    client.remove_flags([uids[imap_world.mid("evil-2")]], [b"\\Flagged"])
    client.logout()
    reverse = do_undo(done, name="undo", acting_user=erin)
    drain()
    assert imap_world.state() == before
    assert Remediation.objects.get(pk=reverse.pk).status == Status.COMPLETED
    # The index follows: a sync afterwards finds nothing moved.
    imap_world.sync()
    assert imap_world.copy(a, "evil-3").folder == "Archive"


def _ids(client: Any) -> dict[int, str]:
    data = client.fetch(client.search("ALL"), ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    return {
        uid: d[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].split(b":", 1)[1].strip().strip(b"<>").decode()
        for uid, d in data.items()
    }


@override_settings(
    CLAWBACK_REMEDIATION_BATCH=20,
    CLAWBACK_REMEDIATION_RATE=400,  # 100 messages/s per connection: the run lasts ~5 s
    CLAWBACK_REMEDIATION_RETRY_SECONDS=1,
    CLAWBACK_REMEDIATION_MAX_ATTEMPTS=20,
)
def test_dovecot_restart_mid_run(erin: Any) -> None:
    per_user = 60
    with DovecotServer(nusers=8) as server:
        for user in server.users:
            raws = [message(f"wave-{n}.{user}@evil.example", "it@evil.example", user) for n in range(per_user)]
            append_messages(server, user, "INBOX", raws)
        store = do_add_store(
            "restart",
            "imap",
            params={"host": server.host, "port": server.imap_port, "master_user": server.master_user, "timeout": 5},
            secrets={"password": server.master_password},
            mailboxes=server.users,
            acting_user="test",
        )
        for mailbox in store.mailboxes.all():
            assert not sync_mailbox(mailbox.pk).error
        remediation = do_submit(
            acting_user=erin, name="wave", action="move-to-junk", selection=Selection.of_query(EVIL_QUERY)
        )
        assert remediation.item_count == 8 * per_user
        restarted = threading.Event()
        restarted_at: list[float] = []

        def restart() -> None:
            time.sleep(1.0)
            server.restart()
            restarted_at.append(time.time())
            restarted.set()

        threading.Thread(target=restart, daemon=True).start()
        deadline = time.monotonic() + 90
        while Remediation.objects.get(pk=remediation.pk).status in ACTIVE and time.monotonic() < deadline:
            drain()  # exits when only delayed retries are queued; go round again
            time.sleep(0.2)
        remediation.refresh_from_db()
        assert restarted.is_set()
        assert remediation.finished_at is not None and remediation.finished_at.timestamp() > restarted_at[0]
        assert remediation.status == Status.COMPLETED, remediation.counts
        assert remediation.counts == {ItemState.SUCCEEDED: 8 * per_user}
        for user in server.users:
            state = read_imap(server, user)
            assert not state.get("INBOX"), user
            assert len(state["Junk"]) == per_user
