"""Pivots and the time histogram count right on an index of known make-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_django import DjangoAssertNumQueries

from clawback.explorer.catalog import view_search
from clawback.explorer.pivots import (
    CHART_PIVOTS,
    PIVOTS,
    TAB_PIVOTS,
    Bucket,
    UnknownPivot,
    histogram,
    pivot,
    step_for,
)
from clawback.explorer.tests.known_index import IPS, NOW, SENDER_DOMAINS, build
from clawback.mail.models import MessageCopy

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(db: None) -> list[MessageCopy]:
    return build()


def counts(result: object) -> list[tuple[str, int]]:
    return [(b.value, b.count) for b in result.buckets]  # type: ignore[attr-defined]


def test_sender_domain_top_and_other(known: list[MessageCopy]) -> None:
    result = pivot(view_search("all", now=NOW), "sender.domain", top=3)
    assert counts(result) == [("news.example", 60), ("partner.example", 40), ("corp.example", 32)]
    assert (result.other, result.values, result.total) == (25 + 20 + 12 + 11, 7, 200)
    assert result.label == "Sender domain"


def test_every_value_when_top_is_large(known: list[MessageCopy]) -> None:
    result = pivot(view_search("all", now=NOW), "sender.domain", top=100)
    assert dict(counts(result)) == SENDER_DOMAINS
    assert result.other == 0


def test_pivot_within_a_view(known: list[MessageCopy]) -> None:
    result = pivot(view_search("phish", now=NOW), "sender.domain")
    assert counts(result) == [("evil.example", 25), ("bad.example", 12)]


def test_delivery_action_and_sender_ip(known: list[MessageCopy]) -> None:
    assert counts(pivot(view_search("all", now=NOW), "delivery.action")) == [("delivered", 175), ("junked", 25)]
    ips = pivot(view_search("all", now=NOW), "sender.ip", top=100)
    assert dict(counts(ips)) == {IPS[domain]: n for domain, n in SENDER_DOMAINS.items()}
    assert ips.buckets[2] == Bucket("sender.ip", "", 32)  # colleagues: no external hop


def test_threat_members_are_counted_separately(known: list[MessageCopy]) -> None:
    result = pivot(view_search("all", now=NOW), "threat")
    assert counts(result) == [
        ("none", 132),
        ("phish", 31),
        ("spam", 24),  # 20 spam and 4 copies of campaign A that are phish and spam
        ("malware", 11),
        ("high-confidence-phish", 6),
    ]
    assert result.total == 204  # four copies count twice


def test_detection(known: list[MessageCopy]) -> None:
    assert counts(pivot(view_search("all", now=NOW), "detection")) == [
        ("none", 132),
        ("url-reputation", 37),
        ("spam-filter-header", 20),
        ("indicator-match", 12),
        ("antivirus", 11),
    ]


def test_url_domain_counts_copies_not_urls(known: list[MessageCopy]) -> None:
    result = pivot(view_search("all", now=NOW), "url.domain")
    # Every copy of campaign A has two login.evil.example URLs: it counts once.
    assert counts(result) == [("links.news.example", 60), ("login.evil.example", 25), ("bit.ly", 12)]


def test_top_urls_and_top_targeted_users(known: list[MessageCopy]) -> None:
    urls = pivot(view_search("all", now=NOW), "url", top=3)
    assert counts(urls) == [
        ("https://links.news.example/weekly", 60),
        ("https://login.evil.example/reset", 25),
        ("https://bit.ly/b", 12),
    ]
    assert (urls.other, urls.values) == (25, 28)  # the 25 tracking URLs /t/<n>, one copy each
    users = pivot(view_search("all", now=NOW), "recipient.address", top=6)
    assert counts(users) == [(f"u0{n}@corp.example", 12) for n in range(5)] + [("u05@corp.example", 11)]
    assert users.label == "Top targeted users"


@pytest.mark.parametrize("key", [key for key in PIVOTS if not PIVOTS[key].is_set])
def test_each_bucket_query_selects_its_copies(known: list[MessageCopy], key: str) -> None:
    result = pivot(view_search("phish", now=NOW), key, top=3)
    assert result.buckets
    for bucket in result.buckets:
        assert view_search("phish", bucket.query, now=NOW).count() == bucket.count


@pytest.mark.parametrize("key", [*CHART_PIVOTS, *TAB_PIVOTS])
def test_one_query_per_pivot(
    known: list[MessageCopy], key: str, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    found = view_search("all", "received >= -3d", now=NOW)
    with django_assert_num_queries(1):
        pivot(found, key)


def test_an_empty_result(known: list[MessageCopy]) -> None:
    result = pivot(view_search("all", "sender.domain = nobody.example", now=NOW), "sender.domain")
    assert (result.buckets, result.other, result.values, result.total) == ([], 0, 0, 0)


def test_unknown_pivot() -> None:
    with pytest.raises(UnknownPivot, match=r"unknown pivot \"subject\""):
        pivot(MessageCopy.objects.all(), "subject")


def test_histogram_counts_per_bucket(
    known: list[MessageCopy], django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    start = NOW - timedelta(days=10)
    with django_assert_num_queries(1):
        result = histogram(view_search("all", now=NOW), start=start, end=NOW, step=timedelta(days=1))
    # One copy an hour, the newest an hour before NOW: 24 a day for eight days, 8 on the ninth.
    assert result.counts == [0, 8, 24, 24, 24, 24, 24, 24, 24, 24]
    assert result.buckets()[0] == (start, 0)
    assert result.end == NOW


def test_histogram_of_a_view_with_a_partial_last_bucket(known: list[MessageCopy]) -> None:
    result = histogram(
        view_search("phish", now=NOW), start=NOW - timedelta(hours=40), end=NOW, step=timedelta(hours=12)
    )
    # Phish are the 37 newest copies (1 to 37 hours old); 12 h buckets from 40 h ago, the last 4 h.
    assert result.counts == [9, 12, 12, 4]


def test_histogram_default_step_gives_at_most_168_buckets() -> None:
    assert step_for(NOW - timedelta(days=2), NOW) == timedelta(minutes=30)
    assert step_for(NOW - timedelta(days=30), NOW) == timedelta(hours=6)
    assert step_for(NOW - timedelta(hours=1), NOW) == timedelta(minutes=1)


def test_histogram_over_many_buckets(known: list[MessageCopy]) -> None:
    # More buckets than one compound statement may hold (SQLite: 500 SELECTs).
    result = histogram(view_search("all", now=NOW), start=NOW - timedelta(hours=450), end=NOW, step=timedelta(hours=1))
    assert len(result.counts) == 450
    assert sum(result.counts) == 200
    assert (result.counts[0], result.counts[-1]) == (0, 1)


def test_histogram_and_pivot_of_a_union_query(known: list[MessageCopy]) -> None:
    found = view_search("all", "url.domain = bit.ly or attachment.ext = docm", now=NOW)
    result = histogram(found, start=NOW - timedelta(days=3), end=NOW, step=timedelta(days=1))
    assert sum(result.counts) == 12 + 11
    assert counts(pivot(found, "url.domain")) == [("bit.ly", 12)]
