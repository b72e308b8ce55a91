"""The maildir connector, checked against the files on disk (not through the index)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawback.mailstores.connectors.base import FolderClass, MailboxNotFound, Ref
from clawback.mailstores.connectors.maildir.connector import MaildirConnector

BOX = "ann@example.test"


def message(n: int) -> bytes:
    return (
        f"Message-ID: <m{n}@example.test>\r\nFrom: x@example.org\r\nTo: {BOX}\r\nSubject: test {n}\r\n\r\nbody {n}\r\n"
    ).encode()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for folder in ("", ".Junk", ".Trash", ".Sent", ".Archive"):
        for sub in ("cur", "new", "tmp"):
            (tmp_path / BOX / folder / sub).mkdir(parents=True, exist_ok=True)
    return tmp_path


@pytest.fixture
def conn(root: Path) -> MaildirConnector:
    return MaildirConnector({"path": str(root)}, {})


def files(root: Path, folder: str) -> dict[str, bytes]:
    base = root / BOX / folder
    return {p.name: p.read_bytes() for sub in ("new", "cur") for p in (base / sub).iterdir()}


def test_folder_classes_and_override(root: Path) -> None:
    conn = MaildirConnector({"path": str(root)}, {}, folder_overrides={"Archive": "junk"})
    classes = {f.name: f.folder_class for f in conn.folders(BOX)}
    assert classes == {
        "INBOX": FolderClass.INBOX,
        "Archive": FolderClass.JUNK,
        "Junk": FolderClass.JUNK,
        "Sent": FolderClass.SENT,
        "Trash": FolderClass.DELETED,
    }


def test_append_fetch_roundtrip_keeps_bytes_and_flags(conn: MaildirConnector, root: Path) -> None:
    ref = conn.append(BOX, FolderClass.INBOX, message(1), flags=("\\Seen",))
    assert ref is not None and ref.folder == "INBOX"
    [got] = list(conn.fetch(BOX, [ref]))
    assert got.raw == message(1)
    assert got.flags == ("\\Seen",)
    assert [name[-4:] for name in files(root, "")] == [":2,S"]


def test_sync_sees_added_moved_deleted_and_flags(conn: MaildirConnector, root: Path) -> None:
    refs = [conn.append(BOX, FolderClass.INBOX, message(i)) for i in range(4)]
    first = conn.sync(BOX, {})
    assert sorted(first.added) == sorted(refs)
    again = conn.sync(BOX, first.state)
    assert not again.added and not again.removed and not again.flags
    # The user: moves message 0 to Junk, deletes message 1, reads message 2.
    inbox = root / BOX / "new"
    (inbox / refs[0].key).rename(root / BOX / ".Junk" / "cur" / f"{refs[0].key}:2,")
    (inbox / refs[1].key).unlink()
    (inbox / refs[2].key).rename(root / BOX / "cur" / f"{refs[2].key}:2,S")
    delta = conn.sync(BOX, again.state)
    assert delta.added == [Ref("Junk", refs[0].key)]
    assert sorted(delta.removed) == sorted([refs[0], refs[1]])
    assert delta.flags == {refs[2]: ("\\Seen",)}


def test_move_renames_exactly_the_given_messages(conn: MaildirConnector, root: Path) -> None:
    refs = [conn.append(BOX, FolderClass.INBOX, message(i)) for i in range(3)]
    moved = conn.move(BOX, refs[:2], FolderClass.JUNK)
    assert moved == {refs[0]: Ref("Junk", refs[0].key), refs[1]: Ref("Junk", refs[1].key)}
    assert sorted(files(root, ".Junk").values()) == [message(0), message(1)]
    assert list(files(root, "").values()) == [message(2)]
    # Moving again is a no-op that reports the copies already there.
    assert conn.move(BOX, list(moved.values()), FolderClass.JUNK) == {r: r for r in moved.values()}


def test_soft_delete_creates_recoverable_folder(conn: MaildirConnector, root: Path) -> None:
    ref = conn.append(BOX, FolderClass.INBOX, message(1))
    moved = conn.soft_delete(BOX, [ref])
    assert moved[ref].folder == "Recoverable Items"
    assert list(files(root, ".Recoverable Items").values()) == [message(1)]


def test_hard_delete_removes_only_the_given_message(conn: MaildirConnector, root: Path) -> None:
    refs = [conn.append(BOX, FolderClass.INBOX, message(i)) for i in range(2)]
    conn.hard_delete(BOX, [refs[0]])
    assert list(files(root, "").values()) == [message(1)]


def test_locate_by_message_id(conn: MaildirConnector) -> None:
    ref = conn.append(BOX, FolderClass.JUNK, message(7))
    assert conn.locate(BOX, ["<m7@example.test>", "nope@x"]) == {"m7@example.test": [ref]}


def test_set_flags_restores_read_state(conn: MaildirConnector) -> None:
    ref = conn.append(BOX, FolderClass.INBOX, message(1), flags=("\\Seen", "\\Flagged"))
    conn.set_flags(BOX, [ref], ())
    [got] = list(conn.fetch(BOX, [ref]))
    assert got.flags == ()


def test_missing_mailbox_is_permanent(conn: MaildirConnector) -> None:
    with pytest.raises(MailboxNotFound) as info:
        conn.sync("nobody@example.test", {})
    assert info.value.permanent


def test_list_mailboxes_from_directories(conn: MaildirConnector) -> None:
    assert conn.list_mailboxes() == [BOX]
