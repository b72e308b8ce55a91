"""URLs: find them in text, normalise them, and see through safe-link and redirect wrappers.

Splitting follows what a browser does (WHATWG URL Standard), not only RFC 3986, because the
question is where a click lands: ASCII tab/newline are removed and ``\\`` counts as ``/`` in
http(s) URLs, so ``http://evil.example\\@good.example`` is recorded as evil.example.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from clawback.mail.parsing.addresses import idna_to_unicode
from clawback.mail.parsing.result import ParsedUrl

MAX_URL = 4096
_TEXT_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*>)]}"
_SCHEMES = ("http", "https", "ftp")
_GOOGLE_HOST = re.compile(r"^(?:www\.)?google\.[a-z]{2,3}(?:\.[a-z]{2})?$")
_V3 = re.compile(r"/v3/__(?P<url>.+?)__;(?P<enc>[^!]*)!")
_V3_TOKEN = re.compile(r"\*(\*.)?")
_V3_RUN = {c: i + 2 for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}
_MAX_UNWRAP = 5


def find_in_text(text: str) -> list[str]:
    """Bare URLs in plain text (and in an HTML part's visible text)."""
    out = []
    for match in _TEXT_URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if url.endswith(")") and "(" not in url:
            url = url[:-1]
        out.append(url)
    return out


def _clean(url: str) -> str:
    url = url.strip().strip("<>\"'")
    # WHATWG URL: tabs and newlines inside a URL are removed, not kept.
    if " " in url or "\t" in url or "\n" in url or "\r" in url:
        url = "".join(url.split())
    if url.startswith("//"):
        url = "https:" + url
    elif url[:4].lower() == "www.":
        url = "http://" + url
    return url[:MAX_URL]


def _host(netloc_host: str | None) -> str:
    if not netloc_host:
        return ""
    host = netloc_host.rstrip(".").lower()
    if host[-1:].isdigit() or host.startswith("0x"):
        return _ipv4(host) or host
    return idna_to_unicode(host)


def _ipv4_part(part: str) -> int | None:
    base = 10
    if part[:2] in ("0x", "0X"):
        part, base = part[2:] or "0", 16
    elif len(part) > 1 and part.startswith("0"):
        part, base = part[1:], 8
    try:
        return int(part, base)
    except ValueError:
        return None


def _ipv4(host: str) -> str:
    """WHATWG URL "IPv4 parser": browsers read http://2742879943/ as 163.125.6.199 and
    http://0xA3.0175.52.71/ as 163.125.52.71, a trick to hide an IP from naive filters; index
    the address they actually reach."""
    parts = host.split(".")
    if len(parts) > 4 or not all(parts):
        return ""
    numbers = [_ipv4_part(p) for p in parts]
    if any(n is None for n in numbers):
        return ""
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        return ""
    address = values[-1]
    for index, value in enumerate(values[:-1]):
        address += value << (8 * (3 - index))
    return ".".join(str((address >> shift) & 255) for shift in (24, 16, 8, 0))


def _proofpoint_v3(url: str) -> str | None:
    """urldefense.com/v3/__URL__;ENC!!…: characters replaced by "*" come back from ENC (base64url;
    "**X" is a run whose length X encodes), per Proofpoint's published decoder."""
    match = _V3.search(url)
    if match is None:
        return None
    target = unquote(match.group("url"))
    try:
        enc = match.group("enc")
        replaced = base64.urlsafe_b64decode(enc + "=" * (-len(enc) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        replaced = ""
    position = 0

    def substitute(token: re.Match[str]) -> str:
        nonlocal position
        length = _V3_RUN.get(token.group(1)[-1], 1) if token.group(1) else 1
        chunk = replaced[position : position + length]
        position += length
        return chunk

    return _V3_TOKEN.sub(substitute, target) if replaced else target


def unwrap(url: str) -> tuple[str | None, bool]:
    """-> (target, is_known_wrapper).  Known wrappers (SafeLinks, Proofpoint, Google) are the
    filter's own rewriting, so only their target is worth indexing; a generic ``?url=``
    redirector is itself an indicator (an abused open redirect) and is kept next to its target."""
    parts = urlsplit(url)
    return _unwrap(url, parts, parts.hostname)


def _unwrap(url: str, parts: SplitResult, hostname: str | None) -> tuple[str | None, bool]:
    """``unwrap`` with the split the caller already made (``hostname`` is ``parts.hostname``)."""
    host = (hostname or "").lower()
    if host.endswith(".safelinks.protection.outlook.com"):
        return _param(parts.query, ("url",)), True
    if host == "urldefense.proofpoint.com":
        if parts.path.startswith("/v2/"):
            raw = _param(parts.query, ("u",), require_http=False)
            if raw:
                return unquote(raw.replace("-", "%").replace("_", "/")), True
        return _param(parts.query, ("u",)), True
    if host == "urldefense.com" and parts.path.startswith("/v3/"):
        return _proofpoint_v3(url), True
    if _GOOGLE_HOST.match(host) and parts.path == "/url":
        return _param(parts.query, ("q", "url")), True
    return _param(parts.query, ("url", "u")), False


def _param(query: str, names: tuple[str, ...], require_http: bool = True) -> str | None:
    if not query:
        return None
    # parse_qsl decodes every pair; a key can only come out as one of ``names`` (ASCII letters)
    # if the query spells it, or percent-encodes it.  Most queries do neither.
    if "%" not in query:
        lowered = query.lower()
        if not any(f"{name}=" in lowered for name in names):
            return None
    for key, value in parse_qsl(query, keep_blank_values=False):
        if key.lower() in names:
            value = value.strip()
            if not require_http or value[:7].lower() == "http://" or value[:8].lower() == "https://":
                return value
    return None


def normalise(raw: str, source: str) -> list[ParsedUrl]:
    """One URL as found -> the records to index (the unwrapped target, maybe its wrapper)."""
    records = _normalised(raw) if len(raw) <= _CACHED_MAX else _normalised.__wrapped__(raw)
    return [ParsedUrl(url=url, domain=domain, path=path, source=source) for url, domain, path in records]


# Links repeat within a message (text and HTML part) and across messages (footers, campaigns,
# the recipient's own tenant), and splitting and unwrapping one costs ~20 µs.  Very long ones
# (data: URIs, tracking blobs) are not kept.
_CACHED_MAX = 2048


@lru_cache(maxsize=8192)
def _normalised(raw: str) -> tuple[tuple[str, str, str], ...]:
    """``normalise`` without the source: (url, domain, path) of each record."""
    out: list[tuple[str, str, str]] = []
    url: str | None = _clean(raw)
    for _ in range(_MAX_UNWRAP):
        if not url:
            break
        split = _split(url)
        if split is None:
            break
        record, parts, hostname = split
        target, known = _unwrap(record[0], parts, hostname)
        if not known or not target:
            out.append(record)
        url = _clean(target) if target else None
    return tuple(out)


def _split(url: str) -> tuple[tuple[str, str, str], SplitResult, str | None] | None:
    """-> ((url, domain, path), the split, its raw hostname), or None for what is not a web URL."""
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if not sep or scheme not in _SCHEMES:
        return None
    # WHATWG URL: in special schemes "\" is a path separator, so it ends the authority.
    rest = rest.replace("\\", "/")
    url = f"{scheme}:{rest}"
    simple = _SIMPLE_URL.fullmatch(url)
    hostname: str | None
    try:
        if simple is not None:
            parts, hostname = _simple_split(url, simple)
        else:
            parts = urlsplit(url)
            hostname = parts.hostname
        host = _host(hostname)
    except ValueError:  # bad port, unbalanced IPv6 brackets
        return None
    if not host:
        return None
    return (url, host, parts.path or "/"), parts, hostname


# Most URLs: a scheme, a plain ASCII host name or IPv4 address, maybe a port, then the rest.  For
# those, ``urlsplit`` (~6 µs with ``hostname``) comes down to a few string splits.
_SIMPLE_URL = re.compile(r"(?:https?|ftp)://([A-Za-z0-9.-]+)(:[0-9]*)?([/?#].*)?", re.ASCII | re.DOTALL)


def _simple_split(url: str, match: re.Match[str]) -> tuple[SplitResult, str]:
    """``urlsplit(url)`` and its ``hostname`` for a URL :data:`_SIMPLE_URL` matched: the netloc
    ends at the first "/", "?" or "#"; the fragment is split off first, then the query."""
    host, port, rest = match.groups()
    before, _, fragment = (rest or "").partition("#")
    path, _, query = before.partition("?")
    scheme = url[: url.index(":")]
    return SplitResult(scheme, host + (port or ""), path, query, fragment), host.lower()


class UrlCollector:
    """Deduplicates per message; the first place a URL was seen is the source we keep."""

    def __init__(self, limit: int = 1000) -> None:
        self.urls: dict[str, ParsedUrl] = {}
        self.limit = limit

    def add(self, raw: str, source: str) -> None:
        if len(self.urls) >= self.limit:
            return
        # ``normalise`` without building records for URLs already seen (text and HTML repeat them).
        records = _normalised(raw) if len(raw) <= _CACHED_MAX else _normalised.__wrapped__(raw)
        for url, domain, path in records:
            if url not in self.urls:
                self.urls[url] = ParsedUrl(url=url, domain=domain, path=path, source=source)

    def add_all(self, raws: Iterable[str], source: str) -> None:
        for raw in raws:
            self.add(raw, source)

    def add_text(self, text: str, source: str) -> None:
        # A substring test is far cheaper than running the regex over every text part.
        if "://" in text or "www." in text or "WWW." in text:
            self.add_all(find_in_text(text), source)
