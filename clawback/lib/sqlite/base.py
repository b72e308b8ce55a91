"""Django's SQLite backend with writers queued on a file lock instead of SQLite's busy handler.

SQLite lets one writer in at a time.  A writer that finds the database locked is put to sleep
by SQLite's busy handler for 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and then 100 ms at a time,
and checks again: when several worker processes write in turns (a remediation commits each
mailbox's results), the lock is often free while everyone waiting is still asleep.  Here every
write transaction (``BEGIN IMMEDIATE`` / ``EXCLUSIVE``, which is what ``atomic`` opens with the
project's settings) first takes an exclusive ``flock`` on ``<database>.writers``; the kernel
wakes the next waiter the moment the lock is released, and SQLite's own lock is then free.

The file lock is released with the transaction (commit, rollback, or the connection closing) and
by the kernel if the process dies.  Single statements outside ``atomic`` and other programs
still meet SQLite's lock and busy handler, as before.  In-memory databases (the test default)
have one connection per process and take no file lock.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base

# django-stubs leaves out the private hooks overridden here.
_SQLiteWrapper: Any = base.DatabaseWrapper


class DatabaseWrapper(_SQLiteWrapper):
    _writers_fd: int | None = None
    _writing = False

    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode in ("IMMEDIATE", "EXCLUSIVE") and not self.is_in_memory_db():
            self._lock_writers()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._unlock_writers()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()
        finally:
            self._unlock_writers()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._unlock_writers()

    def _close(self) -> Any:
        try:
            return super()._close()
        finally:
            self._unlock_writers()
            if self._writers_fd is not None:
                os.close(self._writers_fd)
                self._writers_fd = None

    def _lock_writers(self) -> None:
        if self._writers_fd is None:
            self._writers_fd = os.open(f"{self.settings_dict['NAME']}.writers", os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(self._writers_fd, fcntl.LOCK_EX)
        self._writing = True

    def _unlock_writers(self) -> None:
        if self._writing and self._writers_fd is not None:
            fcntl.flock(self._writers_fd, fcntl.LOCK_UN)
        self._writing = False
