"""Transient failures are retried on a fresh connection; after the retries they are raised
as ``ConnectorError(permanent=False)``."""

from __future__ import annotations

import time

import pytest

from clawback.lib.testing.dovecot import DovecotServer, append_messages, free_ports, sample_message
from clawback.mailstores.connectors.base import AuthenticationError, ConnectorError
from clawback.mailstores.connectors.imap.connector import ImapConnector

pytestmark = pytest.mark.dovecot


def test_a_dropped_connection_is_retried(make_connector, proxy, user, deliver):
    deliver(user, "INBOX", 2)
    flaky = proxy(refuse=1)
    connector = make_connector(port=flaky.port)

    changes = connector.sync(user, {})

    assert len(changes.added) == 2
    assert flaky.accepted == 2


def test_after_the_retries_the_error_is_transient(make_connector, proxy, user):
    broken = proxy(refuse=100)
    connector = make_connector(port=broken.port, retries=2)
    started = time.monotonic()

    with pytest.raises(ConnectorError) as raised:
        connector.folders(user)

    assert raised.value.permanent is False
    assert not isinstance(raised.value, AuthenticationError)
    assert broken.accepted == 3  # the first attempt and two retries
    assert time.monotonic() - started >= 0.2 + 0.5  # the backoff


def test_connection_refused_is_transient(make_connector, user):
    (closed_port,) = free_ports(1)
    connector = make_connector(port=closed_port, retries=0)

    with pytest.raises(ConnectorError) as raised:
        connector.folders(user)

    assert raised.value.permanent is False


def test_a_silent_server_times_out_as_a_transient_error(make_connector, proxy, user):
    silent = proxy(stall=True)
    connector = make_connector(port=silent.port, timeout=0.3, retries=0)

    with pytest.raises(ConnectorError) as raised:
        connector.folders(user)

    assert raised.value.permanent is False
    assert "timed out" in raised.value.message


def test_dovecot_restarted_mid_run():
    with DovecotServer(nusers=1) as server:
        mailbox = server.users[0]
        append_messages(server, mailbox, "INBOX", [sample_message(i) for i in range(3)])
        connector = ImapConnector(
            {"host": server.host, "port": server.imap_port, "master_user": server.master_user},
            {"password": server.master_password},
        )
        with connector:
            refs = connector.sync(mailbox, {}).added
            assert connector.pool.open_count == 1  # an idle, pooled session

            server.restart()  # the pooled session's connection is now dead

            assert len(list(connector.fetch(mailbox, refs))) == 3
            assert connector.pool.logins == 2
