"""Verdicts that a spam filter upstream already stamped into the headers.

Recognised: SpamAssassin (``X-Spam-Flag``, ``X-Spam-Status``, ``X-Spam-Score``), rspamd
(``X-Spamd-Result``, ``X-Rspamd-Action``, ``X-Rspamd-Score``, ``X-Spam``) and Exchange Online
Protection (``X-Forefront-Antispam-Report``, ``X-Microsoft-Antispam``,
``X-MS-Exchange-Organization-SCL``), whose fields are documented in Microsoft's "Anti-spam
message headers" page.  A sender can forge any of these; a forged *clean* verdict is therefore
never allowed to hide a threat another header reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SCORE = re.compile(r"\b(?:score|hits)\s*=\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_RSPAMD_HEAD = re.compile(r"^\s*[\w-]+\s*:\s*(true|false)\s*\[\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_RSPAMD_SYMBOL = re.compile(r"([A-Z][A-Z0-9_]+)\s*\(")
_MS_FIELD = re.compile(r"([A-Za-z]+)\s*:\s*([^;]*)")

# Exchange Online Protection CAT: values -> our threat types.
_MS_CATEGORIES = {
    "PHSH": "phish",
    "HPHSH": "high-confidence-phish",
    "HPHISH": "high-confidence-phish",
    "MALW": "malware",
    "BULK": "bulk",
    "SPM": "spam",
    "HSPM": "spam",
    "OSPM": "spam",  # outbound spam
    "SPOOF": "phish",
    "DIMP": "phish",  # domain impersonation
    "UIMP": "phish",  # user impersonation
    "GIMP": "phish",  # mailbox-intelligence impersonation
}
_RSPAMD_SPAM_ACTIONS = {"reject", "add header", "add_header", "rewrite subject", "rewrite_subject"}
_THREAT_ORDER = ("malware", "high-confidence-phish", "phish", "spam", "bulk")
# Microsoft: BCL 7-9 is bulk at the default threshold; SCL 5-6 spam, 9 high-confidence spam.
_BULK_BCL = 7
_SPAM_SCL = 5


@dataclass
class SpamVerdict:
    verdict: str = ""  # "" | spam | bulk | ham
    score: float | None = None
    threats: list[str] = field(default_factory=list)
    detections: list[str] = field(default_factory=list)


def _first(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name)
    return values[0].strip() if values else ""


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _spamassassin(headers: dict[str, list[str]], threats: set[str]) -> tuple[bool | None, float | None]:
    flag = _first(headers, "x-spam-flag").lower()
    status = _first(headers, "x-spam-status")
    spam: bool | None = None
    score = None
    if flag:
        spam = flag.startswith("y")
    if status:
        spam = spam or status.lower().startswith("yes")
        match = _SCORE.search(status)
        if match:
            score = _float(match.group(1))
    if score is None and "x-spam-score" in headers:
        score = _float(_first(headers, "x-spam-score"))
    if spam:
        threats.add("spam")
    return spam, score


def _rspamd(headers: dict[str, list[str]], threats: set[str]) -> tuple[bool | None, float | None]:
    spam: bool | None = None
    score = None
    result = _first(headers, "x-spamd-result")
    if result:
        head = _RSPAMD_HEAD.match(result)
        if head:
            spam = head.group(1).lower() == "true"
            score = _float(head.group(2))
        if any("PHISH" in symbol for symbol in _RSPAMD_SYMBOL.findall(result)):
            threats.add("phish")
    action = _first(headers, "x-rspamd-action").lower()
    if action:
        spam = spam or action in _RSPAMD_SPAM_ACTIONS
    flag = _first(headers, "x-spam").lower()
    if flag:
        spam = spam or flag.startswith("y")
    if score is None and "x-rspamd-score" in headers:
        score = _float(_first(headers, "x-rspamd-score"))
    if spam:
        threats.add("spam")
    return spam, score


def _microsoft(headers: dict[str, list[str]], threats: set[str]) -> bool | None:
    fields: dict[str, str] = {}
    for name in ("x-forefront-antispam-report", "x-microsoft-antispam", "x-ms-exchange-organization-scl"):
        for value in headers.get(name, ()):
            if name == "x-ms-exchange-organization-scl":
                fields.setdefault("SCL", value.strip())
                continue
            for key, val in _MS_FIELD.findall(value):
                fields.setdefault(key.upper(), val.strip())
    if not fields:
        return None
    seen = False
    if fields.get("SFV") in {"SPM", "SKS"}:
        threats.add("spam")
        seen = True
    elif fields.get("SFV") in {"NSPM", "SKN", "SKA", "SKI", "SFE"}:
        seen = True
    category = fields.get("CAT", "").upper()
    if category in _MS_CATEGORIES:
        threats.add(_MS_CATEGORIES[category])
        seen = True
    elif category == "NONE":
        seen = True
    for key, threshold, threat in (("BCL", _BULK_BCL, "bulk"), ("SCL", _SPAM_SCL, "spam")):
        level = _float(fields.get(key, "").strip() or "x")
        if level is not None:
            seen = True
            if level >= threshold:
                threats.add(threat)
    return seen or None


def spam_verdict(headers: dict[str, list[str]]) -> SpamVerdict:
    """``headers``: lower-case name -> unfolded values, top first."""
    threats: set[str] = set()
    sa_spam, sa_score = _spamassassin(headers, threats)
    rs_spam, rs_score = _rspamd(headers, threats)
    ms_seen = _microsoft(headers, threats)
    out = SpamVerdict(score=sa_score if sa_score is not None else rs_score)
    out.threats = [t for t in _THREAT_ORDER if t in threats]
    if out.threats:
        out.detections = ["spam-filter-header"]
    if threats - {"bulk"}:
        out.verdict = "spam"
    elif threats:
        out.verdict = "bulk"
    elif sa_spam is not None or rs_spam is not None or ms_seen:
        out.verdict = "ham"
    return out
