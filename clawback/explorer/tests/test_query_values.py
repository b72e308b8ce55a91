"""Sizes, numbers and times as analysts write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clawback.explorer.query.values import BadValue, TimeValue, parse_bool, parse_size, parse_time

NOW = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("500", 500),
        ("10k", 10_240),
        ("10KB", 10_240),
        ("2mb", 2 * 1024**2),
        ("1.5m", 1_572_864),
        ("1g", 1024**3),
        ("3GiB", 3 * 1024**3),
        ("7b", 7),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "k", "-1k", "10q", "1e3", "10 kb x"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(BadValue):
        parse_size(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-30m", TimeValue(NOW - timedelta(minutes=30), relative=True)),
        ("-12H", TimeValue(NOW - timedelta(hours=12), relative=True)),
        ("-7d", TimeValue(NOW - timedelta(days=7), relative=True)),
        ("-2w", TimeValue(NOW - timedelta(weeks=2), relative=True)),
        ("-90s", TimeValue(NOW - timedelta(seconds=90), relative=True)),
        ("now", TimeValue(NOW, relative=True)),
        ("today", TimeValue(datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC))),
        ("yesterday", TimeValue(datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))),
        ("2026-11-20", TimeValue(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))),
        ("2026-11-20T08:00", TimeValue(datetime(2026, 11, 20, 8, tzinfo=UTC))),
        ("2026-11-20T08:00:00Z", TimeValue(datetime(2026, 11, 20, 8, tzinfo=UTC))),
        ("2026-11-20T09:00:00+01:00", TimeValue(datetime(2026, 11, 20, 8, tzinfo=UTC))),
        ("2026-11-20 08:00", TimeValue(datetime(2026, 11, 20, 8, tzinfo=UTC))),
    ],
)
def test_times(text: str, expected: TimeValue) -> None:
    assert parse_time(text, NOW) == expected


@pytest.mark.parametrize("text", ["7d", "-7", "-7y", "2026-11-31", "last week", "2026-11-20T25:00"])
def test_bad_times(text: str) -> None:
    with pytest.raises(BadValue):
        parse_time(text, NOW)


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("YES", True), ("1", True), ("false", False), ("no", False)]
)
def test_bools(text: str, value: bool) -> None:
    assert parse_bool(text) is value
