"""RFC 5322 §3.3 dates, tolerantly: a date we cannot trust is None, never an exception."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

# Years outside this window are typos or forgeries (1970-01-01 from a zeroed clock, 2099 from a
# spammer keeping the message at the top of a date-sorted inbox); an index sorted on them lies.
_MIN_YEAR = 1980
_MAX_YEAR = 2100
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
# The canonical shape nearly every MTA and MUA writes ("Wed, 8 Jan 2025 13:40:52 +0000 (UTC)"),
# read directly; the stdlib's tolerant parser (~4x slower) gets everything else.  What follows
# the zone after white space is ignored, as the stdlib ignores every token after the fifth.
_CANONICAL = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?([0-9]{1,2}) ([A-Z][a-z][a-z]) ([1-9][0-9]{3}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})(?:\s.*)?",
    re.ASCII | re.DOTALL,
)


def parse_date(text: str) -> datetime | None:
    """-> an aware datetime (RFC 5322 "-0000", "no zone information", is taken as UTC)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = _canonical(text)
        if value is None:
            value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value is None or not _MIN_YEAR <= value.year <= _MAX_YEAR:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _canonical(text: str) -> datetime | None:
    """What ``parsedate_to_datetime`` returns for a canonical date, or None for any other text.
    Raises ValueError where it does (31 February, hour 24, a zone of a day or more)."""
    match = _CANONICAL.fullmatch(text)
    if match is None:
        return None
    day, month_name, year, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
    month = _MONTHS.get(month_name)
    if month is None:
        return None
    fields = (int(year), month, int(day), int(hour), int(minute), int(second))
    if sign == "-" and zone_hours == zone_minutes == "00":  # "-0000": no zone information, naive
        return datetime(*fields)
    return datetime(*fields, tzinfo=_zone(sign, zone_hours, zone_minutes))


@lru_cache(maxsize=256)
def _zone(sign: str, hours: str, minutes: str) -> timezone:
    """The zone of a "+hhmm" offset (a mail system writes the same few all day long).  Raises
    ValueError for an offset of a day or more, as ``parsedate_to_datetime`` does."""
    offset = int(hours) * 3600 + int(minutes) * 60
    return timezone(timedelta(seconds=-offset if sign == "-" else offset))
