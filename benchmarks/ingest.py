"""Ingest benchmark: Clawback's full sync (fetch, parse, store) vs a raw imaplib FETCH.

A private Dovecot is started with M mailboxes x N messages of Clawback's generated demo mail
(default 200 x 500 = 100,000).  In one run, on the same data:

  (a) raw:      imaplib, one login per mailbox, UID SEARCH ALL + UID FETCH BODY.PEEK[] of every
                message in chunks of 500, in P processes (the same parallelism Clawback gets);
  (b) clawback: ``clawback store add`` + ``clawback sync --processes P`` into a fresh database
                (SQLite by default, or --database-url), i.e. fetch + parse + index.

Prints messages/s of each and the ratio clawback/raw.  Targets: >= 2,000 msgs/s and >= 0.3 x raw.
"""

from __future__ import annotations

import argparse
import imaplib
import os
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common import load_dovecot, machine, run, timed

from clawback.lib.testing.dovecot import DovecotServer

FETCH_CHUNK = 500


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


def raw_fetch(server: DovecotServer, mailboxes: list[str], processes: int) -> tuple[int, int, float]:
    slices = [mailboxes[i::processes] for i in range(processes)]
    with timed() as elapsed, ProcessPoolExecutor(processes) as pool:
        args = (server.host, server.imap_port, server.master_user, server.master_password)
        results = list(pool.map(raw_fetch_slice, *zip(*[(*args, part) for part in slices], strict=True)))
    return sum(r[0] for r in results), sum(r[1] for r in results), elapsed()


def clawback_sync(
    server: DovecotServer, mailboxes: list[str], processes: int, database_url: str | None
) -> tuple[int, float, str]:
    home = Path(tempfile.mkdtemp(prefix="clawback-bench-"))
    env = {**os.environ, "CLAWBACK_HOME": str(home), "CLAWBACK_ORG_DOMAINS": "example.test"}
    if database_url:
        env["DATABASE_URL"] = database_url
    clawback = str(Path(sys.executable).with_name("clawback"))
    (home / "pw").write_text(server.master_password)
    (home / "users").write_text("\n".join(mailboxes))
    run([clawback, "manage", "migrate", "-v0"], env)
    run(
        [
            clawback,
            "store",
            "add",
            "bench",
            "--kind",
            "imap",
            "--host",
            server.host,
            "--port",
            str(server.imap_port),
            "--master-user",
            server.master_user,
            "--password-file",
            str(home / "pw"),
            "--mailboxes-file",
            str(home / "users"),
        ],
        env,
    )
    with timed() as elapsed:
        out = run([clawback, "sync", "--processes", str(processes)], env)
    seconds = elapsed()
    count = int(run([clawback, "search", "", "--count"], env).strip().splitlines()[-1])
    shutil.rmtree(home, ignore_errors=True)
    return count, seconds, out.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mailboxes", type=int, default=200)
    parser.add_argument("--per-mailbox", type=int, default=500)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--database-url", help="index into this database instead of a fresh SQLite file")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with DovecotServer(nusers=args.mailboxes) as server:
        mailboxes = server.users
        with timed() as load_time:
            loaded = load_dovecot(server, mailboxes, args.per_mailbox, seed=7)
        print(f"loaded {loaded} messages into {len(mailboxes)} mailboxes in {load_time():.1f} s (IMAP MULTIAPPEND)")
        raw_fetch(server, mailboxes[: max(1, len(mailboxes) // 10)], args.processes)  # warm the page cache
        raw_n, raw_bytes, raw_s = raw_fetch(server, mailboxes, args.processes)
        cb_n, cb_s, cb_summary = clawback_sync(server, mailboxes, args.processes, args.database_url)

    raw_rate, cb_rate = raw_n / raw_s, cb_n / cb_s
    procs = f"({args.processes} procs)"
    print(f"\n{'method':<44}{'messages':>10}{'seconds':>10}{'msgs/s':>10}")
    print(f"{'raw imaplib FETCH BODY.PEEK[] ' + procs:<44}{raw_n:>10}{raw_s:>10.1f}{raw_rate:>10.0f}")
    print(f"{'clawback sync: fetch+parse+index ' + procs:<44}{cb_n:>10}{cb_s:>10.1f}{cb_rate:>10.0f}")
    print(f"\nratio clawback / raw fetch: {cb_rate / raw_rate:.2f}   (target >= 0.30)")
    print(f"clawback msgs/s: {cb_rate:.0f}   (target >= 2,000)")
    print(f"average message size: {raw_bytes / max(raw_n, 1) / 1024:.1f} KiB; clawback said: {cb_summary}")
    if cb_n != loaded:
        print(f"WARNING: indexed {cb_n} of {loaded} messages")
        sys.exit(1)


if __name__ == "__main__":
    main()
