"""Take action from the Explorer: select rows or all results, choose, review, submit or propose.

The steps are driven the way a browser drives them: each test posts the fields the previous
page rendered (``form_fields``), so the selection really travels in the hidden fields.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from clawback.mail.models import MessageCopy
from clawback.remediation.actions import do_propose
from clawback.remediation.models import Remediation, SelectionKind, Source, Status
from clawback.remediation.selection import Selection
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db

URL = "/explorer/take-action/"
QUERY = "subject ~ wave"
ANN, BEN = "ann@example.org", "ben@example.org"


class _Form(HTMLParser):
    """The fields a browser would submit from the form with ``form_id`` (and from inputs that
    name it with ``form=``), buttons excluded; a select without a selected option submits its
    first one."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.found = False
        self.fields: list[tuple[str, str]] = []
        self._select: tuple[str, list[str], list[str]] | None = None  # name, options, selected

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = self.found = True
        if tag == "option" and self._select is not None:
            self._select[1].append(a["value"])
            if "selected" in a:
                self._select[2].append(a["value"])
        if not (self.inside or a.get("form") == self.form_id) or "name" not in a:
            return
        if tag == "input" and (a.get("type") not in ("checkbox", "radio") or "checked" in a):
            self.fields.append((a["name"], a.get("value", "on")))
        elif tag == "select":
            self._select = (a["name"], [], [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if tag == "select" and self._select is not None:
            name, options, selected = self._select
            self.fields.extend((name, value) for value in (selected or options[:1]))
            self._select = None


def form_fields(html: str, form_id: str) -> dict[str, list[str]]:
    parser = _Form(form_id)
    parser.feed(html)
    assert parser.found, f"no form #{form_id}"
    out: dict[str, list[str]] = {}
    for name, value in parser.fields:
        out.setdefault(name, []).append(value)
    return out


def post(client: Client, fields: dict[str, list[str]], **changes: Any) -> Any:
    data: dict[str, Any] = {**fields, **{k: v if isinstance(v, list) else [v] for k, v in changes.items()}}
    data.pop("csrfmiddlewaretoken", None)
    return client.post(URL, data)


def choices(name: str = "wave-1", action: str = "move-to-junk", **more: str) -> dict[str, str]:
    return {"action": action, "name": name, "severity": "high", "description": "phish wave", **more}


@pytest.fixture
def wave() -> list[MessageCopy]:
    """Five copies of a wave, newest first: three for ann (one in Deleted Items), two for ben;
    and a copy the query does not match."""
    made = [
        make_copy(subject="wave 1", recipient=ANN),
        make_copy(subject="wave 2", recipient=ANN),
        make_copy(subject="wave 3", recipient=BEN),
        make_copy(subject="wave 4", recipient=ANN, location="deleted", folder="Trash"),
        make_copy(subject="wave 5", recipient=BEN),
    ]
    make_copy(subject="lunch", recipient=ANN)
    return made


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def start(client: Client, **data: Any) -> Any:
    """Step 1, as the results page posts it."""
    return client.post(URL, {"query": QUERY, **data})


# --- the results page ----------------------------------------------------------------------


def test_security_reader_sees_no_take_action_controls(client: Client, bob: User, wave: list[MessageCopy]) -> None:
    html = login(client, bob).get("/explorer/", {"q": QUERY}).content.decode()
    assert "wave 1" in html
    assert 'name="ids"' not in html and "take-action" not in html and "Select all" not in html


def test_operator_gets_a_checkbox_per_row_and_select_all(client: Client, dave: User, wave: list[MessageCopy]) -> None:
    html = login(client, dave).get("/explorer/", {"q": QUERY}).content.decode()
    for copy in wave:
        assert f'name="ids" value="{copy.pk}" form="take-action-form"' in html
    assert 'id="take-action-button">Take action</button>' in html
    assert 'href="?q=subject+~+wave&amp;page=1&amp;select_all=1" id="select-all">Select all 5 results</a>' in html
    fields = form_fields(html, "take-action-form")
    assert set(fields) == {"csrfmiddlewaretoken", "query"}  # nothing ticked yet
    assert fields["query"] == [QUERY]
    assert 'src="/static/explorer/take-action.js" defer' in html


def test_select_all_mode_ticks_every_row_and_lists_the_page(
    client: Client, dave: User, wave: list[MessageCopy], settings: Settings
) -> None:
    settings.CLAWBACK_PAGE_SIZE = 3
    html = login(client, dave).get("/explorer/", {"q": QUERY, "select_all": "1"}).content.decode()
    fields = form_fields(html, "take-action-form")
    page = [str(c.pk) for c in wave[:3]]
    assert fields["shown"] == page and fields["ids"] == page
    assert 'name="scope" value="query"' in html and "All <strong>5</strong> results selected" in html
    assert 'href="?q=subject+~+wave&amp;page=2&amp;select_all=1" rel="next"' in html


def test_the_default_range_is_posted_as_its_query(client: Client, dave: User, wave: list[MessageCopy]) -> None:
    html = login(client, dave).get("/explorer/").content.decode()
    assert form_fields(html, "take-action-form")["query"] == ["received >= yesterday"]


# --- roles ---------------------------------------------------------------------------------


def test_security_reader_is_refused_every_step(client: Client, bob: User, wave: list[MessageCopy]) -> None:
    login(client, bob)
    ids = [str(wave[0].pk)]
    assert client.get(URL, {"scope": "ids", "ids": ids}).status_code == 403
    for step in ("", "review", "submit", "propose", "add"):
        response = client.post(URL, {"scope": "ids", "ids": ids, "step": step, **choices()})
        assert response.status_code == 403, step
    assert not Remediation.objects.exists()


# --- the steps -----------------------------------------------------------------------------


def test_first_step_asks_for_action_name_severity_description(
    client: Client, dave: User, wave: list[MessageCopy]
) -> None:
    response = start(login(client, dave), scope="ids", ids=[wave[0].pk, wave[2].pk])
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong class="total" id="selected-total">2</strong> messages selected' in html
    for label, field in (
        ("Action", "action"),
        ("Name", "name"),
        ("Severity", "severity"),
        ("Description", "description"),
    ):
        assert f'<label for="id_{field}">{label}</label>' in html
    assert "Hard delete purges the messages for good: it cannot be undone." in html
    assert 'name="step" value="review"' in html
    fields = form_fields(html, "take-action-choose")
    assert fields["scope"] == ["ids"] and fields["ids"] == [str(wave[0].pk), str(wave[2].pk)]
    assert "exclusions" not in fields
    assert not Remediation.objects.exists()


def test_review_counts_per_mailbox_and_location_and_what_cannot_be_remediated(
    client: Client, dave: User, wave: list[MessageCopy]
) -> None:
    first = start(login(client, dave), scope="query").content.decode()
    response = post(client, form_fields(first, "take-action-choose"), step="review", **choices())
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong class="total" id="review-total">5</strong> messages' in html
    assert '<strong id="review-mailbox-count">2</strong> mailboxes' in html
    assert '<strong id="review-remediable">4</strong> can be remediated' in html
    assert f'<tr><td>{ANN}</td><td class="num">3</td></tr>' in html
    assert f'<tr><td>{BEN}</td><td class="num">2</td></tr>' in html
    assert '<span class="location location-inbox">inbox</span></td><td class="num">4</td>' in html
    assert 'id="review-not-remediable"' in html
    assert "already in Deleted Items: moving it to Junk would bring it back towards the user" in html
    # Dave holds Propose but not Search and Purge: only Propose, and the review says why.
    assert "It needs approval: dave lacks the Search and Purge role." in html
    assert 'value="propose" class="primary">Propose</button>' in html
    assert 'value="submit"' not in html
    assert not Remediation.objects.exists()


def test_review_warns_that_hard_delete_cannot_be_undone(client: Client, carol: User, wave: list[MessageCopy]) -> None:
    first = start(login(client, carol), scope="ids", ids=[wave[0].pk]).content.decode()
    html = post(client, form_fields(first, "take-action-choose"), step="review", **choices(action="hard-delete"))
    assert 'id="hard-delete-warning"' in html.content.decode()
    assert "Hard delete cannot be undone." in html.content.decode()
    soft = post(client, form_fields(first, "take-action-choose"), step="review", **choices(action="soft-delete"))
    assert 'id="hard-delete-warning"' not in soft.content.decode()


def test_back_keeps_the_choices(client: Client, carol: User, wave: list[MessageCopy]) -> None:
    first = start(login(client, carol), scope="ids", ids=[wave[0].pk]).content.decode()
    reviewed = post(client, form_fields(first, "take-action-choose"), step="review", **choices(name="keep me"))
    back = post(client, form_fields(reviewed.content.decode(), "take-action-submit"), step="edit")
    assert back.status_code == 200
    assert 'name="name" value="keep me"' in back.content.decode()


def test_hand_picked_creates_exactly_the_picked_copies(client: Client, carol: User, wave: list[MessageCopy]) -> None:
    picked = [wave[0].pk, wave[2].pk]
    first = start(login(client, carol), scope="ids", ids=picked).content.decode()
    reviewed = post(client, form_fields(first, "take-action-choose"), step="review", **choices())
    html = reviewed.content.decode()
    assert "Submit runs it at once" in html and 'value="submit" class="primary">Submit</button>' in html
    response = post(client, form_fields(html, "take-action-submit"), step="submit")
    remediation = Remediation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/action-center/{remediation.approval_id}/"
    assert set(remediation.items.values_list("copy_id", flat=True)) == set(picked)
    assert remediation.selection_kind == SelectionKind.IDS and remediation.picked_ids == picked
    assert remediation.source == Source.EXPLORER
    assert (remediation.name, remediation.severity, remediation.description) == ("wave-1", "high", "phish wave")
    # Carol holds Search and Purge: it runs at once, decided by her.
    assert remediation.status == Status.QUEUED and remediation.decided_by_name == "carol"


def test_select_all_with_exclusions_leaves_out_the_unticked_rows(
    client: Client, carol: User, wave: list[MessageCopy], settings: Settings
) -> None:
    settings.CLAWBACK_PAGE_SIZE = 3
    login(client, carol)
    results = client.get("/explorer/", {"q": QUERY, "select_all": "1"}).content.decode()
    fields = form_fields(results, "take-action-form")
    unticked = [wave[1].pk]
    fields["ids"] = [i for i in fields["ids"] if int(i) not in unticked]
    first = post(client, fields, scope="query").content.decode()
    assert 'id="excluded-count">1</strong> excluded message' in first
    reviewed = post(client, form_fields(first, "take-action-choose"), step="review", **choices()).content.decode()
    assert '<strong class="total" id="review-total">4</strong>' in reviewed
    response = post(client, form_fields(reviewed, "take-action-submit"), step="submit")
    assert response.status_code == 302
    remediation = Remediation.objects.get()
    assert remediation.selection_kind == SelectionKind.QUERY_EXCLUSIONS
    assert remediation.query == QUERY and remediation.exclusions == unticked
    assert remediation.item_count == len(wave) - 1
    assert set(remediation.items.values_list("copy_id", flat=True)) == {c.pk for c in wave} - set(unticked)


def test_select_all_without_unticking_takes_the_whole_query(
    client: Client, carol: User, wave: list[MessageCopy], settings: Settings
) -> None:
    settings.CLAWBACK_PAGE_SIZE = 2
    login(client, carol)
    results = client.get("/explorer/", {"q": QUERY, "select_all": "1"}).content.decode()
    first = post(client, form_fields(results, "take-action-form"), scope="query").content.decode()
    reviewed = post(client, form_fields(first, "take-action-choose"), step="review", **choices()).content.decode()
    post(client, form_fields(reviewed, "take-action-submit"), step="submit")
    remediation = Remediation.objects.get()
    assert remediation.selection_kind == SelectionKind.QUERY and remediation.item_count == len(wave)


def test_operator_gets_a_pending_proposal(client: Client, dave: User, wave: list[MessageCopy]) -> None:
    first = start(login(client, dave), scope="query").content.decode()
    reviewed = post(client, form_fields(first, "take-action-choose"), step="review", **choices()).content.decode()
    response = post(client, form_fields(reviewed, "take-action-submit"), step="propose")
    remediation = Remediation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/action-center/{remediation.approval_id}/"
    assert remediation.status == Status.PENDING_APPROVAL and remediation.submitted_by_name == "dave"
    assert remediation.decided_by_name == "" and remediation.item_count == 5


def test_operator_posting_submit_still_only_proposes(client: Client, dave: User, wave: list[MessageCopy]) -> None:
    # No Submit button for him; posting it anyway goes through do_submit, which decides.
    first = start(login(client, dave), scope="ids", ids=[wave[0].pk]).content.decode()
    post(client, form_fields(first, "take-action-choose"), step="submit", **choices())
    assert Remediation.objects.get().status == Status.PENDING_APPROVAL


def test_search_and_purge_may_propose_instead(client: Client, carol: User, wave: list[MessageCopy]) -> None:
    first = start(login(client, carol), scope="ids", ids=[wave[0].pk]).content.decode()
    post(client, form_fields(first, "take-action-choose"), step="propose", **choices())
    assert Remediation.objects.get().status == Status.PENDING_APPROVAL


def test_add_to_an_open_proposal(client: Client, carol: User, dave: User, wave: list[MessageCopy]) -> None:
    proposal = do_propose(
        acting_user=dave, name="open one", action="soft-delete", selection=Selection.picked([wave[0].pk])
    )
    first = start(login(client, carol), scope="ids", ids=[wave[2].pk]).content.decode()
    reviewed = post(client, form_fields(first, "take-action-choose"), step="review", **choices()).content.decode()
    assert (
        f'<option value="{proposal.approval_id}">open one ({proposal.approval_id}) · Soft delete · 1 message</option>'
        in reviewed
    )
    response = post(client, form_fields(reviewed, "take-action-submit"), step="add")
    assert response.status_code == 302 and response["Location"] == f"/action-center/{proposal.approval_id}/"
    assert Remediation.objects.count() == 1
    assert set(proposal.items.values_list("copy_id", flat=True)) == {wave[0].pk, wave[2].pk}
    assert Remediation.objects.get().additions[0]["by"] == "carol"


# --- errors: clear, and nothing created -----------------------------------------------------


def test_nothing_ticked(client: Client, dave: User, wave: list[MessageCopy]) -> None:
    response = start(login(client, dave), scope="ids")
    assert response.status_code == 400
    assert "No messages selected: tick rows in the results, or select all results." in response.content.decode()


def test_hand_picked_limit(client: Client, carol: User, wave: list[MessageCopy], settings: Settings) -> None:
    settings.CLAWBACK_REMEDIATION_LIMIT_IDS = 2
    login(client, carol)
    ids = [c.pk for c in wave[:3]]
    message = "3 copies picked by hand; at most 2 (CLAWBACK_REMEDIATION_LIMIT_IDS): select them with a query instead"
    for step in ("", "review", "submit"):
        response = start(client, scope="ids", ids=ids, step=step, **choices())
        assert response.status_code == 400, step
        assert message in response.content.decode(), step
    assert not Remediation.objects.exists()


def test_query_limits(client: Client, carol: User, wave: list[MessageCopy], settings: Settings) -> None:
    settings.CLAWBACK_REMEDIATION_LIMIT_QUERY = 4
    settings.CLAWBACK_REMEDIATION_LIMIT_EXCLUSIONS = 1
    login(client, carol)
    whole = start(client, scope="query", step="submit", **choices())
    assert whole.status_code == 400
    assert "the query matches 5 copies; a whole-query remediation takes at most 4" in whole.content.decode()
    excluded = start(client, scope="query", exclusions=[wave[0].pk, wave[1].pk], step="submit", **choices())
    assert "2 exclusions; at most 1 (CLAWBACK_REMEDIATION_LIMIT_EXCLUSIONS)" in excluded.content.decode()
    assert not Remediation.objects.exists()


def test_bad_query_is_pointed_at(client: Client, carol: User, wave: list[MessageCopy]) -> None:
    response = login(client, carol).post(
        URL, {"scope": "query", "query": "subject ~ x and sendr = y", "step": "submit", **choices()}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Query error at line 1, column 17: unknown field" in html
    assert "subject ~ x and sendr = y\n                ^^^^^</pre>" in html
    assert not Remediation.objects.exists()


def test_header_fields_need_preview_as_on_the_search_page(client: Client, erin: User, wave: list[MessageCopy]) -> None:
    response = login(client, erin).post(URL, {"scope": "query", "query": "header.x-mailer ~ test"})
    assert response.status_code == 400
    assert "Query error" in response.content.decode()


def test_duplicate_name(client: Client, carol: User, wave: list[MessageCopy]) -> None:
    first = start(login(client, carol), scope="ids", ids=[wave[0].pk]).content.decode()
    fields = form_fields(first, "take-action-choose")
    reviewed = post(client, fields, step="review", **choices(name="taken")).content.decode()
    post(client, fields, step="submit", **choices(name="taken"))
    assert Remediation.objects.count() == 1
    # The same name again: refused at review, and at submission (another tab, a race).
    for response in (
        post(client, fields, step="review", **choices(name="taken")),
        post(client, form_fields(reviewed, "take-action-submit"), step="submit"),
    ):
        assert response.status_code == 400
        assert "A remediation named &#x27;taken&#x27; already exists; names are unique." in response.content.decode()
    assert Remediation.objects.count() == 1


def test_a_query_matching_nothing_has_nothing_to_act_on(client: Client, dave: User, wave: list[MessageCopy]) -> None:
    response = login(client, dave).post(URL, {"scope": "query", "query": "subject ~ nothing-like-it"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The selection matches no messages" in html and 'id="take-action-choose"' not in html


def test_pages_carry_no_inline_script_or_style(client: Client, carol: User, wave: list[MessageCopy]) -> None:
    first = start(login(client, carol), scope="query").content.decode()
    reviewed = post(client, form_fields(first, "take-action-choose"), step="review", **choices()).content.decode()
    results = client.get("/explorer/", {"q": QUERY, "select_all": "1"}).content.decode()
    for html in (first, reviewed, results):
        assert " style=" not in html and "<script>" not in html and " onclick=" not in html


def test_move_to_junk_is_the_default_action(client: Client, dave: User, wave: list[MessageCopy]) -> None:
    html = start(login(client, dave), scope="ids", ids=[wave[0].pk]).content.decode()
    assert '<option value="move-to-junk" selected>Move to Junk</option>' in html
    assert '<option value="restore"' not in html  # undo makes those, not the Explorer
