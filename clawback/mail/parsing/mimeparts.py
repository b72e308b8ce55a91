"""What a MIME part says about itself: type, disposition, file name, charset; and its bytes.

``email.message.Message.get_param`` re-parses the whole header on every call and is the single
most expensive stdlib call per part, so plain parameter lists (RFC 2045 §5.1) are read here with
one regex; anything with RFC 2231 continuations or charsets (``name*0*=``) still goes through
the stdlib, which implements that RFC fully.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from email.message import Message
from functools import lru_cache

from clawback.mail.parsing import fastmime
from clawback.mail.parsing.headers import raw_text

_PARAM = re.compile(r';\s*([^\s=;"]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^;]*))')
_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class PartInfo:
    content_type: str
    disposition: str  # "" | attachment | inline | ...
    filename: str
    charset: str
    # Content-Transfer-Encoding lower-cased, as the stdlib compares it; "" when absent, None when
    # it is not plain ASCII text (then only the stdlib knows what it makes of it).
    transfer_encoding: str | None = ""


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


def describe(part: Message) -> PartInfo:
    # One pass over the part's headers for all fields (``Message.get`` scans them per call).
    ct_raw: object = None
    cd_raw: object = None
    cte_raw: object = None
    for key, value in part.raw_items():
        if key[:1] not in "cC":  # most of a message's headers: skip lower-casing them
            continue
        name = key.lower()
        if name == "content-type":
            ct_raw = value if ct_raw is None else ct_raw
        elif name == "content-disposition":
            cd_raw = value if cd_raw is None else cd_raw
        elif name == "content-transfer-encoding":
            cte_raw = value if cte_raw is None else cte_raw
    if _plain(ct_raw) and _plain(cd_raw) and _plain(cte_raw):
        # Plain values determine the result alone (a missing Content-Type: with the default type).
        default_type = part.get_default_type() if ct_raw is None else ""
        return _describe_plain(ct_raw, cd_raw, cte_raw, default_type)  # type: ignore[arg-type]
    content_type = fastmime.content_type(part, ct_raw)
    cte = cte_raw.lower() if isinstance(cte_raw, str) and cte_raw.isascii() else None if cte_raw is not None else ""
    ct_value = raw_text(ct_raw) if ct_raw is not None else ""
    cd_value = raw_text(cd_raw) if cd_raw is not None else ""
    disposition = cd_value.split(";", 1)[0].strip().lower()
    if "*" in ct_value or "*" in cd_value:  # RFC 2231: let the stdlib collapse it
        return PartInfo(
            content_type=content_type,
            disposition=disposition,
            filename=raw_text(part.get_filename() or ""),
            charset=part.get_content_charset() or "",
            transfer_encoding=cte,
        )
    ct_params = _params(ct_value) if ";" in ct_value else {}
    cd_params = _params(cd_value) if ";" in cd_value else {}
    return PartInfo(
        content_type=content_type,
        disposition=disposition,
        filename=cd_params.get("filename") or ct_params.get("name") or "",
        charset=ct_params.get("charset", "").lower(),
        transfer_encoding=cte,
    )


_PLAIN_MAX = 256


def _plain(value: object) -> bool:
    """Absent, or short ASCII without NUL or RFC 2231 "*": text the stdlib hands back unchanged."""
    if value is None:
        return True
    return (
        type(value) is str and len(value) <= _PLAIN_MAX and value.isascii() and "*" not in value and "\x00" not in value
    )


# Leaf parts repeat their headers across messages ("text/plain; charset=utf-8", "inline").
@lru_cache(maxsize=2048)
def _describe_plain(ct_raw: str | None, cd_raw: str | None, cte_raw: str | None, default_type: str) -> PartInfo:
    if ct_raw is None:
        content_type = default_type
    else:
        content_type = ct_raw.partition(";")[0].strip().lower()
        content_type = content_type if content_type.count("/") == 1 else "text/plain"
    ct_value = ct_raw or ""
    cd_value = cd_raw or ""
    ct_params = _params(ct_value) if ";" in ct_value else {}
    cd_params = _params(cd_value) if ";" in cd_value else {}
    return PartInfo(
        content_type=content_type,
        disposition=cd_value.split(";", 1)[0].strip().lower(),
        filename=cd_params.get("filename") or ct_params.get("name") or "",
        charset=ct_params.get("charset", "").lower(),
        transfer_encoding=(cte_raw or "").lower(),
    )


# Transfer encodings whose "decoding" is the payload's bytes as they are (RFC 2045 §6.2); the
# stdlib also returns anything it does not know (x-token encodings) unchanged.
_IDENTITY = frozenset({"", "7bit", "8bit", "binary"})


def payload_bytes(part: Message, info: PartInfo) -> object:
    """``part.get_payload(decode=True)`` of a leaf part.

    The stdlib looks the encoding header up again, and first encodes the whole payload to UTF-8
    only to learn whether it carries smuggled 8-bit bytes (surrogate escapes); here the payload
    is turned into its bytes once.  Valid base64 is decoded here too: the stdlib splits the text
    into lines and joins them again before decoding, a third of its cost on attachments, where
    deleting the line breaks does the same.  Anything its decoder would repair or flag as a
    defect (bad padding, stray characters, 8-bit bytes in base64) still goes through the stdlib,
    so the part records the same defects.
    """
    payload = part._payload  # type: ignore[attr-defined]
    cte = info.transfer_encoding
    if isinstance(payload, str) and cte is not None:
        if cte == "base64":
            if payload.isascii():
                data = payload.encode("ascii").translate(None, b"\r\n")
                if len(data) % 4 == 0:
                    try:
                        return binascii.a2b_base64(data, strict_mode=True)
                    except binascii.Error:
                        pass
        elif cte in _IDENTITY or cte == "quoted-printable":
            try:
                # The text back as the bytes it was read from (the parser decodes ASCII with
                # surrogate escapes); text from elsewhere is left to the stdlib.
                data = payload.encode("ascii", "surrogateescape")
            except UnicodeEncodeError:
                return part.get_payload(decode=True)
            return data if cte in _IDENTITY else binascii.a2b_qp(data)
    return part.get_payload(decode=True)
