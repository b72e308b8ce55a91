"""URL extraction: text, HTML (entities, quoted-printable), headers, subject, and unwrapping."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from clawback.mail.parsing import ParsedMessage, parse_message
from clawback.mail.parsing.urls import _SIMPLE_URL, _simple_split, normalise


def message(body: str, content_type: str = "text/plain", headers: str = "", cte: str = "7bit") -> ParsedMessage:
    raw = (
        "From: Alice <alice@sender.example>\r\nTo: bob@corp.example\r\nSubject: hi\r\n"
        f"{headers}Content-Type: {content_type}; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n{body}"
    ).encode()
    return parse_message(raw)


def urls(parsed: ParsedMessage) -> dict[str, tuple[str, str, str]]:
    return {u.url: (u.domain, u.path, u.source) for u in parsed.urls}


def test_plain_text_urls_with_trailing_punctuation() -> None:
    parsed = message("Go to https://Login.Evil.Example:8443/reset?id=7. Or (www.other.example/x).\r\n")
    assert urls(parsed) == {
        "https://Login.Evil.Example:8443/reset?id=7": ("login.evil.example", "/reset", "body"),
        "http://www.other.example/x": ("www.other.example", "/x", "body"),
    }


def test_html_hrefs_with_entities_and_visible_text() -> None:
    html = (
        '<html><body><a href="https://evil.example/a?x=1&amp;y=2">Your bank</a>'
        "<p>Visit https://visible.example/p &amp; more</p>"
        '<img src="//cdn.example/pixel.gif"><script>var u="https://script.example/"</script></body></html>'
    )
    found = urls(message(html, "text/html"))
    assert found["https://evil.example/a?x=1&y=2"] == ("evil.example", "/a", "html")
    assert found["https://visible.example/p"] == ("visible.example", "/p", "html")
    assert found["https://cdn.example/pixel.gif"] == ("cdn.example", "/pixel.gif", "html")
    assert "https://script.example/" not in found  # script is code, not something a user sees


def test_quoted_printable_html_is_decoded_before_extraction() -> None:
    body = '<a href=3D"https://qp.example/very/long/path?token=3Dabc&amp;n=3D1">x</a>=\r\n\r\n'
    found = urls(message(body, "text/html", cte="quoted-printable"))
    assert "https://qp.example/very/long/path?token=abc&n=1" in found


def test_header_and_subject_sources() -> None:
    parsed = message(
        "no links here\r\n",
        headers="List-Unsubscribe: <mailto:u@list.example>, <https://list.example/unsub?u=1>\r\n",
    )
    assert urls(parsed) == {"https://list.example/unsub?u=1": ("list.example", "/unsub", "header")}
    raw = b"From: a@b.example\r\nSubject: see http://subject.example/x now\r\n\r\nbody\r\n"
    assert urls(parse_message(raw)) == {"http://subject.example/x": ("subject.example", "/x", "subject")}


def test_duplicates_are_recorded_once() -> None:
    parsed = message("https://dup.example/a https://dup.example/a\r\nhttps://dup.example/a\r\n")
    assert [u.url for u in parsed.urls] == ["https://dup.example/a"]


def test_safelinks_is_unwrapped_to_its_target() -> None:
    target = "https://phish.example/login?user=bob&x=1"
    wrapped = (
        "https://eur01.safelinks.protection.outlook.com/?url="
        f"{quote(target, safe='')}&data=05%7C01%7Cbob%40corp.example&reserved=0"
    )
    [record] = normalise(wrapped, "html")
    assert (record.url, record.domain, record.source) == (target, "phish.example", "html")


def test_proofpoint_v2_is_unwrapped() -> None:
    wrapped = (
        "https://urldefense.proofpoint.com/v2/url?u=https-3A__www.example.com_path_page.html-3Fa-3D1"
        "&d=DwMFaQ&c=abc&r=def&m=ghi&s=jkl&e="
    )
    [record] = normalise(wrapped, "body")
    assert record.url == "https://www.example.com/path/page.html?a=1"


def test_proofpoint_v3_is_unwrapped_with_its_encoded_characters() -> None:
    # "*" placeholders come back from the base64url run after "__;": "Iw" is "#".
    wrapped = "https://urldefense.com/v3/__https://example.com/page*anchor__;Iw!!ABC123!xyz$"
    [record] = normalise(wrapped, "body")
    assert record.url == "https://example.com/page#anchor"
    assert record.domain == "example.com"


def test_google_redirect_is_unwrapped() -> None:
    wrapped = "https://www.google.com/url?q=https://evil.example/x&sa=D&source=editors&ust=1"
    assert [r.url for r in normalise(wrapped, "body")] == ["https://evil.example/x"]


def test_generic_redirector_keeps_the_wrapper_and_adds_the_target() -> None:
    wrapped = "https://open-redirect.example/go?url=https%3A%2F%2Fevil.example%2Fpay"
    assert [r.url for r in normalise(wrapped, "body")] == [wrapped, "https://evil.example/pay"]
    # A u= that is not a full http(s) URL is just a parameter.
    assert [r.url for r in normalise("https://shop.example/?u=42", "body")] == ["https://shop.example/?u=42"]


def test_backslash_authority_trick_records_the_host_a_browser_reaches() -> None:
    [record] = normalise("http://evil.example\\@good.example/", "html")
    assert record.domain == "evil.example"


def test_punycode_domain_is_recorded_in_unicode() -> None:
    [record] = normalise("https://xn--pypal-4ve.example/login", "body")
    assert record.domain == "p\u0430ypal.example"  # U+0430 CYRILLIC SMALL LETTER A


@pytest.mark.parametrize(
    "url",
    [
        "https://login.evil.example/reset?u=1#top",
        "http://EXAMPLE.com:8080/a/b;c?d=e&f=g",
        "https://bit.ly",
        "https://bit.ly?x=1",
        "https://bit.ly#frag?not-query",
        "http://192.0.2.7:/path",
        "ftp://files.example.org/pub/file.zip",
        "https://a.example/path?q=1?2#f#g",
        "https://sub-domain.example.co.uk/%7Euser/",
    ],
)
def test_the_fast_split_is_urlsplit(url: str) -> None:
    """The fast path for plain URLs gives exactly what urllib's urlsplit and .hostname give."""
    match = _SIMPLE_URL.fullmatch(url)
    assert match is not None
    parts, hostname = _simple_split(url, match)
    assert parts == urlsplit(url)
    assert hostname == urlsplit(url).hostname
