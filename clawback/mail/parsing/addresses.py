"""Mailbox lists (RFC 5322 §3.4): display names and lower-cased addr-specs.

``email.utils.getaddresses`` is correct but slow (~15 µs a call) and we call it six times per
message, so the common shapes (``addr``, ``<addr>``, ``Name <addr>``, comma lists of those) take
a regex fast path and only quoted or commented values go through the full parser.
"""

from __future__ import annotations

import contextlib
import re
from email.utils import getaddresses
from functools import lru_cache

from clawback.mail.parsing.headers import decode_words

_SIMPLE = re.compile(r"\s*([^<>\",;()@]*?)\s*<\s*([^<>\s]+)\s*>\s*$|\s*<?\s*([^<>\s\",;()]+)\s*>?\s*$")
_ANGLE_ADDR = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")
_BARE_ADDR = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")


def _clean_addr(addr: str) -> str:
    addr = addr.strip().strip("<>").strip()
    if "@" not in addr:  # a display-name fragment split off by a stray comma: keep its case
        return addr
    addr = addr.lower().rstrip(".")
    # Route addresses (RFC 5322 §4.4 obs-route "@a,@b:user@host") keep only the final mailbox.
    if addr.startswith("@") and ":" in addr:
        addr = addr.rsplit(":", 1)[1]
    return addr


def _fallback(value: str) -> list[tuple[str, str]]:
    """Last resort for values that even getaddresses mangles: any <addr> or bare addr-spec."""
    found = _ANGLE_ADDR.findall(value) or _BARE_ADDR.findall(value)
    return [("", addr) for addr in found]


def parse_addresses(value: str) -> list[tuple[str, str]]:
    """``value`` (unfolded, still RFC 2047-encoded) -> [(display name, addr-spec lower-cased)].

    Names are decoded after splitting so an encoded comma cannot split a mailbox.
    """
    if len(value) > _CACHED_MAX:  # long lists are rare; they would only crowd the cache
        return list(_parse_addresses.__wrapped__(value))
    return list(_parse_addresses(value))


# The same mailboxes come back message after message (the recipient's own address in To and
# Delivered-To, colleagues, regular senders), so parsed values are remembered.
_CACHED_MAX = 1024


@lru_cache(maxsize=8192)
def _parse_addresses(value: str) -> tuple[tuple[str, str], ...]:
    if not value or not value.strip():
        return ()
    pairs: list[tuple[str, str]] | None = None
    if '"' not in value and "(" not in value and ":" not in value:
        pairs = []
        for piece in value.split(","):
            if not piece.strip():
                continue
            if "@" not in piece and "<" not in piece:
                # A display-name fragment cut off by an unquoted comma ("Hotel, Inc <a@b>").
                pairs.append(("", piece.strip()))
                continue
            match = _SIMPLE.match(piece)
            if match is None:
                pairs = None
                break
            if match.group(2) is not None:
                pairs.append((match.group(1), match.group(2)))
            else:
                pairs.append(("", match.group(3)))
    if pairs is None:
        pairs = getaddresses([value])
        if not any("@" in addr for _name, addr in pairs):
            pairs = _fallback(value) or pairs
    out = []
    for name, addr in pairs:
        addr = _clean_addr(addr)
        if not addr and not name:
            continue
        out.append((decode_words(name).strip().strip("\"'").strip(), addr))
    return tuple(out)


def address_list(value: str) -> list[str]:
    """Only the addr-specs that look like addresses (have an "@"), in order, deduplicated."""
    seen: dict[str, None] = {}
    for _name, addr in parse_addresses(value):
        if "@" in addr:
            seen.setdefault(addr, None)
    return list(seen)


def domain_of(addr: str) -> str:
    """Lower-case domain of an addr-spec, IDNA A-labels turned into Unicode (as URL domains are)."""
    if "@" not in addr:
        return ""
    domain = addr.rpartition("@")[2].strip().strip("[]").rstrip(".").lower()
    return idna_to_unicode(domain)


def idna_to_unicode(host: str) -> str:
    """``xn--`` labels -> Unicode so a homograph and its punycode form index as one domain."""
    if "xn--" not in host:
        return host
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError, ValueError):
                label = label.encode("ascii").decode("idna")
        labels.append(label)
    return ".".join(labels)


def in_domains(domain: str, domains: frozenset[str]) -> bool:
    """True when ``domain`` is one of ``domains`` or a subdomain of one (mail.example.com)."""
    if not domain:
        return False
    if domain in domains:
        return True
    parts = domain.split(".")
    return any(".".join(parts[i:]) in domains for i in range(1, len(parts)))
