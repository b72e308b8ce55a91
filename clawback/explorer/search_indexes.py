"""Indexes for ``subject ~`` (substring search), which each database needs in its own form, so
they are made here rather than declared on the model.

- PostgreSQL: a trigram GIN index on ``UPPER(subject)`` (the pg_trgm extension).  It serves
  the query language's ``~`` as Django writes it (``UPPER(subject) LIKE UPPER('%...%')``), and
  ANALYZE then keeps statistics on ``UPPER(subject)``, without which the planner takes every
  substring for rare and sorts the whole table for a first page it could read in index order.
- SQLite: ``(received_at, threats, subject)``.  A subject search reads this narrow index (~80
  bytes a copy) instead of the table, whose rows carry ~2.4 KB of stored headers each; the
  newest first page walks it backwards and reads only the rows that match.  ``threats`` is in
  it because SQLite, choosing between it and the model's (received_at, threats) for a time
  range, may take either: with both columns in both, a view's threat test never reads the table.

Neither can be a model index: a PostgreSQL B-tree entry is limited to 2,704 bytes and a
subject can be longer (one hostile message would stop its ingest batch); a GIN index cannot
exist on SQLite.  Migration ``explorer 0002`` makes them, and :func:`ensure` runs again after
every ``migrate`` (``apps.py``): Django rebuilds a SQLite table for some schema changes and keeps
only the indexes the model declares.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction

log = logging.getLogger("clawback.explorer")

TABLE = "mail_messagecopy"
SQLITE = [
    'CREATE INDEX IF NOT EXISTS "copy_received_subject" ON "mail_messagecopy" ("received_at", "threats", "subject")'
]
SQLITE_DROP = ['DROP INDEX IF EXISTS "copy_received_subject"']
POSTGRESQL = [
    # Trusted since PostgreSQL 13: the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'CREATE INDEX IF NOT EXISTS "copy_subject_trigram" ON "mail_messagecopy" USING gin (UPPER("subject") gin_trgm_ops)',
]
POSTGRESQL_DROP = ['DROP INDEX IF EXISTS "copy_subject_trigram"']


def ensure(connection: Any) -> None:
    """Create the index of ``connection``'s database if it is missing.  On PostgreSQL without
    pg_trgm, log a warning and go on: subject searches then scan the table."""
    if TABLE not in connection.introspection.table_names():
        return
    statements = POSTGRESQL if connection.vendor == "postgresql" else SQLITE
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    except DatabaseError as exc:
        log.warning("no index for subject searches (%s); they will scan the copies table", exc)


def drop(connection: Any) -> None:
    statements = POSTGRESQL_DROP if connection.vendor == "postgresql" else SQLITE_DROP
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
