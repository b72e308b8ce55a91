"""Test helpers: small mail worlds, reading mailboxes directly, running the queue in-process."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from clawback.mailstores.connectors.maildir.connector import split_name

DOMAIN = "example.test"
FOLDERS = ("", ".Junk", ".Trash", ".Sent", ".Archive")
_MESSAGE_ID = re.compile(rb"^message-id:\s*<?([^>\r\n]+)>?", re.IGNORECASE | re.MULTILINE)

# What a mailbox holds, read from the store itself: folder -> {message_id: flags}.
Mailbox = dict[str, dict[str, str]]


def message(message_id: str, sender: str, to: str, subject: str = "hello") -> bytes:
    domain = sender.rpartition("@")[2]
    return (
        f"Return-Path: <{sender}>\r\n"
        f"Received: from mx.{domain} (mx.{domain} [198.51.100.7]) by mx1.{DOMAIN}; "
        "Mon, 16 Nov 2026 10:00:00 +0000\r\n"
        f"Message-ID: <{message_id}>\r\nFrom: {sender}\r\nTo: {to}\r\n"
        f"Subject: {subject}\r\nDate: Mon, 16 Nov 2026 10:00:00 +0000\r\n"
        f"Content-Type: text/plain\r\n\r\nSee https://{domain}/x\r\n"
    ).encode()


def make_maildir(root: Path, boxes: Iterable[str]) -> None:
    for box in boxes:
        for folder in FOLDERS:
            for sub in ("cur", "new", "tmp"):
                (root / box / folder / sub).mkdir(parents=True, exist_ok=True)


_counter = [0]


def put(root: Path, box: str, folder: str, raw: bytes, flags: str = "") -> str:
    """Deliver ``raw`` into ``box``/``folder`` ("" is INBOX) with Maildir flag letters."""
    _counter[0] += 1
    key = f"1700000000.M{_counter[0]}P{os.getpid()}.test"
    base = root / box / (f".{folder}" if folder else "")
    path = base / "cur" / f"{key}:2,{flags}" if flags else base / "new" / key
    path.write_bytes(raw)
    return key


def read_maildir(root: Path) -> dict[str, Mailbox]:
    """mailbox -> folder ("INBOX", "Junk", ...) -> {message_id: flag letters}, from the files."""
    out: dict[str, Mailbox] = {}
    for home in sorted(p for p in root.iterdir() if (p / "cur").is_dir()):
        box: Mailbox = {}
        for folder_dir in [home, *sorted(p for p in home.iterdir() if p.name.startswith("."))]:
            name = "INBOX" if folder_dir == home else folder_dir.name[1:]
            found: dict[str, str] = {}
            for sub in ("new", "cur"):
                for path in (folder_dir / sub).iterdir() if (folder_dir / sub).is_dir() else ():
                    match = _MESSAGE_ID.search(path.read_bytes()[:4096])
                    assert match, path
                    message_id = match.group(1).decode()
                    assert message_id not in found, f"{message_id} twice in {home.name}/{name}"
                    found[message_id] = split_name(path.name)[1]
            if found:
                box[name] = found
        out[home.name] = box
    return out


def where(state: dict[str, Mailbox], box: str, message_id: str) -> list[str]:
    """The folders of ``box`` holding ``message_id``."""
    return [folder for folder, ids in state[box].items() if message_id in ids]


def drain() -> None:
    """Run every ready task in this process until the queue is empty (``worker --burst``);
    fail the test if any task raised."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="pytest",
        excluded_queue_names=[],
    ).run()
    failed = DBTaskResult.objects.filter(status="FAILED")
    if failed.exists():
        raise AssertionError("task failed:\n" + "\n".join(f.traceback for f in failed))
