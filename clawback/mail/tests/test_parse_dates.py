"""Date headers: the canonical fast path gives what the stdlib's parser gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from clawback.mail.parsing.dates import parse_date


@pytest.mark.parametrize(
    "text",
    [
        "Wed, 8 Jan 2025 13:40:52 +0000",
        "Wed, 8 Jan 2025 13:40:52 +0200 (CEST)",
        "8 Jan 2025 13:40:52 -0530",
        "Thu, 09 Jan 2025 23:59:59 +1345",
        "Thu, 9 Jan 2025 09:21:31 +0000 (UTC)",
    ],
)
def test_canonical_dates_equal_the_stdlib_reading(text: str) -> None:
    parsed = parse_date(text)
    assert parsed == parsedate_to_datetime(text)
    assert parsed is not None and parsed.utcoffset() == parsedate_to_datetime(text).utcoffset()


def test_zones_are_shared_but_each_date_keeps_its_own() -> None:
    first, second = parse_date("Wed, 8 Jan 2025 13:40:52 +0200"), parse_date("Wed, 8 Jan 2025 14:40:52 -0700")
    again = parse_date("Thu, 9 Jan 2025 08:00:00 +0200")
    assert first is not None and second is not None and again is not None
    assert first.utcoffset() == again.utcoffset() == timedelta(hours=2)
    assert second.utcoffset() == timedelta(hours=-7)


def test_no_zone_information_is_utc_and_impossible_zones_are_no_date() -> None:
    assert parse_date("Wed, 8 Jan 2025 13:40:52 -0000") == datetime(2025, 1, 8, 13, 40, 52, tzinfo=UTC)
    assert parse_date("Wed, 8 Jan 2025 13:40:52 +2400") is None  # a zone of a whole day
    assert parse_date("Wed, 8 Jan 2025 13:40:52 +2400") is None  # and again, from the zone cache
    assert parse_date("Sat, 31 Feb 2025 13:40:52 +0100") is None
