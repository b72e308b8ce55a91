"""Logging in: master user, per-user credentials, and what each refusal means."""

from __future__ import annotations

import time

import pytest

from clawback.lib.testing.dovecot import free_ports
from clawback.mailstores.connectors.base import AuthenticationError, ConnectorError, MailboxNotFound
from clawback.mailstores.connectors.imap.connector import ImapConnector

pytestmark = pytest.mark.dovecot


def test_master_user_opens_the_mailbox(make_connector, user, deliver):
    deliver(user, "INBOX", 2)
    connector = make_connector(mailboxes=[user])

    connector.check()

    assert len(connector.sync(user, {}).added) == 2


def test_wrong_master_password_is_a_permanent_authentication_error(make_connector, user):
    connector = make_connector(password="not-the-password", mailboxes=[user])

    with pytest.raises(AuthenticationError) as raised:
        connector.check()

    assert raised.value.permanent is True
    assert "not-the-password" not in str(raised.value)


def test_authentication_errors_are_not_retried(make_connector, user):
    connector = make_connector(password="wrong", retries=3)
    started = time.monotonic()

    with pytest.raises(AuthenticationError):
        connector.folders(user)

    # One refused LOGIN (Dovecot answers after ~0.5 s), no backoff sleeps of 0.2 + 0.5 + 1 s.
    assert time.monotonic() - started < 1.5
    assert connector.pool.open_count == 0


def test_missing_user_is_a_permanent_error(connector):
    with pytest.raises(MailboxNotFound) as raised:
        connector.folders("nobody@example.test")

    assert raised.value.permanent is True
    assert "nobody@example.test" in raised.value.message


def test_per_user_login(make_connector, dovecot, user, deliver):
    deliver(user, "INBOX", 1)
    connector = make_connector(master_user=None, password=dovecot.user_password)

    assert len(connector.sync(user, {}).added) == 1


def test_per_user_login_with_a_wrong_password(make_connector, user):
    connector = make_connector(master_user=None, password="wrong")

    with pytest.raises(AuthenticationError):
        connector.folders(user)


def test_username_template_builds_the_login_name(make_connector, dovecot, user):
    # Servers that key users by local part get "{local}"; here the domain is re-added.
    connector = make_connector(username_template="{local}@" + dovecot.domain)

    assert "INBOX" in {f.name for f in connector.folders(user)}


def test_check_without_mailboxes_only_connects(make_connector):
    assert make_connector().check() is None
    (closed_port,) = free_ports(1)
    with pytest.raises(ConnectorError) as raised:
        make_connector(port=closed_port).check()
    assert raised.value.permanent is False


@pytest.mark.parametrize(
    ("params", "secrets"),
    [
        ({"port": 143}, {"password": "x"}),  # no host
        ({"host": "h", "port": "many"}, {"password": "x"}),
        ({"host": "h", "ssl": "maybe"}, {"password": "x"}),
        ({"host": "h"}, {}),  # no password or token
    ],
)
def test_bad_parameters_are_permanent_errors(params, secrets):
    with pytest.raises(ConnectorError) as raised:
        ImapConnector(params, secrets)
    assert raised.value.permanent is True
