"""``parse_message``: raw RFC 5322 bytes -> ``ParsedMessage``, never raising (SPEC §2).

Each field is read by its own step; a step that fails records a parse problem and the others
still run, so a broken message is indexed with whatever could be read.

The MIME tree is the stdlib's ``compat32`` tree: it keeps raw header strings (we decode them
ourselves, see ``headers.py``) and is several times faster than the ``default`` policy's
structured headers.  Well-formed messages get that same tree from ``fastmime`` at a fraction
of the feedparser's cost; everything else goes through ``email.message_from_bytes``, whose
defects become parse problems.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser

from clawback.mail.parsing import fastmime
from clawback.mail.parsing import received as trace
from clawback.mail.parsing.addresses import address_list, domain_of, in_domains, parse_addresses
from clawback.mail.parsing.attachments import detect_type, extension, is_textish, sanitise_name
from clawback.mail.parsing.auth import parse_auth
from clawback.mail.parsing.dates import parse_date
from clawback.mail.parsing.fingerprint import exact, normalise, personal_words, simhash
from clawback.mail.parsing.headers import decode_bytes, decode_words, header_text, note, raw_text, unfold
from clawback.mail.parsing.htmltext import parse_html
from clawback.mail.parsing.language import guess_language
from clawback.mail.parsing.mimeparts import PartInfo, describe, payload_bytes
from clawback.mail.parsing.result import ParsedAttachment, ParsedMessage
from clawback.mail.parsing.spamheaders import spam_verdict
from clawback.mail.parsing.urls import UrlCollector

MAX_PARTS = 500
MAX_DEPTH = 30
MAX_TEXT = 1_000_000  # characters of one text part scanned for URLs and the fingerprint
MAX_HEADER_VALUE = 4096
MAX_HEADERS_TOTAL = 32768
# Headers whose URLs we index (RFC 2369 list headers and the usual abuse-report pointers).
URL_HEADERS = (
    "list-unsubscribe",
    "list-subscribe",
    "list-help",
    "list-archive",
    "list-post",
    "list-owner",
    "x-report-abuse",
    "x-abuse-info",
)
_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
_BODY_TYPES = frozenset({"text/plain", "text/html"})
_COMPAT32 = email.policy.compat32


@dataclass
class _State:
    msg: Message
    out: ParsedMessage
    org_domains: frozenset[str]
    recipient: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    urls: UrlCollector = field(default_factory=UrlCollector)
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    personal: set[str] = field(default_factory=set)

    @property
    def problems(self) -> list[str]:
        return self.out.parse_problems

    def first(self, name: str) -> str:
        values = self.headers.get(name)
        return values[0] if values else ""


def parse_message(raw: bytes, *, org_domains: Collection[str] = (), recipient: str | None = None) -> ParsedMessage:
    """Parse one message.  Never raises: problems are listed in ``parse_problems``."""
    out = ParsedMessage()
    try:
        data = _as_bytes(raw)
        out.size = len(data)
        msg = _load(data, out.parse_problems)
    except Exception as exc:
        note(out.parse_problems, f"message could not be read ({type(exc).__name__})")
        return out
    state = _State(
        msg=msg,
        out=out,
        org_domains=frozenset(d.strip().lower().rstrip(".") for d in org_domains if d.strip()),
        recipient=(recipient or "").strip().lower(),
    )
    for label, step in _STEPS:
        try:
            step(state)
        except Exception as exc:
            note(state.problems, f"{label} could not be read ({type(exc).__name__}: {str(exc)[:80]})")
    return out


def _as_bytes(raw: object) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, (bytearray, memoryview)):
        return bytes(raw)
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    raise TypeError(f"expected bytes, got {type(raw).__name__}")


def _load(data: bytes, problems: list[str]) -> Message:
    # Well-formed mail takes the fast path; anything it declines goes to the stdlib, and a bug
    # in the fast path must not cost the body either.
    try:
        fast = fastmime.parse(data)
    except Exception:
        fast = None
    if fast is not None:
        return fast
    try:
        return email.message_from_bytes(data, policy=_COMPAT32)
    except Exception as exc:
        note(problems, f"MIME structure could not be parsed ({type(exc).__name__}); headers only")
        return BytesParser(policy=_COMPAT32).parsebytes(data, headersonly=True)


# --- steps --------------------------------------------------------------------------------


def _index_headers(state: _State) -> None:
    headers = state.headers
    for name, value in state.msg.raw_items():
        # Plain ASCII needs none of raw_text's repairs (the common case: skip the call).
        text = value if type(value) is str and value.isascii() and "\x00" not in value else raw_text(value)
        if "\n" in text:
            text = unfold(text)
        key = _KEYS.get(name)
        if key is None:
            key = name.strip().lower()
            if len(_KEYS) < 4096:
                _KEYS[name] = key
        values = headers.get(key)
        if values is None:
            headers[key] = [text]
        else:
            values.append(text)
    if not headers:
        note(state.problems, "no headers")


# Header names as sent -> index keys; the same few hundred names come back in every message.
_KEYS: dict[str, str] = {}


def _identity(state: _State) -> None:
    out, problems = state.out, state.problems
    ids = state.headers.get("message-id", [])
    if not ids or not ids[0].strip():
        note(problems, "no Message-ID header")
    else:
        value = ids[0].strip()
        start, end = value.find("<"), value.find(">")
        out.message_id = (value[start + 1 : end] if 0 <= start < end else value.strip("<>")).strip()
        if len(ids) > 1:
            note(problems, "several Message-ID headers")
    subjects = state.headers.get("subject", [])
    if subjects:
        out.subject = decode_words(subjects[0], problems).strip()
        if len(subjects) > 1:
            note(problems, "several Subject headers")
    date_text = state.first("date")
    if not date_text:
        note(problems, "no Date header")
    else:
        out.date = parse_date(date_text)
        if out.date is None:
            note(problems, f"unparsable Date header {date_text[:60]!r}")


def _sender(state: _State) -> None:
    out, problems = state.out, state.problems
    from_values = state.headers.get("from", [])
    if not from_values:
        note(problems, "no From header")
    else:
        name, addr = _from_mailbox(parse_addresses(from_values[0]))
        if addr:
            out.from_address = addr
            out.from_domain = domain_of(addr)
        else:
            note(problems, "From header has no valid address")
            name = name or header_text(from_values[0])
        out.from_name = name
        if len(from_values) > 1:
            note(problems, "several From headers")
    reply = address_list(state.first("reply-to"))
    out.reply_to = reply[0] if reply else ""
    # RFC 5321 §4.4: the delivering MTA writes Return-Path from MAIL FROM; "<>" is a bounce.
    return_path = address_list(state.first("return-path"))
    if return_path:
        out.mail_from = return_path[0]
        out.mail_from_domain = domain_of(out.mail_from)


def _from_mailbox(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """The first real mailbox of From.  An unquoted comma in the display name ("Hotel, Inc
    <a@b>", a common phishing shape) splits it into bogus mailboxes; those pieces are put back
    together as the display name."""
    fragments: list[str] = []
    for name, addr in pairs:
        if "@" in addr:
            return ", ".join([*fragments, name] if name else fragments), addr
        fragments.append(" ".join(p for p in (name, addr) if p))
    return ", ".join(fragments), ""


def _recipients(state: _State) -> None:
    out = state.out
    names: list[str] = []
    lists: dict[str, list[str]] = {"to": [], "cc": [], "delivered-to": []}
    for header, target in lists.items():
        for value in state.headers.get(header, []):
            for name, addr in parse_addresses(value):
                names.append(name)
                names.append(addr.partition("@")[0])
                if "@" in addr and addr not in target:
                    target.append(addr)
    out.to, out.cc, out.delivered_to = lists["to"], lists["cc"], lists["delivered-to"]
    out.recipients = list(dict.fromkeys(out.to + out.cc + out.delivered_to))
    if state.recipient:
        names.append(state.recipient.partition("@")[0])
    state.personal = personal_words(names)


def _trace(state: _State) -> None:
    h = state.headers
    hops = h.get("received", [])
    # What our MX checked only matters when every public hop looks internal: read it then.
    state.out.sender_ip = trace.sender_ip(
        hops, lambda: trace.checked_ips(h.get("authentication-results", []), h.get("received-spf", []))
    )
    state.out.received_at = trace.delivery_time(hops) or state.out.date


def _auth(state: _State) -> None:
    h = state.headers
    state.out.auth = parse_auth(
        h.get("authentication-results", []),
        h.get("arc-authentication-results", []),
        h.get("received-spf", []),
        state.out.from_domain,
    )


def _spam(state: _State) -> None:
    verdict = spam_verdict(state.headers)
    out = state.out
    out.spam_verdict, out.spam_score = verdict.verdict, verdict.score
    out.threats = verdict.threats
    out.detections = verdict.detections


def _body(state: _State) -> None:
    """Every part depth-first, in document order, without recursion (hostile nesting) and with a
    part cap.  ``nested`` is true inside an attached message: its text is an attachment's, not
    the body's."""
    stack: list[tuple[Message, int, bool]] = [(state.msg, 0, False)]
    count = 0
    while stack:
        part, depth, nested = stack.pop()
        count += 1
        if count > MAX_PARTS:
            note(state.problems, f"more than {MAX_PARTS} MIME parts; the rest were not read")
            return
        ctype = ""
        try:
            info = describe(part)
            ctype = info.content_type
            _part(state, part, info, depth, nested)
        except Exception as exc:
            note(state.problems, f"a MIME part could not be read ({type(exc).__name__})")
        for defect in getattr(part, "defects", ()):
            doc = (type(defect).__doc__ or "").strip().splitlines()
            detail = f": {doc[0].rstrip('.')}" if doc else ""
            note(state.problems, f"MIME defect {type(defect).__name__}{detail}")
        if part.is_multipart():
            children = part.get_payload()
            if depth >= MAX_DEPTH:
                note(state.problems, f"MIME nesting deeper than {MAX_DEPTH}; inner parts not read")
                continue
            inner = nested or (ctype or part.get_content_type()) in _MESSAGE_TYPES
            for child in reversed(children if isinstance(children, list) else []):
                if isinstance(child, Message):
                    stack.append((child, depth + 1, inner))


def _part(state: _State, part: Message, info: PartInfo, depth: int, nested: bool) -> None:
    ctype = info.content_type
    if part.is_multipart():
        if ctype in _MESSAGE_TYPES and depth > 0:
            _attachment(state, info, _attached_message_bytes(part))
        return
    payload = payload_bytes(part, info)
    data = payload if isinstance(payload, bytes) else b""
    if info.filename or info.disposition == "attachment" or _is_nameless_file(ctype):
        _attachment(state, info, data)
        return
    if not ctype.startswith("text/"):
        return
    text = decode_bytes(data[: MAX_TEXT * 4], info.charset, state.problems)[:MAX_TEXT]
    source = "attachment" if nested else "body"
    if ctype == "text/html":
        content = parse_html(text)
        source = "attachment" if nested else "html"
        state.urls.add_all(content.links, source)
        state.urls.add_text(content.text, source)
        if not nested:
            state.html.append(content.text)
        return
    state.urls.add_text(text, source)
    if not nested and ctype in _BODY_TYPES:
        state.plain.append(text)


def _is_nameless_file(ctype: str) -> bool:
    """A non-text, non-image leaf without a name is still a file a mail client offers to open."""
    return ctype.startswith(("application/", "audio/", "video/", "model/", "font/"))


def _attached_message_bytes(part: Message) -> bytes:
    """The attached message's bytes, rebuilt from the parse tree.

    The stdlib generator refolds every header and costs milliseconds per attached message;
    reassembling the raw header lines and bodies the parser kept is ~50x cheaper and yields the
    same bytes up to line endings, which is all a hash of an attached message can promise anyway.
    """
    inner = part.get_payload(0)
    if not isinstance(inner, Message):
        return b""
    chunks: list[str] = []
    _flatten(inner, chunks, 0)
    return "".join(chunks).encode("utf-8", "surrogateescape")


def _flatten(msg: Message, chunks: list[str], depth: int) -> None:
    for name, value in msg.raw_items():
        chunks.append(f"{name}: {value}\n")
    chunks.append("\n")
    payload = msg.get_payload()
    if isinstance(payload, str):
        chunks.append(payload)
        return
    if not isinstance(payload, list) or depth > MAX_DEPTH:
        return
    boundary = msg.get_boundary()
    if boundary is None:  # message/rfc822: the payload is the one inner message
        for child in payload:
            if isinstance(child, Message):
                _flatten(child, chunks, depth + 1)
        return
    if msg.preamble:
        chunks.append(msg.preamble + "\n")
    for child in payload:
        if isinstance(child, Message):
            chunks.append(f"--{boundary}\n")
            _flatten(child, chunks, depth + 1)
            chunks.append("\n")
    chunks.append(f"--{boundary}--\n")
    if msg.epilogue:
        chunks.append(msg.epilogue)


def _attachment(state: _State, info: PartInfo, data: bytes) -> None:
    ctype = info.content_type
    name = sanitise_name(header_text(info.filename, state.problems)) if info.filename else ""
    ext = extension(name) or ("eml" if ctype in _MESSAGE_TYPES else "")
    detected = "message/rfc822" if ctype in _MESSAGE_TYPES else detect_type(data, ctype)
    state.out.attachments.append(
        ParsedAttachment(
            name=name,
            ext=ext,
            content_type=detected,
            declared_type=ctype,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
        )
    )
    if ctype not in _MESSAGE_TYPES and is_textish(detected, ext) and data:
        text = decode_bytes(data[:MAX_TEXT], info.charset)
        if detected in {"text/html", "image/svg+xml"} or ext in {"htm", "html", "shtml", "svg"}:
            content = parse_html(text)
            state.urls.add_all(content.links, "attachment")
            text = content.text
        state.urls.add_text(text, "attachment")


def _header_urls(state: _State) -> None:
    state.urls.add_text(state.out.subject, "subject")
    for name in URL_HEADERS:
        for value in state.headers.get(name, ()):
            if name.startswith("list-"):
                # RFC 2369 §2: URLs in angle brackets, comma-separated.
                state.urls.add_all((u for u in (p.strip().strip("<>") for p in value.split(",")) if u), "header")
            else:
                state.urls.add_text(value, "header")
    state.out.urls = list(state.urls.urls.values())


def _fingerprint(state: _State) -> None:
    out = state.out
    body = "\n".join(state.plain) if any(t.strip() for t in state.plain) else "\n".join(state.html)
    words = normalise(body, state.personal)
    out.body_text = " ".join(words)
    out.fingerprint = exact(out.body_text)
    out.simhash = simhash(words)
    out.language = guess_language(state.first("content-language"), words or normalise(out.subject))


def _direction(state: _State) -> None:
    out, org = state.out, state.org_domains
    if not org:
        out.direction = "unknown"
        return
    # The copy's owner is the recipient that matters when the indexer knows it (Bcc copies).
    recipients = [state.recipient] if state.recipient else out.recipients
    recipient_domains = [domain_of(a) for a in recipients]
    if not in_domains(out.from_domain, org):
        out.direction = "inbound"
    elif all(in_domains(d, org) for d in recipient_domains):
        out.direction = "intra-org"
    else:
        out.direction = "outbound"


def _header_dict(state: _State) -> None:
    """Capped copy for the index and the entity page (values as sent: encoded words kept)."""
    names = list(state.headers)
    # A one-element join is the element itself, so this is the copy whenever nothing needs
    # capping: no value over MAX_HEADER_VALUE and all of it (names too) under the budget.
    whole = list(map("\n".join, state.headers.values()))
    fits = sum(map(len, whole)) + sum(map(len, names)) < MAX_HEADERS_TOTAL
    if whole and fits and max(map(len, whole)) <= MAX_HEADER_VALUE:
        state.out.headers = dict(zip(names, whole, strict=True))
        return
    budget = MAX_HEADERS_TOTAL
    out: dict[str, str] = {}
    for name, values in state.headers.items():
        if budget <= 0:
            break
        if len(values) == 1:  # most headers: no generator and join
            joined = values[0][:MAX_HEADER_VALUE][:budget]
        else:
            joined = "\n".join(v[:MAX_HEADER_VALUE] for v in values)[:budget]
        out[name] = joined
        budget -= len(joined) + len(name)
    state.out.headers = out


_STEPS: tuple[tuple[str, Callable[[_State], None]], ...] = (
    ("headers", _index_headers),
    ("Message-ID/Subject/Date", _identity),
    ("sender", _sender),
    ("recipients", _recipients),
    ("Received", _trace),
    ("authentication results", _auth),
    ("spam-filter headers", _spam),
    ("body", _body),
    ("URLs", _header_urls),
    ("fingerprint", _fingerprint),
    ("direction", _direction),
    ("header copy", _header_dict),
)
