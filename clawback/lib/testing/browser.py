"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

``playwright install`` is not needed (and cannot download here): the system Chromium is used
with the flags of the team's recipe and a fresh profile per test.  Any Content-Security-Policy
violation reported on the console fails the test.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    # Playwright runs an event loop in this thread; Django's ORM calls made by the test
    # itself would otherwise be refused as "async unsafe".
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # A fresh profile per test.  Playwright takes it as user_data_dir of a persistent context
    # (it refuses --user-data-dir among launch() args).
    with tempfile.TemporaryDirectory(prefix="cb-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        csp_violations: list[str] = []
        page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
        try:
            yield page
        finally:
            context.close()
            # ORM calls made while Playwright's loop runs get connections of their own (asgiref
            # keys them by context); close them, or PostgreSQL cannot drop the test database.
            connections.close_all()
        assert csp_violations == []  # htmx, scripts and stylesheets load under the policy


def log_in(page: Page, base: str, username: str, password: str) -> None:
    """Log in through the form (from a clean session) and land on the home page."""
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    expect(page.locator(".who .username")).to_have_text(username)
