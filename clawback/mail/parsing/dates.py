"""RFC 5322 §3.3 dates, tolerantly: a date we cannot trust is None, never an exception."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Years outside this window are typos or forgeries (1970-01-01 from a zeroed clock, 2099 from a
# spammer keeping the message at the top of a date-sorted inbox); an index sorted on them lies.
_MIN_YEAR = 1980
_MAX_YEAR = 2100


def parse_date(text: str) -> datetime | None:
    """-> an aware datetime (RFC 5322 "-0000", "no zone information", is taken as UTC)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value is None or not _MIN_YEAR <= value.year <= _MAX_YEAR:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
