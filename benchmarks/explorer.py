"""Explorer benchmark: 20 typical hunting queries over a million indexed copies.

A synthetic index of known make-up (``explorer_data.py``: hot and cold sender domains, ~5 %
phish and ~1 % malware in campaigns, ~1.9 URLs per copy, realistic row width) is written
straight into the database, then each query runs K times (after one warm-up run) through the
same functions the Explorer, API and CLI call.  A search is what the results page does: the
count and the first page of 50, newest first.  Each is shown beside a full scan of the copies
table (a count with a condition on an unindexed column) as a ratio.

    python benchmarks/explorer.py                          # 1,000,000 copies, temp SQLite file
    python benchmarks/explorer.py --reuse                  # keep the data of the last run
    python benchmarks/explorer.py --database-url postgres://postgres@127.0.0.1:15446/bench

Targets: p95 < 300 ms for indexed filters, views and pivots; < 1 s for ``subject ~``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import machine, timed

WORK = Path(tempfile.gettempdir()) / "clawback-explorer-bench"
PAGE = 50
FAST, SCAN = 0.300, 1.0  # the targets, in seconds


def setup_django(database_url: str) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("CLAWBACK_HOME", str(WORK))
    os.environ["DJANGO_SETTINGS_MODULE"] = "clawback.settings"
    import django

    django.setup()


# --- loading ------------------------------------------------------------------------------
META = "bench_explorer_meta"


def _tables() -> list[str]:
    from clawback.mail.models import CopyAttachment, CopyUrl, MessageCopy

    return [m._meta.db_table for m in (CopyUrl, CopyAttachment, MessageCopy)]


def stored_facts() -> Any:
    from django.db import connection
    from explorer_data import Facts

    if META not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {META} WHERE name = 'facts'")
        row = cursor.fetchone()
    return Facts.from_json(row[0]) if row else None


def refuse_foreign_data() -> None:
    """Never wipe a database that holds anything but this benchmark's data."""
    from django.db import connection

    from clawback.mail.models import MessageCopy

    if META not in connection.introspection.table_names() and MessageCopy.objects.exists():
        raise SystemExit("the database holds copies that this benchmark did not make: give it an empty database")


