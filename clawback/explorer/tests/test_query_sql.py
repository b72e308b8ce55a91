"""search() is one SQL query, one row per copy, whatever the URLs and attachments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from pytest_django import DjangoAssertNumQueries

from clawback.explorer.query import search
from clawback.mail.models import CopyAttachment, CopyUrl, MessageCopy
from clawback.mailstores.models import Mailbox, Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
QUERY = (
    "sender.domain in (evil.example, bad.example) and url.domain = bit.ly and received >= -7d "
    "and not location = junk and (attachment.ext = pdf or header.x-mailer ~ foo) and threat = phish"
)


@pytest.fixture
def copy(db: None) -> MessageCopy:
    store = Store.objects.create(name="corp", kind="maildir")
    mailbox = Mailbox.objects.create(store=store, address="alice@corp.example")
    copy = MessageCopy.objects.create(
        store=store,
        mailbox=mailbox,
        ref="1",
        message_id="<1@evil.example>",
        from_address="x@evil.example",
        from_domain="evil.example",
        recipient="alice@corp.example",
        recipient_domain="corp.example",
        received_at=NOW,
        threats=",phish,",
        headers={"x-mailer": "FooMailer"},
        original_folder="INBOX",
        original_location="inbox",
        folder="INBOX",
        location="inbox",
    )
    for path in ("/a", "/b", "/c"):
        CopyUrl.objects.create(copy=copy, url=f"https://bit.ly{path}", domain="bit.ly", path=path, source="body")
    for name in ("a.pdf", "b.pdf"):
        CopyAttachment.objects.create(copy=copy, name=name, ext="pdf", sha256="0" * 64)
    return copy


def test_one_query(copy: MessageCopy, django_assert_num_queries: DjangoAssertNumQueries) -> None:
    with django_assert_num_queries(1):
        rows = list(search(QUERY, now=NOW))
    assert rows == [copy]


def test_no_duplicate_rows_for_many_matching_urls(copy: MessageCopy) -> None:
    assert search("url.domain = bit.ly or attachment.ext = pdf", now=NOW).count() == 1


def test_related_conditions_are_subqueries_not_joins(copy: MessageCopy) -> None:
    sql = str(search("url.domain = bit.ly and not attachment.ext = pdf", now=NOW).query).upper()
    # EXISTS on PostgreSQL, "id IN (SELECT copy_id ...)" on SQLite (see compiler.RelatedMatch).
    subquery = "EXISTS(" if connection.vendor == "postgresql" else '"ID" IN (SELECT U0."COPY_ID"'
    assert sql.count(subquery) == 2
    assert " JOIN " not in sql


def test_long_value_lists_compile_to_one_in(copy: MessageCopy) -> None:
    # SQLite refuses expressions nested over 1000 deep: a pasted list must not become 2000 ORs.
    domains = ", ".join(f"d{n}.example" for n in range(2000))
    assert list(search(f"sender.domain in ({domains}, evil.example)", now=NOW)) == [copy]
