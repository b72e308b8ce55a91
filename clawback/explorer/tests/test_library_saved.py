"""The saved queries page: own and shared listed, saved from here or the Explorer, changed and
deleted by their owner only; every change goes through the actions and is audited."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from clawback.audit.models import AuditEvent
from clawback.explorer.actions import do_save_query
from clawback.explorer.models import SavedQuery
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db

URL = "/explorer/saved/"


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


def audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=f"explorer.saved_query.{action}").order_by("pk"))


@pytest.fixture
def library(alice: User, bob: User, dave: User) -> dict[str, SavedQuery]:
    return {
        "bob_private": do_save_query(acting_user=bob, name="bob's own", query="size > 1m"),
        "alice_shared": do_save_query(
            acting_user=alice, name="alice's shared", query="sender.domain = evil.example", view="phish", shared=True
        ),
        "dave_private": do_save_query(acting_user=dave, name="dave's secret", query="threat = malware"),
    }


def test_the_list_shows_mine_and_shared_and_hides_others_private(
    client: Client, bob: User, library: dict[str, SavedQuery]
) -> None:
    page = html(as_user(client, bob).get(URL))
    assert "bob&#x27;s own" in page and "alice&#x27;s shared" in page
    assert "dave" not in page and "threat = malware" not in page
    shared = library["alice_shared"]
    # Open runs it in the Explorer, in its view; the query is URL-encoded.
    assert 'href="/explorer/?view=phish&amp;q=sender.domain+%3D+evil.example"' in page
    # Only bob's own row has the owner's controls.
    assert f'action="/explorer/saved/{library["bob_private"].pk}/"' in page
    assert f'action="/explorer/saved/{shared.pk}/"' not in page
    assert f'action="/explorer/saved/{shared.pk}/delete/"' not in page
    assert f'id="saved-{shared.pk}"' in page and ">alice</td>" in page


def test_save_from_the_page(client: Client, bob: User) -> None:
    response = as_user(client, bob).post(
        URL, {"name": "  Big  mail ", "query": "size > 1m\r\nand threat = phish", "view": "phish", "shared": "1"}
    )
    assert response.status_code == 302 and response["Location"] == URL
    saved = SavedQuery.objects.get()
    assert (saved.owner, saved.name, saved.query, saved.view, saved.shared) == (
        bob,
        "Big mail",
        "size > 1m\nand threat = phish",
        "phish",
        True,
    )
    [event] = audit("create")
    assert (event.actor_name, event.object_id, event.data["shared"]) == ("bob", str(saved.pk), True)
    assert "Saved &quot;Big mail&quot;." in html(client.get(URL))


def test_save_from_the_explorer_goes_back_to_it(client: Client, bob: User) -> None:
    query = 'subject ~ "invoice & co" or sender.domain = x.example'
    response = as_user(client, bob).post(
        URL, {"name": "invoices", "query": query, "view": "malware", "next": "explorer"}
    )
    saved = SavedQuery.objects.get()
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/explorer/"
    assert parse_qs(location.query) == {"view": ["malware"], "q": [query], "saved": [str(saved.pk)]}
    assert saved.shared is False  # an unticked checkbox


def test_a_duplicate_name_is_refused_and_nothing_is_lost(
    client: Client, bob: User, library: dict[str, SavedQuery]
) -> None:
    response = as_user(client, bob).post(URL, {"name": "bob's own", "query": "size > 5m", "view": "all"})
    assert response.status_code == 400
    page = html(response)
    assert "you already have a saved query named &quot;bob&#x27;s own&quot;; pick another name" in page
    assert "size &gt; 5m</textarea>" in page  # what was typed is still in the form
    assert SavedQuery.objects.get(pk=library["bob_private"].pk).query == "size > 1m"
    assert SavedQuery.objects.filter(owner=bob).count() == 1
    assert len(audit("create")) == 3  # the fixture's three, no more


def test_a_bad_query_is_refused_naming_the_token(client: Client, bob: User) -> None:
    query = "subject ~ x and sendr = a.example"
    response = as_user(client, bob).post(URL, {"name": "typo", "query": query, "next": "explorer"})
    assert response.status_code == 400
    page = html(response)
    assert "Query error: unknown field &quot;sendr&quot; at line 1, column 17" in page
    assert f"{query}\n                ^^^^^</pre>" in page
    assert not SavedQuery.objects.exists() and not audit("create")


def test_header_conditions_need_preview(client: Client, bob: User, carol: User) -> None:
    data = {"name": "mailer", "query": "header.x-mailer ~ evil"}
    response = as_user(client, bob).post(URL, data)
    assert response.status_code == 400
    assert "searching headers needs the Preview role" in html(response)
    assert as_user(client, carol).post(URL, data).status_code == 302
    assert SavedQuery.objects.get().owner == carol


def test_an_unknown_view_or_empty_name_is_explained(client: Client, bob: User) -> None:
    response = as_user(client, bob).post(URL, {"name": "x", "query": "", "view": "spam"})
    assert response.status_code == 400 and "unknown view &quot;spam&quot;" in html(response)
    response = client.post(URL, {"name": "   ", "query": "size > 1m"})
    assert response.status_code == 400 and "give the query a name" in html(response)
    assert not SavedQuery.objects.exists()


def test_the_owner_renames_shares_and_changes_the_query(
    client: Client, bob: User, library: dict[str, SavedQuery]
) -> None:
    saved = library["bob_private"]
    url = f"{URL}{saved.pk}/"
    as_user(client, bob)
    assert client.post(url, {"shared": "true"})["Location"] == URL  # the Share button
    saved.refresh_from_db()
    assert (saved.name, saved.query, saved.shared) == ("bob's own", "size > 1m", True)
    edit = {"name": "Large", "query": "size > 2m", "view": "malware", "shared": "false"}
    assert client.post(url, edit).status_code == 302
    saved.refresh_from_db()
    assert (saved.name, saved.query, saved.view, saved.shared) == ("Large", "size > 2m", "malware", False)
    share, change = audit("update")
    assert share.data["before"]["shared"] is False and share.data["shared"] is True
    assert change.data["before"]["name"] == "bob's own" and change.data["name"] == "Large"


def test_a_refused_edit_reopens_with_what_was_typed(client: Client, bob: User, library: dict[str, SavedQuery]) -> None:
    do_save_query(acting_user=bob, name="taken", query="")
    saved = library["bob_private"]
    response = as_user(client, bob).post(f"{URL}{saved.pk}/", {"name": "taken", "query": "size > 9m"})
    assert response.status_code == 400
    page = html(response)
    assert "you already have a saved query named &quot;taken&quot;" in page
    assert '<details class="saved-edit" open>' in page and "size &gt; 9m</textarea>" in page
    saved.refresh_from_db()
    assert (saved.name, saved.query) == ("bob's own", "size > 1m")
    assert not audit("update")


def test_someone_else_may_not_change_or_delete_a_shared_query(
    client: Client, dave: User, library: dict[str, SavedQuery]
) -> None:
    shared = library["alice_shared"]
    as_user(client, dave)
    response = client.post(f"{URL}{shared.pk}/", {"name": "mine now", "shared": "false"})
    assert response.status_code == 403
    assert "&quot;alice&#x27;s shared&quot; belongs to alice; only they can change it" in html(response)
    assert client.post(f"{URL}{shared.pk}/delete/").status_code == 403
    shared.refresh_from_db()
    assert (shared.name, shared.shared) == ("alice's shared", True)
    assert not audit("update") and not audit("delete")


def test_someone_else_private_query_is_not_found(client: Client, bob: User, library: dict[str, SavedQuery]) -> None:
    private = library["dave_private"]
    as_user(client, bob)
    assert client.post(f"{URL}{private.pk}/", {"name": "x"}).status_code == 404
    assert client.post(f"{URL}{private.pk}/delete/").status_code == 404
    assert SavedQuery.objects.filter(pk=private.pk, name="dave's secret").exists()


def test_the_owner_deletes(client: Client, bob: User, library: dict[str, SavedQuery]) -> None:
    saved = library["bob_private"]
    response = as_user(client, bob).post(f"{URL}{saved.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == URL
    assert not SavedQuery.objects.filter(pk=saved.pk).exists()
    [event] = audit("delete")
    assert event.data == {"name": "bob's own", "query": "size > 1m", "view": "all", "shared": False}


def test_hostile_names_and_queries_are_escaped(client: Client, alice: User, bob: User) -> None:
    do_save_query(acting_user=alice, name="<script>alert(1)</script>", query='subject ~ "</pre><b>x"', shared=True)
    page = html(as_user(client, bob).get(URL))
    assert "<script>alert" not in page and "</pre><b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_form_is_prefilled_from_the_query_string(client: Client, bob: User) -> None:
    page = html(as_user(client, bob).get(URL, {"q": "threat = phish", "view": "phish", "name": "From search"}))
    assert 'value="From search"' in page and "threat = phish</textarea>" in page
    assert '<option value="phish" selected>' in page


def test_posts_need_the_csrf_token(bob: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.post(URL, {"name": "x", "query": ""}).status_code == 403
    assert not SavedQuery.objects.exists()


def test_a_refused_edit_of_a_query_on_another_page_is_still_explained(
    client: Client, bob: User, settings: Settings
) -> None:
    settings.CLAWBACK_PAGE_SIZE = 1
    do_save_query(acting_user=bob, name="a first", query="")
    later = do_save_query(acting_user=bob, name="z last", query="")
    response = as_user(client, bob).post(f"{URL}{later.pk}/", {"query": "size > lots"})
    assert response.status_code == 400
    assert "Query error: bad size &quot;lots&quot;" in html(response)
