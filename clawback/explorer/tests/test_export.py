"""CSV export: columns, order, the row limit, formula neutralising, streaming and the audit row."""

from __future__ import annotations

import csv
import io
import types

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from clawback.audit.models import AuditEvent
from clawback.explorer import export
from clawback.explorer.catalog import view_search
from clawback.explorer.tests.known_index import NOW, build
from clawback.mail.models import MessageCopy
from clawback.web.tests.factories import make_copy

pytestmark = pytest.mark.django_db


def parse(chunks: object) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(chunks))))  # type: ignore[arg-type]


@pytest.fixture
def known(db: None) -> list[MessageCopy]:
    return build()


def test_rows_newest_first_with_the_header(known: list[MessageCopy], alice: User) -> None:
    chunks = export.start_export(view_search("malware", now=NOW), acting_user=alice, query="", view="malware")
    text = "".join(chunks)
    assert text.startswith(",".join(export.HEADER) + "\r\n")
    rows = parse([text])
    assert len(rows) == 11
    assert [row["received_at"] for row in rows] == sorted((row["received_at"] for row in rows), reverse=True)
    first = rows[0]
    assert (first["from_domain"], first["threats"], first["detections"]) == ("malw.example", "malware", "antivirus")
    assert (first["store"], first["attachment_count"], first["location"]) == ("known", "1", "inbox")
    assert "headers" not in first


def test_sets_are_listed_with_semicolons(known: list[MessageCopy], alice: User) -> None:
    rows = parse(export.csv_chunks(export.export_rows(view_search("all", "threat = spam and threat = phish", now=NOW))))
    assert {row["threats"] for row in rows} == {"phish;spam"}
    assert len(rows) == 4


def test_the_setting_caps_the_rows(known: list[MessageCopy], settings: Settings) -> None:
    settings.CLAWBACK_EXPORT_LIMIT = 30
    assert len(parse(export.csv_chunks(export.export_rows(MessageCopy.objects.all())))) == 30
    assert len(parse(export.csv_chunks(export.export_rows(MessageCopy.objects.all(), limit=7)))) == 7
    assert len(parse(export.csv_chunks(export.export_rows(MessageCopy.objects.all(), limit=500)))) == 30
    assert export.export_limit(None) == 30


def test_default_limit_is_200000() -> None:
    assert export.export_limit() == 200_000


def test_streamed_in_chunks(known: list[MessageCopy], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "CHUNK", 50)
    chunks = export.csv_chunks(export.export_rows(MessageCopy.objects.all()))
    assert isinstance(chunks, types.GeneratorType)
    parts = list(chunks)
    # The header and 49 rows, then 50 rows a chunk: 201 lines in 5 chunks.
    assert [part.count("\r\n") for part in parts] == [50, 50, 50, 50, 1]


def test_formulas_are_neutralised(db: None) -> None:
    make_copy(subject='=HYPERLINK("http://evil.example","Click")', sender="x@evil.example", from_name="@SUM(1+1)")
    make_copy(subject="-2+3", sender="y@evil.example", from_name="Plain name")
    rows = parse(export.csv_chunks(export.export_rows(MessageCopy.objects.order_by("pk"))))
    subjects = {row["subject"] for row in rows}
    assert subjects == {'\'=HYPERLINK("http://evil.example","Click")', "'-2+3"}
    assert {row["from_name"] for row in rows} == {"'@SUM(1+1)", "Plain name"}


def test_each_export_is_audited(known: list[MessageCopy], bob: User) -> None:
    export.start_export(
        view_search("phish", "received >= -1d", now=NOW), acting_user=bob, query="received >= -1d", view="phish"
    )
    event = AuditEvent.objects.get(action="explorer.export")
    assert event.actor_name == "bob"
    assert event.data == {"query": "received >= -1d", "view": "phish", "limit": 200_000, "source": "web"}


def test_the_audit_row_is_written_before_any_row_is_read(known: list[MessageCopy], bob: User) -> None:
    chunks = export.start_export(MessageCopy.objects.all(), acting_user=bob, query="", limit=5)
    assert AuditEvent.objects.filter(action="explorer.export", data__limit=5).count() == 1
    assert len(parse(chunks)) == 5
