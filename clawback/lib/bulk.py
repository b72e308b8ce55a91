"""Fast bulk inserts and updates, where the ORM's per-field preparation dominates.

``bulk_create`` prepares every value through its field (~1 ms per 50-column row): at 100,000
copies that is most of an ingest.  Here rows are plain tuples whose values are already in the
form the database takes (see :class:`Dialect`), so they can be built in the parser processes,
and primary keys are pre-allocated so that children can be inserted without ``RETURNING``.
SQLite gets ``executemany`` (a loop in C); PostgreSQL gets ``COPY FROM STDIN``, which costs the
client and the server several times less per row than an INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models


@dataclass(frozen=True)
class Dialect:
    """How values are written for one database, without a connection: picklable, so that
    parser processes can build finished rows.

    Datetimes and JSON are written as text on both databases: SQLite stores exactly what
    Django's own adapters make (naive UTC ``str(datetime)``, ``json.dumps``), and PostgreSQL's
    COPY parses the text into timestamptz / jsonb.
    """

    vendor: str

    def datetime(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        if self.vendor == "sqlite":
            # django.db.backends.sqlite3 operations.adapt_datetimefield_value with USE_TZ.
            return str(value.astimezone(UTC).replace(tzinfo=None)) if value.tzinfo else str(value)
        return value.isoformat(" ")

    @staticmethod
    def json(value: Any) -> str:
        return json.dumps(value)


def dialect() -> Dialect:
    return Dialect(connection.vendor)


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` primary keys.  Must run inside the inserting transaction.

    PostgreSQL: draw from the identity sequence (safe under concurrency).  SQLite: the
    IMMEDIATE transaction (settings) holds the database's write lock from BEGIN, so MAX(id)+1
    cannot be taken by anyone else before we commit.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # Table names come from model metadata, never from input.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        start = int(cursor.fetchone()[0]) + 1
    return list(range(start, start + count))


# A bulk writer's SQLite connection keeps the hot index pages in 64 MB of cache (the WAL's
# checkpoint interval, which matters as much, is set for every connection in settings).
_SQLITE_BULK_PRAGMAS = ("PRAGMA cache_size=-65536",)


def prepare_bulk_writes() -> None:
    """Tune this connection for a long run of large insert transactions (SQLite only; the
    settings last as long as the connection and change no durability guarantee)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for pragma in _SQLITE_BULK_PRAGMAS:
            cursor.execute(pragma)


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (values in ``columns`` order, as the database takes them: written by
    :class:`Dialect`, or adapted by ``connection.ops``)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Identifiers come from model metadata.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        cursor.executemany(sql, rows)


def update_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Set ``columns`` of the rows whose id is each tuple's last value (values as the database
    takes them), with one statement: on PostgreSQL each statement is a round trip."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array per column: a short statement whatever the batch size.
            names = ", ".join(quote(c) for c in ("id", *columns))
            assignments = ", ".join(f"{quote(c)} = v.{quote(c)}" for c in columns)
            ordered = [(row[-1], *row[:-1]) for row in rows]
            source = _unnest(model, ("id", *columns))
            sql = f"UPDATE {table} SET {assignments} FROM {source} AS v ({names}) WHERE {table}.id = v.id"  # noqa: S608
            cursor.execute(sql, [list(column) for column in zip(*ordered, strict=True)])
            return
        # SQLite runs in this process: no round trip to save, and one prepared statement run
        # per row (executemany) is cheaper than parsing a VALUES list of the whole batch.
        sets = ", ".join(f"{quote(c)} = %s" for c in columns)
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)  # noqa: S608


def _unnest(model: type[models.Model], columns: Sequence[str]) -> str:
    """``unnest(%s::type[], ...)``: PostgreSQL reads the columns as typed arrays."""
    return "unnest(" + ", ".join(f"%s::{_db_type(model, c)}[]" for c in columns) + ")"


def _db_type(model: type[models.Model], column: str) -> str:
    field = model._meta.get_field(column)  # a foreign key is found by its column (attname) too
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    # Keys (auto fields) have their type as referenced, not "bigint GENERATED ... IDENTITY".
    typed: Any = field
    auto = isinstance(field, models.AutoField | models.BigAutoField)
    return str(typed.rel_db_type(connection) if auto else typed.db_type(connection))
