"""Turn IMAP and socket failures into the contract's ``ConnectorError`` family.

The decision the caller needs is *retry or not* (``permanent``).  IMAP says why a command
failed in a bracketed response code (RFC 5530 for the general ones, RFC 4315 §3 for
``[TRYCREATE]``); servers that send no code are recognised by their usual wording.
"""

from __future__ import annotations

import imaplib
import re
import socket
import ssl

from imapclient.exceptions import CapabilityError, LoginError

from clawback.mailstores.connectors.base import (
    AuthenticationError,
    ConnectorError,
    MailboxNotFound,
)

_CODE = re.compile(r"\[([A-Z][A-Z0-9-]*)(?:[ \]])")
# RFC 5530 §3: the server may succeed later without the client changing anything.
_TRANSIENT_CODES = frozenset({"UNAVAILABLE", "INUSE", "SERVERBUG", "EXPUNGEISSUED"})
_MISSING_CODES = frozenset({"NONEXISTENT", "TRYCREATE"})
# Dovecot ("Mailbox doesn't exist"), Cyrus ("Mailbox does not exist"), Exchange ("The specified
# folder could not be found in the store") send these without a code on SELECT/STATUS.
_MISSING_WORDING = re.compile(
    r"doesn't exist|does not exist|no such (mailbox|folder)|could not be found"
    r"|(mailbox|folder) not found",
    re.IGNORECASE,
)


class FolderMissing(MailboxNotFound):
    """Raised when a folder named in a command does not exist (``[NONEXISTENT]``/``[TRYCREATE]``).

    Callers that can skip a vanished folder (sync, fetch) catch this; elsewhere it reaches the
    caller as the permanent :class:`MailboxNotFound` it is.
    """

    def __init__(self, folder: str, detail: str = "") -> None:
        super().__init__(f"folder {folder!r} does not exist" + (f": {detail}" if detail else ""))
        self.folder = folder


def response_code(message: str) -> str | None:
    """The bracketed response code of a server reply, e.g. ``"AUTHENTICATIONFAILED"``."""
    match = _CODE.search(message)
    return match.group(1) if match else None


def is_missing_folder(exc: BaseException) -> bool:
    """True when a NO reply says the folder does not exist."""
    if not isinstance(exc, imaplib.IMAP4.error) or isinstance(exc, imaplib.IMAP4.abort):
        return False
    message = str(exc)
    return response_code(message) in _MISSING_CODES or bool(_MISSING_WORDING.search(message))


def translate(exc: BaseException, *, mailbox: str, master: bool) -> ConnectorError | None:
    """The ``ConnectorError`` for ``exc``, or ``None`` when ``exc`` is not a back-end failure
    (a programming error, which must propagate as itself).

    - bad credentials (``LoginError``; ``[AUTHENTICATIONFAILED]``, ``[EXPIRED]``…) →
      :class:`AuthenticationError` (permanent);
    - a master-user login the server authenticated but refused to authorise
      (``[AUTHORIZATIONFAILED]``, RFC 5530: Dovecot's answer for a user that does not exist) →
      :class:`MailboxNotFound` (permanent);
    - ``[NONEXISTENT]``/``[TRYCREATE]`` or equivalent wording → :class:`MailboxNotFound`;
    - socket errors, timeouts, TLS errors, a dropped connection (``IMAP4.abort``, ``BYE``),
      ``[UNAVAILABLE]``, ``[INUSE]``, ``[SERVERBUG]`` → ``ConnectorError(permanent=False)``;
    - a folder we may not write (``[READ-ONLY]``) and any other NO/BAD reply →
      ``ConnectorError(permanent=True)``.
    """
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ConnectorError(f"{mailbox}: timed out talking to the IMAP server", permanent=False)
    if isinstance(exc, (OSError, ssl.SSLError, EOFError)):
        return ConnectorError(f"{mailbox}: connection failed: {exc}", permanent=False)
    if isinstance(exc, imaplib.IMAP4.readonly):  # a subclass of abort, but not transient
        return ConnectorError(f"{mailbox}: the folder is read-only: {exc}", permanent=True)
    if isinstance(exc, imaplib.IMAP4.abort):
        return ConnectorError(f"{mailbox}: connection lost: {exc}", permanent=False)
    if not isinstance(exc, imaplib.IMAP4.error):
        return None
    message = _text(exc)
    code = response_code(message)
    if code in _TRANSIENT_CODES:
        return ConnectorError(f"{mailbox}: server busy or unavailable: {message}", permanent=False)
    if isinstance(exc, LoginError):
        if master and code == "AUTHORIZATIONFAILED":
            return MailboxNotFound(f"{mailbox}: the master user may not open this mailbox (no such user?): {message}")
        return AuthenticationError(f"{mailbox}: login refused: {message}")
    if isinstance(exc, CapabilityError):
        return ConnectorError(f"{mailbox}: server lacks a required extension: {message}", permanent=True)
    if is_missing_folder(exc):
        return MailboxNotFound(f"{mailbox}: {message}")
    return ConnectorError(f"{mailbox}: {message}", permanent=True)


def _text(exc: BaseException) -> str:
    # imaplib puts the server's reply in the message as bytes' repr at times: b'[CODE] ...'
    message = str(exc)
    return re.sub(r"b'(.*)'", r"\1", message)
