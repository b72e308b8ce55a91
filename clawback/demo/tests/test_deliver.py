"""Maildir++ delivery, checked on disk."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clawback.demo.deliver import FOLDERS, deliver_maildir, maildir_info
from clawback.demo.generator import DemoMessage, generate
from clawback.demo.tests.conftest import BOXES, NOW

ALICE = "alice.smith@example.test"
WHEN = datetime(2025, 6, 9, 8, 30, 15, tzinfo=UTC)


def message(folder: str, flags: tuple[str, ...], n: int) -> DemoMessage:
    raw = f"Message-ID: <m{n}@example.test>\r\nSubject: {n}\r\n\r\nbody {n}\r\n".encode()
    return DemoMessage(ALICE, folder, flags, "business", raw, WHEN, f"m{n}@example.test")


def files(folder: Path) -> list[Path]:
    return sorted(p for sub in ("new", "cur") for p in (folder / sub).iterdir())


def test_every_folder_exists_with_cur_new_tmp(tmp_path: Path) -> None:
    assert deliver_maildir(tmp_path, [message("inbox", (), 1)]) == 1
    box = tmp_path / ALICE
    for folder in ("", ".Junk", ".Trash", ".Sent", ".Archive", ".Recoverable Items"):
        for sub in ("cur", "new", "tmp"):
            assert (box / folder / sub).is_dir(), (folder, sub)
    assert (box / ".Junk" / "maildirfolder").is_file()
    assert not list((box / "tmp").iterdir())


def test_unread_goes_to_new_and_read_to_cur_with_flag_letters(tmp_path: Path) -> None:
    messages = [
        message("inbox", (), 1),
        message("inbox", ("\\Seen",), 2),
        message("junk", ("\\Seen", "\\Flagged", "\\Answered"), 3),
        message("deleted", ("\\Seen",), 4),
        message("sent", ("\\Seen",), 5),
        message("other", (), 6),
    ]
    assert deliver_maildir(tmp_path, messages) == 6
    box = tmp_path / ALICE
    [unread] = (box / "new").iterdir()
    assert ":" not in unread.name and unread.read_bytes() == messages[0].raw
    assert unread.name.startswith(f"{int(WHEN.timestamp())}.") and unread.name.count(".") >= 2
    [read] = (box / "cur").iterdir()
    assert read.name.endswith(":2,S") and read.read_bytes() == messages[1].raw
    [junk] = (box / ".Junk" / "cur").iterdir()
    assert junk.name.endswith(":2,FRS")
    assert [p.parent.parent.name for p in files(box / ".Trash")] == [".Trash"]
    assert len(files(box / ".Sent")) == 1
    assert [p.parent.name for p in files(box / ".Archive")] == ["new"]
    assert unread.stat().st_mtime == WHEN.timestamp()


def test_names_stay_unique_across_calls(tmp_path: Path) -> None:
    deliver_maildir(tmp_path, [message("inbox", (), 1)])
    deliver_maildir(tmp_path, [message("inbox", (), 1)])
    assert len(list((tmp_path / ALICE / "new").iterdir())) == 2


def test_a_generated_corpus_lands_where_its_folder_classes_say(tmp_path: Path) -> None:
    messages = list(generate(BOXES[:4], 60, now=NOW))
    assert deliver_maildir(tmp_path, messages) == len(messages)
    expected = Counter((m.mailbox, FOLDERS[m.folder_class], bool(m.flags)) for m in messages)
    found: Counter[tuple[str, str, bool]] = Counter()
    for box in BOXES[:4]:
        for folder in FOLDERS.values():
            for path in files(tmp_path / box / folder):
                found[(box, folder, path.parent.name == "cur")] += 1
    assert found == expected
    inbox = {m.raw: m for m in messages if m.mailbox == BOXES[0] and m.folder_class == "inbox"}
    for path in files(tmp_path / BOXES[0]):
        m = inbox.pop(path.read_bytes())
        assert path.stat().st_mtime == m.received_at.timestamp()
        assert path.name.endswith(f":2,{maildir_info(m.flags)}") if m.flags else ":" not in path.name
    assert not inbox


def test_maildir_info_letters_are_sorted() -> None:
    assert maildir_info(("\\Seen", "\\Flagged", "\\Answered")) == "FRS"
    assert maildir_info(("\\Seen", "$Label1")) == "S"


@pytest.mark.parametrize("mailbox", ["../escape", "", ".hidden", "a/b"])
def test_refuses_mailbox_names_that_are_not_one_directory(tmp_path: Path, mailbox: str) -> None:
    bad = DemoMessage(mailbox, "inbox", (), "business", b"x\r\n", WHEN, "x@y")
    with pytest.raises(ValueError, match="mailbox directory"):
        deliver_maildir(tmp_path, [bad])
