"""A delivered message made safe to look at: its HTML body sanitised with nh3, or its text.

The preview is shown to analysts looking at phishing and malware, so the sanitised HTML must not
run anything, load anything, or take the analyst anywhere.  Three layers, each sufficient for
scripts on its own:

1. here, an allowlist of formatting tags and attributes (nh3, the Rust ``ammonia`` sanitiser):
   no script, event handler, form, frame, object, ``<style>`` block or ``url(...)`` survives;
   links lose their ``href`` (the address is kept in ``title`` so the analyst can read it);
   images keep a ``src`` only when it is an inline ``data:`` raster image (``cid:`` parts of the
   message are inlined as such), so remote images never load and tracking pixels never fire;
2. the preview is served on its own URL under ``default-src 'none'`` (see
   :mod:`clawback.explorer.entity`), so even a sanitiser bug could load nothing remote;
3. it is shown in an ``<iframe sandbox>`` without ``allow-scripts`` or ``allow-same-origin``.
"""

from __future__ import annotations

import base64
import email
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32
from urllib.parse import unquote

import nh3
from selectolax.lexbor import LexborHTMLParser

from clawback.mail.parsing.headers import decode_bytes
from clawback.mail.parsing.mimeparts import describe, payload_bytes

MAX_HTML = 2_000_000
MAX_TEXT = 1_000_000
MAX_PARTS = 500
# Inline (cid:) images are embedded as data: URIs up to these sizes; larger ones are dropped.
MAX_INLINE_IMAGE = 2_000_000
MAX_INLINE_TOTAL = 8_000_000
# Raster types only: a browser renders them without running or fetching anything.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/gif", "image/jpeg", "image/webp", "image/bmp"})
_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpeg|jpg|webp|bmp);base64,[a-z0-9+/=\s]*\Z", re.IGNORECASE)

# Formatting only.  Not allowed (so stripped, their text kept): a/area hrefs, form controls,
# frames, objects, media, <base>, <meta>, <link>.
TAGS = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center", "cite",
        "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "font", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre",
        "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
