"""A throw-away Clawback installation driven through its command line, for tests that run real
worker processes (and kill them).  Its database is a fresh SQLite file, or a fresh database on
the PostgreSQL server of DATABASE_URL when the suite runs on PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg

CLAWBACK = str(Path(sys.executable).with_name("clawback"))


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@contextlib.contextmanager
def scratch_database(home: Path) -> Iterator[str]:
    """A DATABASE_URL for an empty database, removed afterwards."""
    if not on_postgres():
        yield f"sqlite:///{home / 'clawback.sqlite3'}"
        return
    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = f"clawback_scratch_{uuid.uuid4().hex[:10]}"
    admin = {
        "host": config["HOST"],
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        port = config["PORT"] or 5432
        yield f"postgres://{config['USER']}@{config['HOST']}:{port}/{name}"
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Site:
    def __init__(self, home: Path, database_url: str, **settings: Any) -> None:
        self.home = home
        self.env = {
            **os.environ,
            "CLAWBACK_HOME": str(home),
            "DATABASE_URL": database_url,
            "CLAWBACK_LOG_LEVEL": "WARNING",
            **{k: str(v) for k, v in settings.items()},
        }
        self.workers: list[subprocess.Popen[bytes]] = []

    def run(self, *args: str, timeout: float = 300, stderr: bool = False) -> str:
        """Run ``clawback ARGS``; its stdout (and stderr too if asked)."""
        proc = subprocess.run(
            [CLAWBACK, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if proc.returncode != 0:
            raise AssertionError(f"clawback {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout + proc.stderr if stderr else proc.stdout

    def shell(self, code: str) -> Any:
        """Run Python in a Django shell of the site; its last stdout line is JSON."""
        return json.loads(self.run("manage", "shell", "-c", code).strip().splitlines()[-1])

    def show(self, remediation_id: int) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.run("remediation", "show", str(remediation_id), "--format", "json"))
        return data

    def start_worker(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.home / f"worker-{len(self.workers)}.log").open("wb")
        proc = subprocess.Popen(
            [CLAWBACK, "worker", "--interval", "0.2", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop_workers(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    self.kill(proc)

    def wait_finished(self, remediation_id: int, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            data = self.show(remediation_id)
            if data["status"] not in ("queued", "in_progress") or time.monotonic() > deadline:
                return data
            time.sleep(0.5)
