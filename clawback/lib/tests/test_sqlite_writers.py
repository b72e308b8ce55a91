"""The SQLite backend's writer lock (clawback/lib/sqlite/base.py): write transactions of
different connections run one after the other, queued on the file lock, and the lock is given
back however a transaction ends."""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from clawback.lib.sqlite.base import DatabaseWrapper


@pytest.fixture
def db_path(django_db_blocker: Any) -> Iterator[Path]:
    """A SQLite file of its own (not the test database), with connections allowed."""
    with tempfile.TemporaryDirectory() as tmp, django_db_blocker.unblock():
        yield Path(tmp) / "writers.sqlite3"


def wrapper(path: Path, alias: str) -> DatabaseWrapper:
    settings = {
        **connection.settings_dict,
        "ENGINE": "clawback.lib.sqlite",
        "NAME": str(path),
        "OPTIONS": {"timeout": 60, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
    }
    return DatabaseWrapper(settings, alias=alias)


def begin(db: DatabaseWrapper) -> None:
    db.ensure_connection()
    db._start_transaction_under_autocommit()


def lock_is_free(path: Path) -> bool:
    fd = os.open(f"{path}.writers", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_a_second_writer_waits_for_the_first_to_commit(db_path: Path) -> None:
    first = wrapper(db_path, "first")
    begin(first)
    first.cursor().execute("CREATE TABLE t (v INTEGER)")
    began: list[float] = []

    def write() -> None:
        second = wrapper(db_path, "second")  # a connection belongs to the thread that made it
        begin(second)
        began.append(time.monotonic())
        second.cursor().execute("INSERT INTO t VALUES (2)")
        second.commit()
        second.close()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)
    assert not began, "the second writer began while the first held the lock"
    assert not lock_is_free(db_path)
    committed = time.monotonic()
    first.commit()
    thread.join(10)
    assert began and began[0] >= committed
    assert first.cursor().execute("SELECT v FROM t").fetchall() == [(2,)]
    first.close()
    assert lock_is_free(db_path)


def test_rollback_and_close_give_the_lock_back(db_path: Path) -> None:
    db = wrapper(db_path, "one")
    begin(db)
    assert not lock_is_free(db_path)
    db.rollback()
    assert lock_is_free(db_path)
    begin(db)
    assert not lock_is_free(db_path)
    db.close()  # closing mid-transaction (a killed request) must not leave it locked
    assert lock_is_free(db_path)


def test_deferred_transactions_take_no_lock(db_path: Path) -> None:
    db = wrapper(db_path, "reader")
    db.ensure_connection()
    db.transaction_mode = None  # a plain BEGIN: a reader's transaction
    begin(db)
    assert lock_is_free(db_path)
    db.rollback()
    db.close()
