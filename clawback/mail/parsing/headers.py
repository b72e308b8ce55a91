"""Header text: undo 8-bit smuggling, unfold, decode RFC 2047 encoded words, tolerate bad charsets.

We decode headers ourselves instead of using ``email.policy.default``: its structured header
parsing is several times slower than the rest of the parse, and it raises or drops text on the
broken encodings phishers use on purpose.  Everything here returns text and never raises.
"""

from __future__ import annotations

import binascii
import codecs
import re
from email.header import Header, decode_header
from functools import lru_cache
from typing import Any

# RFC 2047 §2: =?charset?encoding?encoded-text?=  (charset may carry an RFC 2231 §5 "*lang").
# The encoded text is matched loosely (no whitespace, no "?") because real mail breaks the
# 75-character limit and puts specials inside.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")

# Labels that real mail uses but Python's codec registry does not know, or knows as something
# narrower than what senders mean (WHATWG Encoding treats gb2312 as gbk; gb18030 is its superset).
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "cp1252",
    "unknown-8bit": "cp1252",
    "x-user-defined": "cp1252",
    "us-ascii": "cp1252",  # declared ASCII with 8-bit bytes is almost always Windows Latin-1
    "ascii": "cp1252",
    "iso-8859-1": "cp1252",  # WHATWG: the label iso-8859-1 means windows-1252
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "cp-850": "cp850",
    "utf8": "utf-8",
}


@lru_cache(maxsize=512)
def codec_for(charset: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None when it is unknown."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower().split("*", 1)[0]
    label = _CHARSET_ALIASES.get(label, label)
    for candidate in (label, label.removeprefix("x-"), label.replace("_", "-")):
        try:
            return codecs.lookup(candidate).name
        except (LookupError, ValueError):
            continue
    return None


# When a CJK label is wrong it is usually a sibling encoding of the same language (EUC-JP sent
# as ISO-2022-JP, Big5-HKSCS as Big5): try those before giving up on the text.
_SIBLINGS = {
    "iso2022_jp": ("euc_jp", "cp932"),
    "euc_jp": ("cp932", "iso2022_jp_2"),
    "cp932": ("euc_jp",),
    "shift_jis": ("cp932", "euc_jp"),
    "big5": ("big5hkscs", "cp950"),
    "cp950": ("big5hkscs",),
    "gb18030": ("big5hkscs",),
    "cp949": ("johab",),
    "koi8-r": ("koi8_u", "cp1251"),
}


def decode_bytes(data: bytes, charset: str | None, problems: list[str] | None = None) -> str:
    """Bytes in a declared charset -> text, never failing: unknown charsets fall back to UTF-8
    and then Windows-1252 (the two encodings undeclared 8-bit mail is nearly always in)."""
    codec = codec_for(charset)
    if codec is None and charset and problems is not None:
        note(problems, f"unknown charset {charset[:40]!r}")
    if codec is not None:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            if problems is not None:
                note(problems, f"text not valid in its declared charset {charset!r}")
            for sibling in _SIBLINGS.get(codec, ()):
                try:
                    return data.decode(sibling)
                except UnicodeDecodeError:
                    continue
        except Exception:  # noqa: S110 - some codecs (utf-7, iso-2022) raise other errors
            pass
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(codec or "cp1252", "replace")


def raw_text(value: Any) -> str:
    """A header value as the stdlib (compat32) hands it back -> str.

    ``message_from_bytes`` smuggles 8-bit header bytes through as surrogate escapes (and may hand
    back an ``email.header.Header``); RFC 6532 allows UTF-8 there, and older senders use their
    local charset, so try UTF-8 and fall back to Windows-1252.
    """
    if isinstance(value, Header):
        # str(Header) turns the unknown 8-bit bytes into U+FFFD; decode_header returns them.
        text = "".join(
            part.decode("ascii", "surrogateescape") if isinstance(part, bytes) else part
            for part, _charset in decode_header(value)
        )
    else:
        text = value if isinstance(value, str) else str(value)
    if "\x00" in text:  # PostgreSQL text cannot hold NUL, and no header needs one
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    data = text.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def unfold(value: str) -> str:
    """RFC 5322 §2.2.3: unfolding removes the CRLF in front of folding whitespace."""
    if "\n" not in value:
        return value
    # Nearly every folded value has CRLF + space or tab as its only line breaks: removing those
    # CRLFs is all there is to do, and when no CR or LF is left, that is what the general rule
    # below gives too (each removed CRLF was one it drops in front of folding whitespace).
    folded = value.replace("\r\n ", " ").replace("\r\n\t", "\t")
    if "\n" not in folded and "\r" not in folded:
        return folded.strip()
    # Four C-level replaces instead of two regex substitutions, same result: drop the line break
    # in front of folding whitespace, then turn any other line break into a space.
    value = value.replace("\r\n", "\n").replace("\n ", " ").replace("\n\t", "\t")
    return value.replace("\n", " ").strip()


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "bB":
        data = text.encode("ascii", "ignore")
        try:
            return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
        except binascii.Error:
            # Drop the stray characters rather than the whole word.
            cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
            cleaned = cleaned[: len(cleaned) - len(cleaned) % 4]
            return binascii.a2b_base64(cleaned) if cleaned else b""
    # RFC 2047 §4.2: Q is quoted-printable with "_" for space.
    return binascii.a2b_qp(text.encode("ascii", "ignore"), header=True)


def decode_words(value: str, problems: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded words in an (unfolded) header value.

    Adjacent encoded words in the same charset are joined *before* decoding because real mailers
    split a multi-byte character across two words; whitespace between encoded words is dropped
    (RFC 2047 §6.2).
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: bytearray = bytearray()
    pending_charset = ""
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending or pending_charset:
            out.append(decode_bytes(bytes(pending), pending_charset, problems))
        pending = bytearray()
        pending_charset = ""

    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        if gap and not (gap.isspace() and (pending or pending_charset)):
            flush()
            out.append(gap)
        charset = match.group(1).split("*", 1)[0].lower()
        if charset != pending_charset:
            flush()
            pending_charset = charset
        pending += _word_bytes(match.group(2), match.group(3))
        pos = match.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def header_text(value: Any, problems: list[str] | None = None) -> str:
    """Raw header value -> human text: 8-bit fixed, unfolded, encoded words decoded."""
    return decode_words(unfold(raw_text(value)), problems).strip()


def note(problems: list[str], text: str) -> None:
    """Record a parse problem once; the list is capped so hostile input cannot grow it."""
    if text not in problems and len(problems) < 50:
        problems.append(text)
