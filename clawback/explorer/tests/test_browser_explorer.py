"""The Explorer in a real browser: carol (Data Investigator) builds a filter in the builder,
switches to text and back, saves it, opens a hostile email and previews it (no script runs, no
request leaves this machine), and exports the results as CSV.

Chromium (Playwright) against pytest-django's live server; the browser fixture fails the test
on any Content-Security-Policy violation.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Dialog, Page, Request, expect

from clawback.conftest import password_of
from clawback.explorer.export import HEADER
from clawback.explorer.models import SavedQuery
from clawback.explorer.tests.test_entity_content import BOX, HOSTILE, deliver_and_index
from clawback.lib.testing.browser import log_in
from clawback.mail.models import MessageCopy
from clawback.mailstores.actions import do_add_store
from clawback.web.tests.factories import make_copy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUERY = 'sender.domain in (evil.example, "bad, example") and subject ~ verify'
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def hostile(tmp_path: Path) -> MessageCopy:
    """The hostile email, delivered to a Maildir store and indexed, and two more like it."""
    for folder in ("", ".Junk"):
        for sub in ("cur", "new", "tmp"):
            (tmp_path / BOX / folder / sub).mkdir(parents=True, exist_ok=True)
    store = do_add_store("local", "maildir", params={"path": str(tmp_path)}, acting_user="test")
    copy = deliver_and_index(store, tmp_path, HOSTILE)
    make_copy(subject="Verify your mailbox", sender="it@evil.example", recipient="ben@example.test")
    make_copy(subject="Please verify your account", sender="help@evil.example", recipient="cat@example.test")
    # Junked: the landing page's chart has two bars and the filtered one, one (the chart is
    # redrawn at another size in an htmx swap, under the browser fixture's CSP check).
    make_copy(
        subject="Verify your mailbox", sender="it@fine.example", recipient="ben@example.test", delivery_action="junked"
    )
    return copy


def rows_of(page: Page) -> list[tuple[str, str, str]]:
    out = []
    for row in page.locator("#builder-rows li.builder-row").all():
        field = row.locator("select.row-field").input_value()
        op = row.locator("select.row-op").input_value()
        out.append((field, op, row.locator("input.row-value").input_value()))
    return out


# Data fixtures come before ``page``: they then run before Playwright's event loop starts.
def test_build_save_preview_and_export(live_server: object, carol: User, hostile: MessageCopy, page: Page) -> None:
    base = str(live_server)
    log_in(page, base, "carol", password_of("carol"))
    page.goto(f"{base}/explorer/")
    expect(page.locator("svg.pivot-chart a.bar-row")).to_have_count(2)

    # Build the filter: one row to start with, a second one added.
    page.click("#mode-builder")
    expect(page.locator("#builder-rows li.builder-row")).to_have_count(1)
    page.select_option("select[name=field-0]", "sender.domain")
    page.select_option("select[name=op-0]", "in")
    page.fill("input[name=value-0]", 'evil.example, "bad, example"')
    page.click("#add-row")
    expect(page.locator("#builder-rows li.builder-row")).to_have_count(2)
    page.select_option("select[name=field-1]", "subject")
    page.select_option("select[name=op-1]", "~")
    page.fill("input[name=value-1]", "verify")
    page.click("#search-button")
    expect(page.locator("#builder-text")).to_have_text(QUERY)
    expect(page.locator("#results .total")).to_have_text("3")
    expect(page.locator("svg.pivot-chart a.bar-row")).to_have_count(1)

    # To text: the same query; and back: the same rows.
    page.click("#mode-text")
    expect(page.locator("#id_q")).to_have_value(QUERY)
    expect(page.locator("#builder-rows")).to_have_count(0)
    page.click("#mode-builder")
    expect(page.locator("#builder-rows li.builder-row")).to_have_count(2)
    assert rows_of(page) == [("sender.domain", "in", 'evil.example, "bad, example"'), ("subject", "~", "verify")]
    expect(page.locator("#results .total")).to_have_text("3")

    # Save it.
    page.click("#save-query summary")
    page.fill("#id_saved_name", "Evil verify wave")
    page.click("#save-query-button")
    expect(page.locator(".messages")).to_contain_text("Evil verify wave")
    saved = SavedQuery.objects.get(name="Evil verify wave")
    assert (saved.owner.get_username(), saved.query, saved.view) == ("carol", QUERY, "all")

    # Open the hostile email from the results and preview it.
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(_url(request)))
    page.on("dialog", lambda dialog: _dismiss(dialog, dialogs))
    page.locator(f"#results a[href='/explorer/message/{hostile.pk}/']").click()
    expect(page.locator("#entity-subject")).to_contain_text("Verify <script>")
    page.click("a#tab-preview")
    frame = page.frame_locator("iframe#preview-frame")
    expect(frame.locator("#preview-body")).to_contain_text("verify your account")
    expect(frame.locator("#preview-body script")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    assert page.title() != "pwned"  # the email's <script> would have set it
    assert page.evaluate("document.title") != "pwned"
    assert dialogs == []  # onload/onclick alert()s never ran
    assert requests, "the preview made no request at all"
    away = [url for url in requests if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname not in LOOPBACK]  # fmt: skip
    assert away == []
    expect(page.locator("a#download-eml")).to_be_visible()

    # Export the results as CSV.
    page.go_back()
    page.go_back()
    expect(page.locator("#export-csv")).to_be_visible()
    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    assert download.suggested_filename.startswith("clawback-export-")
    table = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert table[0] == HEADER
    assert len(table) == 1 + 3
    assert {row[HEADER.index("from_domain")] for row in table[1:]} == {"evil.example"}


def _url(request: Request) -> str:
    return request.url


def _dismiss(dialog: Dialog, seen: list[str]) -> None:
    seen.append(dialog.message)
    dialog.dismiss()
