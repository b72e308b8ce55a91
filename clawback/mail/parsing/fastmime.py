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

The ``Message`` accessors (``get_content_type``, ``get_boundary``, ``get``) scan every header
and re-parse parameters on each call; here the few values the tree shape depends on are read
once, while the header block is split, with the stdlib's own rules (see ``content_type`` and
``boundary``), and the stdlib is asked only for values those rules do not cover.
"""

from __future__ import annotations

import itertools
import re
from email.message import Message
from email.policy import compat32
from operator import itemgetter

_MAX_DEPTH = 30
_BLANK_LINE = re.compile(r"\n\r?\n")
# A CR that does not start a CRLF.  Searching for it visits each CR once; counting CRs and CRLFs
# would be two full passes over the message, attachments included (~3x slower).
_BARE_CR = re.compile(r"\r(?!\n)")
# One header field: an RFC 5322 §2.2 name (the feedparser's headerRE accepts exactly these before
# the colon), the value with its leading blanks skipped, and any continuation lines.  Matches
# that tile the whole block prove that every line is a field or a continuation.  Nothing after
# the colon can fail to match, and a shorter name cannot end at a colon (":" is not a name
# character), so a match never backtracks into a quantifier: they are possessive, which spares
# the regex engine its backtracking bookkeeping (same matches, ~20% less time).
_FIELD = re.compile(r"(([\x21-\x39\x3b-\x7e]++):[ \t]*+([^\n]*+(?:\n[ \t][^\n]*+)*+)\n?)")
_WHOLE_FIELD = itemgetter(0)
_PASSTHROUGH_CTE = ("7bit", "8bit", "binary")
# A boundary line (the feedparser's boundaryre): "--" boundary ["--"] [ \t]* (CRLF | LF | end).
_Delimiter = tuple[int, int, bool]  # (start, end after the line break, is the close delimiter)


def _trimmed_end(text: str, start: int, end: int) -> int:
    """Where ``text[start:end]`` ends without one final line break (the feedparser drops it)."""
    if text.endswith("\r\n", start, end):
        return end - 2
    if text.endswith("\n", start, end):
        return end - 1
    return end


class _Fallback(Exception):
    """The message needs the stdlib parser."""


def parse(raw: bytes) -> Message | None:
    """The compat32 tree of ``raw``, or None when only the stdlib parser can build it faithfully."""
    text = raw.decode("ascii", "surrogateescape")
    if "\r" in text and _BARE_CR.search(text):
        return None  # bare CR line ends: the feedparser splits on them too
    try:
        return _entity(text, 0, len(text), 0)
    except _Fallback:
        return None


def content_type(part: Message, value: object) -> str:
    """``part.get_content_type()`` given the part's first Content-Type value (None: no header).

    Same rule as the stdlib: the text before ";", stripped and lower-cased, else text/plain.
    Values with 8-bit bytes reach the stdlib as ``Header`` objects, so they are left to it.
    """
    if value is None:
        return part.get_default_type()
    if not isinstance(value, str) or not value.isascii():
        return part.get_content_type()
    ctype = value.partition(";")[0].strip().lower()
    return ctype if ctype.count("/") == 1 else "text/plain"


def boundary(part: Message, value: str) -> str | None:
    """``part.get_boundary()`` given the part's first Content-Type value.

    The stdlib splits the parameters at ";" outside quotes, unquotes each value, re-quotes and
    unquotes it again and finally unquotes it once more (``collapse_rfc2231_value``); for values
    without backslashes those steps reduce to what is done here.  Backslash escapes, RFC 2231
    ``*`` parameters and 8-bit values go to the stdlib, which implements them fully.
    """
    if not value.isascii() or "\\" in value or "*" in value:
        return part.get_boundary()
    for segment in _param_segments(value):
        name, _, param = segment.partition("=")
        if name.strip().lower() == "boundary":
            return _unquote(_unquote(param.strip())).rstrip()
    return None


def _param_segments(value: str) -> list[str]:
    """``email.message._parseparam`` for values without backslashes: ";" inside quotes is text."""
    segments = []
    rest = value
    while True:
        end = rest.find(";")
        while end > 0 and rest.count('"', 0, end) % 2:
            end = rest.find(";", end + 1)
        if end < 0:
            segments.append(rest)
            return segments
        segments.append(rest[:end])
        rest = rest[end + 1 :]


def _unquote(text: str) -> str:
    """``email.utils.unquote`` for text without backslashes."""
    if len(text) > 1 and (text[0], text[-1]) in (('"', '"'), ("<", ">")):
        return text[1:-1]
    return text


def _headers(msg: Message, block: str) -> tuple[str | None, str | None]:
    """Header fields of ``block`` (without the empty line), as compat32 stores them: the value
    after the colon left-stripped, continuation lines verbatim, the final line break removed.
    Returns the first Content-Type and Content-Transfer-Encoding values (None when absent)."""
    if block.startswith("From "):  # an mbox envelope line first: the stdlib keeps it aside
        envelope, _, block = block.partition("\n")
        msg.set_unixfrom(envelope.removesuffix("\r"))
    found = _FIELD.findall(block)
    # Non-overlapping matches as long as the block cover it without a gap.  A gap is a first line
    # that is a continuation, or a line that is neither a field nor a continuation (a missing
    # separator or name, a misplaced envelope line): defects the stdlib must report.
    if sum(map(len, map(_WHOLE_FIELD, found))) != len(block):
        raise _Fallback
    # What ``set_raw`` appends for each field under compat32, (name, value), in one go.
    headers = [(name, value.rstrip("\r\n")) for _, name, value in found]
    msg._headers = headers  # type: ignore[attr-defined]
    ctype = cte = None
    for name, value in headers:
        if name[0] in "cC":
            key = name.lower()
            if key == "content-type" and ctype is None:
                ctype = value
            elif key == "content-transfer-encoding" and cte is None:
                cte = value
    return ctype, cte


def _entity(text: str, start: int, end: int, depth: int, before_boundary: bool = False) -> Message:
    """One message or body part, ``text[start:end]``.  Parts are addressed by position, so that
    only each leaf's payload is copied out of the message, once.  ``before_boundary``: a
    multipart boundary follows, and the line break in front of it belongs to the boundary (RFC
    2046 §5.1.1).  The feedparser strips it from the message it created last: this part's
    payload, the epilogue if this part is a multipart, or, for an attached message, from
    inside the attached message."""
    if depth > _MAX_DEPTH:
        raise _Fallback
    msg = Message(policy=compat32)
    ctype_value = cte_value = None
    if text.startswith("\n", start, end):
        body = start + 1
    elif text.startswith("\r\n", start, end):
        body = start + 2
    else:
        match = _BLANK_LINE.search(text, start, end)
        if match:
            ctype_value, cte_value = _headers(msg, text[start : match.start()])
            body = match.end()
        else:
            ctype_value, cte_value = _headers(msg, text[start:end])
            body = end
    ctype = content_type(msg, ctype_value)
    maintype = ctype.partition("/")[0]
    if maintype == "multipart":
        _multipart(msg, ctype, ctype_value, cte_value, text, body, end, depth, before_boundary)
    elif maintype == "message":
        if ctype == "message/delivery-status":
            raise _Fallback
        msg.attach(_entity(text, body, end, depth + 1, before_boundary))
    else:
        msg.set_payload(text[body : _trimmed_end(text, body, end) if before_boundary else end])
    return msg


def _delimiters(text: str, start: int, end: int, marker: str) -> list[_Delimiter]:
    """Every boundary line of ``text[start:end]``, as the feedparser's boundaryre finds them at
    line starts (positions in ``text``).

    A substring search for "--boundary" rather than a regex: boundaries are unique per message,
    so a pattern would be compiled (~100 µs) for every message and never reused.
    """
    found: list[_Delimiter] = []
    at = text.find(marker, start, end)
    while at >= 0:
        line_end = -1
        if at == start or text[at - 1] == "\n":
            after = at + len(marker)
            close = text.startswith("--", after, end)
            if close:
                after += 2
            # A CRLF right after it is the usual case; only other endings need the general scan.
            line_end = after + 2 if text.startswith("\r\n", after, end) else _line_end(text, after, end)
        if line_end < 0:
            at = text.find(marker, at + 1, end)
        else:
            found.append((at, line_end, close))
            at = text.find(marker, line_end, end)
    return found


def _line_end(text: str, pos: int, end: int) -> int:
    """The index after ``[ \t]*(\r?\n|end of text)`` at ``pos`` (the text ending at ``end``),
    or -1 when there is other text."""
    while pos < end and text[pos] in " \t":
        pos += 1
    if pos == end:
        return pos
    if text[pos] == "\n":
        return pos + 1
    if text.startswith("\r\n", pos, end):
        return pos + 2
    return -1


def _multipart(
    msg: Message,
    ctype: str,
    ctype_value: str | None,
    cte_value: str | None,
    text: str,
    start: int,
    end: int,
    depth: int,
    before_boundary: bool,
) -> None:
    """The parts of the multipart body ``text[start:end]``."""
    marker = boundary(msg, ctype_value) if ctype_value is not None else None
    if cte_value is None:
        cte = "8bit"
    elif cte_value.isascii():
        cte = cte_value.lower()
    else:
        cte = str(msg.get("content-transfer-encoding")).lower()
    if marker is None or ctype == "multipart/digest" or cte not in _PASSTHROUGH_CTE:
        raise _Fallback
    delimiters = _delimiters(text, start, end, "--" + marker)
    if not delimiters or delimiters[0][2]:
        raise _Fallback  # StartBoundaryNotFoundDefect
    if delimiters[0][0] > start:
        msg.preamble = text[start : _trimmed_end(text, start, delimiters[0][0])]
    close = None
    for current, following in itertools.pairwise(delimiters):
        if current[2]:
            close = current
            break
        if following[0] == current[1]:
            raise _Fallback  # doubled boundary lines: the feedparser skips them oddly
        msg.attach(_entity(text, current[1], following[0], depth + 1, before_boundary=True))
    else:
        close = delimiters[-1] if delimiters[-1][2] else None
    if close is None:
        raise _Fallback  # CloseBoundaryNotFoundDefect
    epilogue = close[1]
    if before_boundary:
        msg.epilogue = None if epilogue == end else text[epilogue : _trimmed_end(text, epilogue, end)]
    else:
        msg.epilogue = text[epilogue:end]
