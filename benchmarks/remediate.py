"""Remediation benchmark: Clawback end to end vs ``doveadm move`` vs a naive per-message script.

A private Dovecot is started with M mailboxes x N messages of Clawback's generated demo mail
(default 200 x 500 = 100,000), indexed once by ``clawback sync``.  The newsletters (20 % of the
mail, from eight sending domains) are selected by a query and soft-deleted (moved to the
recoverable folder).  The mail directory is snapshotted after loading and restored before each
method, so all three act on the same data:

  (a) doveadm:  ``doveadm move -A "Recoverable Items" mailbox '*' (FROM d1 OR FROM d2 ...)``,
                Dovecot acting on its own files: the practical ceiling;
  (b) naive:    a script that, for each message, logs in, selects the folder, searches the
                Message-ID and moves it (time-capped, extrapolated);
  (c) clawback: ``clawback remediate --propose``, ``clawback approve`` (another person), and W
                ``clawback worker --burst`` processes until the remediation has finished.

Prints messages/s and the ratios.  Targets: clawback >= 0.8 x doveadm and >= 50 x naive.

With ``--million``: one remediation of 1,000,000 messages across 10,000 mailboxes of a Maildir
store made by the benchmark, submitted as a single request; its time is printed.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import load_dovecot, machine, run, timed

from clawback.lib.testing.dovecot import DovecotServer

# The demo generator's newsletter senders: exactly the "newsletter" share of its mix.
NEWSLETTER_DOMAINS = (
    "events.contoso.example",
    "em.travelhub.example",
    "mail.cloudweekly.example",
    "news.datadigest.example",
    "news.stadtwerke-demo.example",
    "notifications.networkhub.example",
    "lists.securitybrief.example",
    "mailer.officesupplies.example",
)
QUERY = f"sender.domain in ({', '.join(NEWSLETTER_DOMAINS)})"
RECOVERABLE = "Recoverable Items"
CLAWBACK = str(Path(sys.executable).with_name("clawback"))


def doveadm_search() -> list[str]:
    """The same selection as a doveadm search query (FROM matches the From header)."""
    terms: list[str] = ["("]
    for n, domain in enumerate(NEWSLETTER_DOMAINS):
        terms += (["OR"] if n else []) + ["FROM", f"@{domain}"]
    return [*terms, ")"]


# --- the Clawback installation ----------------------------------------------------------------
class Installation:
    def __init__(self, server: DovecotServer, mailboxes: list[str], database_url: str | None, workers: int) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="clawback-bench-"))
        self.env = {
            **os.environ,
            "CLAWBACK_HOME": str(self.home),
            "CLAWBACK_ORG_DOMAINS": "example.test",
            "CLAWBACK_LOG_LEVEL": "WARNING",
        }
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.workers = workers
        (self.home / "pw").write_text(server.master_password)
        (self.home / "users").write_text("\n".join(mailboxes))
        run([CLAWBACK, "manage", "migrate", "-v0"], self.env)
        for name, group in (("carol", "Data Investigator"), ("erin", "Security Administrator")):
            run([CLAWBACK, "user", "add", name, "--group", group], self.env)
        run(
            [
                *(CLAWBACK, "store", "add", "bench", "--kind", "imap", "--host", server.host),
                *("--port", str(server.imap_port), "--master-user", server.master_user),
                *("--password-file", str(self.home / "pw"), "--mailboxes-file", str(self.home / "users")),
            ],
            self.env,
        )

    def clawback(self, *args: str) -> str:
        return run([CLAWBACK, *args], self.env)

    def remediate(self, name: str) -> tuple[int, float, dict[str, object]]:
        """With W workers already running (as in production), propose, approve as another
        person, and wait until the remediation has finished; (count, seconds, summary)."""
        procs = [
            subprocess.Popen(
                [CLAWBACK, "worker", "--interval", "0.05"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(self.workers)
        ]
        time.sleep(3)  # let them start (and pass their random start-up delay)
        try:
            with timed() as elapsed:
                out = self.clawback(
                    *("remediate", "--user", "carol", "--name", name, "--action", "soft-delete"),
                    *("--query", QUERY, "--propose"),
                )
                proposed = elapsed()
                remediation_id = int(out.strip().splitlines()[0])
                self.clawback("approve", str(remediation_id), "--user", "erin")
                approved = elapsed()
                self.wait_finished(remediation_id)
            seconds = elapsed()
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait()
        summary = json.loads(self.clawback("remediation", "show", str(remediation_id), "--format", "json"))
        print(f"clawback: proposed at {proposed:.1f} s, approved at {approved:.1f} s, finished at {seconds:.1f} s")
        return int(summary["total"]), seconds, summary

    def wait_finished(self, remediation_id: int) -> None:
        """Poll the status in the database directly (a CLI call per poll would cost more than
        the work it waits for)."""
        query = "SELECT status FROM remediation_remediation WHERE id = %s"
        url = self.env.get("DATABASE_URL")
        if url:
            import psycopg

            with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
                while conn.execute(query, [remediation_id]).fetchone()[0] in ("queued", "in_progress"):
                    time.sleep(0.02)
            return
        while True:
            # A fresh connection per poll: a long-lived one could keep reading an old snapshot.
            conn = sqlite3.connect(self.home / "clawback.sqlite3", isolation_level=None)
            try:
                rows = conn.execute(query.replace("%s", "?"), [remediation_id]).fetchall()
            finally:
                conn.close()
            if rows[0][0] not in ("queued", "in_progress"):
                return
            time.sleep(0.02)


# --- the data, and restoring it ---------------------------------------------------------------
class Snapshot:
    """A copy of Dovecot's mail directory (messages, UID lists, indexes) to restore from."""

    def __init__(self, server: DovecotServer) -> None:
        self.server = server
        self.mail = server.data_dir / "mail"
        self.copy = server.data_dir / "mail-snapshot"
        server.stop()
        # cp -a keeps owners (the vmail user when run as root), which copytree would not.
        subprocess.run(["cp", "-a", str(self.mail), str(self.copy)], check=True)
        server.start()

    def restore(self) -> None:
        self.server.stop()
        shutil.rmtree(self.mail)
        subprocess.run(["cp", "-a", str(self.copy), str(self.mail)], check=True)
        self.server.start()


