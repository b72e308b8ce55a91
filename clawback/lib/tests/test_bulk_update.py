"""``update_rows``: one statement sets the given columns of many rows, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from pytest_django import DjangoAssertNumQueries

from clawback.lib.bulk import update_rows
from clawback.mail.models import MessageCopy
from clawback.web.tests.factories import make_copy, make_mailbox


@pytest.mark.django_db
def test_sets_exactly_the_given_columns_of_exactly_the_given_rows() -> None:
    a, b, untouched = (make_copy(subject=f"s{n}") for n in range(3))
    other = make_mailbox("zed@example.org")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    db_when = connection.ops.adapt_datetimefield_value(when)
    # A foreign key's column (mailbox_id), a plain field whose name ends in _id (message_id), a
    # datetime and text: each column typed from the model on PostgreSQL.
    update_rows(
        MessageCopy,
        ("mailbox_id", "message_id", "received_at", "folder"),
        [(other.pk, "<new-a@x>", db_when, "Junk", a.pk), (a.mailbox_id, "<new-b@x>", db_when, "Archive", b.pk)],
    )
    rows = {c.pk: c for c in MessageCopy.objects.all()}
    assert (rows[a.pk].mailbox_id, rows[a.pk].message_id, rows[a.pk].folder) == (other.pk, "<new-a@x>", "Junk")
    assert (rows[b.pk].mailbox_id, rows[b.pk].message_id, rows[b.pk].folder) == (a.mailbox_id, "<new-b@x>", "Archive")
    assert rows[a.pk].received_at == when and rows[b.pk].received_at == when
    assert rows[a.pk].subject == "s0"  # columns not named are kept
    assert (rows[untouched.pk].message_id, rows[untouched.pk].folder) == (untouched.message_id, untouched.folder)


@pytest.mark.django_db
def test_no_rows_is_no_statement(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    with django_assert_num_queries(0):
        update_rows(MessageCopy, ("folder",), [])
