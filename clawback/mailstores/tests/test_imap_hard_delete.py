"""Hard delete purges exactly the given messages, never others marked \\Deleted."""

from __future__ import annotations

import pytest

from clawback.mailstores.connectors.base import Ref

pytestmark = pytest.mark.dovecot


def test_hard_delete_purges_only_the_given_messages(connector, user, deliver, as_user):
    uids = deliver(user, "INBOX", 4)
    refs = connector.sync(user, {}).added
    client = as_user(user)
    client.select_folder("INBOX")
    # The user marked one message \Deleted without expunging: it must survive.
    client.add_flags([uids[3]], [rb"\Deleted"], silent=True)

    connector.hard_delete(user, refs[:2])

    client.noop()
    assert client.search("ALL") == uids[2:]
    assert rb"\Deleted" in client.get_flags([uids[3]])[uids[3]]


def test_hard_delete_ignores_missing_refs(connector, user, deliver, as_user):
    deliver(user, "INBOX", 1)
    (ref,) = connector.sync(user, {}).added

    connector.hard_delete(user, [Ref("INBOX", ref.key.split(":")[0] + ":77"), Ref("Gone", "1:1")])

    assert as_user(user).folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 1