def count_in(server: DovecotServer, folder: str) -> int:
    return len(server.doveadm("search", "-A", "mailbox", folder, "ALL").splitlines())


# --- (a) doveadm, (b) naive -------------------------------------------------------------------
def doveadm_move(server: DovecotServer) -> tuple[int, float]:
    with timed() as elapsed:
        server.doveadm("move", "-A", RECOVERABLE, "mailbox", "*", *doveadm_search())
    seconds = elapsed()
    return count_in(server, RECOVERABLE), seconds


def naive(server: DovecotServer, targets: list[dict[str, str]], cap: float) -> tuple[int, float]:
    """Login, select, search, move, logout for each message, until ``cap`` seconds pass."""
    done = 0
    with timed() as elapsed:
        for target in targets:
            imap = imaplib.IMAP4(server.host, server.imap_port)
            imap.login(f"{target['recipient']}*{server.master_user}", server.master_password)
            imap.select(f'"{target["folder"]}"')
            _, data = imap.uid("SEARCH", "HEADER", "Message-ID", f'"{target["message_id"]}"')
            for uid in data[0].split():
                imap.uid("MOVE", uid.decode(), f'"{RECOVERABLE}"')
            imap.logout()
            done += 1
            if elapsed() > cap:
                break
    return done, elapsed()


