"""``clawback parse`` and ``clawback search``."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from clawback.cli import CommandError

COLUMNS = ["id", "received", "sender", "recipient", "subject", "location", "folder", "threats", "size"]


def register(sub: Any) -> None:
    parse = sub.add_parser("parse", help="parse .eml files or directories; print JSON lines")
    parse.add_argument("paths", nargs="+", metavar="PATH")
    parse.add_argument("--org-domain", action="append", default=[], help="organisation domain (for direction)")
    parse.set_defaults(handler=run_parse)

    search = sub.add_parser("search", help="search the index with the query language")
    search.add_argument("query", help='e.g. "sender.domain = evil.example and received >= -7d"')
    search.add_argument("--count", action="store_true", help="print only the number of matching copies")
    search.add_argument("--format", choices=["table", "json", "csv"], default="table")
    search.add_argument("--limit", type=int, default=100, help="rows to print (0: all)")
    search.set_defaults(handler=run_search)


def run_parse(args: argparse.Namespace) -> int:
    from clawback.mail.parsing.cli import run_parse as parse_paths

    return parse_paths(args.paths, sys.stdout, org_domains=args.org_domain)


def _row(copy: Any) -> dict[str, Any]:
    return {
        "id": copy.pk,
        "received": copy.received_at.isoformat(),
        "sender": copy.from_address,
        "recipient": copy.recipient,
        "subject": copy.subject,
        "location": copy.location,
        "folder": copy.folder,
        "threats": ",".join(copy.threat_list),
        "size": copy.size,
        "message_id": copy.message_id,
    }


def run_search(args: argparse.Namespace) -> int:
    from clawback.explorer.query import QueryError, search

    try:
        qs = search(args.query)
        if args.count:
            print(qs.count())
            return 0
        qs = qs.order_by("-received_at", "-id")
        rows = qs if args.limit == 0 else qs[: args.limit]
        _print_rows((_row(c) for c in rows.iterator(2000)), args.format)
    except QueryError as exc:
        raise CommandError(f"{exc}\n  {exc.caret(args.query)}") from None
    return 0


def _print_rows(rows: Any, fmt: str) -> None:
    if fmt == "json":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=[*COLUMNS, "message_id"])
        writer.writeheader()
        writer.writerows(rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*COLUMNS)
        for row in rows:
            table.add_row(*(str(row[c]) for c in COLUMNS))
        Console().print(table)
