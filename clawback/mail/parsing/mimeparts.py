"""What a MIME part says about itself: type, disposition, file name, charset.

``email.message.Message.get_param`` re-parses the whole header on every call and is the single
most expensive stdlib call per part, so plain parameter lists (RFC 2045 §5.1) are read here with
one regex; anything with RFC 2231 continuations or charsets (``name*0*=``) still goes through
the stdlib, which implements that RFC fully.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from clawback.mail.parsing.headers import raw_text

_PARAM = re.compile(r';\s*([^\s=;"]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^;]*))')
_ESCAPE = re.compile(r"\\(.)")


@dataclass
class PartInfo:
    content_type: str
    disposition: str  # "" | attachment | inline | ...
    filename: str
    charset: str


def _params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for match in _PARAM.finditer(value):
        key = match.group(1).lower()
        if key in params:
            continue
        quoted = match.group(2)
        if quoted is not None:
            params[key] = _ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted
        else:
            params[key] = match.group(3).strip().strip("'\"")
    return params


def _raw_header(part: Message, name: str) -> str:
    """The first ``name`` header as sent (``Message.get`` would wrap 8-bit values in a Header)."""
    for key, value in part.raw_items():
        if key.lower() == name:
            return raw_text(value)
    return ""


def describe(part: Message) -> PartInfo:
    content_type = part.get_content_type()
    ct_value = _raw_header(part, "content-type")
    cd_value = _raw_header(part, "content-disposition")
    disposition = cd_value.split(";", 1)[0].strip().lower()
    if "*" in ct_value or "*" in cd_value:  # RFC 2231: let the stdlib collapse it
        return PartInfo(
            content_type=content_type,
            disposition=disposition,
            filename=raw_text(part.get_filename() or ""),
            charset=part.get_content_charset() or "",
        )
    ct_params = _params(ct_value) if ";" in ct_value else {}
    cd_params = _params(cd_value) if ";" in cd_value else {}
    return PartInfo(
        content_type=content_type,
        disposition=disposition,
        filename=cd_params.get("filename") or ct_params.get("name") or "",
        charset=ct_params.get("charset", "").lower(),
    )
