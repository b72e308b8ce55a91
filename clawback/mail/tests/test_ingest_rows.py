"""The rows a parser process builds for one copy (``build_copy``), in the database's form."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from clawback.lib.bulk import Dialect
from clawback.mail.ingest import Target, copy_columns, parse_copy
from clawback.mailstores.connectors.base import Fetched, FolderClass, Ref

NOW = datetime(2025, 1, 15, 12, 0, 30, 250, tzinfo=UTC)
TARGET = Target(
    store_id=3, mailbox_id=7, address="Ann@Example.test", org_domains=("example.test",), dialect=Dialect("sqlite")
)


def row(raw: bytes, folder_class: FolderClass = FolderClass.INBOX, flags: tuple[str, ...] = ()) -> dict[str, object]:
    fetched = Fetched(Ref("INBOX", "9:1"), folder_class, raw, flags, None, len(raw))
    copy = parse_copy(TARGET, fetched, NOW)
    assert len(copy.values) == len(copy_columns())
    return dict(zip(copy_columns(), copy.values, strict=True))


MESSAGE = (
    "From: {name} <it@evil.example>\r\nTo: ann@example.test\r\nMessage-ID: <m1@evil.example>\r\n"
    "Date: Wed, 8 Jan 2025 13:40:52 +0200\r\nSubject: hi\r\n\r\nbody https://evil.example/x\r\n"
)


def test_a_copy_row_holds_database_values_and_defaults() -> None:
    values = row(MESSAGE.format(name="Help" * 100).encode(), FolderClass.JUNK, ("\\Seen",))
    assert values["store_id"] == 3 and values["mailbox_id"] == 7 and values["ref"] == "INBOX\x1f9:1"
    assert values["recipient"] == "ann@example.test" and values["recipient_domain"] == "example.test"
    assert values["from_name"] == ("Help" * 100)[:300]
    assert values["date_header"] == "2025-01-08 11:40:52"
    assert values["received_at"] == "2025-01-08 11:40:52"  # no Received header: the Date
    assert values["indexed_at"] == "2025-01-15 12:00:30.000250"
    assert values["flags"] == json.dumps(["\\Seen"])
    assert (values["parse_problems"], values["has_parse_problems"]) == ("[]", False)
    assert values["delivery_action"] == "junked" and values["location"] == "junk"
    assert values["cluster_id"] == "" and values["url_count"] == 1


def test_flags_and_problems_are_written_per_copy() -> None:
    raw = MESSAGE.format(name="Help").encode()
    assert row(raw, flags=("\\Answered", "\\Seen"))["flags"] == json.dumps(["\\Answered", "\\Seen"])
    assert row(raw)["flags"] == "[]"
    assert row(raw, flags=("\\Seen",))["delivery_action"] == "delivered"
    broken = row(b"Subject: no sender\r\n\r\nx")
    assert broken["has_parse_problems"] is True
    assert "no From header" in json.loads(str(broken["parse_problems"]))
