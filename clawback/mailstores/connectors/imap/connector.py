"""The ``imap`` connector: any IMAP4rev1 server (Dovecot, Cyrus, Exchange, Gmail-IMAP).

Admin access is by master user (Dovecot's ``user*master`` login, RFC-less but universal on
Dovecot) or per-user credentials / XOAUTH2.  Refs are ``Ref(folder, "UIDVALIDITY:UID")``
(RFC 3501 §2.3.1.1: the pair names one message for the folder's lifetime).

Extensions used when offered: MOVE (RFC 6851), UIDPLUS (RFC 4315: COPYUID/APPENDUID, UID
EXPUNGE), CONDSTORE (RFC 7162), SPECIAL-USE (RFC 6154), ESEARCH (RFC 4731).

Every public method logs in to the mailbox through a bounded pool (reusing an idle session for
the same mailbox), does its work, and hands the session back.  Transient failures (socket
errors, timeouts, ``[UNAVAILABLE]``, ``[INUSE]``) are retried ``retries`` times with a short
backoff on a fresh connection, then raised as ``ConnectorError(permanent=False)``.  Work is
split so that a retry repeats at most one folder batch.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from functools import partial
from typing import Any, ClassVar, TypeVar

from clawback.mailstores.connectors.base import (
    Connector,
    ConnectorError,
    Fetched,
    Folder,
    FolderClass,
    MailboxNotFound,
    Ref,
    SyncChanges,
    Throttled,
)
from clawback.mailstores.connectors.imap.errors import FolderMissing, translate
from clawback.mailstores.connectors.imap.folders import FolderInfo, classify_folders, target_folder
from clawback.mailstores.connectors.imap.pool import SessionPool
from clawback.mailstores.connectors.imap.session import ServerSettings, Session, connect
from clawback.mailstores.connectors.imap.sync import make_ref, parse_ref, sync_mailbox
from clawback.mailstores.connectors.imap.uidset import chunked, compress

log = logging.getLogger(__name__)

T = TypeVar("T")

# Backoff between attempts after a transient failure; the last value repeats.
RETRY_DELAYS = (0.2, 0.5, 1.0)
# UIDs per MOVE/STORE/EXPUNGE command: bounds the work a retry may repeat.
WRITE_BATCH = 5000
# Message-IDs per UID SEARCH (an OR chain, RFC 3501 §6.4.4).
LOCATE_BATCH = 20
# Flags set_flags may restore (RFC 3501 §2.3.2); \Deleted and \Recent are never set by undo.
SETTABLE_SYSTEM_FLAGS = {f.lower(): f for f in ("\\Seen", "\\Flagged", "\\Answered", "\\Draft")}

# One ref with its parsed key: (ref, uidvalidity, uid).
_Item = tuple[Ref, int, int]


class ImapConnector(Connector):
    """IMAP mail store.

    Parameters (``params``):

    - ``host`` (required), ``port`` (default 993 with ``ssl``, else 143);
    - ``ssl`` (implicit TLS, default false), ``starttls`` (default false), ``ssl_verify``
      (default true);
    - ``master_user``: log in as ``<user><master_separator><master_user>`` with the master's
      password (Dovecot master users; ``master_separator`` default ``*``);
    - ``username_template``: login name per mailbox, ``{mailbox}`` (default), ``{local}`` or
      ``{domain}``;
    - ``mailboxes``: the addresses :meth:`list_mailboxes` returns;
    - ``timeout`` (seconds, default 30) for connect and every read;
    - ``retries`` (default 3): extra attempts after a transient failure;
    - ``recoverable_folder`` (default ``Recoverable Items``), ``quarantine_folder`` (optional):
      folder names for those classes, created on first use.

    Secrets: ``password`` (the master's or the user's), or ``oauth2_token`` for XOAUTH2.
    """

    kind: ClassVar[str] = "imap"
    label: ClassVar[str] = "IMAP (Dovecot, Cyrus, Exchange, Gmail)"
    parameters: ClassVar[tuple[str, ...]] = (
        "host",
        "port",
        "ssl",
        "starttls",
        "ssl_verify",
        "master_user",
        "master_separator",
        "username_template",
        "mailboxes",
        "timeout",
        "retries",
        "recoverable_folder",
        "quarantine_folder",
    )
    sensitive_parameters: ClassVar[tuple[str, ...]] = ("password", "oauth2_token")

    supports_incremental_sync: ClassVar[bool] = True
    supports_move: ClassVar[bool] = True
    supports_soft_delete: ClassVar[bool] = True
    supports_hard_delete: ClassVar[bool] = True
    supports_append: ClassVar[bool] = True

    def __init__(
        self,
        params: Mapping[str, Any],
        secrets: Mapping[str, Any],
        *,
        folder_overrides: Mapping[str, str] | None = None,
        max_connections: int = 4,
    ) -> None:
        """Raises ``ConnectorError(permanent=True)`` on missing or malformed parameters."""
        super().__init__(params, secrets, folder_overrides=folder_overrides, max_connections=max_connections)
        self.settings = _settings(self.params, self.secrets)
        self.retries = _int_param(self.params, "retries", 3, minimum=0)
        self.recoverable_folder = str(self.params.get("recoverable_folder") or "Recoverable Items")
        quarantine = self.params.get("quarantine_folder")
        self.quarantine_folder = str(quarantine) if quarantine else None
        self.pool = SessionPool(
            lambda mailbox: Session.open(self.settings, mailbox),
            lambda exc, mailbox: translate(exc, mailbox=mailbox, master=bool(self.settings.master_user)),
            max_size=max(1, max_connections),
        )

    def close(self) -> None:
        self.pool.close()

    def __repr__(self) -> str:
        return f"<ImapConnector {self.settings.host}:{self.settings.port}>"

    # --- contract -----------------------------------------------------------------------
    def check(self) -> None:
        """Log in to the first configured mailbox and LIST its folders (with no mailboxes
        configured: connect, and STARTTLS if set, without logging in).

        Raises :class:`AuthenticationError` on bad credentials, :class:`MailboxNotFound` if
        that mailbox does not exist, ``ConnectorError(permanent=False)`` if the server cannot
        be reached (after retries).
        """
        mailboxes = self.list_mailboxes()
        if mailboxes:
            self.folders(mailboxes[0])
            return
        # Without a mailbox a master user cannot log in: check reachability (and TLS) only.
        try:
            connect(self.settings).logout()
        except Exception as exc:
            error = translate(exc, mailbox=self.settings.host, master=False)
            if error is None:
                raise
            raise error from exc

    def list_mailboxes(self) -> list[str]:
        return [str(m) for m in self.params.get("mailboxes") or []]

    def folders(self, mailbox: str) -> list[Folder]:
        """The mailbox's selectable folders with their classes (see :mod:`.folders`)."""
        infos = self._run(mailbox, self._discover)
        return [Folder(f.name, f.folder_class) for f in infos if f.selectable]

    def sync(self, mailbox: str, state: Mapping[str, Any]) -> SyncChanges:
        """Changes since ``state`` (see :mod:`.sync`); ``state={}`` gives a complete listing."""
        return self._run(mailbox, lambda s: sync_mailbox(s, state, self._discover(s)))

    def fetch(self, mailbox: str, refs: Iterable[Ref], batch_size: int = 200) -> Iterator[Fetched]:
        """Yield each still-existing message: ``UID FETCH (BODY.PEEK[] FLAGS INTERNALDATE
        RFC822.SIZE)`` in batches, folder by folder, EXAMINE'd read-only (RFC 3501 §6.3.2);
        ``BODY.PEEK`` never sets ``\\Seen`` (§6.4.5).  Refs that vanished, whose folder is gone
        or whose UIDVALIDITY changed are skipped.  The pool session is held per batch only,
        never while the caller consumes the messages.
        """
        groups = _group(refs)
        if not groups:
            return
        classes = {f.name: f.folder_class for f in self._run(mailbox, self._discover)}
        for folder, items in groups.items():
            if folder not in classes:
                continue
            for batch in chunked(items, max(1, batch_size)):
                yield from self._run(
                    mailbox, partial(_fetch_batch, folder=folder, folder_class=classes[folder], batch=batch)
                )

    def move(self, mailbox: str, refs: Iterable[Ref], to_class: FolderClass) -> dict[Ref, Ref]:
        """Move refs to the folder of ``to_class``; return old ref -> new ref.

        One UID MOVE per source folder (per 5,000 UIDs); new refs come from COPYUID (RFC 4315
        §3).  Refs already in the target folder map to themselves; refs that no longer exist
        are left out.  Recoverable and quarantine folders are created if missing.  Raises
        :class:`MailboxNotFound` when the mailbox has no folder of ``to_class``.

        If the connection drops during a UID MOVE, the retry moves what is still in the source;
        messages the lost command had already moved are then missing from the result (their
        new refs arrive with the next sync).
        """
        groups = _group(refs)
        if not groups:
            return {}
        target = self._run(mailbox, lambda s: self._target(s, FolderClass(to_class)))
        return self._move_groups(mailbox, groups, target)

    def move_to_folder(self, mailbox: str, refs: Iterable[Ref], folder: str) -> dict[Ref, Ref]:
        """Move refs to the existing folder ``folder`` (undo puts messages back exactly where
        they were); otherwise as :meth:`move`.  Raises :class:`MailboxNotFound` when the
        folder no longer exists (it is not re-created: the user may have deleted it)."""
        groups = _group(refs)
        if not groups:
            return {}
        names = {f.name for f in self._run(mailbox, self._discover) if f.selectable}
        if folder not in names:
            raise MailboxNotFound(f"{mailbox}: no folder {folder!r}")
        return self._move_groups(mailbox, groups, folder)

    def _move_groups(self, mailbox: str, groups: dict[str, list[_Item]], target: str) -> dict[Ref, Ref]:
        moved: dict[Ref, Ref] = {}
        for folder, items in groups.items():
            if folder == target:
                moved.update({ref: ref for ref, _, _ in items})
                continue
            for batch in chunked(items, WRITE_BATCH):
                moved.update(self._run(mailbox, partial(_move_batch, folder=folder, batch=batch, target=target)))
        return moved

    def soft_delete(self, mailbox: str, refs: Iterable[Ref]) -> dict[Ref, Ref]:
        """Move to the recoverable folder (``recoverable_folder``), creating it if missing."""
        return self.move(mailbox, refs, FolderClass.RECOVERABLE)

    def hard_delete(self, mailbox: str, refs: Iterable[Ref]) -> None:
        """Purge exactly these messages: UID STORE +FLAGS.SILENT (\\Deleted) then UID EXPUNGE
        of the same UIDs (RFC 4315 §2.1), never a plain EXPUNGE, which would also purge
        messages the user marked \\Deleted.  Missing refs are ignored.  Raises
        ``ConnectorError(permanent=True)`` on servers without UIDPLUS.
        """
        for folder, items in _group(refs).items():
            for batch in chunked(items, WRITE_BATCH):
                self._run(mailbox, partial(_expunge_batch, folder=folder, batch=batch))

    def append(
        self,
        mailbox: str,
        folder_class: FolderClass,
        raw: bytes,
        flags: tuple[str, ...] = (),
        internal_date: datetime | None = None,
    ) -> Ref | None:
        """APPEND ``raw`` to the folder of ``folder_class``; the new ref from APPENDUID, or
        ``None`` if the server does not say (no UIDPLUS).

        The APPEND itself is not retried: had the first attempt reached the server, a retry
        would deliver a duplicate.  A transient failure during it raises
        ``ConnectorError(permanent=False)`` saying the outcome is unknown.
        """
        target = self._run(mailbox, lambda s: self._target(s, FolderClass(folder_class)))
        keep = _settable_flags(flags)

        def do_append(session: Session) -> Ref | None:
            result = session.append(target, raw, keep, internal_date)
            return None if result is None else make_ref(target, *result)

        try:
            return self._run(mailbox, do_append, retries=0)
        except ConnectorError as exc:
            if exc.permanent:
                raise
            raise ConnectorError(
                f"{exc.message} (APPEND outcome unknown; not retried to avoid a duplicate)",
                permanent=False,
            ) from exc

    def locate(self, mailbox: str, message_ids: Iterable[str]) -> dict[str, list[Ref]]:
        """Find copies by Message-ID in every selectable folder: UID SEARCH HEADER Message-ID
        (RFC 3501 §6.4.4, an OR chain of up to 20 ids), confirmed against the header fetched
        with BODY.PEEK.  Returns every asked id, with ``[]`` when nothing matched.
        """
        wanted = {_normalise_message_id(m): m for m in message_ids if m and m.strip()}
        found: dict[str, list[Ref]] = {original: [] for original in wanted.values()}
        if not wanted:
            return found
        for info in self._run(mailbox, self._discover):
            if not info.selectable:
                continue
            for normalised, refs in self._run(
                mailbox, partial(_locate_in, folder=info.name, message_ids=list(wanted))
            ).items():
                found[wanted[normalised]] += refs
        return found

    def set_flags(self, mailbox: str, refs: Iterable[Ref], flags: tuple[str, ...]) -> None:
        """Replace the flags of refs with ``flags`` (UID STORE FLAGS.SILENT, RFC 3501 §6.4.6).

        Only ``\\Seen \\Flagged \\Answered \\Draft`` and keywords are set; ``\\Deleted`` and
        ``\\Recent`` in ``flags`` are ignored.  Missing refs are ignored.
        """
        keep = _settable_flags(flags)
        for folder, items in _group(refs).items():
            for batch in chunked(items, WRITE_BATCH):
                self._run(mailbox, partial(_store_batch, folder=folder, batch=batch, flags=keep))

    # --- internals ----------------------------------------------------------------------
    def _run(self, mailbox: str, work: Callable[[Session], T], *, retries: int | None = None) -> T:
        """Run ``work`` on a pooled session, retrying transient failures with backoff."""
        attempts = (self.retries if retries is None else retries) + 1
        for attempt in range(attempts):
            try:
                with self.pool.session(mailbox) as session:
                    return work(session)
            except ConnectorError as exc:
                if exc.permanent or attempt + 1 >= attempts:
                    raise
                delay = exc.retry_after if isinstance(exc, Throttled) else _delay(attempt)
                log.warning(
                    "IMAP %s: %s; retry %d/%d in %.1fs",
                    self.settings.host,
                    exc.message,
                    attempt + 1,
                    attempts - 1,
                    delay,
                )
                # The server may have restarted: every idle connection to it is dead.
                self.pool.discard_idle()
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _discover(self, session: Session) -> list[FolderInfo]:
        return classify_folders(
            session.list_folders(),
            overrides=self.folder_overrides,
            recoverable=self.recoverable_folder,
            quarantine=self.quarantine_folder,
        )

    def _target(self, session: Session, folder_class: FolderClass) -> str:
        """The folder name for ``folder_class``, creating the recoverable or quarantine folder
        if missing.  Raises :class:`MailboxNotFound` when there is none."""
        found = target_folder(self._discover(session), folder_class)
        if found is not None:
            return found.name
        creatable = {
            FolderClass.RECOVERABLE: self.recoverable_folder,
            FolderClass.QUARANTINE: self.quarantine_folder,
        }.get(folder_class)
        if creatable is None:
            raise MailboxNotFound(f"{session.mailbox}: no {folder_class} folder in this mailbox")
        # Created, not subscribed: most clients then do not show it to the user.
        session.create_folder(creatable)
        return creatable


