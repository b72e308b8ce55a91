"""Ingest benchmark: Clawback's full sync (fetch, parse, store) vs a raw imaplib FETCH.

A private Dovecot is started with M mailboxes x N messages of Clawback's generated demo mail
(default 200 x 500 = 100,000).  In one run, on the same data:

  (a) raw:      imaplib, one login per mailbox, UID SEARCH ALL + UID FETCH BODY.PEEK[] of every
                message in chunks of 500, in P processes (the same parallelism Clawback gets);
  (b) clawback: ``clawback store add`` + ``clawback sync --processes P`` into a fresh database
                (SQLite by default; with --database-url a new database on that PostgreSQL server,
                dropped afterwards), i.e. fetch + parse + index.

Prints messages/s of each, the ratio clawback/raw, the targets (>= 2,000 msgs/s and >= 0.3 x raw)
and whether they were met, the CPU each side cost per message (client, Dovecot, database), what
other programs took from the machine meanwhile, and the split of Clawback's time by stage.

  .venv/bin/python benchmarks/ingest.py [--mailboxes 200] [--per-mailbox 500] [--processes 2]
                                        [--database-url postgres://user@host:port/db]
"""

from __future__ import annotations

import argparse
import imaplib
import os
import re
import resource
import shutil
import sys
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import load_dovecot, machine, run, timed

from clawback.lib.testing.dovecot import DovecotServer

FETCH_CHUNK = 500
TARGET_RATE = 2000
TARGET_RATIO = 0.3
_TICK = os.sysconf("SC_CLK_TCK")


# --- CPU accounting -----------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from "state" on (3rd field = index 0)


def tree_cpu(root: int | None) -> float:
    """CPU seconds of ``root``, of its live children and of the children it reaped (a Dovecot or
    PostgreSQL master: its imap / backend processes are its direct children)."""
    if root is None:
        return 0.0
    ticks = 0
    fields = _stat(root)
    if fields is not None:
        ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != root:
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == root:
                ticks += sum(int(f) for f in fields[11:15])
    return ticks / _TICK


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (every core, every program)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / _TICK


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Cost:
    """What one phase cost: wall seconds and CPU seconds by whom."""

    seconds: float = 0.0
    client: float = 0.0  # our processes: imaplib clients, or clawback and its parsers
    dovecot: float = 0.0
    database: float = 0.0  # the PostgreSQL server's processes (SQLite runs inside clawback)
    others: float = 0.0  # everything else the machine ran meanwhile (other users' work)


class Meter:
    def __init__(self, dovecot_pid: int | None, database_pid: int | None) -> None:
        self.pids = dovecot_pid, database_pid

    def __enter__(self) -> Meter:
        self.start = self._sample()
        self.timer = timed()
        self.elapsed = self.timer.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.__exit__(None, None, None)
        end = self._sample()
        client, dovecot, database, busy = (b - a for a, b in zip(self.start, end, strict=True))
        self.cost = Cost(self.elapsed(), client, dovecot, database, max(0.0, busy - client - dovecot - database))

    def _sample(self) -> tuple[float, float, float, float]:
        return children_cpu(), tree_cpu(self.pids[0]), tree_cpu(self.pids[1]), machine_busy()


# --- (a) raw fetch ------------------------------------------------------------------------


def raw_fetch_slice(host: str, port: int, master: str, password: str, mailboxes: list[str]) -> tuple[int, int]:
    messages = size = 0
    for mailbox in mailboxes:
        imap = imaplib.IMAP4(host, port)
        imap.login(f"{mailbox}*{master}", password)
        for folder in ("INBOX", "Junk", "Trash", "Sent", "Archive"):
            typ, _ = imap.select(folder, readonly=True)
            if typ != "OK":
                continue
            _, data = imap.uid("SEARCH", "ALL")
            uids = data[0].split()
            for i in range(0, len(uids), FETCH_CHUNK):
                chunk = b",".join(uids[i : i + FETCH_CHUNK]).decode()
                _, rows = imap.uid("FETCH", chunk, "(BODY.PEEK[])")
                for row in rows:
                    if isinstance(row, tuple):
                        messages += 1
                        size += len(row[1])
        imap.logout()
    return messages, size


