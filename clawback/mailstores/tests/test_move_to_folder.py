"""``move_to_folder``: undo puts messages back in the exact folder they came from (Maildir and
IMAP), keeping flags; a folder that no longer exists is a permanent error, not re-created."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawback.mailstores.connectors.base import FolderClass, MailboxNotFound
from clawback.mailstores.connectors.maildir.connector import MaildirConnector

BOX = "ann@example.test"


def message(n: int) -> bytes:
    return f"Message-ID: <m{n}@example.test>\r\nFrom: x@example.org\r\nSubject: {n}\r\n\r\nbody\r\n".encode()


@pytest.fixture
def maildir(tmp_path: Path) -> MaildirConnector:
    for folder in ("", ".Junk", ".Archive", ".Projects"):
        for sub in ("cur", "new", "tmp"):
            (tmp_path / BOX / folder / sub).mkdir(parents=True, exist_ok=True)
    return MaildirConnector({"path": str(tmp_path)}, {})


def test_maildir_moves_to_the_named_folder(maildir: MaildirConnector, tmp_path: Path) -> None:
    kept = maildir.append(BOX, FolderClass.JUNK, message(1), ("\\Seen", "\\Flagged"))
    other = maildir.append(BOX, FolderClass.JUNK, message(2))
    assert kept is not None and other is not None
    moved = maildir.move_to_folder(BOX, [kept], "Projects")
    assert set(moved) == {kept} and moved[kept].folder == "Projects"
    (path,) = (tmp_path / BOX / ".Projects" / "cur").iterdir()
    assert path.name.endswith(":2,FS")  # flags travel with the message
    assert len(list((tmp_path / BOX / ".Junk" / "new").iterdir())) == 1  # the other one stays
    assert maildir.move_to_folder(BOX, [moved[kept]], "Projects") == {moved[kept]: moved[kept]}


def test_maildir_missing_folder_is_permanent(maildir: MaildirConnector) -> None:
    ref = maildir.append(BOX, FolderClass.INBOX, message(3))
    assert ref is not None
    with pytest.raises(MailboxNotFound):
        maildir.move_to_folder(BOX, [ref], "Gone")


def test_folders_is_part_of_the_contract(maildir: MaildirConnector) -> None:
    classes = {f.name: f.folder_class for f in maildir.folders(BOX)}
    assert classes["INBOX"] == FolderClass.INBOX and classes["Projects"] == FolderClass.OTHER


@pytest.mark.dovecot
def test_imap_moves_to_the_named_folder(connector, user, deliver, as_user) -> None:  # type: ignore[no-untyped-def]
    deliver(user, "Junk", 2, flags=("\\Seen",))
    refs = connector.sync(user, {}).added
    moved = connector.move_to_folder(user, refs[:1], "Archive")
    assert [r.folder for r in moved.values()] == ["Archive"]
    client = as_user(user)
    assert client.folder_status("Archive", ["MESSAGES"])[b"MESSAGES"] == 1
    assert client.folder_status("Junk", ["MESSAGES"])[b"MESSAGES"] == 1
    client.select_folder("Archive", readonly=True)
    (flags,) = [d[b"FLAGS"] for d in client.fetch(client.search("ALL"), ["FLAGS"]).values()]
    assert b"\\Seen" in flags
    with pytest.raises(MailboxNotFound):
        connector.move_to_folder(user, refs[1:], "No Such Folder")