def _fetch_batch(session: Session, folder: str, folder_class: FolderClass, batch: Sequence[_Item]) -> list[Fetched]:
    try:
        items = _valid_items(session, folder, batch, readonly=True)
    except FolderMissing:
        return []
    data = session.fetch_bodies(_uidset(items)) if items else {}
    out = []
    for ref, _, uid in items:
        item = data.get(uid)
        if item is None:
            continue  # expunged meanwhile
        out.append(
            Fetched(
                ref=ref,
                folder_class=folder_class,
                raw=item.body,
                flags=tuple(sorted(f for f in item.flags if f.lower() != "\\recent")),
                internal_date=item.internal_date,
                size=item.size,
            )
        )
    return out


def _move_batch(session: Session, folder: str, batch: Sequence[_Item], target: str) -> dict[Ref, Ref]:
    try:
        items = _valid_items(session, folder, batch, readonly=False)
    except FolderMissing:
        return {}
    if not items:
        return {}
    copied = session.move(_uidset(items), target)
    if copied is None:
        log.warning(
            "%s: server sent no COPYUID for a move to %s; new refs unknown until next sync",
            session.mailbox,
            target,
        )
        return {}
    return {ref: make_ref(target, copied.uidvalidity, copied.uids[uid]) for ref, _, uid in items if uid in copied.uids}


