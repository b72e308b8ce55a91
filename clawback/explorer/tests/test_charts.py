"""The charts: server-side SVG whose labels come from email, so they must be escaped; bars that
add their condition to the query; the time histogram; the Top URLs / Top targeted users tabs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from xml.etree import ElementTree

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from clawback.explorer.charts import bar_chart, histogram_chart
from clawback.explorer.pivots import Bucket, Histogram, PivotResult
from clawback.mail.models import CopyUrl
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)
from clawback.web.tests.factories import make_copy

HOSTILE = '</title><script>alert(1)</script><a href="javascript:x">\'&'
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def test_bar_chart_escapes_a_hostile_label() -> None:
    result = PivotResult("sender.domain", "Sender domain", [Bucket("sender.domain", HOSTILE, 3)], 0, 1)
    svg = str(bar_chart(result, lambda bucket: f"/explorer/?q={bucket.value}"))
    assert "<script" not in svg and 'href="javascript' not in svg
    root = parse(svg)  # well-formed: nothing broke out of its element
    assert root.find(f"{SVG}title").text == "Sender domain: messages per value"  # type: ignore[union-attr]
    bar = root.find(f"{SVG}a")
    assert bar is not None and bar.get("href") == f"/explorer/?q={HOSTILE}"
    assert bar.find(f"{SVG}title").text == f"{HOSTILE}: 3 messages"  # type: ignore[union-attr]
    label = bar.find(f"{SVG}text")
    assert label is not None and label.text is not None and label.text.startswith("</title><script>")


def test_bar_chart_draws_bars_to_scale_with_other() -> None:
    buckets = [Bucket("threat", "phish", 10), Bucket("threat", "spam", 5), Bucket("threat", "", 1)]
    svg = str(bar_chart(PivotResult("threat", "Threat type", buckets, 4, 6), lambda b: "/x"))
    root = parse(svg)
    widths = [float(rect.get("width", 0)) for rect in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert len(root.findall(f"{SVG}a")) == 3  # "Other" is no link
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "(none): 1 message" in titles and "Other (3 values): 4 messages" in titles
    assert 'class="chart pivot-chart" role="img" aria-label="Threat type: messages per value"' in svg


def test_empty_bar_chart_says_so() -> None:
    assert "No messages" in str(bar_chart(PivotResult("threat", "Threat type", [], 0, 0), lambda b: "/x"))


def test_histogram_has_a_titled_bar_per_bucket() -> None:
    start = datetime(2026, 11, 22, tzinfo=UTC)
    svg = str(histogram_chart(Histogram(start, timedelta(hours=1), [0, 3, 1])))
    root = parse(svg)
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert titles == [
        "Messages per hour",
        "2026-11-22 00:00 UTC: 0 messages",
        "2026-11-22 01:00 UTC: 3 messages",
        "2026-11-22 02:00 UTC: 1 message",
    ]


# --- on the page --------------------------------------------------------------------------


@pytest.fixture
def reader(client: Client, bob: User) -> Client:
    client.force_login(bob)
    return client


@pytest.mark.django_db
def test_page_chart_escapes_and_links_each_bar(reader: Client) -> None:
    domain = "x<script>alert(1)</script>.example"
    make_copy(sender=f"a@{domain}", subject="evil one")
    make_copy(sender="b@fine.example", subject="fine one")
    html = reader.get("/explorer/", {"pivot": "sender.domain"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "x&lt;script&gt;alert(1)&lt;/script&gt;.example: 1 message</title>" in html
    links = [unescape(href) for href in re.findall(r'<a class="bar-row" href="([^"]+)"', html)]
    assert len(links) == 2
    # From the default range: the link writes the range out as dates and adds the condition.
    followed = reader.get(next(link for link in links if "fine.example" in link)).content.decode()
    assert '<strong class="total">1</strong>' in followed and "fine one" in followed
    assert '<svg class="chart histogram"' in html


@pytest.mark.django_db
def test_bar_link_adds_to_the_typed_query(reader: Client) -> None:
    make_copy(subject="a", threats=["phish"])
    html = reader.get("/explorer/", {"q": "subject ~ a or subject ~ b", "pivot": "threat"}).content.decode()
    link = unescape(re.search(r'<a class="bar-row" href="([^"]+)"', html)[1])  # type: ignore[index]
    assert "q=%28subject+~+a+or+subject+~+b%29+and+threat+%3D+phish" in link and "pivot=threat" in link


@pytest.mark.django_db
def test_chart_picker_and_tabs(reader: Client) -> None:
    copy = make_copy(recipient="target@example.org", received_at=timezone.now())
    CopyUrl.objects.create(copy=copy, url="https://bit.ly/x", domain="bit.ly", path="/x", source="body")
    html = reader.get("/explorer/").content.decode()
    assert '<select name="pivot" id="id_pivot" data-autosubmit>' in html
    for label in ("Delivery action", "Sender domain", "Sender IP", "Detection technology", "Threat type", "URL domain"):
        assert f">{label}</option>" in html
    assert ">Top URLs</a>" in html and ">Top targeted users</a>" in html
    urls = reader.get("/explorer/", {"pivot": "url"}).content.decode()
    assert "https://bit.ly/x: 1 message</title>" in urls and 'id="id_pivot"' not in urls
    users = reader.get("/explorer/", {"pivot": "recipient.address"}).content.decode()
    assert "target@example.org: 1 message</title>" in users


def test_histogram_bars_with_messages_link_to_their_bucket() -> None:
    start = datetime(2026, 11, 22, tzinfo=UTC)
    asked: list[tuple[datetime, datetime]] = []

    def href(a: datetime, b: datetime) -> str:
        asked.append((a, b))
        return f"/explorer/?q=<{a:%H}>&x=1"

    root = parse(str(histogram_chart(Histogram(start, timedelta(hours=1), [0, 3, 1]), href)))
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    # The empty bucket has no link; the others link to exactly their hour (escaped in the SVG).
    assert links == ["/explorer/?q=<01>&x=1", "/explorer/?q=<02>&x=1"]
    assert asked == [
        (start + timedelta(hours=1), start + timedelta(hours=2)),
        (start + timedelta(hours=2), start + timedelta(hours=3)),
    ]


@pytest.mark.django_db
def test_histogram_bar_narrows_the_search_to_its_bucket(reader: Client) -> None:
    now = timezone.now()
    make_copy(subject="older one", received_at=now - timedelta(days=5))
    make_copy(subject="newer one", received_at=now - timedelta(days=1))
    make_copy(subject="newer two", received_at=now - timedelta(days=1))
    html = reader.get(
        "/explorer/", {"q": "subject ~ one or subject ~ two", "from": (now - timedelta(days=6)).date().isoformat()}
    ).content.decode()
    links = [unescape(href) for href in re.findall(r'<a class="hist-bar" href="([^"]+)"', html)]
    assert len(links) == 2  # two buckets hold messages, the others none
    counts = []
    for link in links:
        assert "received+%3E%3D+" in link and "received+%3C+" in link
        page = reader.get(link).content.decode()
        counts.append(int(re.search(r'<strong class="total">(\d+)</strong>', page)[1]))  # type: ignore[index]
        assert "Bad query" not in page
    assert sorted(counts) == [1, 2]
