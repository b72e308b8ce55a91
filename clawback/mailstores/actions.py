"""State changes of stores and mailboxes.  Views, API and CLI call these, nothing else."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from clawback.audit.log import record
from clawback.mailstores.connectors.base import FolderClass
from clawback.mailstores.connectors.registry import connector_class
from clawback.mailstores.models import Mailbox, Store

Actor = AbstractBaseUser | str | None


def read_mailbox_list(text: str) -> list[str]:
    """One address per line; blank lines and ``#`` comments ignored; duplicates dropped."""
    seen: dict[str, None] = {}
    for line in text.splitlines():
        address = line.split("#", 1)[0].strip()
        if address:
            seen.setdefault(address, None)
    return list(seen)


def do_add_store(
    name: str,
    kind: str,
    *,
    params: dict[str, Any],
    secrets: dict[str, Any] | None = None,
    mailboxes: list[str] | None = None,
    folder_overrides: dict[str, str] | None = None,
    max_connections: int = 4,
    acting_user: Actor,
) -> Store:
    """Create a store and its mailboxes.  Without a mailbox list, ask the back end."""
    cls = connector_class(kind)
    unknown = set(params) - set(cls.parameters)
    if unknown:
        raise ValueError(f"{kind} stores take no parameter(s) {', '.join(sorted(unknown))}")
    overrides = folder_overrides or {}
    for folder, folder_class in overrides.items():
        if folder_class not in FolderClass.__members__.values():
            raise ValueError(f"folder {folder!r}: {folder_class!r} is not a folder class")
    if Store.objects.filter(name=name).exists():
        raise ValueError(f"a store named {name!r} already exists")
    if max_connections < 1:
        raise ValueError("max_connections must be at least 1")
    if mailboxes is None:
        connector = cls(params, secrets or {}, folder_overrides=overrides)
        mailboxes = connector.list_mailboxes()
    with transaction.atomic():
        store = Store.objects.create(
            name=name,
            kind=kind,
            params=params,
            secrets=secrets or {},
            folder_overrides=overrides,
            max_connections=max_connections,
        )
        Mailbox.objects.bulk_create([Mailbox(store=store, address=a) for a in mailboxes], batch_size=1000)
        record(
            "store.add",
            actor=acting_user,
            obj=store,
            # Secrets are never written to the audit log, not even censored values' keys
            # beyond their names.
            data={"kind": kind, "params": params, "secrets": sorted(secrets or {}), "mailboxes": len(mailboxes)},
        )
    return store


def do_remove_store(store: Store, *, acting_user: Actor) -> None:
    with transaction.atomic():
        record("store.remove", actor=acting_user, obj=store, data={"name": store.name, "kind": store.kind})
        store.delete()


def do_set_mailboxes(store: Store, addresses: list[str], *, acting_user: Actor) -> tuple[int, int]:
    """Make the store cover exactly ``addresses``; returns (added, removed)."""
    with transaction.atomic():
        existing = set(store.mailboxes.values_list("address", flat=True))
        wanted = set(addresses)
        Mailbox.objects.bulk_create([Mailbox(store=store, address=a) for a in sorted(wanted - existing)])
        store.mailboxes.filter(address__in=existing - wanted).delete()
        added = len(wanted - existing)
        record(
            "store.mailboxes", actor=acting_user, obj=store, data={"added": added, "removed": len(existing - wanted)}
        )
    return added, len(existing - wanted)
