"""The private Dovecot used by these tests (``clawback.lib.testing.dovecot``)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from clawback.lib.testing.dovecot import DovecotServer, append_messages, sample_message

pytestmark = pytest.mark.dovecot


def test_session_server_is_set_up_like_the_recipe(dovecot, user):
    assert len({dovecot.imap_port, dovecot.sieve_port, dovecot.lmtp_port}) == 3
    assert dovecot.users[0] == "user0001@example.test"
    assert (dovecot.data_dir.stat().st_mode & 0o777) == 0o755
    folders = dovecot.doveadm("mailbox", "list", "-u", user).split()
    assert {"INBOX", "Junk", "Trash", "Sent", "Drafts", "Archive", "Recoverable"} <= set(folders)
    for port in (dovecot.sieve_port, dovecot.lmtp_port):
        socket.create_connection((dovecot.host, port), timeout=2).close()


def test_restart_keeps_ports_and_mail():
    with DovecotServer(nusers=1) as server:
        append_messages(server, server.users[0], "INBOX", [sample_message(1)])
        port, pid = server.imap_port, server.pid

        server.restart()

        assert server.imap_port == port and server.pid != pid
        client = server.client(server.users[0])
        assert client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 1
        client.logout()
    assert not server.running
    with pytest.raises(OSError):
        socket.create_connection((server.host, port), timeout=1)
    assert not server.data_dir.exists()


def test_starting_does_not_hold_the_callers_stdout():
    # The daemon must not inherit stdout, or a capturing caller never sees EOF.
    script = (
        "from clawback.lib.testing.dovecot import DovecotServer\n"
        "s = DovecotServer(nusers=1).start()\n"
        "print(s.imap_port)\n"
        "s.cleanup()\n"
    )

    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)

    assert result.stdout.strip().isdigit()


def test_lazy_expunge_keeps_expunged_mail_recoverable():
    with DovecotServer(nusers=1, lazy_expunge=True) as server:
        address = server.users[0]
        (uid,) = append_messages(server, address, "INBOX", [sample_message(1)])
        client = server.client(address)
        client.select_folder("INBOX")
        client.add_flags([uid], [rb"\Deleted"], silent=True)
        client.uid_expunge([uid])

        assert client.folder_status("Recoverable Items", ["MESSAGES"])[b"MESSAGES"] == 1
        client.logout()