def raw_fetch(server: DovecotServer, mailboxes: list[str], processes: int) -> tuple[int, int]:
    slices = [mailboxes[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        args = (server.host, server.imap_port, server.master_user, server.master_password)
        results = list(pool.map(raw_fetch_slice, *zip(*[(*args, part) for part in slices], strict=True)))
    return sum(r[0] for r in results), sum(r[1] for r in results)


# --- (b) clawback sync --------------------------------------------------------------------


def clawback_env(home: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "CLAWBACK_HOME": str(home), "CLAWBACK_ORG_DOMAINS": "example.test"}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def add_store(server: DovecotServer, mailboxes: list[str], home: Path, env: dict[str, str]) -> str:
    clawback = str(Path(sys.executable).with_name("clawback"))
    (home / "pw").write_text(server.master_password)
    (home / "users").write_text("\n".join(mailboxes))
    run([clawback, "manage", "migrate", "-v0"], env)
    run(
        [
            *(clawback, "store", "add", "bench", "--kind", "imap", "--host", server.host),
            *("--port", str(server.imap_port), "--master-user", server.master_user),
            *("--password-file", str(home / "pw"), "--mailboxes-file", str(home / "users")),
        ],
        env,
    )
    return clawback


class ScratchDatabase:
    """A new, empty database on the server of ``url`` for one run, dropped afterwards, so that
    the benchmark never writes into the database it was pointed at."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.admin = url
        self.name = f"clawback_bench_{uuid.uuid4().hex[:8]}"
        parts = urlsplit(url)
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        with psycopg.connect(self.url) as conn:
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        fields = _stat(pid)
        self.server_pid = int(fields[1]) if fields is not None else None  # a local server's postmaster

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- report -------------------------------------------------------------------------------


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def per_thousand(cpu: float, messages: int) -> str:
    return f"{cpu * 1000 / max(messages, 1):>7.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mailboxes", type=int, default=200)
    parser.add_argument("--per-mailbox", type=int, default=500)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--database-url", help="index into a new database on this PostgreSQL server")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    scratch = ScratchDatabase(args.database_url) if args.database_url else None
    home = Path(tempfile.mkdtemp(prefix="clawback-bench-"))
    try:
        with DovecotServer(nusers=args.mailboxes) as server:
            mailboxes = server.users
            with timed() as load_time:
                loaded = load_dovecot(server, mailboxes, args.per_mailbox, seed=7)
            print(f"loaded {loaded} messages into {len(mailboxes)} mailboxes in {load_time():.1f} s (IMAP MULTIAPPEND)")
            raw_fetch(server, mailboxes[: max(1, len(mailboxes) // 10)], args.processes)  # warm the page cache
            database_pid = scratch.server_pid if scratch else None
            with Meter(server.pid, database_pid) as raw:
                raw_n, raw_bytes = raw_fetch(server, mailboxes, args.processes)
            env = clawback_env(home, scratch.url if scratch else None)
            clawback = add_store(server, mailboxes, home, env)
            with Meter(server.pid, database_pid) as sync:
                out = run([clawback, "sync", "--processes", str(args.processes)], env)
            cb_n = int(run([clawback, "search", "", "--count"], env).strip().splitlines()[-1])
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if scratch:
            scratch.drop()
    report(args, raw.cost, raw_n, raw_bytes, sync.cost, cb_n, out)
    if cb_n != loaded:
        print(f"WARNING: indexed {cb_n} of {loaded} messages")
        sys.exit(1)


def report(args: argparse.Namespace, raw: Cost, raw_n: int, raw_bytes: int, sync: Cost, cb_n: int, out: str) -> None:
    database = "PostgreSQL" if args.database_url else "SQLite"
    raw_rate, cb_rate = raw_n / raw.seconds, cb_n / sync.seconds
    procs = f"({args.processes} procs)"
    print(f"\n{'':46}{'':>9}{'':>8}{'':>8}  {'CPU seconds per 1,000 messages':^38}")
    head = f"{'method':<46}{'messages':>9}{'seconds':>8}{'msgs/s':>8}"
    print(f"{head}  {'client':>7}{'dovecot':>8}{'db':>7}{'others':>8}")
    for label, n, cost in (
        (f"raw imaplib FETCH BODY.PEEK[] {procs}", raw_n, raw),
        (f"clawback sync into {database} {procs}", cb_n, sync),
    ):
        print(
            f"{label:<46}{n:>9}{cost.seconds:>8.1f}{n / cost.seconds:>8.0f}  {per_thousand(cost.client, n)}"
            f"{per_thousand(cost.dovecot, n):>8}{per_thousand(cost.database, n)}{per_thousand(cost.others, n):>8}"
        )
    ratio = cb_rate / raw_rate
    print(f"\nclawback msgs/s: {cb_rate:,.0f}   target >= {TARGET_RATE:,}: {met(cb_rate >= TARGET_RATE)}")
    print(f"ratio clawback / raw fetch: {ratio:.2f}   target >= {TARGET_RATIO}: {met(ratio >= TARGET_RATIO)}")
    # What the same work would take with the cores to itself: CPU per message, not wall time.
    cores = os.cpu_count() or 1
    own = (sync.client + sync.dovecot + sync.database) / max(cb_n, 1)
    own_raw = (raw.client + raw.dovecot) / max(raw_n, 1)
    print(
        f"estimated CPU-bound capacity on {cores} idle cores: clawback {cores / own:,.0f} msgs/s, "
        f"raw {cores / own_raw:,.0f} msgs/s "
        f"(others used {sync.others / sync.seconds:.1f} of {cores} cores during the sync)"
    )
    print(f"average message size: {raw_bytes / max(raw_n, 1) / 1024:.1f} KiB")
    for line in out.strip().splitlines():
        if re.match(r"\s*\d+ mailboxes:|parsers \(", line):
            print(f"clawback: {line.strip()}")


if __name__ == "__main__":
    main()
