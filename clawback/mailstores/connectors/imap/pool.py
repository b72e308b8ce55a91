"""A bounded, thread-safe pool of logged-in sessions, keyed by mailbox.

At most ``max_size`` connections are open at once (busy + idle), so a connector never holds
more logins than the store allows.  A session is handed to one thread at a time; after use it
goes back idle and the next call for the same mailbox reuses it (no new LOGIN).  When the pool
is full, the least recently used idle session of another mailbox is logged out to make room;
when every session is busy, callers wait.

This is also the one place where IMAP and socket exceptions become ``ConnectorError``s: a
session that saw a transient error is discarded (the connection may be half-dead), one that
saw a permanent error (a NO reply) is healthy and goes back idle.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from clawback.mailstores.connectors.base import ConnectorError
from clawback.mailstores.connectors.imap.session import Session

Connect = Callable[[str], Session]
Translate = Callable[[BaseException, str], "ConnectorError | None"]


class SessionPool:
    def __init__(
        self,
        connect: Connect,
        translate: Translate,
        *,
        max_size: int,
        idle_timeout: float = 300.0,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._connect = connect
        self._translate = translate
        self._max_size = max_size
        # Servers log idle clients out after 30 min at the earliest (RFC 3501 §5.4); we give
        # up on idle sessions much sooner so a reused one is very likely still alive.
        self._idle_timeout = idle_timeout
        self._cond = threading.Condition()
        self._idle: dict[str, list[Session]] = {}
        self._open = 0  # sessions counted against max_size: idle, busy, or being opened
        self._closed = False
        self.logins = 0  # how many sessions were opened (for tests and metrics)

    @property
    def open_count(self) -> int:
        with self._cond:
            return self._open

    @contextlib.contextmanager
    def session(self, mailbox: str) -> Iterator[Session]:
        """A logged-in session for ``mailbox``; raises ``ConnectorError`` on any back-end
        failure (login included) and lets programming errors through unchanged."""
        session = self._acquire(mailbox)
        try:
            yield session
        except Exception as exc:
            error = self._translate(exc, mailbox)
            if error is not None and error.permanent:
                self._release(session)
            else:
                self._discard(session)
            if error is None or error is exc:
                raise
            raise error from exc
        except BaseException:
            # GeneratorExit, KeyboardInterrupt: a reply may be half read; never reuse.
            self._discard(session)
            raise
        self._release(session)

    def discard_idle(self) -> None:
        """Log out every idle session (after a transient error: the server may have
        restarted, and every idle connection to it is dead)."""
        with self._cond:
            victims = [s for sessions in self._idle.values() for s in sessions]
            self._idle.clear()
            self._open -= len(victims)
            self._cond.notify_all()
        for session in victims:
            session.close()

    def close(self) -> None:
        """Log out idle sessions now and busy ones when they are released."""
        with self._cond:
            self._closed = True
        self.discard_idle()

    # --- internals ----------------------------------------------------------------------
    def _acquire(self, mailbox: str) -> Session:
        victims: list[Session] = []
        session: Session | None
        with self._cond:
            while True:
                if self._closed:
                    raise ConnectorError("connector is closed", permanent=True)
                victims += self._expire_locked()
                idle = self._idle.get(mailbox)
                if idle:
                    session = idle.pop()
                    break
                if self._open < self._max_size:
                    self._open += 1
                    session = None
                    break
                victim = self._oldest_idle_locked()
                if victim is not None:
                    victims.append(victim)  # its slot passes to us; _open is unchanged
                    session = None
                    break
                self._cond.wait()
        for victim in victims:
            victim.close()
        if session is not None:
            return session
        try:
            session = self._connect(mailbox)
        except BaseException as exc:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            error = self._translate(exc, mailbox) if isinstance(exc, Exception) else None
            if error is None or error is exc:
                raise
            raise error from exc
        with self._cond:
            self.logins += 1
        return session

    def _release(self, session: Session) -> None:
        session.last_used = time.monotonic()
        with self._cond:
            if not self._closed:
                self._idle.setdefault(session.mailbox, []).append(session)
                self._cond.notify()
                return
        self._discard(session)

    def _discard(self, session: Session) -> None:
        session.close()
        with self._cond:
            self._open -= 1
            self._cond.notify()

    def _oldest_idle_locked(self) -> Session | None:
        oldest: Session | None = None
        for sessions in self._idle.values():
            for session in sessions:
                if oldest is None or session.last_used < oldest.last_used:
                    oldest = session
        if oldest is not None:
            self._idle[oldest.mailbox].remove(oldest)
            if not self._idle[oldest.mailbox]:
                del self._idle[oldest.mailbox]
        return oldest

    def _expire_locked(self) -> list[Session]:
        cutoff = time.monotonic() - self._idle_timeout
        expired: list[Session] = []
        for mailbox in list(self._idle):
            keep = [s for s in self._idle[mailbox] if s.last_used >= cutoff]
            expired += [s for s in self._idle[mailbox] if s.last_used < cutoff]
            if keep:
                self._idle[mailbox] = keep
            else:
                del self._idle[mailbox]
        self._open -= len(expired)
        return expired
