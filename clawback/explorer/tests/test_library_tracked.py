"""The tracked queries pages: track a query, see its runs (newest first, paged), their trend and
sample; run a due query now (claimed once); stop tracking.  Tracked queries are private."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from clawback.audit.models import AuditEvent
from clawback.explorer import tracking
from clawback.explorer.actions import do_track_query
from clawback.explorer.library import every
from clawback.explorer.models import TrackedQuery, TrackedQueryRun
from clawback.explorer.tasks import run_due_tracked_queries
from clawback.web.tests.conftest import fast_password_hashing  # noqa: F401  (autouse)
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db

URL = "/explorer/tracked/"
EVIL = "sender.domain = evil.example"


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


def add_runs(tracked: TrackedQuery, counts: list[int], **extra: Any) -> list[TrackedQueryRun]:
    start = timezone.now() - timedelta(hours=len(counts))
    return [
        TrackedQueryRun.objects.create(tracked=tracked, ran_at=start + timedelta(hours=i), count=n, **extra)
        for i, n in enumerate(counts)
    ]


@pytest.fixture
def tracked(bob: User) -> TrackedQuery:
    return do_track_query(acting_user=bob, name="evil", query=EVIL, interval_minutes=30)


def test_track_then_the_due_task_runs_and_the_page_shows_the_count(
    client: Client, bob: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    copies = [make_copy(sender=f"x{i}@evil.example", subject=f"evil {i}") for i in range(3)]
    make_copy(sender="friend@good.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(client, bob).post(
            URL, {"name": "Evil", "query": EVIL, "view": "all", "interval_minutes": "15"}
        )
    tracked = TrackedQuery.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{URL}{tracked.pk}/"
    assert (tracked.owner, tracked.interval_minutes) == (bob, 15)
    assert AuditEvent.objects.filter(action="explorer.tracked_query.create", actor_name="bob").count() == 1
    page = html(client.get(response["Location"]))
    assert "Tracking &quot;Evil&quot; every 15 min: the first run is queued." in page
    assert "No runs yet" in page

    assert run_due_tracked_queries.call() == 1  # the scheduler's tick, as a worker runs it

    page = html(client.get(f"{URL}{tracked.pk}/"))
    assert '<strong class="latest-count">3</strong> matches, 0 new' in page
    assert '<td class="num run-count">3</td>' in page
    for copy in copies:  # the sample links to each copy's page
        assert f'href="/explorer/message/{copy.pk}/"' in page
    assert 'id="open-in-explorer" href="/explorer/?view=all&amp;q=sender.domain+%3D+evil.example"' in page
    listing = html(client.get(URL))
    assert '<td class="num latest-count">3</td>' in listing and "every 15 min" in listing


def test_the_list_shows_only_mine_with_the_latest_run(client: Client, bob: User, dave: User) -> None:
    mine = do_track_query(acting_user=bob, name="mine", query=EVIL)
    theirs = do_track_query(acting_user=dave, name="dave's", query="threat = malware")
    add_runs(mine, [4, 7])
    TrackedQueryRun.objects.filter(tracked=mine, count=7).update(new_count=3)
    add_runs(theirs, [99])
    page = html(as_user(client, bob).get(URL))
    assert f'href="/explorer/tracked/{mine.pk}/"' in page and "dave" not in page
    assert '<td class="num latest-count">7</td>' in page and '<td class="num latest-new">3</td>' in page


def test_runs_are_listed_newest_first_and_paged(
    client: Client, bob: User, tracked: TrackedQuery, settings: Settings
) -> None:
    settings.CLAWBACK_PAGE_SIZE = 2
    add_runs(tracked, [10, 20, 30])
    as_user(client, bob)
    first = html(client.get(f"{URL}{tracked.pk}/"))
    assert re.findall(r'run-count">(\d+)<', first) == ["30", "20"]
    assert "Page 1 of 2" in first and 'href="?page=2" rel="next"' in first
    second = html(client.get(f"{URL}{tracked.pk}/", {"page": 2}))
    assert re.findall(r'run-count">(\d+)<', second) == ["10"]


def test_the_trend_is_an_inline_svg_with_hostile_names_escaped(client: Client, bob: User) -> None:
    name = '</title><script>alert(1)</script>"&'
    hostile = do_track_query(acting_user=bob, name=name, query=EVIL)
    add_runs(hostile, [0, 5, 10])
    TrackedQueryRun.objects.filter(tracked=hostile, count=5).update(error="<img src=x onerror=alert(2)>")
    page = html(as_user(client, bob).get(f"{URL}{hostile.pk}/"))
    assert "<script>" not in page and "<img src=x" not in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "Matches per run of &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;" in svg
    # Oldest on the left, the highest count at the top; the failed run drawn apart.
    assert re.findall(r'<polyline class="trend-line" points="([^"]+)"', svg) == ["8.0,112.0 300.0,60.0 592.0,8.0"]
    assert svg.count('class="trend-dot trend-error"') == 1
    assert "&lt;img src=x onerror=alert(2)&gt;" in page  # the runs table shows the error, escaped


def test_someone_else_tracked_query_is_not_found(client: Client, dave: User, tracked: TrackedQuery) -> None:
    as_user(client, dave)
    assert client.get(f"{URL}{tracked.pk}/").status_code == 404
    assert client.post(f"{URL}{tracked.pk}/run/").status_code == 404
    assert client.post(f"{URL}{tracked.pk}/delete/").status_code == 404
    assert TrackedQuery.objects.filter(pk=tracked.pk).exists() and not tracked.runs.exists()


def test_run_now_runs_a_due_query_once(client: Client, bob: User, tracked: TrackedQuery) -> None:
    make_copy(sender="x@evil.example")
    as_user(client, bob)
    page = html(client.get(f"{URL}{tracked.pk}/"))
    assert 'id="run-now"' in page
    response = client.post(f"{URL}{tracked.pk}/run/")
    assert response.status_code == 302
    assert "Ran: 1 match." in html(client.get(response["Location"]))
    # A second click within the minute runs nothing, and the scheduler has nothing due.
    assert "It ran less than a minute ago" in html(client.post(f"{URL}{tracked.pk}/run/", follow=True))
    assert tracked.runs.count() == 1
    assert tracking.run_due() == 0


def test_run_now_runs_ahead_of_the_schedule(client: Client, bob: User, tracked: TrackedQuery) -> None:
    make_copy(sender="x@evil.example")
    as_user(client, bob)
    client.post(f"{URL}{tracked.pk}/run/")
    # Two minutes later the query is not due for another 28, but Run now runs it.
    later = timezone.now() + timedelta(minutes=2)
    make_copy(sender="y@evil.example")
    run = tracking.run_now(tracked.pk, now=later)
    assert run is not None and run.count == 2 and run.new_count == 1
    tracked.refresh_from_db()
    assert tracked.next_run_at == later + timedelta(minutes=tracked.interval_minutes)
    assert tracked.runs.count() == 2


def test_stop_tracking(client: Client, bob: User, tracked: TrackedQuery) -> None:
    add_runs(tracked, [1, 2])
    response = as_user(client, bob).post(f"{URL}{tracked.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == URL
    assert not TrackedQuery.objects.exists() and not TrackedQueryRun.objects.exists()
    event = AuditEvent.objects.get(action="explorer.tracked_query.delete")
    assert (event.actor_name, event.data["runs"]) == ("bob", 2)
    assert "Stopped tracking &quot;evil&quot;." in html(client.get(URL))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "query": EVIL, "interval_minutes": "5"}, "every 15 to 10080 minutes, not 5"),
        ({"name": "x", "query": EVIL, "interval_minutes": "often"}, "interval_minutes: Enter a whole number."),
        ({"name": "x", "query": "size > lots"}, "Query error: bad size &quot;lots&quot; at line 1, column 8"),
        ({"name": "", "query": EVIL}, "give the query a name"),
    ],
)
def test_refused_input_is_explained_and_kept(client: Client, bob: User, data: dict[str, str], message: str) -> None:
    response = as_user(client, bob).post(URL, data)
    assert response.status_code == 400
    page = html(response)
    assert message in page
    assert f"{data['query'].replace('>', '&gt;')}</textarea>" in page
    assert not TrackedQuery.objects.exists()


def test_a_duplicate_name_is_refused(client: Client, bob: User, tracked: TrackedQuery) -> None:
    response = as_user(client, bob).post(URL, {"name": "evil", "query": "threat = phish"})
    assert response.status_code == 400
    assert "you already have a tracked query named &quot;evil&quot;" in html(response)
    assert list(TrackedQuery.objects.values_list("query", flat=True)) == [EVIL]


def test_a_failed_run_is_shown(client: Client, bob: User, tracked: TrackedQuery) -> None:
    add_runs(tracked, [0], error="bob lacks the View role")
    page = html(as_user(client, bob).get(f"{URL}{tracked.pk}/"))
    assert '<span class="run-error">failed</span>' in page and "bob lacks the View role" in page
    assert '<td colspan="2" class="run-error" title="bob lacks the View role">failed</td>' in html(client.get(URL))


@pytest.mark.parametrize(
    ("minutes", "said"),
    [(15, "every 15 min"), (60, "every hour"), (90, "every 90 min"), (360, "every 6 h"), (1440, "every day")],
)
def test_intervals_are_said_plainly(minutes: int, said: str) -> None:
    assert every(minutes) == said
    assert every(7 * 24 * 60) == "every 7 days"
