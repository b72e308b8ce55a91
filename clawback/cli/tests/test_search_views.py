"""``clawback search --view`` and ``--pivot`` over an index of known make-up."""

from __future__ import annotations

import csv
import io
import json

import pytest

from clawback.cli import main
from clawback.cli.index import PIVOT_KEYS, VIEW_KEYS
from clawback.explorer.catalog import VIEWS
from clawback.explorer.pivots import PIVOTS
from clawback.explorer.tests.known_index import FA, build
from clawback.mail.models import MessageCopy

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(db: None) -> list[MessageCopy]:
    return build()


def out(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["search", *argv]) == 0
    return capsys.readouterr().out


def test_the_choices_are_the_explorers() -> None:
    assert tuple(VIEWS) == VIEW_KEYS and set(PIVOT_KEYS) == set(PIVOTS)


@pytest.mark.parametrize(("view", "count"), [("all", "200"), ("malware", "11"), ("phish", "37"), ("campaigns", "48")])
def test_count_per_view(known: list[MessageCopy], capsys: pytest.CaptureFixture[str], view: str, count: str) -> None:
    assert out(capsys, "", "--view", view, "--count").strip() == count


def test_view_rows(known: list[MessageCopy], capsys: pytest.CaptureFixture[str]) -> None:
    lines = out(capsys, "sender.domain = bad.example", "--view", "phish", "--format", "json").splitlines()
    assert len(lines) == 12
    assert {json.loads(line)["sender"].rpartition("@")[2] for line in lines} == {"bad.example"}


def test_pivot_as_csv(known: list[MessageCopy], capsys: pytest.CaptureFixture[str]) -> None:
    text = out(capsys, "", "--pivot", "sender.domain", "--top", "2", "--format", "csv")
    assert list(csv.reader(io.StringIO(text))) == [
        ["sender.domain", "copies"],
        ["news.example", "60"],
        ["partner.example", "40"],
        ["(other 5 values)", "100"],
    ]


def test_pivot_as_json_within_a_view(known: list[MessageCopy], capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(out(capsys, "", "--view", "phish", "--pivot", "threat", "--format", "json"))
    assert data == {
        "pivot": "threat",
        "buckets": [
            {"value": "phish", "count": 31},
            {"value": "high-confidence-phish", "count": 6},
            {"value": "spam", "count": 4},
        ],
        "other": 0,
        "values": 3,
        "total": 41,
    }


def test_pivot_as_a_table(known: list[MessageCopy], capsys: pytest.CaptureFixture[str]) -> None:
    text = out(capsys, "", "--view", "malware", "--pivot", "url.domain")
    assert "url.domain" in text and "copies" in text
    table = out(capsys, "", "--pivot", "recipient.address", "--top", "1")
    assert "u00@corp.example" in table and "12" in table and "(other 19 values)" in table


def test_campaigns(known: list[MessageCopy], capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.loads(line) for line in out(capsys, "", "--view", "campaigns", "--format", "json").splitlines()]
    assert [(c["copies"], c["recipients"]) for c in lines] == [(25, 20), (12, 12), (11, 11)]
    assert lines[0]["query"] == f"fingerprint = {FA}"
    rows = list(
        csv.DictReader(io.StringIO(out(capsys, "received >= 2026-11-22", "--view", "campaigns", "--format", "csv")))
    )
    # The 36 hours before NOW: all of campaign A, 11 of B's 12 copies, none of C.
    assert [row["copies"] for row in rows] == ["25", "11"]


def test_bad_choices_and_queries(known: list[MessageCopy], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["search", "", "--pivot", "subject"])
    assert "invalid choice" in capsys.readouterr().err
    assert main(["search", "threat = phsh", "--view", "phish", "--pivot", "threat"]) == 2
    assert "phsh" in capsys.readouterr().err