def _expunge_batch(session: Session, folder: str, batch: Sequence[_Item]) -> None:
    try:
        items = _valid_items(session, folder, batch, readonly=False)
    except FolderMissing:
        return
    if items:
        session.expunge(_uidset(items))


def _store_batch(session: Session, folder: str, batch: Sequence[_Item], flags: list[str]) -> None:
    try:
        items = _valid_items(session, folder, batch, readonly=False)
    except FolderMissing:
        return
    if items:
        session.replace_flags(_uidset(items), flags)


def _locate_in(session: Session, folder: str, message_ids: list[str]) -> dict[str, list[Ref]]:
    try:
        status = session.select(folder, readonly=True)
    except FolderMissing:
        return {}
    found: dict[str, list[Ref]] = defaultdict(list)
    parser = BytesHeaderParser(policy=compat32)
    for chunk in chunked(message_ids, LOCATE_BATCH):
        criteria = ["HEADER Message-ID " + _quote(m) for m in chunk]
        uids = session.search("OR " * (len(criteria) - 1) + " ".join(criteria))
        if not uids:
            continue
        headers = session.fetch(compress(uids), ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        for uid, item in sorted(headers.items()):
            raw = item.get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]") or b""
            value = parser.parsebytes(raw).get("Message-ID")
            # SEARCH HEADER matches substrings (RFC 3501 §6.4.4); keep exact matches only.
            normalised = _normalise_message_id(str(value)) if value else ""
            if normalised in chunk:
                found[normalised].append(make_ref(folder, status.uidvalidity, uid))
    return found


