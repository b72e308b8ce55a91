"""Four-eyes in a real browser: dave proposes from the Explorer, erin approves in the Action
center, the History shows the result, and the Maildir on disk shows the move.

Chromium (Playwright) against pytest-django's live server; the queue is drained in-process
between the approval and the History check, as ``clawback worker --burst`` would.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from clawback.conftest import password_of
from clawback.lib.testing.browser import log_in
from clawback.remediation.models import ItemState, Remediation, Status
from clawback.remediation.tests.conftest import ANN, BEN, EVIL_QUERY, World
from clawback.remediation.tests.helpers import drain, read_maildir

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_propose_in_explorer_approve_in_action_center(
    live_server: object, world: World, dave: User, erin: User, page: Page
) -> None:
    base = str(live_server)
    picked = world.ids((ANN, "evil-1@evil.example"), (ANN, "evil-2@evil.example"))
    before = read_maildir(world.root)

    # dave (Security Operator: Propose, not Search and Purge) hunts and proposes.
    log_in(page, base, "dave", password_of("dave"))
    page.goto(f"{base}/explorer/")
    page.fill("#id_q", EVIL_QUERY)
    page.click("form.query button[type=submit]")
    expect(page.locator("#results .total")).to_have_text("5")
    for copy_id in picked:
        page.check(f"input[name=ids][value='{copy_id}']")
    expect(page.locator("#selected-count")).to_contain_text("2")
    page.get_by_role("button", name="Take action").click()

    page.get_by_label("Action").select_option("move-to-junk")
    page.get_by_label("Name").fill("Evil wave ann")
    page.get_by_label("Severity").select_option("high")
    page.get_by_label("Description").fill("Credential phish from evil.example")
    page.get_by_role("button", name="Review").click()
    expect(page.locator("#review-total")).to_contain_text("2")
    expect(page.locator("#review-mailboxes")).to_contain_text(ANN)
    expect(page.locator("#review-mailboxes")).not_to_contain_text(BEN)
    # He may not run it himself: only Propose is offered.
    expect(page.get_by_role("button", name="Submit", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Propose").click()

    remediation = Remediation.objects.get(name="Evil wave ann")
    assert remediation.status == Status.PENDING_APPROVAL
    expect(page).to_have_url(f"{base}/action-center/{remediation.approval_id}/")
    # The proposer sees no Approve button on his own proposal.
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    # erin (Security Administrator) approves from the Pending tab.
    log_in(page, base, "erin", password_of("erin"))
    page.goto(f"{base}/action-center/")
    page.get_by_role("link", name="Evil wave ann").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    remediation.refresh_from_db()
    assert remediation.status in (Status.QUEUED, Status.IN_PROGRESS, Status.COMPLETED)
    assert remediation.decided_by_name == "erin"

    drain()  # the worker

    page.goto(f"{base}/action-center/history/")
    row = page.locator("tr.remediation-row", has_text="Evil wave ann")
    expect(row).to_contain_text("Completed")
    expect(row).to_contain_text("erin")
    row.get_by_role("link", name="Evil wave ann").click()
    expect(page.locator("body")).to_contain_text("Succeeded")

    # On disk: exactly ann's two picked messages moved from INBOX to Junk, nothing else.
    after = read_maildir(world.root)
    assert set(after[ANN]["Junk"]) == set(before[ANN].get("Junk", {})) | {"evil-1@evil.example", "evil-2@evil.example"}
    assert "evil-1@evil.example" in after[BEN]["INBOX"]
    assert {k: v for k, v in after.items() if k != ANN} == {k: v for k, v in before.items() if k != ANN}
    assert set(remediation.items.values_list("state", flat=True)) == {ItemState.SUCCEEDED}
