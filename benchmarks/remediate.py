"""Remediation benchmark: Clawback end to end vs ``doveadm move`` vs a naive per-message script.

A private Dovecot is started with M mailboxes x N messages of Clawback's generated demo mail
(default 200 x 500 = 100,000), indexed once by ``clawback sync``.  The newsletters (a fifth of
the mail, from eight sending domains) are selected by a query and soft-deleted (moved to the
recoverable folder).  The mail directory (and Clawback's database) is snapshotted after loading
and restored before each method, so all three act on the same data, in one run:

  (a) doveadm:  ``doveadm move -A "Recoverable Items" mailbox '*' (FROM d1 OR FROM d2 ...)``,
                Dovecot acting on its own files: the practical ceiling;
  (b) naive:    a script that, for each message, logs in, selects the folder, searches the
                Message-ID and moves it (time-capped, extrapolated);
  (e) floor:    what any IMAP client must cost Dovecot at least: per mailbox a login, one
                SELECT and one UID MOVE per folder of UIDs known beforehand, a logout; no
                database, no records, 2 processes.  Not a target: it shows how close to the
                ceiling an IMAP-based tool can get on this machine.
  (c) clawback: proposed by one person and approved by another, then W ``clawback worker``
                processes until the remediation has finished: through the REST API of a
                running ``clawback serve`` (how the web UI and SOAR tools submit), and
                through the CLI (``clawback remediate --propose``, ``clawback approve``: two
                processes whose Python start-up, ~0.45 s each, counts).  ``--worker-mode
                burst`` starts the workers after approval; ``running``: already running.

Prints messages/s, the ratios and the targets: clawback >= 0.8 x doveadm and >= 50 x naive.

With ``--million``: one remediation of 1,000,000 messages across 10,000 mailboxes of a Maildir
store made by the benchmark, submitted as a single request; its times are printed.

``--database-url`` names a PostgreSQL server: the benchmark creates its own databases there
(and drops them).  ``--keep DIR`` keeps the prepared data (loaded and indexed) in DIR and reuses
it on the next run with the same sizes: for iterating on Clawback's side.
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
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
TARGET_DOVEADM, TARGET_NAIVE = 0.8, 50
FINAL = ("completed", "completed_with_errors", "failed", "duplicate", "rejected", "expired")


def doveadm_search() -> list[str]:
    """The same selection as a doveadm search query (FROM matches the From header)."""
    terms: list[str] = ["("]
    for n, domain in enumerate(NEWSLETTER_DOMAINS):
        terms += (["OR"] if n else []) + ["FROM", f"@{domain}"]
    return [*terms, ")"]


# --- databases: a fresh one per run, restored from the prepared one -----------------------------
class Database:
    """Clawback's database for the benchmark: a SQLite file under ``home``, or databases the
    benchmark creates on the PostgreSQL server of ``server_url``.  ``prepared`` holds the
    loaded-and-indexed state; each method run gets a fresh copy of it (``fresh``)."""

    def __init__(self, server_url: str | None, home: Path, tag: str) -> None:
        self.server_url = server_url
        self.home = home
        self.tag = tag

    @property
    def kind(self) -> str:
        return "PostgreSQL" if self.server_url else "SQLite"

    def url(self, name: str) -> str:
        if self.server_url is None:
            return f"sqlite:///{self.home / (name + '.sqlite3')}"
        import dj_database_url

        c = dj_database_url.parse(self.server_url)
        return f"postgres://{c['USER']}@{c['HOST']}:{c['PORT'] or 5432}/{self.tag}_{name}"

    def exists(self, name: str) -> bool:
        if self.server_url is None:
            return (self.home / f"{name}.sqlite3").exists()
        with self._admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"{self.tag}_{name}"]).fetchone()

    def create(self, name: str, *, template: str | None = None) -> str:
        """An empty database ``name`` (or a copy of ``template``); returns its URL."""
        if self.server_url is None:
            path = self.home / f"{name}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            if template:
                with sqlite3.connect(self.home / f"{template}.sqlite3") as src, sqlite3.connect(path) as dst:
                    src.backup(dst)
                dst.close()
            return self.url(name)
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.tag}_{name}" WITH (FORCE)')
            copy = f' TEMPLATE "{self.tag}_{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{self.tag}_{name}"{copy}')
        return self.url(name)

    def drop(self, name: str) -> None:
        if self.server_url is None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.home / name}.sqlite3{suffix}").unlink(missing_ok=True)
            return
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.tag}_{name}" WITH (FORCE)')

    @contextmanager
    def _admin(self) -> Iterator[Any]:
        import dj_database_url
        import psycopg

        assert self.server_url is not None
        c = dj_database_url.parse(self.server_url)
        with psycopg.connect(
            host=c["HOST"], port=c["PORT"] or 5432, user=c["USER"], password=c["PASSWORD"] or None,
            dbname="postgres", autocommit=True,
        ) as conn:  # fmt: skip
            yield conn


def remediation_status(database_url: str, remediation_id: int) -> dict[str, Any]:
    """Read the remediation row directly (a CLI call per poll would cost more than the work
    it waits for); a fresh connection per call, so no old snapshot is read."""
    columns = "status, submitted_at, decided_at, started_at, finished_at"
    query = f"SELECT {columns} FROM remediation_remediation WHERE id = %s"
    if database_url.startswith("sqlite:///"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
        try:
            row = conn.execute(query.replace("%s", "?"), [remediation_id]).fetchone()
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=True) as pg:
            row = pg.execute(query, [remediation_id]).fetchone()
    return dict(zip([c.strip() for c in columns.split(",")], row, strict=True))


def _seconds(a: Any, b: Any) -> float | None:
    """Seconds between two timestamps as either database returns them."""
    if a is None or b is None:
        return None
    from datetime import datetime

    def parse(v: Any) -> datetime:
        return v if isinstance(v, datetime) else datetime.fromisoformat(str(v))

    return (parse(b) - parse(a)).total_seconds()


# --- a Clawback installation -------------------------------------------------------------------
@dataclass
class Installation:
    home: Path
    env: dict[str, str]

    @classmethod
    def make(cls, home: Path, database_url: str, **settings: str) -> Installation:
        home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "CLAWBACK_HOME": str(home),
            "DATABASE_URL": database_url,
            "CLAWBACK_ORG_DOMAINS": "example.test",
            "CLAWBACK_LOG_LEVEL": "WARNING",
            **settings,
        }
        return cls(home, env)

    def clawback(self, *args: str) -> str:
        return run([CLAWBACK, *args], self.env)

    def workers(self, count: int, *args: str) -> list[subprocess.Popen[bytes]]:
        return [
            subprocess.Popen(
                [CLAWBACK, "worker", *args], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            for _ in range(count)
        ]

    def wait_finished(self, remediation_id: int, procs: list[subprocess.Popen[bytes]], burst: bool) -> dict[str, Any]:
        """Poll until the remediation is finished.  Burst workers exit when no task is ready;
        if they all did and it is not finished (work re-queued for later), start them again."""
        url = self.env["DATABASE_URL"]
        while True:
            row = remediation_status(url, remediation_id)
            if row["status"] in FINAL:
                return row
            if burst and all(p.poll() is not None for p in procs):
                print(f"  (burst workers exited with the remediation {row['status']}; starting them again)")
                procs[:] = self.workers(len(procs), "--burst")
            time.sleep(0.02)

    def remediate(
        self,
        name: str,
        action: str,
        query: str,
        *,
        workers: int,
        mode: str,
        propose: bool = True,
        api: Api | None = None,
    ) -> Timing:
        """Submit (propose, then approve as another person) through the CLI, or through ``api``
        when given, and run until finished."""
        procs: list[subprocess.Popen[bytes]] = []
        if mode == "running":
            procs = self.workers(workers, "--interval", "0.05")
            time.sleep(3)  # let them start, as in production where they are always running
        try:
            with timed() as elapsed:
                who = "carol" if propose else "erin"
                if api is not None:
                    body = {"name": name, "action": action, "propose": propose, "selection": {"query": query}}
                    remediation_id = int(api.post(who, "/remediations", body)["id"])
                else:
                    out = self.clawback(
                        *("remediate", "--user", who, "--name", name, "--action", action, "--query", query),
                        *(("--propose",) if propose else ()),
                    )
                    remediation_id = int(out.strip().splitlines()[0])
                submitted = elapsed()
                if propose and api is not None:
                    api.post("erin", f"/remediations/{remediation_id}/approve", {})
                elif propose:
                    self.clawback("approve", str(remediation_id), "--user", "erin")
                approved = elapsed()
                if mode == "burst":
                    procs = self.workers(workers, "--burst")
                row = self.wait_finished(remediation_id, procs, mode == "burst")
            total = elapsed()
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs:
                proc.wait()
        summary = json.loads(self.clawback("remediation", "show", str(remediation_id), "--format", "json"))
        return Timing(
            total=int(summary["total"]),
            counts={k: v for k, v in summary["counts"].items() if v},
            status=str(summary["status"]),
            submit=submitted,
            approve=approved - submitted,
            execute=total - approved,
            seconds=total,
            db_run=_seconds(row["started_at"], row["finished_at"]),
            db_wait=_seconds(row["decided_at"], row["started_at"]),
        )


class Api:
    """A running ``clawback serve`` (gunicorn) on loopback, and an API token per person."""

    def __init__(self, site: Installation, people: tuple[str, ...] = ("carol", "erin")) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.tokens = {who: site.clawback("token", "add", who, "--name", "bench").split()[0] for who in people}
        self.proc = subprocess.Popen(
            [CLAWBACK, "serve", "--port", str(self.port), "--workers", "2"],
            env=site.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:  # up, and warmed by a few requests first (a server runs for days)
            try:
                for _ in range(4):
                    self.get(people[0], "/remediations")
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("clawback serve did not start") from None
                time.sleep(0.2)

    def request(self, who: str, method: str, path: str, body: object | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.tokens[who]}")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=300) as resp:
            result: dict[str, Any] = json.loads(resp.read())
            return result

    def get(self, who: str, path: str) -> dict[str, Any]:
        return self.request(who, "GET", path)

    def post(self, who: str, path: str, body: object) -> dict[str, Any]:
        return self.request(who, "POST", path, body)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Timing:
    total: int
    counts: dict[str, int]
    status: str
    submit: float  # the submit (or propose) command, wall clock, process start-up included
    approve: float  # the approve command, likewise
    execute: float  # from approval to finished: workers started (burst), tasks run
    seconds: float  # all of it
    db_run: float | None  # first task started -> finished, as the database recorded it
    db_wait: float | None  # approved -> first task started

    def phases(self) -> str:
        extra = ""
        if self.db_run is not None and self.db_wait is not None:
            extra = (
                f" (in the database: approved -> first task {self.db_wait:.1f} s, "
                f"first task -> done {self.db_run:.1f} s)"
            )
        return f"submit {self.submit:.1f} s, approve {self.approve:.1f} s, execute {self.execute:.1f} s{extra}"


# --- the prepared world: Dovecot loaded, Clawback indexed ---------------------------------------
class World:
    """Dovecot with the demo mail, its mail directory snapshot, and Clawback's prepared database
    (a store, two people, the index), in ``root`` (kept with ``--keep``)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        # One kept world per database kind: preparing one reloads the mail, which would leave
        # the other's index describing messages that are gone (they would end "Not found").
        kind = "pg" if args.database_url else "sqlite"
        self.keep = Path(args.keep).resolve() / f"{args.mailboxes}x{args.per_mailbox}-{kind}" if args.keep else None
        self.root = self.keep or Path(tempfile.mkdtemp(prefix="clawback-bench-", dir="/tmp"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        tag = f"cbbench_{args.mailboxes}x{args.per_mailbox}" if self.keep else f"cbbench_{os.getpid()}"
        self.db = Database(args.database_url, self.root / "home", tag)
        self.meta_path = self.root / f"world-{self.db.kind.lower()}.json"
        self.meta: dict[str, Any] = {}
        self.server: DovecotServer | None = None

    def __enter__(self) -> World:
        fresh = not (self.meta_path.exists() and self.db.exists("prepared"))
        if fresh:
            self._prepare()
        else:
            self.meta = json.loads(self.meta_path.read_text())
            self.server = self._server(self.meta["imap_port"]).start()
            print(f"reusing the prepared data in {self.root} ({self.meta['selected']:,} copies selected)")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()
        self.db.drop("run")
        if self.keep is None:
            self.db.drop("prepared")
            shutil.rmtree(self.root, ignore_errors=True)

    def _server(self, port: int | None) -> DovecotServer:
        return DovecotServer(self.root / "dovecot", nusers=self.args.mailboxes, imap_port=port)

    @property
    def mail(self) -> Path:
        return self.root / "dovecot" / "mail"

    @property
    def snapshot(self) -> Path:
        return self.root / "mail-snapshot"

    def _prepare(self) -> None:
        args = self.args
        for path in (self.root / "dovecot", self.snapshot, self.root / "home"):
            shutil.rmtree(path, ignore_errors=True)
        (self.root / "dovecot").mkdir()
        (self.root / "dovecot").chmod(0o755)
        self.server = server = self._server(None).start()
        with timed() as load_time:
            loaded = load_dovecot(server, server.users, args.per_mailbox, seed=7)
        print(f"loaded {loaded:,} messages into {len(server.users)} mailboxes in {load_time():.1f} s")
        site = Installation.make(self.root / "home", self.db.create("prepared"))
        site.clawback("manage", "migrate", "-v0")
        for name, group in (("carol", "Data Investigator"), ("erin", "Security Administrator")):
            site.clawback("user", "add", name, "--group", group)
        (site.home / "pw").write_text(server.master_password)
        (site.home / "users").write_text("\n".join(server.users))
        site.clawback(
            *("store", "add", "bench", "--kind", "imap", "--host", server.host, "--port", str(server.imap_port)),
            *("--master-user", server.master_user, "--password-file", str(site.home / "pw")),
            *("--mailboxes-file", str(site.home / "users")),
        )
        with timed() as sync_time:
            site.clawback("sync", "--processes", str(args.processes))
        selected = int(site.clawback("search", QUERY, "--count").strip().splitlines()[-1])
        in_dovecot = len(server.doveadm("search", "-A", "mailbox", "*", *doveadm_search()).splitlines())
        print(f"indexed in {sync_time():.1f} s; the query selects {selected:,} copies (doveadm's: {in_dovecot:,})")
        if selected != in_dovecot:
            sys.exit("the doveadm search and the Clawback query disagree; the comparison would be unfair")
        out = site.clawback("search", QUERY, "--format", "json", "--limit", "0")
        (self.root / "targets.json").write_text(out)
        # cp -a keeps owners (the vmail user when run as root), which copytree would not.
        server.stop()
        subprocess.run(["cp", "-a", str(self.mail), str(self.snapshot)], check=True)
        server.start()
        self.meta = {"imap_port": server.imap_port, "selected": selected, "loaded": loaded}
        self.meta_path.write_text(json.dumps(self.meta))

    def restore(self) -> None:
        """The mail directory as it was after loading (Dovecot stopped meanwhile)."""
        assert self.server is not None
        self.server.stop()
        shutil.rmtree(self.mail)
        restore_tree(self.snapshot, self.mail)
        warm_page_cache(self.mail)
        self.server.start()

    def targets(self) -> list[dict[str, str]]:
        return [json.loads(line) for line in (self.root / "targets.json").read_text().splitlines() if line]

    def installation(self) -> Installation:
        """A Clawback installation on a fresh copy of the prepared database."""
        return Installation.make(self.root / "home", self.db.create("run", template="prepared"))

    def count_in(self, folder: str) -> int:
        assert self.server is not None
        return len(self.server.doveadm("search", "-A", "mailbox", folder, "ALL").splitlines())


def restore_tree(snapshot: Path, target: Path) -> None:
    """Copy a Maildir tree fast: message files (in cur/, new/, tmp/) are never written in
    place, only renamed or unlinked, so hard links to the snapshot's do; Dovecot's index,
    uidlist and log files are written in place, so those are real copies (owner kept)."""
    subprocess.run(["cp", "-al", str(snapshot), str(target)], check=True)
    for dirpath, dirnames, filenames in os.walk(target):
        dirnames[:] = [d for d in dirnames if d not in ("cur", "new", "tmp")]
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.stat(path)
            copy = path + ".restore"
            shutil.copy2(path, copy)
            os.chown(copy, st.st_uid, st.st_gid)
            os.replace(copy, path)


def warm_page_cache(root: Path) -> None:
    """Read every file under ``root`` once, so that every method starts with the mail in the
    page cache.  Without it the naive script, whose SEARCH HEADER Message-ID reads every
    message file of a folder, measured anywhere between 15 and 58 messages/s depending on
    what the machine had done before."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as fh:
                while fh.read(1 << 20):
                    pass


# --- (a) doveadm, (b) naive -----------------------------------------------------------------------
def doveadm_move(server: DovecotServer) -> float:
    with timed() as elapsed:
        server.doveadm("move", "-A", RECOVERABLE, "mailbox", "*", *doveadm_search())
    return elapsed()


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


def imap_floor(server: DovecotServer, processes: int = 2) -> tuple[int, float]:
    """(e): the UIDs come from doveadm before the clock starts; the clock covers the moves."""
    listing = server.doveadm("-f", "tab", "fetch", "-A", "mailbox uid", "mailbox", "*", *doveadm_search())
    work: dict[str, dict[str, list[int]]] = {}
    for line in listing.splitlines()[1:]:
        user, folder, uid = line.split("\t")
        work.setdefault(user, {}).setdefault(folder, []).append(int(uid))
    boxes = sorted(work.items())
    parts = [boxes[i::processes] for i in range(processes)]
    login = (server.host, server.imap_port, server.master_user, server.master_password)
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_floor_part, [(login, [])] * processes))  # the processes are up
        with timed() as elapsed:
            moved = sum(pool.map(_floor_part, [(login, part) for part in parts]))
        return moved, elapsed()


def _floor_part(args: tuple[tuple[str, int, str, str], list[tuple[str, dict[str, list[int]]]]]) -> int:
    from imapclient import IMAPClient

    (host, port, master, password), boxes = args
    moved = 0
    for user, folders in boxes:
        client = IMAPClient(host, port=port, ssl=False)
        client.login(f"{user}*{master}", password)
        for folder, uids in folders.items():
            client.select_folder(folder)
            client.move(uids, RECOVERABLE)
            moved += len(uids)
        client.logout()
    return moved


# --- the comparison -------------------------------------------------------------------------------
def compare(args: argparse.Namespace) -> list[str]:
    methods = set(args.methods.split(","))
    rows: list[tuple[str, int, float, str]] = []
    rates: dict[str, float] = {}
    problems: list[str] = []
    with World(args) as world:
        assert world.server is not None
        selected = world.meta["selected"]
        if "doveadm" in methods:
            # Best of --repeat too: the ceiling should not look lower because of a noisy moment.
            for _ in range(args.repeat):
                world.restore()
                seconds = doveadm_move(world.server)
                moved = world.count_in(RECOVERABLE)
                print(f"doveadm: {seconds:.1f} s")
                if moved != selected:
                    problems.append(f"doveadm moved {moved:,} of {selected:,}")
                if moved / seconds > rates.get("doveadm", 0):
                    rates["doveadm"], doveadm_seconds = moved / seconds, seconds
            note = f"best of {args.repeat}" if args.repeat > 1 else ""
            rows.append(("(a) doveadm move -A (one process)", selected, doveadm_seconds, note))
        if "naive" in methods:
            world.restore()
            done, seconds = naive(world.server, world.targets(), args.naive_seconds)
            rates["naive"] = done / seconds
            rows.append(
                (
                    "(b) naive per-message IMAP",
                    selected,
                    selected / rates["naive"],
                    f"extrapolated from {done:,} in {seconds:.0f} s",
                )
            )
        if "floor" in methods:
            world.restore()
            moved, seconds = imap_floor(world.server)
            rates["floor"] = moved / seconds
            rows.append(("(e) IMAP floor: known UIDs, no database (2 processes)", moved, seconds, "not a target"))
        for via in ("api", "cli"):
            if f"clawback-{via}" not in methods:
                continue
            key = "clawback" if via == "api" else "clawback-cli"
            for n in range(args.repeat):
                world.restore()
                site = world.installation()
                api = Api(site) if via == "api" else None
                try:
                    t = site.remediate(
                        f"bench-{n}",
                        "soft-delete",
                        QUERY,
                        workers=args.workers,
                        mode=args.worker_mode,
                        propose=True,
                        api=api,
                    )
                finally:
                    if api is not None:
                        api.close()
                moved = world.count_in(RECOVERABLE)
                print(f"clawback ({via}) run {n + 1}: {t.seconds:.1f} s: {t.phases()}")
                print(f"  status {t.status}, {t.counts}; in {RECOVERABLE} now: {moved:,}")
                if t.status != "completed" or moved != selected or t.counts.get("succeeded") != selected:
                    problems.append(f"clawback ({via}) run {n + 1}: {t.status} {t.counts}, {moved:,} moved")
                rate = t.total / t.seconds
                if rate > rates.get(key, 0):
                    rates[key] = rate
                    best = t
            how = "REST API (clawback serve)" if via == "api" else "CLI (two processes)"
            letter = "c" if via == "api" else "d"
            label = f"({letter}) clawback via the {how}, {args.workers} workers ({args.worker_mode})"
            note = f"best of {args.repeat}; " if args.repeat > 1 else ""
            rows.append((label, best.total, best.seconds, note + best.phases()))
    return report(args, world.db.kind, selected, rows, rates, problems)


def report(
    args: argparse.Namespace,
    db_kind: str,
    selected: int,
    rows: list[tuple[str, int, float, str]],
    rates: dict[str, float],
    problems: list[str],
) -> list[str]:
    lines = [
        f"Remediation, {args.mailboxes} mailboxes x {args.per_mailbox} messages, {selected:,} selected "
        f"(soft delete), Dovecot on loopback, Clawback on {db_kind}:",
        "",
        "| method | messages | seconds | messages/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, count, seconds, _ in rows:
        lines.append(f"| {label} | {count:,} | {seconds:.1f} | {count / seconds:,.0f} |")
    notes = [f"{label.split(' ')[0]} {note}" for label, _, _, note in rows if note]
    lines += ["", *notes]
    for key, how in (("clawback", "API"), ("clawback-cli", "CLI")):
        for other, target in (("doveadm", TARGET_DOVEADM), ("naive", TARGET_NAIVE)):
            if key in rates and other in rates:
                ratio = rates[key] / rates[other]
                verdict = "met" if ratio >= target else "NOT met"
                lines.append(f"clawback ({how}) / {other}: {ratio:.2f}x (target >= {target}x: {verdict})")
    if "floor" in rates and "doveadm" in rates:
        lines.append(
            f"IMAP floor / doveadm: {rates['floor'] / rates['doveadm']:.2f}x (the most any IMAP client reaches)"
        )
    lines += [f"PROBLEM: {p}" for p in problems]
    return lines


# --- the million ------------------------------------------------------------------------------------
def million(args: argparse.Namespace) -> list[str]:
    """One remediation of mailboxes x per_mailbox messages on a Maildir store, as one request."""
    boxes, per_box = args.million_mailboxes, args.million_per_mailbox
    total = boxes * per_box
    keep = Path(args.keep).resolve() / f"million-{boxes}x{per_box}" if args.keep else None
    root = keep or Path(tempfile.mkdtemp(prefix="clawback-million-", dir="/tmp"))
    root.mkdir(parents=True, exist_ok=True)
    tag = f"cbmillion_{boxes}x{per_box}" if keep else f"cbmillion_{os.getpid()}"
    db = Database(args.database_url, root / "home", tag)
    meta = root / f"prepared-{db.kind.lower()}.json"
    snapshot, maildir = root / "maildir-snapshot", root / "maildir"
    lines: list[str] = []
    try:
        if not (meta.exists() and db.exists("prepared") and snapshot.exists()):
            _prepare_million(args, root, db, snapshot, maildir, meta)
        else:
            print(f"\nmillion: reusing the prepared Maildir and index in {root}")
        # Moves are renames, so a tree of hard links restores the snapshot in seconds.
        shutil.rmtree(maildir, ignore_errors=True)
        subprocess.run(["cp", "-al", str(snapshot), str(maildir)], check=True)
        site = Installation.make(
            root / "home",
            db.create("run", template="prepared"),
            CLAWBACK_REMEDIATION_LIMIT_QUERY=str(max(total, 200_000)),
        )
        t = site.remediate(
            "million", "move-to-junk", "sender.domain = evil.example", workers=args.workers, mode="burst", propose=False
        )
        in_junk = sum(1 for _ in maildir.glob("*/.Junk/*/*"))
        lines = [
            f"One remediation of {t.total:,} messages in {boxes:,} mailboxes (Maildir, move to Junk), "
            f"one request, {args.workers} burst workers, {db.kind}: status {t.status}, {t.counts}",
            f"submitted (frozen) in {t.submit:.1f} s, executed in {t.execute:.1f} s, "
            f"{t.seconds:.1f} s in all ({t.total / t.seconds:,.0f} messages/s); in Junk on disk now: {in_junk:,}",
        ]
        if t.status != "completed" or in_junk != total:
            lines.append(f"PROBLEM: expected {total:,} in Junk and status completed")
    finally:
        db.drop("run")
        if keep is None:
            db.drop("prepared")
            shutil.rmtree(root, ignore_errors=True)
    return lines


def _prepare_million(
    args: argparse.Namespace, root: Path, db: Database, snapshot: Path, maildir: Path, meta: Path
) -> None:
    boxes, per_box = args.million_mailboxes, args.million_per_mailbox
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.rmtree(root / "home", ignore_errors=True)
    with timed() as write_time:
        write_maildir(snapshot, boxes, per_box)
    print(f"\nmillion: wrote {boxes * per_box:,} messages into {boxes:,} Maildir mailboxes in {write_time():.0f} s")
    shutil.rmtree(maildir, ignore_errors=True)
    subprocess.run(["cp", "-al", str(snapshot), str(maildir)], check=True)
    site = Installation.make(root / "home", db.create("prepared"))
    site.clawback("manage", "migrate", "-v0")
    site.clawback("user", "add", "erin", "--group", "Security Administrator")
    site.clawback("store", "add", "million", "--kind", "maildir", "--path", str(maildir))
    with timed() as sync_time:
        site.clawback("sync", "million", "--processes", str(args.processes))
    print(f"million: indexed in {sync_time():.0f} s")
    meta.write_text(json.dumps({"mailboxes": boxes, "per_mailbox": per_box}))


def write_maildir(root: Path, mailboxes: int, per_mailbox: int) -> None:
    for n in range(mailboxes):
        box = root / f"user{n:05d}@example.test"
        for folder in ("", ".Junk", ".Trash"):
            for sub in ("cur", "new", "tmp"):
                (box / folder / sub).mkdir(parents=True, exist_ok=True)
        new = box / "new"
        for i in range(per_mailbox):
            raw = (
                f"Return-Path: <it@evil.example>\r\nMessage-ID: <m{n}-{i}@evil.example>\r\n"
                f"From: IT <it@evil.example>\r\nTo: user{n:05d}@example.test\r\n"
                f"Subject: Your mailbox is full ({i})\r\nDate: Mon, 16 Nov 2026 10:00:00 +0000\r\n"
                f"Content-Type: text/plain\r\n\r\nVerify at https://login.evil.example/{n}/{i}\r\n"
            ).encode()
            with open(new / f"1700000000.M{n}_{i}.bench", "wb") as fh:
                fh.write(raw)


# --- main -----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mailboxes", type=int, default=200)
    parser.add_argument("--per-mailbox", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="clawback worker processes (default 2: the cores)")
    parser.add_argument(
        "--worker-mode",
        choices=["burst", "running"],
        default="burst",
        help="burst: start the workers after approval (their start-up counts); running: already running",
    )
    parser.add_argument("--processes", type=int, default=2, help="sync processes (indexing before the run)")
    parser.add_argument("--naive-seconds", type=float, default=20.0, help="time cap of the naive script")
    parser.add_argument(
        "--methods", default="doveadm,naive,floor,clawback-api,clawback-cli", help="comma-separated subset"
    )
    parser.add_argument("--repeat", type=int, default=1, help="doveadm and Clawback runs (the best is reported)")
    parser.add_argument("--database-url", help="a PostgreSQL server to use instead of SQLite files")
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the prepared data in DIR")
    parser.add_argument("--million", action="store_true", help="also run the 1,000,000-message remediation")
    parser.add_argument("--only-million", action="store_true", help="only the 1,000,000-message remediation")
    parser.add_argument("--million-mailboxes", type=int, default=10_000)
    parser.add_argument("--million-per-mailbox", type=int, default=100)
    args = parser.parse_args()

    lines = [f"machine: {machine()}"]
    print(lines[0])
    if not args.only_million:
        lines += ["", *compare(args)]
    if args.million or args.only_million:
        lines += ["", *million(args)]
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    lines += ["", f"load average at the end: {load} (other work on the machine makes the figures noisy)"]
    print("\n--- summary (for the README) ---\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
