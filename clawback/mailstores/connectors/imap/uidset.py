"""UID sets in IMAP's compact sequence-set syntax (RFC 3501 §9 ``sequence-set``): ``1:40,42``.

Sync state keeps every known UID of a folder, so it is stored in this form: a folder of 100,000
messages with few gaps is a handful of bytes instead of a 600 kB JSON list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def compress(uids: Iterable[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``"1:3,5"`` (sorted, duplicates dropped; ``""`` when empty)."""
    parts: list[str] = []
    ordered = sorted(set(uids))
    start = prev = None
    for uid in ordered:
        if prev is not None and uid == prev + 1:
            prev = uid
            continue
        if start is not None:
            parts.append(_range(start, prev))
        start = prev = uid
    if start is not None:
        parts.append(_range(start, prev))
    return ",".join(parts)


def _range(start: int, end: int | None) -> str:
    return str(start) if end == start else f"{start}:{end}"


def expand(text: str) -> list[int]:
    """``"1:3,5"`` -> ``[1, 2, 3, 5]``, keeping the order the set is written in.

    Order matters for COPYUID (RFC 4315 §3), whose source and destination sets correspond
    element by element.  A range is expanded low to high whichever way it is written, as
    RFC 3501 §9 defines ``5:3`` as the same set as ``3:5``.  Raises ``ValueError`` on ``*`` or
    anything that is not a sequence set of positive integers.
    """
    uids: list[int] = []
    if not text:
        return uids
    for part in text.split(","):
        low_text, sep, high_text = part.partition(":")
        low = int(low_text)
        high = int(high_text) if sep else low
        if low < 1 or high < 1:
            raise ValueError(f"not a UID set: {text!r}")
        uids.extend(range(min(low, high), max(low, high) + 1))
    return uids


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items."""
    if size < 1:
        raise ValueError("size must be at least 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]
