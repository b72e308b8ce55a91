"""The Explorer's view tabs (All email, Malware, Phish, Campaigns) and the date range."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from clawback.explorer.catalog import default_range
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client: Client, bob: User) -> Client:
    client.force_login(bob)
    return client


@pytest.fixture
def mail() -> None:
    for n, box in enumerate(("ann@example.org", "ben@example.org", "cat@example.org")):
        make_copy(subject="Reset your password", sender=f"it{n}@evil.example", recipient=box, threats=["phish"],
                  fingerprint="fp-phish")  # fmt: skip
    make_copy(subject="Invoice", sender="ar@bad.example", threats=["malware"], fingerprint="fp-mal-1")
    make_copy(subject="Invoice", sender="ar@bad.example", recipient="ben@example.org", threats=["malware", "spam"],
              fingerprint="fp-mal-1")  # fmt: skip
    make_copy(subject="Sale!", threats=["spam"])
    make_copy(subject="Lunch", sender="colleague@example.org")


def total(html: str) -> int:
    found = re.search(r'<strong class="total">(\d+)</strong>', html)
    assert found, "no total on the page"
    return int(found[1])


@pytest.mark.parametrize(("view", "count"), [("all", 7), ("malware", 2), ("phish", 3), ("campaigns", 5)])
def test_each_view_counts_its_copies(reader: Client, mail: None, view: str, count: int) -> None:
    html = reader.get("/explorer/", {"view": view}).content.decode()
    assert total(html) == count
    assert re.search(rf'id="view-{view}" href="[^"]*"[^>]* aria-current="page"', html)


def test_view_tabs_keep_the_query(reader: Client, mail: None) -> None:
    html = reader.get("/explorer/", {"q": "subject ~ invoice"}).content.decode()
    assert 'id="view-malware" href="/explorer/?q=subject+~+invoice&amp;view=malware"' in html
    assert 'id="view-all" href="/explorer/?q=subject+~+invoice"' in html
    assert total(reader.get("/explorer/", {"q": "subject ~ invoice", "view": "phish"}).content.decode()) == 0


def test_an_unknown_view_is_an_error_not_a_500(reader: Client) -> None:
    response = reader.get("/explorer/", {"view": "sunshine"})
    assert response.status_code == 200
    assert 'class="query-error"' in response.content.decode()


def test_campaigns_view_lists_campaigns_with_links(reader: Client, mail: None) -> None:
    html = reader.get("/explorer/", {"view": "campaigns"}).content.decode()
    assert '<table class="data campaigns" id="campaigns">' in html
    assert '<table class="data results">' not in html  # no per-copy table (and no Take action)
    rows = re.findall(r'<tr class="campaign-row">(.*?)</tr>', html, re.S)
    assert len(rows) == 2
    first = rows[0]
    assert "fingerprint fp-phish" in first and "Reset your password" in first
    cells = re.findall(r'<td class="num">(\d+)</td>', first)
    assert cells == ["3", "3", "3"]  # copies, recipients, senders
    link = unescape(re.search(r'href="([^"]+)" class="campaign-link"', first)[1])  # type: ignore[index]
    # The link opens the campaign's copies in the All view, within the page's (default) range.
    opened = reader.get(link).content.decode()
    assert total(opened) == 3
    assert 'id="view-all" href=' in opened and "fingerprint = fp-phish" in opened
    start, end = default_range(timezone.now())
    assert f"from={start:%Y-%m-%d}" in link and f"to={end - timedelta(days=1):%Y-%m-%d}" in link


def test_default_range_is_yesterday_and_today(reader: Client) -> None:
    now = timezone.now()
    make_copy(subject="today", received_at=now - timedelta(minutes=1))
    make_copy(subject="last week", received_at=now - timedelta(days=7))
    html = reader.get("/explorer/").content.decode()
    assert total(html) == 1 and "received yesterday and today" in html
    # The pickers are empty: no range was asked for; the hint says what an empty query shows.
    assert 'name="from" value=""' in html and "an empty query shows yesterday and today" in html


def test_the_range_maps_onto_received_conditions(reader: Client) -> None:
    now = timezone.now()
    for days in (0, 2, 3, 5):
        make_copy(subject=f"d{days}", received_at=now - timedelta(days=days))
    first, last = (now - timedelta(days=3)).date(), (now - timedelta(days=2)).date()
    html = reader.get("/explorer/", {"q": "", "from": first.isoformat(), "to": last.isoformat()}).content.decode()
    assert total(html) == 2 and "d2" in html and "d3" in html
    conditions = f"received &gt;= {first.isoformat()} and received &lt; {(last + timedelta(days=1)).isoformat()}"
    assert f'<code id="range-text">{conditions}</code>' in html
    assert f'name="from" value="{first.isoformat()}"' in html and f'name="to" value="{last.isoformat()}"' in html
    # Only a start: everything from that day on.
    assert total(reader.get("/explorer/", {"from": first.isoformat()}).content.decode()) == 3


def test_a_range_that_ends_before_it_starts_is_refused(reader: Client) -> None:
    html = reader.get("/explorer/", {"from": "2026-11-20", "to": "2026-11-10"}).content.decode()
    assert "To: the range ends before it starts" in html
    assert "not a date" not in html
    assert 'class="query-error"' in reader.get("/explorer/", {"from": "not a date"}).content.decode()


def test_take_action_selects_view_range_and_query(client: Client, dave: User, mail: None) -> None:
    client.force_login(dave)
    html = client.get(
        "/explorer/", {"q": "subject ~ invoice", "view": "malware", "from": "2026-11-01"}
    ).content.decode()
    expected = "(threat = malware) and (received &gt;= 2026-11-01) and (subject ~ invoice)"
    assert f'name="query" value="{expected}"' in html
