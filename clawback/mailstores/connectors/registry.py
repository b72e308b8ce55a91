"""Connector kinds, by name.  Lazy import strings keep the core free of back-end imports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from clawback.mailstores.connectors.base import Connector
    from clawback.mailstores.models import Store

CONNECTORS: dict[str, str] = {
    "imap": "clawback.mailstores.connectors.imap.connector.ImapConnector",
    "maildir": "clawback.mailstores.connectors.maildir.connector.MaildirConnector",
}


def connector_class(kind: str) -> type[Connector]:
    try:
        path = CONNECTORS[kind]
    except KeyError:
        raise ValueError(f"unknown store kind {kind!r}; known: {', '.join(sorted(CONNECTORS))}") from None
    return import_string(path)  # type: ignore[no-any-return]


def connector_for(store: Store) -> Connector:
    cls = connector_class(store.kind)
    return cls(
        store.params,
        store.secrets,
        folder_overrides=store.folder_overrides,
        max_connections=store.max_connections,
    )