def _valid_items(session: Session, folder: str, batch: Sequence[_Item], *, readonly: bool) -> list[_Item]:
    """Select ``folder`` and keep the refs whose UIDVALIDITY still matches (RFC 3501 §2.3.1.1:
    with another UIDVALIDITY the same UID names a different message)."""
    status = session.select(folder, readonly=readonly)
    return [item for item in batch if item[1] == status.uidvalidity]


def _uidset(items: Iterable[_Item]) -> str:
    return compress(uid for _, _, uid in items)


def _group(refs: Iterable[Ref]) -> dict[str, list[_Item]]:
    """Refs by folder, parsed; refs whose key is not ``UIDVALIDITY:UID`` are dropped."""
    groups: dict[str, list[_Item]] = defaultdict(list)
    for ref in refs:
        parsed = parse_ref(ref)
        if parsed is None:
            log.warning("ignoring ref with a non-IMAP key: %r", ref)
            continue
        groups[ref.folder].append((ref, *parsed))
    return dict(groups)


def _settable_flags(flags: Iterable[str]) -> list[str]:
    keep: list[str] = []
    for flag in flags:
        if flag.startswith("\\"):
            canonical = SETTABLE_SYSTEM_FLAGS.get(flag.lower())
            if canonical is not None and canonical not in keep:
                keep.append(canonical)
        elif flag and flag not in keep:
            keep.append(flag)  # a keyword (RFC 3501 §2.3.2), e.g. $Forwarded
    return keep


