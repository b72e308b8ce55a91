"""run_parse: files and directories in, one JSON object per message per line out."""

from __future__ import annotations

import io
import json
from pathlib import Path

from clawback.mail.parsing.cli import run_parse

REQUIRED = {
    "path", "message_id", "subject", "from_address", "from_domain", "from_name", "mail_from",
    "sender_ip", "recipients", "received_at", "size", "direction", "auth", "urls", "attachments",
    "spam_verdict", "fingerprint", "parse_problems",
}  # fmt: skip

MESSAGE = (
    "Received: from mx.evil.example (mx.evil.example [198.51.100.7]) by mx1.corp.example;"
    " Mon, 16 Nov 2026 10:00:00 +0000\r\n"
    "Message-ID: <m1@evil.example>\r\nFrom: Helpdesk <it@evil.example>\r\nTo: bob@corp.example\r\n"
    "Subject: =?utf-8?q?R=C3=A9initialiser?=\r\nDate: Mon, 16 Nov 2026 09:59:00 +0000\r\n"
    "Content-Type: text/plain\r\n\r\nReset at https://login.evil.example/reset?u=1\r\n"
)


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_directory_recursion_and_required_keys(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.eml").write_bytes(MESSAGE.encode())
    (tmp_path / "sub" / "b.eml").write_bytes(b"\x00\xff not a message")
    (tmp_path / "notes.txt").write_text("ignored: not .eml")
    out = io.StringIO()

    assert run_parse([str(tmp_path)], out, org_domains=["corp.example"]) == 0
    records = lines(out)
    assert [Path(r["path"]).name for r in records] == ["a.eml", "b.eml"]
    first = records[0]
    assert first.keys() >= REQUIRED
    assert set(first["auth"]) == {"spf", "dkim", "dmarc", "composite"}
    assert first["urls"] == [
        {
            "url": "https://login.evil.example/reset?u=1",
            "domain": "login.evil.example",
            "path": "/reset",
            "source": "body",
        }
    ]
    assert (first["subject"], first["sender_ip"], first["direction"]) == ("Réinitialiser", "198.51.100.7", "inbound")
    assert first["received_at"] == "2026-11-16T10:00:00+00:00"
    assert "Réinitialiser" in out.getvalue()  # ensure_ascii=False
    assert records[1]["parse_problems"]


def test_missing_path_is_reported_and_the_rest_still_parsed(tmp_path: Path) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(MESSAGE.encode())
    out = io.StringIO()
    assert run_parse([str(tmp_path / "missing.eml"), str(good)], out) == 1
    missing, parsed = lines(out)
    assert missing["parse_problems"] == ["no such file or directory"]
    assert parsed["message_id"] == "m1@evil.example"


def test_unreadable_file_becomes_a_line(tmp_path: Path) -> None:
    (tmp_path / "dangling.eml").symlink_to(tmp_path / "gone.eml")
    folder = tmp_path / "folder.eml"
    folder.mkdir()  # a directory named like a message is recursed into, not read
    (folder / "inner.eml").write_bytes(MESSAGE.encode())
    out = io.StringIO()
    assert run_parse([str(tmp_path)], out) == 0
    dangling, inner = lines(out)
    assert Path(dangling["path"]).name == "dangling.eml"
    assert dangling["parse_problems"] == ["file could not be read (No such file or directory)"]
    assert inner["message_id"] == "m1@evil.example"
