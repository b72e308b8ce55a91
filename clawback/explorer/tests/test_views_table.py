"""The results table: sorting by a column header, and each analyst's columns, remembered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from clawback.explorer.models import ExplorerPreference
from clawback.web.tests.conftest import fast_password_hashing, nobody  # noqa: F401  (fixtures)
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db
Q = {"q": "subject ~ row"}


@pytest.fixture
def rows() -> None:
    now = timezone.now()
    make_copy(subject="row b", sender="m@b.example", recipient="zed@example.org", size=300,
              received_at=now - timedelta(hours=2), location="junk")  # fmt: skip
    make_copy(subject="row c", sender="a@c.example", recipient="amy@example.org", size=100,
              received_at=now - timedelta(hours=1), location="inbox")  # fmt: skip
    make_copy(subject="row a", sender="z@a.example", recipient="max@example.org", size=200,
              received_at=now - timedelta(hours=3), location="deleted")  # fmt: skip


def subjects(html: str) -> list[str]:
    return re.findall(r">(row [abc])</a></td>", html)


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", ["row c", "row b", "row a"]),  # newest first
        ("-received", ["row c", "row b", "row a"]),
        ("received", ["row a", "row b", "row c"]),
        ("sender", ["row c", "row b", "row a"]),
        ("-sender", ["row a", "row b", "row c"]),
        ("recipient", ["row c", "row a", "row b"]),
        ("subject", ["row a", "row b", "row c"]),
        ("-size", ["row b", "row a", "row c"]),
        ("size", ["row c", "row a", "row b"]),
        ("location", ["row a", "row c", "row b"]),
        ("threats", ["row c", "row b", "row a"]),  # not sortable: the default
        ("id; drop table", ["row c", "row b", "row a"]),
    ],
)
def test_sort_order(client: Client, bob: User, rows: None, sort: str, order: list[str]) -> None:
    client.force_login(bob)
    html = client.get("/explorer/", {**Q, "sort": sort}).content.decode()
    assert subjects(html) == order


def test_headers_link_to_their_sort_and_say_which_applies(client: Client, bob: User, rows: None) -> None:
    client.force_login(bob)
    html = client.get("/explorer/", Q).content.decode()
    assert re.search(
        r'data-column="received" aria-sort="descending"><a href="\?q=subject\+~\+row&amp;sort=received"', html
    )
    assert 'data-column="size" class="num"><a href="?q=subject+~+row&amp;sort=-size" class="sort">Size</a>' in html
    assert '<th scope="col" data-column="subject"><a href="?q=subject+~+row&amp;sort=subject"' in html
    assert '<th scope="col" data-column="threats">Threats</th>' in html
    sorted_html = client.get("/explorer/", {**Q, "sort": "subject"}).content.decode()
    assert 'data-column="subject" aria-sort="ascending"><a href="?q=subject+~+row&amp;sort=-subject"' in sorted_html
    # Paging keeps the sort.
    assert "sort=subject" in client.get("/explorer/", {**Q, "sort": "subject"}).context["this_url"]


def test_paging_keeps_the_sort(client: Client, bob: User, rows: None, settings: object) -> None:
    settings.CLAWBACK_PAGE_SIZE = 2  # type: ignore[attr-defined]
    client.force_login(bob)
    html = client.get("/explorer/", {**Q, "sort": "size"}).content.decode()
    assert subjects(html) == ["row c", "row a"]
    assert 'href="?q=subject+~+row&amp;sort=size&amp;page=2" rel="next"' in html
    assert subjects(client.get("/explorer/", {**Q, "sort": "size", "page": "2"}).content.decode()) == ["row b"]


def headers(html: str) -> list[str]:
    return re.findall(r'<th scope="col" data-column="([a-z_]+)"', html)


def test_columns_are_remembered_per_user(client: Client, bob: User, carol: User, rows: None) -> None:
    client.force_login(bob)
    default = headers(client.get("/explorer/", Q).content.decode())
    assert default == ["received", "sender", "recipient", "subject", "location", "threats", "folder", "size"]
    response = client.post(
        "/explorer/columns/",
        {"columns": ["subject", "sender_ip", "size", "nonsense", "subject"], "next": "/explorer/?q=subject+~+row"},
    )
    assert response.status_code == 302 and response["Location"] == "/explorer/?q=subject+~+row"
    assert ExplorerPreference.objects.get(user=bob).columns == ["subject", "sender_ip", "size"]
    # Remembered on later requests, and shown as ticked in the chooser.
    html = client.get("/explorer/", Q).content.decode()
    assert headers(html) == ["subject", "sender_ip", "size"]
    assert 'name="columns" value="sender_ip" checked' in html
    assert 'name="columns" value="received">' in html
    assert len(subjects(html)) == 3
    # Carol still has the default columns.
    client.force_login(carol)
    assert headers(client.get("/explorer/", Q).content.decode()) == default
    # Bob, again: still his; unticking everything goes back to the default.
    client.force_login(bob)
    assert headers(client.get("/explorer/").content.decode()) == ["subject", "sender_ip", "size"]
    client.post("/explorer/columns/", {"next": "/explorer/"})
    assert headers(client.get("/explorer/", Q).content.decode()) == default


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", ""])
def test_columns_redirect_stays_on_this_site(client: Client, bob: User, target: str) -> None:
    client.force_login(bob)
    response = client.post("/explorer/columns/", {"columns": ["subject"], "next": target})
    assert response["Location"] == "/explorer/"


def test_columns_need_a_signed_in_view_holder(client: Client, nobody: User) -> None:  # noqa: F811
    assert client.post("/explorer/columns/", {"columns": ["subject"]})["Location"].startswith("/login/")
    client.force_login(nobody)
    assert client.post("/explorer/columns/", {"columns": ["subject"]}).status_code == 403
    assert client.get("/explorer/columns/").status_code == 403
    assert not ExplorerPreference.objects.exists()
