"""The connection pool: bounded logins, reuse per mailbox, thread safety."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from clawback.mailstores.connectors.imap.session import Session

pytestmark = pytest.mark.dovecot


def test_sessions_are_reused_per_mailbox(connector, user, deliver):
    deliver(user, "INBOX", 1)

    for _ in range(3):
        refs = connector.sync(user, {}).added
        list(connector.fetch(user, refs))

    assert connector.pool.logins == 1


def test_logins_stay_within_max_connections(make_connector, new_user, deliver, monkeypatch):
    users = [new_user() for _ in range(6)]
    for address in users:
        deliver(address, "INBOX", 2)
    connector = make_connector(max_connections=2)
    lock = threading.Lock()
    live = {"now": 0, "peak": 0}
    original_open, original_close = Session.open, Session.close

    def counting_open(settings, mailbox):
        session = original_open(settings, mailbox)
        with lock:
            live["now"] += 1
            live["peak"] = max(live["peak"], live["now"])
        return session

    def counting_close(self):
        with lock:
            live["now"] -= 1
        original_close(self)

    monkeypatch.setattr(Session, "open", staticmethod(counting_open))
    monkeypatch.setattr(Session, "close", counting_close)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda address: connector.sync(address, {}), users * 3))

    assert all(len(changes.added) == 2 for changes in results)
    assert live["peak"] == 2
    connector.close()
    assert live["now"] == 0
    assert connector.pool.open_count == 0
