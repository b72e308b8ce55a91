"""One logged-in IMAP connection to one mailbox, and the few raw commands IMAPClient lacks.

IMAPClient 4.1 covers most of what we need; this layer adds what it does not expose:
response codes (COPYUID/APPENDUID, RFC 4315 §3), ``UID FETCH`` on a compact UID set with
modifiers (CHANGEDSINCE, RFC 7162 §3.1.4; IMAPClient's ``fetch`` rejects a range string, upstream
issue 666), ESEARCH (RFC 4731), and ``LIST ... RETURN (SPECIAL-USE)`` (RFC 6154 §2).  Methods
raise IMAPClient/imaplib/socket exceptions; :mod:`.errors` translates them at the pool.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl as ssl_lib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from imapclient import IMAPClient
from imapclient.response_parser import parse_fetch_response

from clawback.mailstores.connectors.base import ConnectorError
from clawback.mailstores.connectors.imap.errors import FolderMissing, is_missing_folder
from clawback.mailstores.connectors.imap.uidset import expand

log = logging.getLogger(__name__)

DELETED = b"\\Deleted"
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
_ESEARCH_ALL = re.compile(rb"\bALL ([0-9:,]+)")

# (flags, delimiter, name) as IMAPClient's list_folders returns them.
ListEntry = tuple[tuple[bytes, ...], bytes | None, str]


@dataclass(frozen=True)
class ServerSettings:
    """How to reach and log in to the server.  Secrets are kept out of ``repr``."""

    host: str
    port: int
    ssl: bool = False
    starttls: bool = False
    ssl_verify: bool = True
    timeout: float = 30.0
    master_user: str | None = None
    master_separator: str = "*"
    username_template: str = "{mailbox}"
    password: str | None = field(default=None, repr=False)
    oauth2_token: str | None = field(default=None, repr=False)

    def user_name(self, mailbox: str) -> str:
        """The server's name for the mailbox's user, from ``username_template``."""
        local, _, domain = mailbox.partition("@")
        return self.username_template.format(mailbox=mailbox, local=local, domain=domain)

    def login_name(self, mailbox: str) -> str:
        """The name to log in with: the user, plus ``*master`` when a master user is set."""
        if self.master_user:
            # Dovecot's auth_master_user_separator: "user*master" with the master's password.
            return f"{self.user_name(mailbox)}{self.master_separator}{self.master_user}"
        return self.user_name(mailbox)

    def ssl_context(self) -> ssl_lib.SSLContext:
        context = ssl_lib.create_default_context()
        if not self.ssl_verify:
            context.check_hostname = False
            context.verify_mode = ssl_lib.CERT_NONE
        return context


@dataclass(frozen=True)
class FolderStatus:
    """What STATUS (RFC 3501 §6.3.10) or SELECT/EXAMINE (§6.3.1) says about a folder."""

    uidvalidity: int
    uidnext: int
    messages: int
    # None when the server lacks CONDSTORE or the folder has no mod-sequences ([NOMODSEQ]).
    highestmodseq: int | None


@dataclass(frozen=True)
class CopyUid:
    """A COPYUID response code (RFC 4315 §3): where each source UID went."""

    uidvalidity: int
    uids: dict[int, int]


class Session:
    """A logged-in connection for one mailbox.  Not thread-safe: the pool hands it to one
    thread at a time."""

    def __init__(self, client: IMAPClient, mailbox: str) -> None:
        self.client = client
        self.mailbox = mailbox
        self.capabilities = frozenset(
            (c.decode() if isinstance(c, bytes) else str(c)).upper() for c in client.capabilities()
        )
        self.selected: tuple[str, bool] | None = None
        self.selected_status: FolderStatus | None = None
        self.last_used = time.monotonic()
        if self.has("QRESYNC"):
            # RFC 7162 §3.2.3: implies CONDSTORE, and the server then reports removed messages
            # as one ``VANISHED uid-set`` line instead of an EXPUNGE line per message: a UID MOVE
            # of 1,000 messages answers in a few lines (less for both sides to write and read).
            client.enable("QRESYNC")
        elif self.has("CONDSTORE"):
            # RFC 7162 §3.1: makes every SELECT report HIGHESTMODSEQ and FETCH report MODSEQ.
            client.enable("CONDSTORE")

    @classmethod
    def open(cls, settings: ServerSettings, mailbox: str) -> Session:
        """Connect, optionally STARTTLS (RFC 3501 §6.2.1), and log in to ``mailbox``.

        Raises IMAPClient's ``LoginError`` on refused credentials and socket errors when the
        server cannot be reached; the pool translates both.
        """
        client = connect(settings)
        try:
            if settings.oauth2_token:
                # XOAUTH2 (Google, Microsoft): the token stands for the user; no master user.
                client.oauth2_login(settings.user_name(mailbox), settings.oauth2_token)
            else:
                client.login(settings.login_name(mailbox), settings.password or "")
            return cls(client, mailbox)
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise

    def has(self, capability: str) -> bool:
        return capability.upper() in self.capabilities

    def close(self) -> None:
        """LOGOUT, or just drop the socket if the connection is already broken."""
        try:
            self.client.logout()
        except Exception:
            with contextlib.suppress(Exception):
                self.client.shutdown()

    # --- folders ------------------------------------------------------------------------
    def list_folders(self) -> list[ListEntry]:
        """All folders with their attributes, special-use ones included (RFC 6154 §2)."""
        if self.has("SPECIAL-USE") and self.has("LIST-EXTENDED"):
            imap = self.client._imap
            typ, data = imap._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
            typ, data = imap._untagged_response(typ, data, "LIST")
            _check(typ, data, "LIST")
            return list(self.client._proc_folder_list(data))
        return list(self.client.list_folders())

    def create_folder(self, folder: str) -> None:
        """CREATE ``folder``; an already existing folder is fine (RFC 5530 ``ALREADYEXISTS``)."""
        try:
            self.client.create_folder(folder)
        except imaplib.IMAP4.error as exc:
            if not self.client.folder_exists(folder):
                raise ConnectorError(f"{self.mailbox}: cannot create folder {folder!r}: {exc}", permanent=True) from exc

    def status(self, folder: str) -> FolderStatus:
        """STATUS without selecting; raises :class:`FolderMissing` if the folder is gone."""
        items = ["MESSAGES", "UIDNEXT", "UIDVALIDITY"]
        if self.has("CONDSTORE"):
            items.append("HIGHESTMODSEQ")  # RFC 7162 §3.1.9
        try:
            data = self.client.folder_status(folder, items)
        except imaplib.IMAP4.error as exc:
            if is_missing_folder(exc):
                raise FolderMissing(folder) from exc
            raise
        return FolderStatus(
            uidvalidity=int(data[b"UIDVALIDITY"]),
            uidnext=int(data.get(b"UIDNEXT", 0)),
            messages=int(data.get(b"MESSAGES", 0)),
            highestmodseq=_int_or_none(data.get(b"HIGHESTMODSEQ")),
        )

    def select(self, folder: str, *, readonly: bool, force: bool = False) -> FolderStatus:
        """EXAMINE (``readonly``) or SELECT ``folder`` unless it is already selected.

        A read-write selection also serves read-only work: everything we read uses UID
        commands and ``BODY.PEEK``, which change nothing.  A reused selection is refreshed
        with NOOP; ``force`` re-selects to refresh UIDNEXT/HIGHESTMODSEQ.  Raises
        :class:`FolderMissing` if the folder does not exist.
        """
        current = self.selected
        reusable = current is not None and current[0] == folder and (readonly or not current[1])
        if reusable and not force and self.selected_status is not None:
            # NOOP (RFC 3501 §6.1.2) lets the server report what other sessions expunged
            # meanwhile, so UID commands below do not see messages that are already gone.
            self.client.noop()
            return self.selected_status
        self.selected = self.selected_status = None
        try:
            data = self.client.select_folder(folder, readonly=readonly)
        except imaplib.IMAP4.error as exc:
            if is_missing_folder(exc):
                raise FolderMissing(folder) from exc
            raise
        status = FolderStatus(
            uidvalidity=int(data[b"UIDVALIDITY"]),
            uidnext=int(data.get(b"UIDNEXT", 0)),
            messages=int(data.get(b"EXISTS", 0)),
            highestmodseq=_int_or_none(data.get(b"HIGHESTMODSEQ")),
        )
        self.selected, self.selected_status = (folder, readonly), status
        return status

    # --- reading ------------------------------------------------------------------------
    def search_all(self) -> list[int]:
        """Every UID in the selected folder, as a compact ESEARCH reply when offered (RFC 4731)."""
        if not self.has("ESEARCH"):
            return sorted(self.client.search("ALL"))
        imap = self.client._imap
        typ, data = imap._simple_command("UID", "SEARCH", "RETURN", "(ALL)", "ALL")
        typ, data = imap._untagged_response(typ, data, "ESEARCH")
        _check(typ, data, "UID SEARCH")
        uids: list[int] = []
        for line in data:
            if isinstance(line, bytes) and (match := _ESEARCH_ALL.search(line)):
                uids.extend(expand(match.group(1).decode()))
        return sorted(uids)

    def search(self, criteria: str) -> list[int]:
        """UID SEARCH with raw ``criteria`` (the caller quotes), UTF-8 when not ASCII."""
        charset = None if criteria.isascii() else "UTF-8"
        return sorted(self.client.search(criteria, charset))

    def fetch(self, uidset: str, items: Sequence[str], modifiers: Sequence[str] = ()) -> dict[int, dict[bytes, Any]]:
        """``UID FETCH uidset (items) (modifiers)`` -> {uid: {item: value}}.

        Only responses that carry a UID are kept: an unsolicited FETCH for another message
        (flags changed by another client) would otherwise be keyed by its sequence number.
        Dates stay timezone-aware.
        """
        if not uidset:
            return {}
        args = [uidset, "(" + " ".join(items) + ")"]
        if modifiers:
            args.append("(" + " ".join(modifiers) + ")")
        typ, data = self.client._imap.uid("FETCH", *args)
        _check(typ, data, "UID FETCH")
        parsed = parse_fetch_response(data, normalise_times=False, uid_is_key=False)
        return {int(item[b"UID"]): item for item in parsed.values() if b"UID" in item}

    def fetch_bodies(self, uidset: str) -> dict[int, RawFetch]:
        """``UID FETCH uidset (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])`` parsed by hand.

        The bulk of an ingest is this one command, and IMAPClient's general response parser
        (pure Python, token by token) costs ~3x the server's time for it.  The response shape
        is fixed by RFC 3501 §7.4.2: imaplib already splits out the literal (the body), so
        only the short prefix needs reading.  Responses without a UID or a body (unsolicited
        flag updates) are skipped.
        """
        if not uidset:
            return {}
        typ, data = self.client._imap.uid("FETCH", uidset, "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
        _check(typ, data, "UID FETCH")
        out: dict[int, RawFetch] = {}
        for item in data:
            if not isinstance(item, tuple) or len(item) < 2:
                continue
            head = item[0]
            uid = _UID.search(head)
            if uid is None or b"BODY[]" not in head:
                continue
            flags = _FLAGS.search(head)
            date = _INTERNALDATE.search(head)
            size = _SIZE.search(head)
            out[int(uid.group(1))] = RawFetch(
                body=item[1],
                flags=tuple(f.decode("utf-8", "replace") for f in flags.group(1).split()) if flags else (),
                internal_date=_parse_internaldate(date.group(1)) if date else None,
                size=int(size.group(1)) if size else len(item[1]),
            )
        return out

    # --- writing ------------------------------------------------------------------------
    def move(self, uidset: str, target: str) -> CopyUid | None:
        """Move UIDs of the selected folder to ``target``; return the COPYUID mapping.

        UID MOVE (RFC 6851 §3.2) when offered, else UID COPY + STORE \\Deleted + UID EXPUNGE of
        exactly those UIDs (RFC 4315 §2.1), never a plain EXPUNGE that would also remove
        other messages the user marked \\Deleted.  Returns ``None`` when the server sends no
        COPYUID (no UIDPLUS).  Raises ``ConnectorError(permanent=True)`` when the server has
        neither MOVE nor UIDPLUS.
        """
        self._clear_responses()
        if self.has("MOVE"):
            self.client.move(uidset, target)
            return self._take_copyuid()
        self._require_uidplus("move messages")
        self.client.copy(uidset, target)
        copied = self._take_copyuid()
        self.client.add_flags(uidset, [DELETED], silent=True)
        self.client.uid_expunge(uidset)
        return copied

    def expunge(self, uidset: str) -> None:
        """Permanently remove exactly these UIDs: STORE +FLAGS.SILENT \\Deleted, UID EXPUNGE."""
        self._require_uidplus("hard delete")
        self.client.add_flags(uidset, [DELETED], silent=True)
        self.client.uid_expunge(uidset)

    def replace_flags(self, uidset: str, flags: Sequence[str]) -> None:
        """``UID STORE uidset FLAGS.SILENT (flags)`` (RFC 3501 §6.4.6)."""
        self.client.set_flags(uidset, list(flags), silent=True)

    def append(
        self, folder: str, raw: bytes, flags: Sequence[str], internal_date: datetime | None
    ) -> tuple[int, int] | None:
        """APPEND (RFC 3501 §6.3.11); return (UIDVALIDITY, UID) from APPENDUID (RFC 4315 §3)."""
        self._clear_responses()
        reply = self.client.append(folder, raw, list(flags), internal_date)
        match = _APPENDUID.search(reply or b"")
        if match is None:
            for value in self.client._imap.untagged_responses.pop("APPENDUID", []):
                match = _APPENDUID.search(b"[APPENDUID " + value + b"]")
        if match is None:
            return None
        return int(match.group(1)), int(match.group(2))

    # --- internals ----------------------------------------------------------------------
    def _require_uidplus(self, what: str) -> None:
        if not self.has("UIDPLUS"):
            raise ConnectorError(
                f"{self.mailbox}: the server lacks UIDPLUS (RFC 4315), so it cannot {what} "
                "without also expunging other messages marked \\Deleted",
                permanent=True,
            )

    def _clear_responses(self) -> None:
        # imaplib accumulates untagged responses until someone pops them; response codes we
        # read after a command (COPYUID, APPENDUID) must come from that command.
        self.client._imap.untagged_responses.clear()

    def _take_copyuid(self) -> CopyUid | None:
        values = self.client._imap.untagged_responses.pop("COPYUID", [])
        result: CopyUid | None = None
        for value in values:
            # A server may split a large MOVE and send several COPYUID codes (RFC 6851 §4.3).
            try:
                uidvalidity, source, dest = value.decode().split()
                pairs = dict(zip(expand(source), expand(dest), strict=True))
            except ValueError:
                log.warning("%s: ignoring malformed COPYUID %r", self.mailbox, value)
                continue
            if result is None:
                result = CopyUid(int(uidvalidity), pairs)
            else:
                result.uids.update(pairs)
        return result


@dataclass(frozen=True)
class RawFetch:
    body: bytes
    flags: tuple[str, ...]
    internal_date: datetime | None
    size: int


_UID = re.compile(rb"\bUID (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


_MONTHS = {
    month: number
    for number, month in enumerate(
        (b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec"), 1
    )
}
_DATE_TIME = re.compile(rb"\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\s*$")


def _parse_internaldate(text: bytes) -> datetime | None:
    """RFC 3501 date-time: ``"17-Jul-1996 02:44:25 -0700"`` (day may be space-padded).

    Read with one regex: ``strptime`` costs ~25 µs a call, as much as the rest of a FETCH item.
    """
    match = _DATE_TIME.match(text)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if match is None or month is None:
        return None
    day, _, year, hour, minute, second, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    try:
        local = datetime(int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError:
        return None
    return local - offset if sign == b"+" else local + offset


def quiet_imaplib(client: IMAPClient) -> None:
    """Undo IMAPClient's "make imaplib log everything" hack unless that log is wanted.

    IMAPClient sets ``imaplib.IMAP4.debug = 5`` and routes imaplib's debug messages to the
    ``imapclient.imaplib`` logger.  imaplib then formats the ``repr`` of every untagged response,
    message bodies included, before the logger drops the text: two thirds of the client's CPU
    time on a bulk ``FETCH BODY[]``.
    """
    if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        client._imap.debug = 0


def connect(settings: ServerSettings) -> IMAPClient:
    """An unauthenticated connection: TCP (or implicit TLS), then STARTTLS if configured
    (RFC 3501 §6.2.1).  Raises socket/TLS errors and IMAPClient errors."""
    context = settings.ssl_context() if settings.ssl or settings.starttls else None
    client = IMAPClient(
        settings.host,
        settings.port,
        ssl=settings.ssl,
        ssl_context=context,
        timeout=settings.timeout,
    )
    quiet_imaplib(client)
    if settings.starttls:
        try:
            client.starttls(context)
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
    return client


def _check(typ: str, data: list[Any], command: str) -> None:
    if typ != "OK":
        detail = data[-1] if data else b""
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        raise imaplib.IMAP4.error(f"{command} failed: {detail}")


def _int_or_none(value: object) -> int | None:
    if isinstance(value, (int, str, bytes)):
        return int(value)
    return None
