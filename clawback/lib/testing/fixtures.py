"""Pytest fixtures for a real, private Dovecot, shared by every app's tests.

One Dovecot serves the whole session (it starts in ~0.2 s, but logins and folders are cheaper
than restarts).  Its users are shared, so every test takes fresh ones from ``new_user``: a
never-used mailbox is empty apart from the auto-created special-use folders.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence

import pytest
from imapclient import IMAPClient

from clawback.lib.testing.dovecot import DovecotServer, append_messages, sample_message

_user_numbers = itertools.count()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    server = DovecotServer(nusers=500)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def new_user(dovecot: DovecotServer) -> Callable[[], str]:
    """Allocate a mailbox no other test in this session has used."""

    def allocate() -> str:
        number = next(_user_numbers)
        if number >= len(dovecot.users):
            pytest.fail(f"all {len(dovecot.users)} test mailboxes used; raise nusers")
        return dovecot.users[number]

    return allocate


@pytest.fixture
def user(new_user: Callable[[], str]) -> str:
    """A fresh mailbox for this test."""
    return new_user()


@pytest.fixture
def deliver(dovecot: DovecotServer) -> Callable[..., list[int]]:
    """``deliver(user, folder, messages_or_count, flags=())`` -> the new UIDs (MULTIAPPEND)."""

    def do_deliver(user: str, folder: str, messages: Sequence[bytes] | int, flags: Sequence[str] = ()) -> list[int]:
        if isinstance(messages, int):
            messages = [sample_message(i, to=user) for i in range(messages)]
        return append_messages(dovecot, user, folder, messages, flags)

    return do_deliver


@pytest.fixture
def as_user(dovecot: DovecotServer) -> Iterator[Callable[[str], IMAPClient]]:
    """``as_user(address)``: an IMAPClient logged in with the user's own password, the way a
    mail client would; used to change mail behind the connector's back and to check state."""
    clients: list[IMAPClient] = []

    def login(address: str) -> IMAPClient:
        client = dovecot.client(address)
        clients.append(client)
        return client

    yield login
    for client in clients:
        with contextlib.suppress(Exception):
            client.logout()
