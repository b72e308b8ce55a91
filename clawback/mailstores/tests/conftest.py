"""Fixtures for connector tests against a real, private Dovecot.

One Dovecot serves the whole session (it starts in ~0.2 s, but logins and folders are cheaper
than restarts).  Its users are shared, so every test takes fresh ones from ``new_user``: a
never-used mailbox is empty apart from the auto-created special-use folders.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from clawback.lib.testing.dovecot import DovecotServer
from clawback.mailstores.connectors.imap.connector import ImapConnector


@pytest.fixture
def make_connector(dovecot: DovecotServer) -> Iterator[Callable[..., ImapConnector]]:
    """``make_connector(password=..., folder_overrides=..., max_connections=..., **params)``:
    a master-user connector for the session's Dovecot; closed at teardown."""
    made: list[ImapConnector] = []

    def make(
        *,
        password: str | None = None,
        folder_overrides: dict[str, str] | None = None,
        max_connections: int = 4,
        **params: Any,
    ) -> ImapConnector:
        merged = {
            "host": dovecot.host,
            "port": dovecot.imap_port,
            "master_user": dovecot.master_user,
            "timeout": 10,
            **params,
        }
        connector = ImapConnector(
            merged,
            {"password": dovecot.master_password if password is None else password},
            folder_overrides=folder_overrides,
            max_connections=max_connections,
        )
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def connector(make_connector: Callable[..., ImapConnector]) -> ImapConnector:
    return make_connector()


class TcpProxy:
    """A loopback TCP proxy in a thread that can misbehave on purpose.

    The first ``refuse`` connections are accepted and reset at once (the client sees
    "connection reset" before the greeting); with ``stall`` every connection is accepted and
    then left silent (the client times out); the others are relayed to ``target``.
    """

    def __init__(self, target: tuple[str, int], *, refuse: int = 0, stall: bool = False) -> None:
        self.target = target
        self.refuse = refuse
        self.stall = stall
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                drop = self.refuse > 0
                if drop:
                    self.refuse -= 1
            if drop:
                # Linger 0: close() sends RST, the client sees "connection reset by peer".
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                continue
            if self.stall:
                self._held.append(client)
                continue
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection(self.target) as upstream:
            pump = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
            pump.start()
            _pump(client, upstream)
            pump.join()

    def close(self) -> None:
        self._stopped.set()
        self._server.close()
        for held in self._held:
            held.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def proxy(dovecot: DovecotServer) -> Iterator[Callable[..., TcpProxy]]:
    """``proxy(refuse=N, stall=False)``: a :class:`TcpProxy` in front of the session's Dovecot."""
    proxies: list[TcpProxy] = []

    def make(*, refuse: int = 0, stall: bool = False) -> TcpProxy:
        made = TcpProxy((dovecot.host, dovecot.imap_port), refuse=refuse, stall=stall)
        proxies.append(made)
        return made

    yield make
    for made in proxies:
        made.close()
