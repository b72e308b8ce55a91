"""The Action center and Investigations pages exist, with their tables, before their data does."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


def test_action_center_lists_no_remediations(client: Client, bob: User) -> None:
    client.force_login(bob)
    html = client.get("/action-center/history/").content.decode()
    assert '<td colspan="12">No remediations</td>' in html
    for column in ("Name", "Action", "Status", "Messages", "Source", "Submitted by", "Decided by"):
        assert f'<th scope="col">{column}</th>' in html


def test_investigations_lists_no_investigations(client: Client, bob: User) -> None:
    client.force_login(bob)
    html = client.get("/investigations/").content.decode()
    assert '<td colspan="6">No investigations</td>' in html
    for column in ("ID", "Alert", "Status", "Entities", "Started", "Last updated"):
        assert f'<th scope="col">{column}</th>' in html


def test_home_redirects_to_the_explorer(client: Client, bob: User) -> None:
    client.force_login(bob)
    assert client.get("/")["Location"] == "/explorer/"
