"""A local Maildir++ tree, one directory per mailbox: the embedded default (SPEC §1).

Layout (Courier/Dovecot Maildir++): ``<path>/<mailbox>/{cur,new,tmp}`` is the INBOX and each
sub-folder is a dot-directory beside them (``.Junk``, ``.Trash``, ``.Sent`` ...).  A copy's key
is the file's unique name (the part before ``:2,``); flags live in the name's info suffix
(https://cr.yp.to/proto/maildir.html), so moving a message is one ``rename`` and keeps its
key, its flags and its bytes.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clawback.mailstores.connectors.base import (
    Connector,
    ConnectorError,
    Fetched,
    Folder,
    FolderClass,
    MailboxNotFound,
    Ref,
    SyncChanges,
)

INBOX = "INBOX"
# Maildir info flags <-> IMAP system flags (maildir spec; Dovecot uses the same letters).
_TO_IMAP = {"S": "\\Seen", "F": "\\Flagged", "R": "\\Answered", "T": "\\Deleted", "D": "\\Draft"}
_TO_MAILDIR = {v: k for k, v in _TO_IMAP.items()}
_DEFAULT_CLASSES = {
    INBOX: FolderClass.INBOX,
    "Junk": FolderClass.JUNK,
    "Spam": FolderClass.JUNK,
    "Junk E-mail": FolderClass.JUNK,
    "Trash": FolderClass.DELETED,
    "Deleted Items": FolderClass.DELETED,
    "Deleted Messages": FolderClass.DELETED,
    "Sent": FolderClass.SENT,
    "Sent Items": FolderClass.SENT,
    "Sent Messages": FolderClass.SENT,
    "Recoverable Items": FolderClass.RECOVERABLE,
    "Quarantine": FolderClass.QUARANTINE,
}
# The folder each class is moved *to* when it does not exist yet.
_CREATE_NAMES = {
    FolderClass.INBOX: INBOX,
    FolderClass.JUNK: "Junk",
    FolderClass.DELETED: "Trash",
    FolderClass.SENT: "Sent",
    FolderClass.RECOVERABLE: "Recoverable Items",
    FolderClass.QUARANTINE: "Quarantine",
}
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_counter = 0


def split_name(name: str) -> tuple[str, str]:
    """``1700000000.123.host:2,S`` -> (``1700000000.123.host``, ``S``)."""
    key, sep, info = name.partition(":2,")
    return key, info if sep else ""


def imap_flags(info: str) -> tuple[str, ...]:
    return tuple(_TO_IMAP[c] for c in sorted(info) if c in _TO_IMAP)


def maildir_info(flags: Iterable[str]) -> str:
    return "".join(sorted({_TO_MAILDIR[f] for f in flags if f in _TO_MAILDIR}))


def unique_name() -> str:
    global _counter
    _counter += 1
    return f"{int(time.time())}.M{time.time_ns() % 1_000_000}P{os.getpid()}Q{_counter}.{socket.gethostname()}"


class MaildirConnector(Connector):
    kind = "maildir"
    label = "Maildir++ directory tree"
    parameters = ("path", "mailboxes")

    supports_incremental_sync = True
    supports_move = True
    supports_soft_delete = True
    supports_hard_delete = True
    supports_append = True

    def __init__(self, params: Mapping[str, Any], secrets: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(params, secrets, **kwargs)
        if not params.get("path"):
            raise ConnectorError("a maildir store needs a path", permanent=True)
        self.root = Path(params["path"])

    # --- layout ----------------------------------------------------------------------------
    def _home(self, mailbox: str) -> Path:
        if "/" in mailbox or mailbox in ("", ".", ".."):
            raise MailboxNotFound(f"invalid mailbox name {mailbox!r}")
        home = self.root / mailbox
        if not (home / "cur").is_dir():
            raise MailboxNotFound(f"no Maildir for {mailbox} under {self.root}")
        return home

    def _folder_dir(self, home: Path, folder: str) -> Path:
        return home if folder == INBOX else home / f".{folder}"

    def classify(self, name: str) -> FolderClass:
        if name in self.folder_overrides:
            return self.folder_overrides[name]
        return _DEFAULT_CLASSES.get(name, FolderClass.OTHER)

    def folders(self, mailbox: str) -> list[Folder]:
        home = self._home(mailbox)
        names = [INBOX]
        with os.scandir(home) as entries:
            names += sorted(
                e.name[1:] for e in entries if e.name.startswith(".") and e.is_dir() and e.name not in (".", "..")
            )
        return [Folder(n, self.classify(n)) for n in names if (self._folder_dir(home, n) / "cur").is_dir()]

    def _folder_for(self, mailbox: str, to_class: FolderClass) -> str:
        for folder in self.folders(mailbox):
            if folder.folder_class == to_class:
                return folder.name
        name = _CREATE_NAMES.get(to_class)
        if name is None:
            raise ConnectorError(f"no folder of class {to_class} in {mailbox}", permanent=True)
        folder_dir = self._folder_dir(self._home(mailbox), name)
        for sub in ("cur", "new", "tmp"):
            (folder_dir / sub).mkdir(parents=True, exist_ok=True)
        return name

    def _listing(self, folder_dir: Path) -> dict[str, Path]:
        """key -> current path of every message in a folder (new/ and cur/)."""
        out: dict[str, Path] = {}
        for sub in ("new", "cur"):
            try:
                with os.scandir(folder_dir / sub) as entries:
                    for entry in entries:
                        if not entry.name.startswith("."):
                            out[split_name(entry.name)[0]] = Path(entry.path)
            except FileNotFoundError:
                continue
        return out

    # --- contract ----------------------------------------------------------------------------
    def check(self) -> None:
        if not self.root.is_dir():
            raise ConnectorError(f"{self.root} is not a directory", permanent=True)

    def list_mailboxes(self) -> list[str]:
        if self.params.get("mailboxes"):
            return list(self.params["mailboxes"])
        self.check()
        return sorted(p.name for p in self.root.iterdir() if (p / "cur").is_dir())

    def sync(self, mailbox: str, state: Mapping[str, Any]) -> SyncChanges:
        """Diff each folder's listing against the last one (state: folder -> {key: info})."""
        home = self._home(mailbox)
        before: dict[str, dict[str, str]] = dict(state.get("folders", {}))
        after: dict[str, dict[str, str]] = {}
        folders = self.folders(mailbox)
        changes = SyncChanges(state={"folders": after}, folders=folders)
        for folder in folders:
            listing = {
                key: split_name(path.name)[1]
                for key, path in self._listing(self._folder_dir(home, folder.name)).items()
            }
            after[folder.name] = listing
            old = before.pop(folder.name, {})
            for key, info in listing.items():
                if key not in old:
                    changes.added.append(Ref(folder.name, key))
                elif old[key] != info:
                    changes.flags[Ref(folder.name, key)] = imap_flags(info)
            changes.removed += [Ref(folder.name, key) for key in old if key not in listing]
        for folder_name, old in before.items():  # folders that disappeared
            changes.removed += [Ref(folder_name, key) for key in old]
        return changes

    def fetch(self, mailbox: str, refs: Iterable[Ref], batch_size: int = 200) -> Iterator[Fetched]:
        home = self._home(mailbox)
        classes = {f.name: f.folder_class for f in self.folders(mailbox)}
        listings: dict[str, dict[str, Path]] = {}
        for ref in refs:
            if ref.folder not in listings:
                listings[ref.folder] = self._listing(self._folder_dir(home, ref.folder))
            path = listings[ref.folder].get(ref.key)
            if path is None:
                continue
            try:
                raw = path.read_bytes()
                mtime = path.stat().st_mtime
            except FileNotFoundError:  # moved or deleted since the listing
                continue
            yield Fetched(
                ref=ref,
                folder_class=classes.get(ref.folder, FolderClass.OTHER),
                raw=raw,
                flags=imap_flags(split_name(path.name)[1]),
                internal_date=datetime.fromtimestamp(mtime, UTC),
                size=len(raw),
            )

    def move(self, mailbox: str, refs: Iterable[Ref], to_class: FolderClass) -> dict[Ref, Ref]:
        return self._move(mailbox, refs, self._folder_for(mailbox, to_class))

    def move_to_folder(self, mailbox: str, refs: Iterable[Ref], folder: str) -> dict[Ref, Ref]:
        home = self._home(mailbox)
        if "/" in folder or not (self._folder_dir(home, folder) / "cur").is_dir():
            raise MailboxNotFound(f"{mailbox}: no folder {folder!r}")
        return self._move(mailbox, refs, folder)

    def _move(self, mailbox: str, refs: Iterable[Ref], target: str) -> dict[Ref, Ref]:
        home = self._home(mailbox)
        target_dir = self._folder_dir(home, target)
        moved: dict[Ref, Ref] = {}
        listings: dict[str, dict[str, Path]] = {}
        for ref in refs:
            if ref.folder == target:
                moved[ref] = ref
                continue
            if ref.folder not in listings:
                listings[ref.folder] = self._listing(self._folder_dir(home, ref.folder))
            path = listings[ref.folder].get(ref.key)
            if path is None:
                continue
            try:
                # rename(2) is atomic within one file system: the message is in exactly one
                # place at every instant, which the resumable executor relies on.
                path.rename(target_dir / path.parent.name / path.name)
            except FileNotFoundError:
                continue
            moved[ref] = Ref(target, ref.key)
        return moved

    def hard_delete(self, mailbox: str, refs: Iterable[Ref]) -> None:
        home = self._home(mailbox)
        listings: dict[str, dict[str, Path]] = {}
        for ref in refs:
            if ref.folder not in listings:
                listings[ref.folder] = self._listing(self._folder_dir(home, ref.folder))
            path = listings[ref.folder].get(ref.key)
            if path is not None:
                path.unlink(missing_ok=True)

    def append(
        self,
        mailbox: str,
        folder_class: FolderClass,
        raw: bytes,
        flags: tuple[str, ...] = (),
        internal_date: datetime | None = None,
    ) -> Ref | None:
        home = self._home(mailbox)
        folder = self._folder_for(mailbox, folder_class)
        folder_dir = self._folder_dir(home, folder)
        key = unique_name()
        tmp = folder_dir / "tmp" / key
        tmp.write_bytes(raw)
        if internal_date is not None:
            stamp = internal_date.timestamp()
            os.utime(tmp, (stamp, stamp))
        info = maildir_info(flags)
        final = folder_dir / "cur" / f"{key}:2,{info}" if info else folder_dir / "new" / key
        tmp.rename(final)
        return Ref(folder, key)

    def set_flags(self, mailbox: str, refs: Iterable[Ref], flags: tuple[str, ...]) -> None:
        home = self._home(mailbox)
        info = maildir_info(flags)
        listings: dict[str, dict[str, Path]] = {}
        for ref in refs:
            if ref.folder not in listings:
                listings[ref.folder] = self._listing(self._folder_dir(home, ref.folder))
            path = listings[ref.folder].get(ref.key)
            if path is not None:
                path.rename(path.parent.parent / "cur" / f"{ref.key}:2,{info}")

    def locate(self, mailbox: str, message_ids: Iterable[str]) -> dict[str, list[Ref]]:
        wanted = {m.strip("<> ") for m in message_ids}
        found: dict[str, list[Ref]] = {}
        home = self._home(mailbox)
        for folder in self.folders(mailbox):
            for key, path in self._listing(self._folder_dir(home, folder.name)).items():
                message_id = _read_message_id(path)
                if message_id in wanted:
                    found.setdefault(message_id, []).append(Ref(folder.name, key))
        return found


def _read_message_id(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except FileNotFoundError:
        return None
    head = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    match = _MESSAGE_ID.search(head)
    if match is None:
        return None
    return match.group(1).decode("ascii", "replace").strip().strip("<>").strip()
