"""The ``clawback`` command line, run in-process against the test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clawback.audit.models import AuditEvent
from clawback.cli import main
from clawback.mailstores.connectors.base import FolderClass
from clawback.mailstores.connectors.maildir.connector import MaildirConnector
from clawback.mailstores.models import Store

pytestmark = pytest.mark.django_db(transaction=True)


def mail(n: int, sender: str, to: str) -> bytes:
    return (
        f"Message-ID: <c{n}@x>\r\nFrom: {sender}\r\nTo: {to}\r\nSubject: invoice {n}\r\n"
        f"Date: Mon, 16 Nov 2026 10:00:00 +0000\r\n\r\nsee https://bit.ly/x{n}\r\n"
    ).encode()


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    root = tmp_path / "maildir"
    for box in ("ann@example.test", "ben@example.test"):
        for sub in ("cur", "new", "tmp"):
            (root / box / sub).mkdir(parents=True)
    conn = MaildirConnector({"path": str(root)}, {})
    conn.append("ann@example.test", FolderClass.INBOX, mail(1, "a@evil.example", "ann@example.test"))
    conn.append("ben@example.test", FolderClass.INBOX, mail(2, "b@good.example", "ben@example.test"))
    return root


def test_store_add_sync_search(maildir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["store", "add", "local", "--kind", "maildir", "--path", str(maildir)]) == 0
    assert "2 mailboxes" in capsys.readouterr().out
    assert main(["sync", "local", "--processes", "1"]) == 0
    capsys.readouterr()
    assert main(["search", "sender.domain = evil.example", "--count"]) == 0
    assert capsys.readouterr().out.strip() == "1"
    assert main(["search", "url.domain = bit.ly", "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(r["recipient"] for r in rows) == ["ann@example.test", "ben@example.test"]
    assert AuditEvent.objects.filter(action="store.add").count() == 1


def test_bad_query_names_the_token(maildir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "sender.domian = x"]) == 2
    err = capsys.readouterr().err
    assert "sender.domian" in err and "column 1" in err


def test_imap_store_requires_password_and_keeps_it_out_of_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = tmp_path / "users.txt"
    users.write_text("user0001@example.test\n# comment\nuser0002@example.test\n")
    assert main(["store", "add", "corp", "--kind", "imap", "--host", "127.0.0.1", "--mailboxes-file", str(users)]) == 2
    assert "--password-file" in capsys.readouterr().err
    pw = tmp_path / "pw.txt"
    pw.write_text("topsecret\n")
    args = [
        "store",
        "add",
        "corp",
        "--kind",
        "imap",
        "--host",
        "127.0.0.1",
        "--port",
        "14143",
        "--master-user",
        "admin",
        "--password-file",
        str(pw),
        "--mailboxes-file",
        str(users),
    ]
    assert main(args) == 0
    store = Store.objects.get(name="corp")
    assert store.secrets == {"password": "topsecret"}
    assert store.params["master_user"] == "admin"
    assert sorted(store.mailboxes.values_list("address", flat=True)) == [
        "user0001@example.test",
        "user0002@example.test",
    ]
    assert "topsecret" not in json.dumps(list(AuditEvent.objects.values("data")))


def test_user_add_and_audit_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pw = tmp_path / "pw"
    pw.write_text("a-long-password-1")
    assert main(["user", "add", "zoe", "--group", "Security Reader", "--password-file", str(pw)]) == 0
    assert main(["user", "add", "zed", "--group", "No Such Group"]) == 2
    assert "no role group" in capsys.readouterr().err
    assert main(["audit", "verify"]) == 0
    AuditEvent.objects.filter(action="user.add").update(actor_name="mallory")
    assert main(["audit", "verify"]) == 1
    assert "TAMPERING DETECTED" in capsys.readouterr().out


def test_store_remove(maildir: Path) -> None:
    assert main(["store", "add", "local", "--kind", "maildir", "--path", str(maildir)]) == 0
    assert main(["store", "remove", "local"]) == 0
    assert not Store.objects.exists()
    assert main(["store", "remove", "local"]) == 2
