"""Typed values: numbers, sizes, times, choices.  Pure functions; :class:`BadValue` on bad input."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_RELATIVE = re.compile(r"-(\d+)\s*([smhdw])", re.IGNORECASE)
_RELATIVE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_DAY = timedelta(days=1)


class BadValue(ValueError):
    """Raised when a value does not fit its field; ``hint`` says what would."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class TimeValue:
    """An instant, or a whole UTC day ``[start, end)`` when ``end`` is set."""

    start: datetime
    end: datetime | None = None
    relative: bool = False


def parse_integer(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise BadValue(f'bad number "{text}"', "expected a whole number, e.g. 3")
    return int(text)


def parse_number(text: str) -> float:
    if not _NUMBER.fullmatch(text):
        raise BadValue(f'bad number "{text}"', "expected a number, e.g. 5 or 7.5")
    return float(text)


def parse_size(text: str) -> int:
    """Bytes; units are binary (1k = 1024 bytes): 500, 10k, 10kb, 2m, 2mb, 1g, 1gib."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise BadValue(f'bad size "{text}"', "expected bytes or a size like 10k, 2mb, 1g")
    unit = match[2].lower()[:1] if match[2] else ""
    return int(float(match[1]) * _SIZE_UNITS[unit])


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise BadValue(f'bad value "{text}"', "expected true or false")


def parse_choice(text: str, allowed: tuple[str, ...], field_name: str) -> str:
    """``text`` lower-cased if it is one of ``allowed``."""
    lowered = text.lower()
    if lowered in allowed:
        return lowered
    close = difflib.get_close_matches(lowered, allowed, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    raise BadValue(f'bad value "{text}" for {field_name}', f"{hint}allowed: {', '.join(allowed)}")


def parse_time(text: str, now: datetime) -> TimeValue:
    """-7d / -12h / -30m / -2w (before ``now``), now, today, yesterday, 2026-11-20 (a whole UTC
    day), or an ISO 8601 date-time (naive means UTC)."""
    lowered = text.lower()
    if lowered == "now":
        return TimeValue(now, relative=True)
    if lowered in ("today", "yesterday"):
        start = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), UTC)
        start -= _DAY if lowered == "yesterday" else timedelta()
        return TimeValue(start, start + _DAY)
    if match := _RELATIVE.fullmatch(text):
        delta = timedelta(**{_RELATIVE_UNITS[match[2].lower()]: int(match[1])})
        return TimeValue(now - delta, relative=True)
    return _absolute_time(text)


def _absolute_time(text: str) -> TimeValue:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        start = datetime.combine(day, datetime.min.time(), UTC)
        return TimeValue(start, start + _DAY)
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue(
            f'bad date "{text}"',
            "expected -7d, -12h, -30m, -2w, today, yesterday, 2026-11-20 or 2026-11-20T08:00:00Z",
        ) from None
    return TimeValue(instant if instant.tzinfo else instant.replace(tzinfo=UTC))
