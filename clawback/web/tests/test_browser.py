"""The Explorer in a real browser: log in through the form, search, see rows, see an error.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against pytest-django's
live server.  ``playwright install`` is not needed (and cannot download here).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from clawback.api.api import api, operations
from clawback.conftest import password_of
from clawback.web.tests.factories import make_copy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def copies() -> None:
    now = timezone.now()
    make_copy(subject="Your invoice is overdue", sender="billing@evil.example", threats=["phish"], received_at=now)
    make_copy(subject="Reset your password", sender="it@evil.example", received_at=now - timedelta(hours=2))
    make_copy(subject="Team lunch", sender="colleague@example.org", received_at=now - timedelta(hours=1))


# Data fixtures come before ``page``: they then run before Playwright's event loop starts.
def test_search_and_query_error(live_server: object, carol: User, copies: None, page: Page) -> None:
    base = str(live_server)

    page.goto(f"{base}/explorer/")
    expect(page).to_have_url(f"{base}/login/?next=/explorer/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", password_of("carol"))
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/explorer/")
    expect(page.locator(".who .username")).to_have_text("carol")

    page.fill("#id_q", "sender.domain = evil.example")
    page.click("form.query button[type=submit]")
    rows = page.locator("#results table.results tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Your invoice is overdue")
    expect(rows.nth(0)).to_contain_text("phish")
    expect(rows.nth(1)).to_contain_text("Reset your password")
    expect(page.locator("#results .total")).to_have_text("2")
    # htmx pushed the query into the address bar, so the result can be bookmarked or shared.
    expect(page).to_have_url(re.compile(r"/explorer/\?q=sender\.domain(%20|\+)%3D(%20|\+)evil\.example$"))

    page.fill("#id_q", "sender.domain = evil.example and threat = sunshine")
    page.click("form.query button[type=submit]")
    error = page.locator("#results .query-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("sunshine")
    expect(error.locator("pre.caret")).to_contain_text("^^^^^^^^")
    expect(rows).to_have_count(0)


def test_api_docs_render_under_the_policy(live_server: object, page: Page) -> None:
    page.goto(f"{live_server}/api/v1/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    # One block per operation the API serves (ninja's ``{param}`` paths, as Swagger shows them).
    expect(page.locator(".opblock-summary-path")).to_have_count(len(list(operations(api))))
