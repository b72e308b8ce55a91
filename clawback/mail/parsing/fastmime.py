"""A fast path for the MIME structure of well-formed messages; anything odd goes to the stdlib.

``email.feedparser`` reads a message one line at a time through a stack of generators, which
costs more than everything else the parser does together.  For a *well-formed* message the same
tree can be built with a handful of C-level string searches: split the header block at the
first empty line, and split multipart bodies at their boundary lines (RFC 2046 §5.1.1).

The result is the very tree ``email.message_from_bytes(raw, policy=compat32)`` builds: the same
``Message`` objects, raw header values, payload strings, preambles and epilogues, down to the
feedparser's rule that the line break before a boundary belongs to the boundary.  Whenever the
stdlib would record a defect, or take a path we do not copy (bare CR line ends, misplaced
Unix "From " lines, ``message/delivery-status``, ``multipart/digest``, CTE-encoded multiparts, missing or
doubled boundaries), ``parse`` returns None and the caller uses the stdlib, so broken mail is
always handled by the battle-tested parser and gets its defects reported.
``test_parse_fastmime.py`` checks the equivalence on every corpus message.
"""

from __future__ import annotations

import itertools
import re
from email.message import Message
from email.policy import compat32
from functools import lru_cache

_MAX_DEPTH = 30
_BLANK_LINE = re.compile(r"\n\r?\n")
# RFC 5322 §2.2 field names; the feedparser's headerRE accepts exactly these before the colon.
_FIELD_LINE = re.compile(r"^([\x21-\x39\x3b-\x7e]+):", re.MULTILINE)


def _strip_eol(text: str) -> str:
    """Drop one final line break, like the feedparser, without a regex scan of the whole body."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


_PASSTHROUGH_CTE = ("7bit", "8bit", "binary")


class _Fallback(Exception):
    """The message needs the stdlib parser."""


@lru_cache(maxsize=256)
def _boundary_line(boundary: str) -> re.Pattern[str]:
    # The feedparser's boundaryre, applied at every line start: "--" boundary ["--"] [ \t]* EOL.
    return re.compile(r"^--" + re.escape(boundary) + r"(--)?[ \t]*(\r?\n|\Z)", re.MULTILINE)


def parse(raw: bytes) -> Message | None:
    """The compat32 tree of ``raw``, or None when only the stdlib parser can build it faithfully."""
    text = raw.decode("ascii", "surrogateescape")
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None  # bare CR line ends: the feedparser splits on them too
    try:
        return _entity(text, 0)
    except _Fallback:
        return None


def _headers(msg: Message, block: str) -> None:
    """Header fields of ``block`` (without the empty line), as compat32 stores them: the value
    after the colon left-stripped, continuation lines verbatim, the final line break removed."""
    if block.startswith("From "):  # an mbox envelope line first: the stdlib keeps it aside
        envelope, _, block = block.partition("\n")
        msg.set_unixfrom(envelope.removesuffix("\r"))
    if not block:
        return
    if block[0] in " \t":
        raise _Fallback  # FirstHeaderLineIsContinuationDefect
    fields = list(_FIELD_LINE.finditer(block))
    # Every line that is not a continuation must be a field: otherwise the stdlib reports a
    # missing header/body separator, a missing name, or a misplaced envelope line.
    lines = block.count("\n") + (0 if block.endswith("\n") else 1)
    continuations = block.count("\n ") + block.count("\n\t")
    if len(fields) != lines - continuations:
        raise _Fallback
    ends = [field.start() for field in fields[1:]]
    ends.append(len(block))
    for field, end in zip(fields, ends, strict=True):
        msg.set_raw(field.group(1), block[field.end() : end].lstrip(" \t").rstrip("\r\n"))


def _entity(text: str, depth: int, before_boundary: bool = False) -> Message:
    """One message or body part.  ``before_boundary``: a multipart boundary follows, and the line
    break in front of it belongs to the boundary (RFC 2046 §5.1.1).  The feedparser strips it
    from the message it created last: this part's payload, the epilogue if this part is a
    multipart, or, for an attached message, from inside the attached message."""
    if depth > _MAX_DEPTH:
        raise _Fallback
    msg = Message(policy=compat32)
    if text.startswith("\n"):
        body = text[1:]
    elif text.startswith("\r\n"):
        body = text[2:]
    else:
        match = _BLANK_LINE.search(text)
        if match:
            _headers(msg, text[: match.start()])
            body = text[match.end() :]
        else:
            _headers(msg, text)
            body = ""
    content_type = msg.get_content_type()
    maintype = content_type.partition("/")[0]
    if maintype == "multipart":
        _multipart(msg, content_type, body, depth, before_boundary)
    elif maintype == "message":
        if content_type == "message/delivery-status":
            raise _Fallback
        msg.attach(_entity(body, depth + 1, before_boundary))
    else:
        msg.set_payload(_strip_eol(body) if before_boundary else body)
    return msg


def _multipart(msg: Message, content_type: str, body: str, depth: int, before_boundary: bool) -> None:
    boundary = msg.get_boundary()
    cte = str(msg.get("content-transfer-encoding", "8bit")).lower()
    if boundary is None or content_type == "multipart/digest" or cte not in _PASSTHROUGH_CTE:
        raise _Fallback
    delimiters = list(_boundary_line(boundary).finditer(body))
    if not delimiters or delimiters[0].group(1):
        raise _Fallback  # StartBoundaryNotFoundDefect
    if delimiters[0].start() > 0:
        msg.preamble = _strip_eol(body[: delimiters[0].start()])
    close = None
    for current, following in itertools.pairwise(delimiters):
        if current.group(1):
            close = current
            break
        if following.start() == current.end():
            raise _Fallback  # doubled boundary lines: the feedparser skips them oddly
        msg.attach(_entity(body[current.end() : following.start()], depth + 1, before_boundary=True))
    else:
        close = delimiters[-1] if delimiters[-1].group(1) else None
    if close is None:
        raise _Fallback  # CloseBoundaryNotFoundDefect
    epilogue = body[close.end() :]
    if before_boundary:
        msg.epilogue = None if epilogue == "" else _strip_eol(epilogue)
    else:
        msg.epilogue = epilogue
