"""``clawback parse`` and ``clawback search``."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from clawback.cli import CommandError

COLUMNS = ["id", "received", "sender", "recipient", "subject", "location", "folder", "threats", "size"]
# Literal copies of clawback.explorer's keys: importing it here would set up Django before
# argparse runs (a test checks that they agree).
VIEW_KEYS = ("all", "malware", "phish", "campaigns")
PIVOT_KEYS = (
    "delivery.action",
    "sender.domain",
    "sender.ip",
    "detection",
    "threat",
    "url.domain",
    "url",
    "recipient.address",
)
CAMPAIGN_COLUMNS = ["copies", "recipients", "first_seen", "last_seen", "subject", "sender", "query"]


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
    search.add_argument(
        "--view",
        choices=list(VIEW_KEYS),
        default="all",
        help="the Explorer view to search; campaigns lists the campaigns instead of copies",
    )
    search.add_argument(
        "--pivot",
        metavar="FIELD",
        choices=list(PIVOT_KEYS),
        help=f"print copies per value of FIELD instead of copies ({', '.join(PIVOT_KEYS)}); "
        "json prints one object with the buckets",
    )
    search.add_argument("--top", type=int, default=10, help="values of --pivot to print (default 10)")
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
    from clawback.explorer.catalog import view_search
    from clawback.explorer.query import QueryError

    try:
        qs = view_search(args.view, args.query)
        if args.count:
            print(qs.count())
        elif args.pivot:
            _print_pivot(qs, args.pivot, args.top, args.format)
        elif args.view == "campaigns":
            _print_campaigns(qs, args.limit, args.format)
        else:
            qs = qs.order_by("-received_at", "-id")
            rows = qs if args.limit == 0 else qs[: args.limit]
            _print_rows((_row(c) for c in rows.iterator(2000)), args.format)
    except QueryError as exc:
        raise CommandError(f"{exc}\n  {exc.caret(args.query)}") from None
    return 0


def _print_pivot(qs: Any, key: str, top: int, fmt: str) -> None:
    from clawback.explorer.pivots import pivot

    result = pivot(qs, key, top=top)
    if fmt == "json":
        buckets = [{"value": b.value, "count": b.count} for b in result.buckets]
        data = {"pivot": key, "buckets": buckets, "other": result.other, "values": result.values}
        print(json.dumps(data | {"total": result.total}, ensure_ascii=False))
        return
    rows = [[b.value, b.count] for b in result.buckets]
    if result.other:
        rows.append([f"(other {result.values - len(result.buckets)} values)", result.other])
    _print_table([key, "copies"], rows, fmt)


def _print_campaigns(qs: Any, limit: int, fmt: str) -> None:
    from clawback.explorer.catalog import campaigns

    found = campaigns(qs, limit=limit or 10_000)
    if fmt == "json":
        for campaign in found:
            print(json.dumps({**campaign.__dict__, "query": campaign.query}, ensure_ascii=False, default=str))
        return
    rows = [
        [c.copies, c.recipients, c.first_seen.isoformat(), c.last_seen.isoformat(), c.subject, c.sender, c.query]
        for c in found
    ]
    _print_table(CAMPAIGN_COLUMNS, rows, fmt)


def _print_table(header: list[str], rows: list[list[Any]], fmt: str) -> None:
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*header)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    Console().print(table)


def _print_rows(rows: Any, fmt: str) -> None:
    if fmt == "json":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=[*COLUMNS, "message_id"])
        writer.writeheader()
        writer.writerows(rows)
    else:
        _print_table(COLUMNS, [[row[c] for c in COLUMNS] for row in rows], fmt)