def drop_indexes() -> list[str]:
    """Drop the secondary indexes of the index tables (recreated after loading: a sort per
    index instead of a B-tree insert per row); return their definitions."""
    from django.db import connection

    tables = _tables()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            where = f"type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})"
            cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE {where}", tables)
        else:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
                [tables],
            )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def load(rows: int, seed: int) -> Any:
    from django.db import connection, transaction
    from explorer_data import Generator

    from clawback.mail.models import CopyAttachment, CopyUrl, MessageCopy, TimelineEvent
    from clawback.mailstores.models import Mailbox, Store

    refuse_foreign_data()
    anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    generator = Generator(rows, seed, anchor)
    facts = generator.facts()
    facts.seed = seed
    with transaction.atomic():
        for model in (TimelineEvent, CopyUrl, CopyAttachment, MessageCopy, Mailbox, Store):
            model.objects.all()._raw_delete(connection.alias)  # type: ignore[attr-defined]
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {META} (name varchar(32) PRIMARY KEY, value text)")
            cursor.execute(f"DELETE FROM {META}")
    store = Store.objects.create(name="bench", kind="maildir", params={"path": "/nonexistent"})
    Mailbox.objects.bulk_create([Mailbox(store=store, address=a) for a in generator.mailboxes], batch_size=5000)
    mailbox_ids = dict(Mailbox.objects.filter(store=store).values_list("address", "pk"))
    definitions = drop_indexes()
    writer = Writer()
    started = time.perf_counter()
    copies = urls = attachments = 0
    for batch in generator.batches(mailbox_ids, store.pk):
        with transaction.atomic():
            writer.write(MessageCopy, batch[0])
            writer.write(CopyUrl, batch[1])
            writer.write(CopyAttachment, batch[2])
        copies, urls, attachments = copies + len(batch[0]), urls + len(batch[1]), attachments + len(batch[2])
        rate = copies / (time.perf_counter() - started)
        print(f"\r  loaded {copies:,} copies ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with connection.cursor() as cursor:
        for definition in definitions:
            cursor.execute(definition)
        cursor.execute(f"INSERT INTO {META} (name, value) VALUES ('facts', %s)", [facts.to_json()])
    finish(connection)
    print(f"  {copies:,} copies, {urls:,} URLs, {attachments:,} attachments in {time.perf_counter() - started:.0f} s")
    return facts


def finish(connection: Any) -> None:
    """Statistics, as a running installation has them: PostgreSQL's autovacuum analyses and
    sets the visibility map (index-only scans).  SQLite has none unless someone runs ANALYZE,
    and Clawback does not, so none are made here."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        autocommit = connection.get_autocommit()
        connection.set_autocommit(True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        connection.set_autocommit(autocommit)


class Writer:
    """Plain tuples into the table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.columns: dict[type, list[str]] = {}

    def write(self, model: Any, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = self.columns.setdefault(model, [f.column for f in model._meta.concrete_fields])
        vendor = self.connection.vendor
        json_columns = {f.column for f in model._meta.concrete_fields if f.get_internal_type() == "JSONField"}
        time_columns = {f.column for f in model._meta.concrete_fields if f.get_internal_type() == "DateTimeField"}
        adapt = self.connection.ops.adapt_datetimefield_value
        convert: dict[str, Callable[[Any], Any]] = {c: _json for c in json_columns}
        if vendor == "sqlite":
            convert |= {c: adapt for c in time_columns}
        tuples = [[convert[c](row[c]) if c in convert else row.get(c, "") for c in columns] for row in rows]
        table = model._meta.db_table
        with self.connection.cursor() as cursor:
            if vendor == "sqlite":
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', tuples)
                return
            with cursor.cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for values in tuples:
                    copy.write_row(values)


def _json(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


def reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from clawback.mail.models import CopyAttachment, CopyUrl, MessageCopy

    statements = connection.ops.sequence_reset_sql(no_style(), [MessageCopy, CopyUrl, CopyAttachment])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


# --- queries ------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    kind: str  # search, view, pivot, histogram, campaigns
    run: Callable[[], int]  # returns a row count (printed, to show what was found)
    target: float = FAST


def explorer_page(view: str, text: str, now: datetime) -> int:
    """What the results page does: the count, then the first page, newest first."""
    from clawback.explorer.catalog import newest, view_search

    found = view_search(view, text, now=now)
    total = found.count()
    newest(found, limit=PAGE)
    return total


def cases(facts: Any) -> list[Case]:
    from clawback.explorer.catalog import campaigns, view_search
    from clawback.explorer.pivots import histogram, pivot

    now = facts.anchor

    def search(text: str, view: str = "all", target: float = FAST) -> Case:
        return Case(
            f"{view}: {text or '(everything)'}",
            "view" if view != "all" else "search",
            lambda: explorer_page(view, text, now),
            target,
        )

    def pivot_case(key: str, view: str, text: str) -> Case:
        return Case(
            f"pivot {key} | {view}: {text}", "pivot", lambda: pivot(view_search(view, text, now=now), key).total
        )

    phish = ", ".join(facts.phish_domains)
    return [
        search("received >= yesterday"),
        search(f"sender.domain = {facts.hot_domain}"),
        search(f"sender.domain = {facts.cold_domain}"),
        search(f"sender.domain in ({phish})"),
        search(f"sender.ip = {facts.sender_ip}"),
        search(f"url.domain = {facts.phish_url_domain}"),
        search("url.domain = bit.ly"),
        search(f"attachment.sha256 = {facts.malware_hash}"),
        search("subject ~ invoice", target=SCAN),
        search('subject ~ "payroll review" and received >= -7d', target=SCAN),
        search("received >= -1d and threat = phish"),
        search("received >= -7d and location = junk"),
        search(f"recipient.address = {facts.vip} and received >= -7d"),
        search(f"sender.domain = {facts.hot_domain} and url.domain = links.{facts.hot_domain} and received >= -14d"),
        search(
            f"(url.domain = {facts.phish_url_domain} or attachment.sha256 = {facts.malware_hash}) "
            "and not location = deleted"
        ),
        search("received >= yesterday", view="malware"),
        search("received >= -30d", view="phish"),
        pivot_case("sender.domain", "all", "received >= yesterday"),
        Case(
            "histogram per 6 h, 30 days",
            "histogram",
            lambda: sum(histogram(view_search("all", ""), start=now - timedelta(days=30), end=now).counts),
        ),
        Case(
            "campaigns, last 7 days",
            "campaigns",
            lambda: len(campaigns(view_search("campaigns", "received >= -7d", now=now))),
        ),
    ]


def full_scan() -> int:
    """A count over every row of the copies table (language is not indexed)."""
    from clawback.mail.models import MessageCopy

    return MessageCopy.objects.filter(language="no-such-language").count()


def measure(run: Callable[[], int], repeat: int) -> tuple[int, list[float]]:
    found = run()  # warm-up: the pages a busy installation keeps in memory
    times = []
    for _ in range(repeat):
        with timed() as elapsed:
            run()
        times.append(elapsed())
    return found, times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(facts: Any, repeat: int, only: str | None) -> bool:
    from django.db import connection

    _, scan_times = measure(full_scan, max(3, repeat // 4))
    scan = statistics.median(scan_times)
    print(f"\nfull scan of the copies table: p50 {scan * 1000:.0f} ms\n")
    print(f"{'#':>2}  {'query':<78} {'rows':>8} {'p50 ms':>8} {'p95 ms':>8} {'x scan':>7} {'target':>7}  met")
    all_met = True
    for n, case in enumerate(cases(facts), 1):
        if only and only not in case.name:
            continue
        found, times = measure(case.run, repeat)
        p50, worst = statistics.median(times), p95(times)
        met = worst < case.target
        all_met &= met
        name = case.name if len(case.name) <= 78 else case.name[:75] + "..."
        print(
            f"{n:>2}  {name:<78} {found:>8,} {p50 * 1000:>8.1f} {worst * 1000:>8.1f} {scan / p50:>6.1f}x "
            f"{case.target * 1000:>5.0f}ms  {'yes' if met else 'NO'}"
        )
    verdict = "all targets met" if all_met else "TARGETS MISSED"
    print(f"\n{connection.vendor}, {facts.rows:,} copies, K={repeat}: {verdict}")
    return all_met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=f"sqlite:///{WORK / 'explorer.sqlite3'}")
    parser.add_argument("--reuse", action="store_true", help="keep the data of the previous run (same --rows)")
    parser.add_argument("--repeat", "-k", type=int, default=20, help="timed runs per query (default 20)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--only", help="run only the queries whose name contains this text")
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    print(machine())
    call_command("migrate", verbosity=0)
    facts = stored_facts() if args.reuse else None
    if facts is None or facts.rows != args.rows or facts.seed != args.seed:
        print(f"generating {args.rows:,} copies into {connection.vendor} ...")
        facts = load(args.rows, args.seed)
        reset_sequences()
    else:
        print(f"reusing {facts.rows:,} copies generated at {facts.anchor:%Y-%m-%d %H:%M} UTC")
    return 0 if report(facts, args.repeat, args.only) else 1


if __name__ == "__main__":
    sys.exit(main())
