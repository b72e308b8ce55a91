"""``Received`` trace fields (RFC 5321 §4.4): the sender IP and the delivery time.

Every relay prepends one ``Received`` header, so the top header was written by our own MX and
everything below the first hop from outside may be forged by the sender.  We walk down from the
top and stop at the first hop whose connecting client is a public address outside the receiving
infrastructure: that is the IP our side actually saw.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from clawback.mail.parsing.dates import parse_date

_IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
_IPV6 = r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]*[0-9A-Fa-f.]"
# What the receiving MTA recorded for the client, by MTA:
#   Postfix/Sendmail  from helo (rdns [1.2.3.4])       Exim  from [1.2.3.4] (helo=x) / (x [1.2.3.4])
#   Exchange          from host (1.2.3.4)              qmail from unknown (HELO x) (1.2.3.4)
#   IPv6              [IPv6:2001:db8::1], [2001:db8::1], (2001:db8::1)
# Look-behinds come after a literal ("[" not after "helo=", "by" not after a non-space), so
# that the regex engine can jump to that literal instead of trying every position (~5x faster).
_BRACKETED = re.compile(rf"\[(?<!helo=\[)(?:IPv6:)?({_IPV4}|{_IPV6})\]", re.IGNORECASE)
_PARENTHESISED = re.compile(rf"\(\s*(?:IPv6:)?({_IPV4}|{_IPV6})\s*\)", re.IGNORECASE)
_HOST_TOKEN = re.compile(r"^\s*(\[[^\]\s]*\]|[^\s()\[\];]+)")
_CHECKED_IP_MARKERS = r"(?:client-ip=|sender IP is |smtp\.remote-ip=|policy\.iprev=|designates )"
_CHECKED_IP = re.compile(_CHECKED_IP_MARKERS + r"\s*([0-9A-Fa-f:.]+)", re.IGNORECASE)
# The same on lower-cased ASCII text: ~6x faster, because a case-sensitive search can skip to the
# markers' first letters.  The IPs come out lower-cased, which canonicalising ignores.
_CHECKED_IP_LOWER = re.compile(_CHECKED_IP_MARKERS.lower() + r"\s*([0-9a-f:.]+)")
_BY = re.compile(r"by(?<!\Sby)\s")
_PAREN = re.compile(r"[()]")
_BY_END = re.compile(r"\s(?:with|id|via|for)\s")

_DOCUMENTATION = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
# Large providers relay a message through several of their own hosts whose names sit in
# different registered domains; hops between these count as one infrastructure.
_INFRASTRUCTURE = (
    frozenset({"outlook.com", "office365.com", "exchangelabs.com", "microsoft.com", "hotmail.com", "live.com"}),
    frozenset({"google.com", "gmail.com", "googlemail.com"}),
)
# Second-level labels under which registrations happen (example.co.uk): a tiny public-suffix
# heuristic, enough to tell "two hosts of the same operator" apart.
_SHORT_SLD = frozenset({"co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "go", "gob"})


@dataclass
class Hop:
    from_host: str
    from_ip: str
    by_host: str
    date_text: str


def _split_clauses(value: str) -> tuple[str, str, str]:
    """-> (from clause, by clause, date text).  ``by`` only counts outside comments."""
    head, sep, date_text = value.rpartition(";")
    if not sep:
        head, date_text = value, ""
    lowered = head.lower()
    start = lowered.find("from ")
    from_start = start + 5 if start >= 0 and not lowered[:start].strip() else -1
    # Comment depth in front of each "by" candidate; ")" never takes it below zero.
    depth = 0
    scanned = 0
    for token in _BY.finditer(lowered):
        for paren in _PAREN.findall(lowered, scanned, token.start()):
            depth = depth + 1 if paren == "(" else max(0, depth - 1)
        scanned = token.start()
        if depth == 0:
            by_start = token.end()
            end = _BY_END.search(lowered, by_start)
            from_clause = head[from_start : token.start()] if from_start >= 0 else ""
            by_clause = head[by_start : end.start() if end else len(head)]
            return from_clause, by_clause.strip(), date_text.strip()
    return (head[from_start:] if from_start >= 0 else ""), "", date_text.strip()


@lru_cache(maxsize=4096)
def _canonical_ip(text: str) -> str:
    """Canonical form of an IP literal, or "" (cached: relays and MXs repeat across messages)."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def _client_ip(from_clause: str) -> str:
    """The IP the receiving MTA recorded.  The first token after "from" is what the client
    claimed (its HELO; Exim puts the bare IP there when it has no name), so an IP in the
    comment that follows wins over it: "from [127.0.1.1] (159.223.224.188)" is 159.223.224.188.
    """
    host = _HOST_TOKEN.match(from_clause)
    rest = from_clause[host.end() :] if host else from_clause
    for pattern in (_BRACKETED, _PARENTHESISED):
        for match in pattern.finditer(rest):
            ip = _canonical_ip(match.group(1))
            if ip:
                return ip
    if host:
        literal = host.group(1).strip("[]")
        return _canonical_ip(literal[5:] if literal[:5].lower() == "ipv6:" else literal)
    return ""


