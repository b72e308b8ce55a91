"""The views and the campaign grouping count right on an index of known make-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pytest_django import DjangoAssertNumQueries

from clawback.explorer.catalog import VIEWS, UnknownView, campaigns, default_range, newest, view_search
from clawback.explorer.query import QueryError, search
from clawback.explorer.tests.known_index import FA, FB, FC, NOW, build
from clawback.mail.models import MessageCopy

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(db: None) -> list[MessageCopy]:
    return build()


@pytest.mark.parametrize(("view", "expected"), [("all", 200), ("malware", 11), ("phish", 37), ("campaigns", 48)])
def test_each_view_counts_its_copies(known: list[MessageCopy], view: str, expected: int) -> None:
    assert view_search(view, now=NOW).count() == expected


def test_a_view_narrows_the_query(known: list[MessageCopy]) -> None:
    assert view_search("phish", "sender.domain = bad.example", now=NOW).count() == 12
    assert view_search("malware", "sender.domain = bad.example", now=NOW).count() == 0
    # The newest 24 hours hold the first 24 rows: all of campaign A but its oldest copy.
    assert view_search("phish", "received >= -24h", now=NOW).count() == 24


@pytest.mark.parametrize("view", list(VIEWS))
def test_view_query_text_selects_the_same_copies(known: list[MessageCopy], view: str) -> None:
    text = "recipient.address in (u00@corp.example, u01@corp.example) or sender.domain = news.example"
    as_text = VIEWS[view].query(text)
    assert set(search(as_text, now=NOW)) == set(view_search(view, text, now=NOW))
    assert set(search(VIEWS[view].query(), now=NOW)) == set(view_search(view, now=NOW))


def test_errors_point_into_the_analysts_text() -> None:
    with pytest.raises(QueryError) as caught:
        view_search("phish", "sendr.domain = x")
    assert (caught.value.token, caught.value.column) == ("sendr.domain", 1)


def test_an_unknown_view_is_refused() -> None:
    with pytest.raises(UnknownView, match='unknown view "spam"'):
        view_search("spam")


def test_campaigns_group_by_fingerprint(
    known: list[MessageCopy], django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        found = campaigns(view_search("campaigns", now=NOW))
    assert [(c.key, c.copies) for c in found] == [(FA, 25), (FB, 12), (FC, 11)]
    a, b, c = found
    assert (a.kind, a.recipients, a.senders, a.phish, a.malware) == ("fingerprint", 20, 3, 25, 0)
    assert (a.first_seen, a.last_seen) == (NOW - timedelta(hours=25), NOW - timedelta(hours=1))
    assert (a.subject, a.sender.endswith("@evil.example")) == ("Password expires", True)
    assert (b.phish, b.malware, c.phish, c.malware) == (12, 0, 0, 11)
    assert c.query == f"fingerprint = {FC}"
    assert search(c.query, now=NOW).count() == 11


def test_campaign_id_and_cluster_id_take_precedence(known: list[MessageCopy]) -> None:
    MessageCopy.objects.filter(fingerprint=FA, recipient="u00@corp.example").update(campaign_id="CAMP-1")
    MessageCopy.objects.filter(fingerprint=FB).update(cluster_id="cluster-7")
    by_key = {c.key: c for c in campaigns(view_search("campaigns", now=NOW))}
    assert (by_key["CAMP-1"].kind, by_key["CAMP-1"].copies, by_key[FA].copies) == ("campaign", 2, 23)
    assert (by_key["cluster-7"].kind, by_key["cluster-7"].copies) == ("cluster", 12)
    assert FB not in by_key
    assert search(by_key["CAMP-1"].query, now=NOW).count() == 2
    assert by_key["cluster-7"].query == "cluster = cluster-7"


def test_campaigns_limit_and_minimum(known: list[MessageCopy]) -> None:
    assert [c.copies for c in campaigns(view_search("campaigns", now=NOW), limit=2)] == [25, 12]
    assert campaigns(view_search("campaigns", now=NOW), min_copies=13)[0].key == FA
    assert len(campaigns(view_search("campaigns", now=NOW), min_copies=26)) == 0
    # Any set of copies groups the same way; single copies are no campaign.
    assert {c.key for c in campaigns(view_search("all", now=NOW))} == {FA, FB, FC}


def test_default_range_is_yesterday_and_today() -> None:
    start, end = default_range(datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    assert (start, end) == (datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC))


def test_newest_pages_in_order(known: list[MessageCopy], django_assert_num_queries: DjangoAssertNumQueries) -> None:
    found = view_search("phish", now=NOW)
    with django_assert_num_queries(2):
        first = newest(found, limit=10)
        assert first[0].store.name == "known"
    assert first == known[:10]  # the known index is written newest first
    assert newest(found, offset=30, limit=10) == known[30:37]
    assert newest(view_search("all", "sender.domain = nobody.example", now=NOW)) == []
