"""Write demo mail into a Maildir++ tree, the way Dovecot's LDA would have delivered it.

Layout (one directory per mailbox, named by its address)::

    root/alice.smith@example.test/{cur,new,tmp}            INBOX
    root/alice.smith@example.test/.Junk/{cur,new,tmp}       junk
    root/alice.smith@example.test/.Trash/...                deleted
    root/alice.smith@example.test/.Sent/...                 sent
    root/alice.smith@example.test/.Archive/...              other
    root/alice.smith@example.test/.Recoverable Items/...    (empty: soft-deleted mail goes here)

Unread mail lands in ``new/`` as ``<epoch>.<unique>.<host>``; mail with flags in ``cur/`` with
the ``:2,<flags>`` info suffix (letters in ASCII order, as the Maildir spec asks).  Each file is
written to ``tmp/`` and renamed into place, so a reader never sees half a message.  No fsync:
this is demo data, and speed matters more than surviving a power cut.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
from collections.abc import Iterable
from pathlib import Path

from clawback.demo.message import DemoMessage

FOLDERS = {"inbox": "", "junk": ".Junk", "deleted": ".Trash", "sent": ".Sent", "other": ".Archive"}
EMPTY_FOLDERS = (".Recoverable Items",)
# IMAP flag -> Maildir info letter (https://cr.yp.to/proto/maildir.html).
FLAG_LETTERS = {"\\Draft": "D", "\\Flagged": "F", "\\Answered": "R", "\\Seen": "S", "\\Deleted": "T"}

# Deliveries by this process, across calls: part of each file's unique name.
_deliveries = itertools.count(1)


def deliver_maildir(root: Path, messages: Iterable[DemoMessage]) -> int:
    """Write every message under ``root`` and return how many were written."""
    root = Path(root)
    host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")
    unique = f"P{os.getpid()}R{secrets.token_hex(4)}"
    folders: dict[tuple[str, str], Path] = {}
    prepared: set[str] = set()
    count = 0
    for message in messages:
        key = (message.mailbox, message.folder_class)
        folder = folders.get(key)
        if folder is None:
            if message.mailbox not in prepared:
                _prepare(root, message.mailbox)
                prepared.add(message.mailbox)
            folder = folders[key] = root / message.mailbox / FOLDERS[message.folder_class]
        epoch = int(message.received_at.timestamp())
        name = f"{epoch}.M{message.received_at.microsecond}{unique}Q{next(_deliveries)}.{host}"
        tmp = folder / "tmp" / name
        with open(tmp, "xb") as fh:
            fh.write(message.raw)
        os.utime(tmp, (epoch, epoch))
        tmp.rename(_final_path(folder, name, message.flags))
        count += 1
    return count


def maildir_info(flags: Iterable[str]) -> str:
    """The ``:2,`` info letters for IMAP flags, sorted; unknown flags have no letter."""
    return "".join(sorted(FLAG_LETTERS[f] for f in flags if f in FLAG_LETTERS))


def _final_path(folder: Path, name: str, flags: tuple[str, ...]) -> Path:
    if not flags:
        return folder / "new" / name
    return folder / "cur" / f"{name}:2,{maildir_info(flags)}"


def _prepare(root: Path, mailbox: str) -> None:
    """Create the mailbox with every folder, each a Maildir with cur/new/tmp."""
    if not mailbox or "/" in mailbox or "\0" in mailbox or mailbox.startswith("."):
        raise ValueError(f"not a usable mailbox directory name: {mailbox!r}")
    base = root / mailbox
    for folder in (*FOLDERS.values(), *EMPTY_FOLDERS):
        for sub in ("cur", "new", "tmp"):
            (base / folder / sub).mkdir(parents=True, exist_ok=True)
        if folder:
            # Maildir++: marks a directory as a subfolder (Courier requires it; Dovecot ignores it).
            (base / folder / "maildirfolder").touch()