def parse_hop(value: str) -> Hop:
    from_clause, by_clause, date_text = _split_clauses(value)
    return Hop(
        from_host=_host_name(from_clause),
        from_ip=_client_ip(from_clause),
        by_host=_host_name(by_clause),
        date_text=date_text,
    )


def _host_name(clause: str) -> str:
    host = _HOST_TOKEN.match(clause)
    return host.group(1).lower().rstrip(".") if host else ""


@lru_cache(maxsize=4096)
def is_public(ip: str) -> bool:
    """Could this client be on the Internet?  RFC 1918/6598/4193 private, loopback, link-local,
    multicast and reserved addresses are internal hops (or spoofing noise), never the sender.

    The documentation ranges (RFC 5737, RFC 3849) count as external although ``ipaddress``
    calls them private: no network routes them internally, and test and demo mail uses them as
    "somewhere on the Internet".
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in _DOCUMENTATION):
        return True
    return address.is_global and not address.is_multicast


def _registered(host: str) -> str:
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SHORT_SLD and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


@lru_cache(maxsize=4096)  # the same relays hand over to the same MXs message after message
def same_operator(host_a: str, host_b: str) -> bool:
    """Both names belong to one operator (same registered domain or one big provider)."""
    if not host_a or not host_b or "." not in host_a or "." not in host_b:
        return False
    reg_a, reg_b = _registered(host_a), _registered(host_b)
    if reg_a == reg_b:
        return True
    return any(reg_a in group and reg_b in group for group in _INFRASTRUCTURE)


def checked_ips(auth_results: list[str], received_spf: list[str]) -> set[str]:
    """Client IPs our MX says it checked: ``Received-SPF: ... client-ip=`` (RFC 7208 §9.1) and the
    IP in the topmost ``Authentication-Results`` (iprev ``smtp.remote-ip``, Microsoft's
    "sender IP is", Gmail's "designates X as permitted sender")."""
    found: set[str] = set()
    for value in (*received_spf[:1], *auth_results[:1]):
        matches = _CHECKED_IP_LOWER.finditer(value.lower()) if value.isascii() else _CHECKED_IP.finditer(value)
        for match in matches:
            ip = _canonical_ip(match.group(1).rstrip("."))
            if ip:
                found.add(ip)
    return found


def sender_ip(received: list[str], checked: Callable[[], Collection[str]] = frozenset) -> str:
    """The first external hop's client IP, walking from the top (newest) header down.

    A hop is skipped when its client is not a public address, or when client and server names
    belong to the same operator (Microsoft 365 relays a message through several of its own
    public IPv6 hosts before it reaches the mailbox).  When every public hop looks internal
    (mail between two tenants of one provider), the hop whose client IP our MX checked for SPF
    (``checked()``, see :func:`checked_ips`; asked only then) wins, else the topmost public
    client IP.

    The name test trusts the client name our MX recorded; a sender who HELOs with a name in our
    provider's domain makes us look one (forgeable) hop further down.  That is the usual
    trade-off of trace parsing, and the checked IP stays visible in the headers to compare.
    """
    public: list[str] = []
    for value in received:
        # ``parse_hop`` piece by piece: most hops are internal, and their names are not needed.
        from_clause, by_clause, _date_text = _split_clauses(value)
        ip = _client_ip(from_clause)
        if not ip or not is_public(ip):
            continue
        if not same_operator(_host_name(from_clause), _host_name(by_clause)):
            return ip
        public.append(ip)
    if not public:
        return ""
    verified = checked()
    return next((ip for ip in public if ip in verified), public[0])


def delivery_time(received: list[str]) -> datetime | None:
    """The date our MX stamped: the topmost Received header that carries a parsable date."""
    for value in received[:5]:
        _head, sep, date_text = value.rpartition(";")
        if sep:
            parsed = parse_date(date_text)
            if parsed is not None:
                return parsed
    return None
