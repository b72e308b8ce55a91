"""The fields a query can name, what they map to in the index, and which operators they take.

``FIELDS`` is the single list the filter builder UI, the docs and the compiler read.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from enum import StrEnum

from clawback.explorer.query.errors import QueryError, Span
from clawback.mail.models import DeliveryAction, Direction
from clawback.mailstores.connectors.base import FolderClass


class FieldType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    SIZE = "size"  # an integer of bytes; values may say 10k, 2mb
    DATE = "date"
    ENUM = "enum"  # one value from ``values``
    SET = "set"  # a set of values from ``values``; "=" tests membership
    BOOL = "bool"
    HEADER = "header"  # header.<name>: text of one message header


class Relation(StrEnum):
    """Which table holds the column: the copy itself, or one of its URLs or attachments."""

    COPY = "copy"
    URL = "url"
    ATTACHMENT = "attachment"


class Case(StrEnum):
    """How "=" and "in" compare text."""

    LOWER = "lower"  # stored lower-cased: lower-case the value, compare exactly
    EXACT = "exact"  # identifiers: compare exactly
    INSENSITIVE = "insensitive"  # free text: compare ignoring case


_TEXT_OPS = ("=", "!=", "~", "!~", "in", "not in")
_ORDERED_OPS = ("=", "!=", ">", "<", ">=", "<=", "in", "not in")
_CHOICE_OPS = ("=", "!=", "in", "not in")
_OPERATORS: dict[FieldType, tuple[str, ...]] = {
    FieldType.TEXT: _TEXT_OPS,
    FieldType.HEADER: _TEXT_OPS,
    FieldType.INTEGER: _ORDERED_OPS,
    FieldType.NUMBER: _ORDERED_OPS,
    FieldType.SIZE: _ORDERED_OPS,
    FieldType.DATE: _ORDERED_OPS,
    FieldType.ENUM: _CHOICE_OPS,
    FieldType.SET: _CHOICE_OPS,
    FieldType.BOOL: ("=", "!="),
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    description: str
    column: str  # ORM path on the relation's model; for headers, the header name
    relation: Relation = Relation.COPY
    case: Case = Case.INSENSITIVE
    values: tuple[str, ...] = ()  # the allowed values of enum and set fields

    @property
    def operators(self) -> tuple[str, ...]:
        return _OPERATORS[self.type]


# Results as Authentication-Results reports them: SPF RFC 7208 §2.6, DKIM RFC 8601 §2.7.1,
# DMARC RFC 7489 §11.2 plus the reference system's "bestguesspass", composite as its CompAuth.
SPF_RESULTS = ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "policy")
DKIM_RESULTS = ("pass", "fail", "neutral", "none", "policy", "temperror", "permerror")
DMARC_RESULTS = ("pass", "fail", "bestguesspass", "none", "temperror", "permerror")
COMPOSITE_RESULTS = ("pass", "fail", "softpass", "none")
# SPEC §2 verdicts.  "none" matches copies with no threat (no detection) at all.
THREATS = ("malware", "phish", "high-confidence-phish", "spam", "bulk", "none")
DETECTIONS = (
    "indicator-match",
    "spam-filter-header",
    "authentication-failure",
    "file-reputation",
    "url-reputation",
    "investigation-verdict",
    "antivirus",
    "yara",
    "user-reported",
    "none",
)
URL_SOURCES = ("body", "html", "header", "subject", "attachment", "qr")
LOCATIONS = tuple(c.value for c in FolderClass)
HEADER_FIELD = "header.<name>"

# Short names keep the table below one line per field.
_T = FieldType.TEXT
_I = FieldType.INTEGER
_N = FieldType.NUMBER
_S = FieldType.SIZE
_D = FieldType.DATE
_LOWER, _EXACT = Case.LOWER, Case.EXACT
_URL, _ATT = Relation.URL, Relation.ATTACHMENT


def _enum(name: str, description: str, column: str, values: tuple[str, ...]) -> FieldSpec:
    return FieldSpec(name, FieldType.ENUM, description, column, values=values)


_SPECS = (
    FieldSpec("id", _I, "Clawback's id of the copy", "pk"),
    FieldSpec("message_id", _T, "Internet Message-ID (with or without <>)", "message_id", case=_EXACT),
    FieldSpec("subject", _T, "Subject; = is the whole subject, ~ a part", "subject"),
    FieldSpec("received", _D, "When the copy was received", "received_at"),
    FieldSpec("size", _S, "Size of the message in bytes (10k, 2mb)", "size"),
    _enum("direction", "Inbound, outbound or intra-org", "direction", tuple(Direction.values)),
    FieldSpec("sender.address", _T, "From: address", "from_address", case=_LOWER),
    FieldSpec("sender.domain", _T, "From: domain", "from_domain", case=_LOWER),
    FieldSpec("sender.name", _T, "From: display name", "from_name"),
    FieldSpec("sender.ip", _T, "IP address of the first external hop", "sender_ip", case=_LOWER),
    FieldSpec("mailfrom.address", _T, "MAIL FROM (Return-Path) address", "mail_from", case=_LOWER),
    FieldSpec("mailfrom.domain", _T, "MAIL FROM domain", "mail_from_domain", case=_LOWER),
    FieldSpec("reply_to", _T, "Reply-To: address", "reply_to", case=_LOWER),
    FieldSpec("recipient.address", _T, "Recipient (the mailbox's owner)", "recipient", case=_LOWER),
    FieldSpec("recipient.domain", _T, "Recipient domain", "recipient_domain", case=_LOWER),
    FieldSpec("mailbox", _T, "Mailbox address", "mailbox__address", case=_LOWER),
    FieldSpec("store", _T, "Name of the mail store", "store__name"),
    FieldSpec("language", _T, "Detected language (e.g. en)", "language"),
    FieldSpec("fingerprint", _T, "Body fingerprint (similar emails)", "fingerprint", case=_EXACT),
    FieldSpec("cluster", _T, "Cluster id", "cluster_id", case=_EXACT),
    FieldSpec("campaign", _T, "Campaign id", "campaign_id", case=_EXACT),
    FieldSpec("url", _T, "A URL in the message", "url", _URL),
    FieldSpec("url.domain", _T, "Domain of a URL in the message", "domain", _URL, _LOWER),
    FieldSpec("url.path", _T, "Path of a URL in the message (case-sensitive)", "path", _URL, _EXACT),
    FieldSpec("url.source", FieldType.ENUM, "Where a URL was found", "source", _URL, values=URL_SOURCES),
    FieldSpec("url.count", _I, "Number of URLs", "url_count"),
    FieldSpec("attachment.name", _T, "File name of an attachment", "name", _ATT),
    FieldSpec("attachment.ext", _T, "File extension of an attachment (pdf)", "ext", _ATT, _LOWER),
    FieldSpec("attachment.type", _T, "Detected type of an attachment", "content_type", _ATT, _LOWER),
    FieldSpec("attachment.sha256", _T, "SHA-256 of an attachment", "sha256", _ATT, _LOWER),
    FieldSpec("attachment.size", _S, "Size of an attachment in bytes", "size", _ATT),
    FieldSpec("attachment.count", _I, "Number of attachments", "attachment_count"),
    _enum("auth.spf", "SPF result", "spf", SPF_RESULTS),
    _enum("auth.dkim", "DKIM result", "dkim", DKIM_RESULTS),
    _enum("auth.dmarc", "DMARC result", "dmarc", DMARC_RESULTS),
    _enum("auth.composite", "Composite authentication", "composite_auth", COMPOSITE_RESULTS),
    FieldSpec("threat", FieldType.SET, "Threat types", "threats", values=THREATS),
    FieldSpec("detection", FieldType.SET, "Detection technologies", "detections", values=DETECTIONS),
    FieldSpec("spam.score", _N, "Spam score from the spam filter", "spam_score"),
    _enum("delivery.action", "Delivery action", "delivery_action", tuple(DeliveryAction.values)),
    _enum("location", "Latest delivery location", "location", LOCATIONS),
    _enum("location.original", "Original delivery location", "original_location", LOCATIONS),
    FieldSpec("folder", _T, "Latest folder", "folder"),
    FieldSpec("folder.original", _T, "Original folder", "original_folder"),
    FieldSpec("parse_problem", FieldType.BOOL, "Could not be fully parsed", "has_parse_problems"),
    FieldSpec(HEADER_FIELD, FieldType.HEADER, "Text of a message header", ""),
)
FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in _SPECS}


def lookup_field(name: str, span: Span) -> FieldSpec:
    """The spec of field ``name`` (lower-case), or a QueryError pointing at ``span``."""
    if name.startswith("header."):
        return _header(name, span)
    spec = FIELDS.get(name)
    if spec is None or spec.type is FieldType.HEADER:
        raise QueryError.at(span, f'unknown field "{name}"', _suggest(name))
    return spec


def _header(name: str, span: Span) -> FieldSpec:
    header = name.removeprefix("header.")
    if not header:
        raise QueryError.at(span, "missing header name", "write header.<name>, e.g. header.x-mailer")
    return dataclasses.replace(FIELDS[HEADER_FIELD], name=name, column=header)


def _suggest(name: str) -> str:
    names = [field for field in FIELDS if field != HEADER_FIELD]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return f'did you mean "{close[0]}"?'
    if name == "header":
        return "write header.<name>, e.g. header.x-mailer"
    return "fields are " + ", ".join(sorted(FIELDS))
