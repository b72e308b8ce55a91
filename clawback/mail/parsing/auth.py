"""SPF / DKIM / DMARC / composite results from ``Authentication-Results`` (RFC 8601).

We do not verify anything ourselves: the receiving MX already did, and its verdict is what an
analyst reads.  RFC 8601 §5 says only trust results stamped by your own ``authserv-id``; we do
not know it, so we take each method's result from the *topmost* header that mentions it (the one
our side added last), and read ``ARC-Authentication-Results`` (RFC 8617) only when no plain
``Authentication-Results`` exists.
"""

from __future__ import annotations

import re

from clawback.mail.parsing.result import AuthResults

_COMMENT = re.compile(r"\([^()]*\)")
_QUOTED = re.compile(r'"[^"]*"')
_RESULT = re.compile(r"(?:^|[\s;])(spf|dkim|dmarc|compauth)\s*=\s*([A-Za-z]+)", re.IGNORECASE)
_PROPERTY = re.compile(r"(header\.d|header\.i|header\.from|smtp\.mailfrom)\s*=\s*([^\s;]+)", re.IGNORECASE)
# The same two for lower-cased ASCII text (everything they capture is lower-cased anyway), several
# times faster: a case-sensitive pattern that starts with the method names lets the regex engine
# skip to their first letters.  The look-behinds test what ``(?:^|[\s;])`` consumed; a match
# therefore starts one character later, which changes no property search (see ``_results``).
_RESULT_LOWER = re.compile(
    r"(spf|dkim|dmarc|compauth)(?<![^\s;]spf)(?<![^\s;]dkim)(?<![^\s;]dmarc)(?<![^\s;]compauth)"
    r"\s*=\s*([a-z]+)"
)
_PROPERTY_LOWER = re.compile(r"(header\.(?:d|i|from)|smtp\.mailfrom)\s*=\s*([^\s;]+)")
_RECEIVED_SPF = re.compile(r"^\s*([A-Za-z]+)")
# Synonyms seen in the field, mapped to RFC 8601 §2.7 result tokens.
_SYNONYMS = {"hardfail": "fail", "failed": "fail", "passed": "pass", "ok": "pass", "error": "temperror"}


def _strip_comments(value: str) -> str:
    if '"' in value:
        value = _QUOTED.sub('""', value)
    if "(" not in value:
        return value
    for _ in range(4):  # comments nest (RFC 5322 §3.2.2); four levels is plenty in practice
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
        if "(" not in value:  # no comment left: another pass would change nothing
            break
    return value


def _token(value: str) -> str:
    value = value.lower()
    return _SYNONYMS.get(value, value)


def _results(value: str) -> tuple[dict[str, list[tuple[str, str]]], str]:
    """method -> [(result, domain the result is about)], plus the compauth verdict."""
    text = _strip_comments(value)
    result_re, property_re = _RESULT, _PROPERTY
    if text.isascii():
        text, result_re, property_re = text.lower(), _RESULT_LOWER, _PROPERTY_LOWER
    found: dict[str, list[tuple[str, str]]] = {}
    compauth = ""
    matches = list(result_re.finditer(text))
    for index, match in enumerate(matches):
        method, result = match.group(1).lower(), _token(match.group(2))
        if method == "compauth":
            compauth = compauth or result
            continue
        # Properties up to the next result.  (That one's separator, which only the slow
        # pattern counts as part of its match, cannot end or start a property.)
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        prop = property_re.search(text, match.end(), end)
        domain = prop.group(2).rpartition("@")[2].strip("\"'<>.").lower() if prop else ""
        found.setdefault(method, []).append((result, domain))
    return found, compauth


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489 §3.1), approximated without the public suffix list."""
    if not domain or not from_domain:
        return False
    return domain == from_domain or from_domain.endswith("." + domain) or domain.endswith("." + from_domain)


def parse_auth(
    auth_results: list[str], arc_results: list[str], received_spf: list[str], from_domain: str
) -> AuthResults:
    out = AuthResults()
    headers = auth_results or arc_results
    chosen: dict[str, list[tuple[str, str]]] = {}
    compauth = ""
    for value in headers:
        found, header_compauth = _results(value)
        compauth = compauth or header_compauth
        for method, results in found.items():
            chosen.setdefault(method, results)
    if "spf" in chosen:
        out.spf = chosen["spf"][0][0]
    elif received_spf:
        match = _RECEIVED_SPF.match(received_spf[0])
        if match:
            out.spf = _token(match.group(1))
    if "dkim" in chosen:
        # One result per signature (RFC 6376 §6.1): any valid signature means the message passed.
        passes = [r for r in chosen["dkim"] if r[0] == "pass"]
        out.dkim = "pass" if passes else chosen["dkim"][0][0]
    if "dmarc" in chosen:
        out.dmarc = chosen["dmarc"][0][0]
    out.composite = compauth or _composite(chosen, out, from_domain)
    return out


def _composite(chosen: dict[str, list[tuple[str, str]]], out: AuthResults, from_domain: str) -> str:
    """The reference system's CompAuth when the receiver did not stamp ``compauth=``."""
    if out.dmarc == "pass":
        return "pass"
    if out.dmarc == "fail":
        return "fail"
    spf_aligned = any(r == "pass" and _aligned(d, from_domain) for r, d in chosen.get("spf", []))
    dkim_aligned = any(r == "pass" and _aligned(d, from_domain) for r, d in chosen.get("dkim", []))
    if spf_aligned and dkim_aligned:
        return "pass"
    if out.spf == "pass" or out.dkim == "pass" or out.dmarc == "bestguesspass":
        return "softpass"
    return "none"