# Removed together with their content: code, stylesheets, and elements whose content is raw text
# or fallback markup that would otherwise show up as text.
DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "title", "template", "noscript", "iframe", "frame", "frameset",
        "noframes", "object", "embed", "applet", "noembed", "xmp", "select", "textarea", "svg",
        "math",
    }
)  # fmt: skip
_LAYOUT = {"align", "valign", "width", "height", "bgcolor", "dir", "lang", "title", "style"}
ATTRIBUTES: dict[str, set[str]] = {
    "*": _LAYOUT,
    "a": {"title"},
    "img": {"src", "alt", "border", "hspace", "vspace"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "summary"},
    "td": {"colspan", "rowspan", "nowrap"},
    "th": {"colspan", "rowspan", "nowrap", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "li": {"value"},
}
# CSS properties that only lay out and colour; none of them takes a url() in valid CSS.
STYLE_PROPERTIES = frozenset(
    {
        "color", "background-color", "font", "font-family", "font-size", "font-style",
        "font-weight", "font-variant", "text-align", "text-decoration", "text-indent",
        "text-transform", "line-height", "letter-spacing", "word-spacing", "white-space",
        "vertical-align", "direction", "display", "width", "height", "max-width", "min-width",
        "max-height", "min-height", "margin", "margin-top", "margin-right", "margin-bottom",
        "margin-left", "padding", "padding-top", "padding-right", "padding-bottom",
        "padding-left", "border", "border-top", "border-right", "border-bottom", "border-left",
        "border-color", "border-style", "border-width", "border-collapse", "border-spacing",
        "border-radius", "table-layout", "list-style-type",
    }
)  # fmt: skip
# Belt and braces: anything that looks like it could fetch (or hide a fetch behind CSS escapes).
_STYLE_FETCH = re.compile(r"url|image|expression|@import|\\|/\*|behavior|binding", re.IGNORECASE)


@dataclass
class Preview:
    """What the preview frame shows: sanitised ``html`` (safe to mark safe) or plain ``text``."""

    kind: str  # "html" | "text" | "empty"
    html: str = ""
    text: str = ""
    blocked_images: int = 0
    disabled_links: int = 0


@dataclass
class _Body:
    html: str | None = None
    text: str | None = None
    images: dict[str, str] = field(default_factory=dict)  # Content-ID -> data: URI


def render_preview(raw: bytes) -> Preview:
    """The message's HTML body sanitised, else its text body, else nothing.  Never raises on
    malformed mail (the worst case is an empty preview)."""
    body = _bodies(raw)
    if body.html is not None:
        return sanitise_html(body.html, inline_images=body.images)
    if body.text is not None:
        return Preview(kind="text", text=body.text[:MAX_TEXT])
    return Preview(kind="empty")


def sanitise_html(html: str, *, inline_images: Mapping[str, str] | None = None) -> Preview:
    """``html`` made inert: see the module docstring for what is kept."""
    tree = LexborHTMLParser(html[:MAX_HTML])
    links = images = 0
    for node in tree.css("a[href], area[href]"):
        href = (node.attributes.get("href") or "").strip()
        del node.attrs["href"]
        if href and not href.startswith("#"):
            node.attrs["title"] = f"Link (disabled): {href[:2000]}"
            links += 1
    for node in tree.css("img"):
        src = (node.attributes.get("src") or "").strip()
        inlined = _inline_source(src, inline_images or {})
        if inlined is not None:
            node.attrs["src"] = inlined
            continue
        if "src" in node.attrs:
            del node.attrs["src"]
        images += 1
        alt = node.attributes.get("alt") or ""
        node.attrs["alt"] = f"[image blocked{': ' + alt if alt else ''}]"
        if src:
            node.attrs["title"] = f"Remote image blocked: {src[:2000]}"
    clean = nh3.clean(
        tree.html or "",
        tags=set(TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes={"data"},
        filter_style_properties=set(STYLE_PROPERTIES),
        link_rel=None,
        strip_comments=True,
    )
    return Preview(kind="html", html=clean, blocked_images=images, disabled_links=links)


def _inline_source(src: str, inline_images: Mapping[str, str]) -> str | None:
    """The data: URI an <img> may keep, or None to block it."""
    if _DATA_IMAGE.match(src):
        return src
    if src[:4].lower() == "cid:":
        # RFC 2392: the cid URL is the Content-ID without <>, %-encoded.
        return inline_images.get(unquote(src[4:]).strip("<> "))
    return None


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "src":
        return value if tag == "img" and _DATA_IMAGE.match(value) else None
    if attribute == "style":
        # Drop the declarations that could fetch, keep the rest of the element's look.
        kept = [d.strip() for d in value.split(";") if d.strip() and not _STYLE_FETCH.search(d)]
        return ";".join(kept) or None
    return value


# --- picking the bodies ----------------------------------------------------------------------


def _bodies(raw: bytes) -> _Body:
    try:
        msg = email.message_from_bytes(raw, policy=compat32)
    except Exception:
        return _Body()
    body = _Body()
    budget = MAX_INLINE_TOTAL
    for part in _leaves(msg):
        try:
            info = describe(part)
            ctype = info.content_type
            if info.disposition == "attachment" or (info.filename and not ctype.startswith("image/")):
                continue
            if ctype in ("text/html", "text/plain"):
                data = payload_bytes(part, info)
                text = decode_bytes(data if isinstance(data, bytes) else b"", info.charset)
                if ctype == "text/html" and body.html is None:
                    body.html = text
                elif ctype == "text/plain" and body.text is None:
                    body.text = text
            elif ctype in INLINE_IMAGE_TYPES and part.get("Content-ID"):
                budget -= _add_image(body.images, part, ctype, budget)
        except Exception:  # noqa: S112 - one unreadable part must not cost the rest of the preview
            continue
    return body


def _leaves(msg: Message) -> Iterator[Message]:
    """Leaf parts in document order, not descending into attached messages (they are
    attachments, not this message's body), at most ``MAX_PARTS``."""
    stack = [msg]
    seen = 0
    while stack and seen < MAX_PARTS:
        part = stack.pop()
        seen += 1
        if part.is_multipart():
            if part is not msg and part.get_content_type() == "message/rfc822":
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(reversed([c for c in children if isinstance(c, Message)]))
        elif part.get_content_type() != "message/rfc822":
            yield part


def _add_image(images: dict[str, str], part: Message, ctype: str, budget: int) -> int:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or len(data) > min(MAX_INLINE_IMAGE, budget):
        return 0
    content_id = str(part.get("Content-ID", "")).strip().strip("<>").strip()
    images[content_id] = f"data:{ctype};base64,{base64.b64encode(data).decode('ascii')}"
    return len(data)
