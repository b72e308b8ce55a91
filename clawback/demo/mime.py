"""Small, fast builders for RFC 5322 / MIME text.

The generator assembles messages from strings and bytes because building an ``email.message``
object per message is two orders of magnitude too slow for benchmark-sized corpora.  Header
text is ``str`` (always ASCII: non-ASCII goes into encoded-words); bodies are ``bytes``.  Lines
end in CRLF.
"""

from __future__ import annotations

import binascii
import functools
import time

CRLF = "\r\n"

# A MIME entity: its header lines (ASCII, no trailing CRLF) and its encoded body, both bytes, so
# that a large ASCII part is encoded once (or cached) instead of dragging the whole message
# through Python's slow non-ASCII encoder for one accented name.
Part = tuple[bytes, bytes]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# RFC 5322 §3.2.3 specials: a display name holding any of these must be a quoted-string.
_SPECIALS = frozenset('()<>[]:;@\\,."')

# RFC 2047 §2: an encoded-word is at most 75 characters.  45 bytes of UTF-8 become 60 base64
# characters, plus the 12 of "=?utf-8?B?" and "?=".
_WORD_BYTES = 45

_encoded_cache: dict[str, str] = {}


# Formatting "%02d" three times costs more than the rest of a date; look the pieces up instead.
_TWO = [f"{i:02d}" for i in range(60)]
_HOUR_MINUTE = [f"{h}:{m}:" for h in _TWO[:24] for m in _TWO]
_day_prefix: dict[int, str] = {}
_zones: dict[int, str] = {}


def rfc5322_date(ts: int, offset_minutes: int = 0) -> str:
    """``Tue, 10 Jun 2025 09:14:03 +0200`` for a UTC epoch shown in the given zone."""
    day, seconds = divmod(int(ts) + offset_minutes * 60, 86_400)
    prefix = _day_prefix.get(day)
    if prefix is None:
        t = time.gmtime(day * 86_400)
        prefix = _day_prefix[day] = f"{_DAYS[t.tm_wday]}, {t.tm_mday} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
    zone = _zones.get(offset_minutes)
    if zone is None:
        hours, minutes = divmod(abs(offset_minutes), 60)
        zone = _zones[offset_minutes] = f" {'+' if offset_minutes >= 0 else '-'}{hours:02d}{minutes:02d}"
    return prefix + _HOUR_MINUTE[seconds // 60] + _TWO[seconds % 60] + zone


def encode_words(text: str, *, force: bool = False) -> str:
    """``text`` as RFC 2047 B encoded-words when it is not plain ASCII (or ``force``).

    Long text becomes several encoded-words folded onto continuation lines, never splitting a
    UTF-8 sequence (RFC 2047 §5 forbids it).
    """
    if not force and text.isascii():
        return text
    cached = _encoded_cache.get(text)
    if cached is not None:
        return cached
    data = text.encode()
    words = []
    while data:
        cut = min(len(data), _WORD_BYTES)
        while cut < len(data) and data[cut] & 0xC0 == 0x80:  # inside a UTF-8 sequence: back off
            cut -= 1
        words.append(_b_word(data[:cut]))
        data = data[cut:]
    encoded = "\r\n ".join(words)
    if len(_encoded_cache) < 50_000:
        _encoded_cache[text] = encoded
    return encoded


def _b_word(chunk: bytes) -> str:
    return "=?utf-8?B?" + binascii.b2a_base64(chunk, newline=False).decode("ascii") + "?="


@functools.lru_cache(maxsize=65_536)
def address(name: str, addr: str) -> str:
    """``Name <addr>``, with the name encoded or quoted as RFC 5322 requires."""
    if not name:
        return f"<{addr}>"
    if not name.isascii():
        return f"{encode_words(name)} <{addr}>"
    if any(c in _SPECIALS for c in name):
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}" <{addr}>'
    return f"{name} <{addr}>"


def b64_body(data: bytes) -> bytes:
    """Base64 in 76-character lines (RFC 2045 §6.8), CRLF-terminated."""
    flat = binascii.b2a_base64(data, newline=False)
    return b"\r\n".join([flat[i : i + 76] for i in range(0, len(flat), 76)]) + b"\r\n"


_TEXT_HEADERS: dict[tuple[str, str], bytes] = {}


def text_part(data: bytes, subtype: str = "plain", encoding: str = "") -> Part:
    """A text part from UTF-8 ``data``.  ``encoding`` '' picks 7bit or 8bit from the content.

    Quoted-printable is the slowest choice by far (``b2a_qp`` walks every byte): use it for a
    minority of parts.
    """
    if not encoding:
        encoding = "7bit" if data.isascii() else "8bit"
    if encoding == "base64":
        data = b64_body(data)
    elif encoding == "quoted-printable":
        data = binascii.b2a_qp(data, istext=True)
    headers = _TEXT_HEADERS.get((subtype, encoding))
    if headers is None:
        text = f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}Content-Transfer-Encoding: {encoding}'
        headers = _TEXT_HEADERS[(subtype, encoding)] = text.encode()
    return headers, data


def attachment_part(filename: str, content_type: str, encoded: bytes) -> Part:
    """An attachment whose base64 lines are already prepared (they are cached per file)."""
    headers = (
        f'Content-Type: {content_type}; name="{filename}"{CRLF}'
        f'Content-Disposition: attachment; filename="{filename}"{CRLF}'
        "Content-Transfer-Encoding: base64"
    )
    return headers.encode(), encoded


_PREAMBLE = b"This is a multi-part message in MIME format.\r\n\r\n"


def multipart(subtype: str, boundary: str, parts: list[Part]) -> Part:
    """A multipart entity (RFC 2046 §5.1.1) made of parts."""
    delimiter = f"--{boundary}\r\n".encode()
    pieces = [_PREAMBLE]
    for part_headers, part_body in parts:
        pieces += (delimiter, part_headers, b"\r\n\r\n", part_body)
        if not part_body.endswith(b"\r\n"):
            pieces.append(b"\r\n")
    pieces.append(f"--{boundary}--\r\n".encode())
    return f'Content-Type: multipart/{subtype};\r\n\tboundary="{boundary}"'.encode(), b"".join(pieces)
