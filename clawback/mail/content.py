"""Mail content read back from its store: the raw message of one indexed copy.

The index (SPEC §2) holds what was parsed, not the message.  Headers, preview and the ``.eml``
download read the bytes from the store through its connector, at the reference the last sync
or remediation recorded, and every read is audited as mail-content access (SPEC §3, §10).
"""

from __future__ import annotations

import contextlib
import re
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpResponse
from django.utils.text import slugify

from clawback.audit.log import record
from clawback.mail.models import MessageCopy
from clawback.mailstores.connectors.base import Connector, ConnectorError, Ref
from clawback.mailstores.connectors.registry import connector_class
from clawback.mailstores.models import Store

# An analyst is waiting: one prompt attempt instead of the executor's patient retries.
INTERACTIVE_TIMEOUT = 10.0
MAX_HEADER_BLOCK = 256 * 1024
_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")


class ContentUnavailable(Exception):
    """Raised when a copy's bytes cannot be read: the store is unreachable, refuses us, or the
    message is no longer where the index last saw it.  ``message`` is meant for the analyst."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Content(StrEnum):
    """What of a message was shown; each is its own audit action."""

    HEADERS = "headers"
    PREVIEW = "preview"
    EML = "eml"

    @property
    def action(self) -> str:
        return _ACTIONS[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_ACTIONS = {
    Content.HEADERS: "message.headers.view",
    Content.PREVIEW: "message.preview.view",
    Content.EML: "message.eml.download",
}
_LABELS = {
    Content.HEADERS: "raw header block",
    Content.PREVIEW: "sanitised preview of the body",
    Content.EML: "raw message (.eml)",
}


def read_content(
    copy: MessageCopy, content: Content, *, acting_user: AbstractBaseUser | AnonymousUser | str | None
) -> bytes:
    """The copy's raw bytes, with the access written to the audit log.

    The caller has checked the Preview role.  Nothing is audited when the read fails: nothing
    was disclosed.  Raises :class:`ContentUnavailable`.
    """
    raw = fetch_raw(copy)
    record(
        content.action,
        actor=acting_user,
        obj=copy,
        data={"message_id": copy.message_id, "recipient": copy.recipient, "content": content.label},
    )
    return raw


def fetch_raw(copy: MessageCopy) -> bytes:
    """The copy's raw RFC 5322 bytes from its store (no audit: use :func:`read_content`)."""
    store = copy.store
    try:
        with interactive_connector(store) as connector:
            for fetched in connector.fetch(copy.mailbox.address, [Ref.decode(copy.ref)]):
                return fetched.raw
    except ConnectorError as exc:
        raise ContentUnavailable(f"the mail store {store.name} could not be read: {exc.message}") from exc
    except (OSError, ValueError) as exc:
        raise ContentUnavailable(f"the mail store {store.name} could not be read: {exc}") from exc
    raise ContentUnavailable(
        f"the message is no longer in {copy.folder or 'its folder'} of {copy.mailbox.address} on {store.name} "
        "(moved or deleted since the last sync; a new sync will update the index)"
    )


def interactive_connector(store: Store) -> Connector:
    """The store's connector tuned for a person waiting: no retries, a short timeout, where the
    connector declares such parameters (it asks, it does not probe)."""
    cls = connector_class(store.kind)
    params: dict[str, Any] = dict(store.params)
    if "retries" in cls.parameters:
        params["retries"] = 0
    if "timeout" in cls.parameters:
        # A malformed value is left as it is: the connector's own error names it.
        with contextlib.suppress(TypeError, ValueError):
            params["timeout"] = min(float(params.get("timeout") or INTERACTIVE_TIMEOUT), INTERACTIVE_TIMEOUT)
    return cls(params, store.secrets, folder_overrides=store.folder_overrides, max_connections=1)


def header_block(raw: bytes) -> str:
    """The message's header section as text (RFC 5322 §2.1: up to the first empty line).

    Raw and undecoded on purpose: encoded words, folding and odd bytes are evidence.  Non-UTF-8
    bytes are shown as U+FFFD.
    """
    match = _END_OF_HEADERS.search(raw, 0, MAX_HEADER_BLOCK)
    block = raw[: match.start()] if match else raw[:MAX_HEADER_BLOCK]
    return block.decode("utf-8", "replace").replace("\r\n", "\n")


def eml_response(copy: MessageCopy, raw: bytes) -> HttpResponse:
    """``raw`` as a download, never displayed inline (it is untrusted content).  The file name
    is ASCII without quotes, so it needs no RFC 6266 encoding."""
    name = f"clawback-{copy.pk}-{slugify(copy.subject)[:60] or 'message'}.eml"
    response = HttpResponse(raw, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