# --- the million --------------------------------------------------------------------------------
def million(args: argparse.Namespace) -> None:
    """One remediation of mailboxes x per_mailbox messages on a Maildir store, as one request."""
    home = Path(tempfile.mkdtemp(prefix="clawback-million-"))
    root = home / "maildir"
    total = args.million_mailboxes * args.million_per_mailbox
    with timed() as write_time:
        write_maildir(root, args.million_mailboxes, args.million_per_mailbox)
    print(
        f"\nmillion: wrote {total:,} messages into {args.million_mailboxes:,} Maildir mailboxes in {write_time():.0f} s"
    )
    env = {
        **os.environ,
        "CLAWBACK_HOME": str(home),
        "CLAWBACK_LOG_LEVEL": "WARNING",
        "CLAWBACK_REMEDIATION_LIMIT_QUERY": str(total),
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    run([CLAWBACK, "manage", "migrate", "-v0"], env)
    run([CLAWBACK, "user", "add", "erin", "--group", "Security Administrator"], env)
    run([CLAWBACK, "store", "add", "million", "--kind", "maildir", "--path", str(root)], env)
    with timed() as sync_time:
        run([CLAWBACK, "sync", "million", "--processes", str(args.processes)], env)
    print(f"million: indexed in {sync_time():.0f} s")
    with timed() as elapsed:
        out = run(
            [
                *(CLAWBACK, "remediate", "--user", "erin", "--name", "million", "--action", "move-to-junk"),
                *("--query", "sender.domain = evil.example"),
            ],
            env,
        )
        remediation_id = out.strip().splitlines()[0]
        submitted = elapsed()
        procs = [
            subprocess.Popen([CLAWBACK, "worker", "--burst"], env=env, stdout=subprocess.DEVNULL)
            for _ in range(args.workers)
        ]
        for proc in procs:
            proc.wait()
        summary = json.loads(run([CLAWBACK, "remediation", "show", remediation_id, "--format", "json"], env))
    seconds = elapsed()
    print(
        f"million: one remediation of {summary['total']:,} messages in {args.million_mailboxes:,} mailboxes: "
        f"submitted in {submitted:.0f} s, finished in {seconds:.0f} s ({summary['total'] / seconds:,.0f} msgs/s), "
        f"status {summary['status']}, counts {summary['counts']}"
    )
    shutil.rmtree(home, ignore_errors=True)


def write_maildir(root: Path, mailboxes: int, per_mailbox: int) -> None:
    for n in range(mailboxes):
        box = root / f"user{n:05d}@example.test"
        for folder in ("", ".Junk", ".Trash"):
            for sub in ("cur", "new", "tmp"):
                (box / folder / sub).mkdir(parents=True, exist_ok=True)
        for i in range(per_mailbox):
            mid = f"m{n}-{i}@evil.example"
            raw = (
                f"Return-Path: <it@evil.example>\r\nMessage-ID: <{mid}>\r\nFrom: IT <it@evil.example>\r\n"
                f"To: user{n:05d}@example.test\r\nSubject: Your mailbox is full ({i})\r\n"
                "Date: Mon, 16 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\n"
                f"Verify at https://login.evil.example/{n}/{i}\r\n"
            ).encode()
            (box / "new" / f"1700000000.M{n}_{i}.bench").write_bytes(raw)


# --- main ----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mailboxes", type=int, default=200)
    parser.add_argument("--per-mailbox", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4, help="clawback worker processes")
    parser.add_argument("--processes", type=int, default=2, help="sync processes (indexing before the run)")
    parser.add_argument("--naive-seconds", type=float, default=20.0, help="time cap of the naive script")
    parser.add_argument("--database-url", help="use this database instead of a fresh SQLite file")
    parser.add_argument("--million", action="store_true", help="also run the 1,000,000-message remediation")
    parser.add_argument("--only-million", action="store_true", help="only the 1,000,000-message remediation")
    parser.add_argument("--million-mailboxes", type=int, default=10_000)
    parser.add_argument("--million-per-mailbox", type=int, default=100)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    if not args.only_million:
        compare(args)
    if args.million or args.only_million:
        million(args)


def compare(args: argparse.Namespace) -> None:
    with DovecotServer(nusers=args.mailboxes) as server:
        mailboxes = server.users
        with timed() as load_time:
            loaded = load_dovecot(server, mailboxes, args.per_mailbox, seed=7)
        print(f"loaded {loaded:,} messages into {len(mailboxes)} mailboxes in {load_time():.1f} s")
        site = Installation(server, mailboxes, args.database_url, args.workers)
        with timed() as sync_time:
            site.clawback("sync", "--processes", str(args.processes))
        selected = int(site.clawback("search", QUERY, "--count").strip().splitlines()[-1])
        in_dovecot = len(server.doveadm("search", "-A", "mailbox", "*", *doveadm_search()).splitlines())
        print(
            f"indexed in {sync_time():.1f} s; the query selects {selected:,} copies (doveadm's search: {in_dovecot:,})"
        )
        if selected != in_dovecot:
            sys.exit("the doveadm search and the Clawback query disagree; the comparison would be unfair")
        targets = [
            json.loads(line) for line in site.clawback("search", QUERY, "--format", "json", "--limit", "0").splitlines()
        ]
        snapshot = Snapshot(server)

        snapshot.restore()
        dove_n, dove_s = doveadm_move(server)
        snapshot.restore()
        naive_n, naive_s = naive(server, targets, args.naive_seconds)
        snapshot.restore()
        cb_n, cb_s, summary = site.remediate("bench")
        cb_moved = count_in(server, RECOVERABLE)

    dove_rate, naive_rate, cb_rate = dove_n / dove_s, naive_n / naive_s, cb_n / cb_s
    print(f"\n{'method':<52}{'messages':>10}{'seconds':>10}{'msgs/s':>10}")
    print(f"{'(a) doveadm move -A (one process)':<52}{dove_n:>10,}{dove_s:>10.1f}{dove_rate:>10,.0f}")
    extrapolated = selected / naive_rate
    label = f"(b) naive per-message IMAP ({naive_n:,} done, capped)"
    print(f"{label:<52}{selected:>10,}{extrapolated:>10.0f}{naive_rate:>10,.0f}")
    label = f"(c) clawback propose, approve, {args.workers} workers"
    print(f"{label:<52}{cb_n:>10,}{cb_s:>10.1f}{cb_rate:>10,.0f}")
    print(f"\nclawback / doveadm: {cb_rate / dove_rate:.2f}   (target >= 0.8)")
    print(f"clawback / naive:   {cb_rate / naive_rate:.0f}   (target >= 50)")
    print(f"clawback: status {summary['status']}, counts {summary['counts']}; in {RECOVERABLE} now: {cb_moved:,}")
    if summary["status"] != "completed" or cb_moved != selected or dove_n != selected:
        sys.exit("WARNING: not every selected message ended in the recoverable folder")


if __name__ == "__main__":
    main()