def _normalise_message_id(message_id: str) -> str:
    text = "".join(message_id.split())
    if not text.startswith("<"):
        text = f"<{text}>"
    return text


def _quote(text: str) -> str:
    """An IMAP quoted string (RFC 3501 §4.3)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utc(value: object) -> datetime | None:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return None


def _delay(attempt: int) -> float:
    return RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]


def _settings(params: Mapping[str, Any], secrets: Mapping[str, Any]) -> ServerSettings:
    host = params.get("host")
    if not host:
        raise ConnectorError("imap store needs params['host']", permanent=True)
    if not secrets.get("password") and not secrets.get("oauth2_token"):
        raise ConnectorError("imap store needs secrets['password'] or secrets['oauth2_token']", permanent=True)
    use_ssl = _bool_param(params, "ssl", False)
    return ServerSettings(
        host=str(host),
        port=_int_param(params, "port", 993 if use_ssl else 143, minimum=1),
        ssl=use_ssl,
        starttls=_bool_param(params, "starttls", False),
        ssl_verify=_bool_param(params, "ssl_verify", True),
        timeout=_float_param(params, "timeout", 30.0),
        master_user=str(params["master_user"]) if params.get("master_user") else None,
        master_separator=str(params.get("master_separator") or "*"),
        username_template=str(params.get("username_template") or "{mailbox}"),
        password=str(secrets["password"]) if secrets.get("password") is not None else None,
        oauth2_token=str(secrets["oauth2_token"]) if secrets.get("oauth2_token") else None,
    )


def _bool_param(params: Mapping[str, Any], name: str, default: bool) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        return value.lower() in {"1", "true", "yes", "on"}
    raise ConnectorError(f"imap params[{name!r}] must be a boolean, not {value!r}", permanent=True)


def _float_param(params: Mapping[str, Any], name: str, default: float) -> float:
    value = params.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConnectorError(f"imap params[{name!r}] must be a number, not {value!r}", permanent=True) from None
    if number <= 0:
        raise ConnectorError(f"imap params[{name!r}] must be positive", permanent=True)
    return number


def _int_param(params: Mapping[str, Any], name: str, default: int, *, minimum: int) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConnectorError(f"imap params[{name!r}] must be an integer, not {value!r}", permanent=True) from None
    if number < minimum:
        raise ConnectorError(f"imap params[{name!r}] must be at least {minimum}", permanent=True)
    return number
