"""parse_message never raises: broken input still yields a record and a list of problems."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from clawback.mail.parsing import ParsedMessage, parse_message

BROKEN = [
    b"",
    b"\x00\xff\xfe garbage \x80\x81",
    b"no headers at all, just text",
    b"Subject: =?bogus-charset?Q?caf=E9?=\r\n\r\n",
    b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--",
    b"Content-Type: multipart/mixed\r\n\r\nno boundary parameter",
    b'Content-Type: text/plain; charset="utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64',
    b"From: <<<@@@>>>\r\nTo: ,,,;;;\r\nDate: yesterday-ish\r\nReceived: from [999.1.1.1] by ;\r\n\r\n",
    b"Content-Type: text/html\r\n\r\n<html><a href='http://[::1'>x</a><a href='http://a.example:99999/'>y</a>",
    (
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        + "--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" * 200
    ).encode(),
]


@pytest.mark.parametrize("raw", BROKEN)
def test_broken_input_yields_a_record(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert isinstance(parsed, ParsedMessage)
    assert parsed.size == len(raw)
    assert parsed.parse_problems  # each of these is missing or breaking something


def test_random_bytes_never_raise() -> None:
    rng = random.Random(1234)
    template = (
        b"Received: from a (a [8.8.8.8]) by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        b"From: =?utf-8?b?w6k=?= <a@b.example>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
        b"Content-Type: multipart/alternative; boundary=z\r\n\r\n--z\r\nContent-Type: text/html\r\n\r\n"
        b"<a href=http://x.example/>x</a>\r\n--z--\r\n"
    )
    for _ in range(300):
        data = bytearray(template)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        assert isinstance(parse_message(bytes(data)), ParsedMessage)


def test_non_bytes_input_is_reported_not_raised() -> None:
    parsed = parse_message(None)  # type: ignore[arg-type]
    assert parsed.parse_problems == ["message could not be read (TypeError)"]


def test_problems_are_flagged_but_fields_are_still_filled() -> None:
    raw = (
        b"From: Alice <alice@sender.example>\r\nSubject: =?x-unknown-cs?B?aGVsbG8=?=\r\n"
        b"Date: not a date\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n"
        b"--q\r\nContent-Type: text/plain\r\n\r\nhello https://a.example/\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.from_address == "alice@sender.example"
    assert parsed.subject == "hello"
    assert [u.domain for u in parsed.urls] == ["a.example"]
    assert parsed.date is None and parsed.received_at is None
    problems = " | ".join(parsed.parse_problems)
    assert "no Message-ID header" in problems
    assert "unparsable Date header" in problems
    assert "CloseBoundaryNotFoundDefect" in problems


def test_headers_are_decoded_and_capped() -> None:
    raw = (
        "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n" * 300
        + "From: Zoë <zoe@sender.example>\r\nX-Long: "
        + "y" * 10_000
        + "\r\nDate: Mon, 1 Jan 2024 00:00:00 +0100\r\n\r\nbody\r\n"
    ).encode()
    parsed = parse_message(raw)
    assert len(parsed.headers["x-long"]) == 4096
    assert sum(len(k) + len(v) for k, v in parsed.headers.items()) <= 33_000
    assert parsed.from_name == "Zoë"
    assert parsed.date == datetime(2023, 12, 31, 23, 0, tzinfo=UTC)


def test_eight_bit_and_nul_in_headers() -> None:
    raw = "From: Jürgen <j@sender.example>\r\nSubject: Grüße\x00!\r\n\r\nx".encode()
    parsed = parse_message(raw)
    assert (parsed.from_name, parsed.subject) == ("Jürgen", "Grüße!")
    latin1 = parse_message("Subject: Grüße\r\n\r\nx".encode("latin-1"))
    assert latin1.subject == "Grüße"
