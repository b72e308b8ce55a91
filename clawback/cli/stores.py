"""``clawback store add|list|remove`` and ``clawback sync``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from clawback.cli import CommandError
from clawback.cli.common import cli_actor, read_secret_file


def register(sub: Any) -> None:
    store = sub.add_parser("store", help="configure mail stores").add_subparsers(dest="store_command", required=True)
    add = store.add_parser("add", help="add a mail store and its mailboxes")
    add.add_argument("name")
    add.add_argument("--kind", required=True, choices=["imap", "maildir"])
    add.add_argument("--host")
    add.add_argument("--port", type=int)
    add.add_argument("--ssl", action="store_true", help="IMAP over TLS (port 993)")
    add.add_argument("--starttls", action="store_true")
    add.add_argument("--master-user", help="IMAP master user: logs in as MAILBOX*MASTER")
    add.add_argument("--password-file", help="file holding the (master) password")
    add.add_argument("--path", help="Maildir++ root, one directory per mailbox")
    add.add_argument("--mailboxes-file", help="addresses, one per line")
    add.add_argument("--mailbox", action="append", default=[], help="a mailbox address (repeatable)")
    add.add_argument("--folder", action="append", default=[], metavar="NAME=CLASS", help="folder class override")
    add.add_argument("--max-connections", type=int, default=4)
    add.set_defaults(handler=store_add)
    lst = store.add_parser("list", help="list stores")
    lst.set_defaults(handler=store_list)
    rm = store.add_parser("remove", help="remove a store and its index")
    rm.add_argument("name")
    rm.set_defaults(handler=store_remove)

    sync = sub.add_parser("sync", help="index new, moved and deleted mail")
    sync.add_argument("store", nargs="?", help="only this store")
    sync.add_argument("--processes", type=int, help="parallel processes (default CLAWBACK_SYNC_PROCESSES)")
    sync.add_argument("--enqueue", action="store_true", help="queue one task per mailbox for the workers instead")
    sync.set_defaults(handler=run_sync)


def _params(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    secrets: dict[str, Any] = {}
    if args.password_file:
        secrets["password"] = read_secret_file(args.password_file)
    if args.kind == "maildir":
        if not args.path:
            raise CommandError("--path is required for a maildir store")
        return {"path": str(Path(args.path).resolve())}, secrets
    if not args.host:
        raise CommandError("--host is required for an imap store")
    if "password" not in secrets:
        raise CommandError("--password-file is required for an imap store")
    params: dict[str, Any] = {"host": args.host, "port": args.port or (993 if args.ssl else 143), "ssl": args.ssl}
    if args.starttls:
        params["starttls"] = True
    if args.master_user:
        params["master_user"] = args.master_user
    return params, secrets


def _mailboxes(args: argparse.Namespace) -> list[str] | None:
    from clawback.mailstores.actions import read_mailbox_list

    addresses = list(args.mailbox)
    if args.mailboxes_file:
        addresses += read_mailbox_list(read_secret_file(args.mailboxes_file))
    if not addresses:
        if args.kind == "imap":
            raise CommandError("an imap store needs --mailboxes-file or --mailbox")
        return None  # maildir: every mailbox directory under --path
    return list(dict.fromkeys(addresses))


def store_add(args: argparse.Namespace) -> int:
    from clawback.mailstores.actions import do_add_store
    from clawback.mailstores.connectors.base import ConnectorError

    params, secrets = _params(args)
    mailboxes = _mailboxes(args)
    if args.kind == "imap" and mailboxes is not None:
        params["mailboxes"] = mailboxes
    overrides = dict(item.split("=", 1) for item in args.folder if "=" in item)
    try:
        store = do_add_store(
            args.name,
            args.kind,
            params=params,
            secrets=secrets,
            mailboxes=mailboxes,
            folder_overrides=overrides,
            max_connections=args.max_connections,
            acting_user=cli_actor(),
        )
    except (ValueError, ConnectorError) as exc:
        raise CommandError(str(exc)) from None
    print(f"store {store.name} ({store.kind}) added with {store.mailboxes.count()} mailboxes")
    return 0


def store_list(args: argparse.Namespace) -> int:
    from django.db.models import Count
    from rich.console import Console
    from rich.table import Table

    from clawback.mailstores.models import Store

    table = Table("name", "kind", "where", "mailboxes", "failing")
    for store in Store.objects.annotate(n=Count("mailboxes")).order_by("name"):
        where = store.params.get("path") or f"{store.params.get('host')}:{store.params.get('port')}"
        failing = store.mailboxes.filter(status="error").count()
        table.add_row(store.name, store.kind, where, str(store.n), str(failing))
    Console().print(table)
    return 0


def store_remove(args: argparse.Namespace) -> int:
    from clawback.mailstores.actions import do_remove_store
    from clawback.mailstores.models import Store

    try:
        store = Store.objects.get(name=args.name)
    except Store.DoesNotExist:
        raise CommandError(f"no store {args.name!r}") from None
    do_remove_store(store, acting_user=cli_actor())
    print(f"store {args.name} removed")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    from clawback.mail.runner import enqueue_sync, sync_with_progress
    from clawback.mailstores.models import Store

    stores = Store.objects.order_by("name")
    if args.store:
        stores = stores.filter(name=args.store)
        if not stores.exists():
            raise CommandError(f"no store {args.store!r}")
    if args.enqueue:
        count = enqueue_sync(list(stores), actor=cli_actor())
        print(f"queued {count} mailbox syncs; run `clawback worker` to process them")
        return 0
    failed = sync_with_progress(list(stores), processes=args.processes)
    return 1 if failed else 0
