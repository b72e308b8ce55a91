"""The connector contract every mail-store kind implements (SPEC §1, ARCHITECTURE.md).

Methods take a mailbox address and *batches* of references, never one message per call.  A
reference (:class:`Ref`) is back-end specific and opaque above ``mailstores/``: IMAP uses folder
+ UIDVALIDITY + UID, Maildir uses folder + file key.  Capabilities are declared as class
attributes; callers ask (``connector.supports_move``), they never probe.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar


class FolderClass(StrEnum):
    INBOX = "inbox"
    JUNK = "junk"
    DELETED = "deleted"
    RECOVERABLE = "recoverable"
    QUARANTINE = "quarantine"
    SENT = "sent"
    OTHER = "other"
    NOT_FOUND = "not_found"


# Where a remediation may act (SPEC §4): everything but sent and not_found.
REMEDIABLE = frozenset(
    {
        FolderClass.INBOX,
        FolderClass.JUNK,
        FolderClass.DELETED,
        FolderClass.RECOVERABLE,
        FolderClass.QUARANTINE,
        FolderClass.OTHER,
    }
)


class ConnectorError(Exception):
    """A back end refused or failed.  ``permanent`` tells the caller whether to retry."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class AuthenticationError(ConnectorError):
    """Raised when the back end rejects the credentials; retrying will not help."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class MailboxNotFound(ConnectorError):
    """Raised when the mailbox (user) or a required folder does not exist on the back end."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class Throttled(ConnectorError):
    """Raised when the back end asks us to slow down; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message, permanent=False)
        self.retry_after = retry_after


@dataclass(frozen=True, order=True)
class Ref:
    """Where one copy lives: a folder name and a back-end key within it (opaque)."""

    folder: str
    key: str

    def encode(self) -> str:
        return f"{self.folder}\x1f{self.key}"

    @classmethod
    def decode(cls, text: str) -> Ref:
        folder, _, key = text.partition("\x1f")
        return cls(folder, key)


@dataclass
class Folder:
    name: str
    folder_class: FolderClass


@dataclass
class SyncChanges:
    """What changed in a mailbox since ``state``; apply all, then persist ``state``.

    ``added`` refs must be fetched with :meth:`Connector.fetch`.  ``removed`` refs are gone
    from where they were (the user moved or deleted them).  When ``complete`` is true the
    back end could not compute a delta (first sync, UIDVALIDITY changed): ``added`` lists every
    message and ``present`` lists every ref that exists, so anything else indexed is gone.
    """

    state: dict[str, Any]
    folders: list[Folder]
    added: list[Ref] = field(default_factory=list)
    removed: list[Ref] = field(default_factory=list)
    flags: dict[Ref, tuple[str, ...]] = field(default_factory=dict)
    complete: bool = False
    present: set[Ref] | None = None


@dataclass
class Fetched:
    """One message as the back end holds it."""

    ref: Ref
    folder_class: FolderClass
    raw: bytes
    flags: tuple[str, ...]
    internal_date: datetime | None
    size: int


class Connector:
    """Base class.  Subclasses set ``kind`` and override what they support."""

    kind: ClassVar[str]
    label: ClassVar[str]
    # Parameter names accepted at ``store add``; the sensitive ones go to Store.secrets.
    parameters: ClassVar[tuple[str, ...]] = ()
    sensitive_parameters: ClassVar[tuple[str, ...]] = ()

    supports_incremental_sync: ClassVar[bool] = False
    supports_move: ClassVar[bool] = False
    supports_soft_delete: ClassVar[bool] = False
    supports_hard_delete: ClassVar[bool] = False
    supports_append: ClassVar[bool] = False
    supports_forwarding: ClassVar[bool] = False

    def __init__(
        self,
        params: Mapping[str, Any],
        secrets: Mapping[str, Any],
        *,
        folder_overrides: Mapping[str, str] | None = None,
        max_connections: int = 4,
    ) -> None:
        self.params = dict(params)
        self.secrets = dict(secrets)
        self.folder_overrides = {k: FolderClass(v) for k, v in (folder_overrides or {}).items()}
        self.max_connections = max_connections

    def close(self) -> None:
        """Release pooled connections."""

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- contract ------------------------------------------------------------------------
    def check(self) -> None:
        """Connect once and raise ``ConnectorError`` if the store is unusable."""
        raise NotImplementedError

    def list_mailboxes(self) -> list[str]:
        raise NotImplementedError

    def folders(self, mailbox: str) -> list[Folder]:
        """The mailbox's folders with their classes (one listing; no message is read)."""
        raise NotImplementedError

    def sync(self, mailbox: str, state: Mapping[str, Any]) -> SyncChanges:
        raise NotImplementedError

    def fetch(self, mailbox: str, refs: Iterable[Ref], batch_size: int = 200) -> Iterator[Fetched]:
        """Yield the raw message for each ref that still exists (missing ones are skipped)."""
        raise NotImplementedError

    def move(self, mailbox: str, refs: Iterable[Ref], to_class: FolderClass) -> dict[Ref, Ref]:
        """Move refs to the folder of ``to_class``; return old ref -> new ref."""
        raise NotImplementedError

    def move_to_folder(self, mailbox: str, refs: Iterable[Ref], folder: str) -> dict[Ref, Ref]:
        """Move refs to the folder named ``folder`` (which must exist); return old -> new ref.

        Undo needs this: a message goes back to the exact folder it came from, and a class
        ("other") can name many folders.  Same result rules as :meth:`move`.
        """
        raise NotImplementedError

    def soft_delete(self, mailbox: str, refs: Iterable[Ref]) -> dict[Ref, Ref]:
        return self.move(mailbox, refs, FolderClass.RECOVERABLE)

    def hard_delete(self, mailbox: str, refs: Iterable[Ref]) -> None:
        raise NotImplementedError

    def append(
        self,
        mailbox: str,
        folder_class: FolderClass,
        raw: bytes,
        flags: tuple[str, ...] = (),
        internal_date: datetime | None = None,
    ) -> Ref | None:
        raise NotImplementedError

    def locate(self, mailbox: str, message_ids: Iterable[str]) -> dict[str, list[Ref]]:
        """Find copies by Internet Message-ID in every folder (used when the index is stale)."""
        raise NotImplementedError

    def set_flags(self, mailbox: str, refs: Iterable[Ref], flags: tuple[str, ...]) -> None:
        """Replace the flags of refs (used by undo to restore read state)."""
        raise NotImplementedError

    def list_forwarding(self, mailbox: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def disable_forwarding(self, mailbox: str, rule_ids: Iterable[str]) -> None:
        raise NotImplementedError
