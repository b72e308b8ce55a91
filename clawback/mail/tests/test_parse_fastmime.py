"""The fast MIME path builds exactly the stdlib's compat32 tree, or declines."""

from __future__ import annotations

import email
import email.policy
from email.message import Message
from pathlib import Path

import pytest

from clawback.mail.parsing import fastmime, parse_message


def stdlib(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def assert_same_tree(fast: Message, slow: Message, where: str = "root") -> None:
    assert slow.defects == [], where  # the fast path must decline whatever the stdlib flags
    assert list(fast.raw_items()) == list(slow.raw_items()), where
    assert (fast.preamble, fast.epilogue) == (slow.preamble, slow.epilogue), where
    assert fast.get_unixfrom() == slow.get_unixfrom(), where
    # The raw payload: get_payload() would decode 8-bit text and hide a difference.
    fast_payload, slow_payload = fast._payload, slow._payload  # type: ignore[attr-defined]
    if isinstance(slow_payload, list):
        assert isinstance(fast_payload, list) and len(fast_payload) == len(slow_payload), where
        for index, (a, b) in enumerate(zip(fast_payload, slow_payload, strict=True)):
            assert_same_tree(a, b, f"{where}/{index}")
    else:
        assert fast_payload == slow_payload, where
        assert fast.get_payload(decode=True) == slow.get_payload(decode=True), where


@pytest.mark.corpus
def test_same_tree_as_the_stdlib_on_every_corpus_message(corpus_dir: Path) -> None:
    taken = 0
    for path in sorted(corpus_dir.rglob("*.eml")):
        raw = path.read_bytes()
        fast = fastmime.parse(raw)
        if fast is not None:
            taken += 1
            assert_same_tree(fast, stdlib(raw), str(path))
    # Most real mail is well formed; if this drops, the fast path declines too much.
    assert taken > 350


@pytest.mark.corpus
def test_parse_message_gives_the_same_record_without_the_fast_path(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = sorted(corpus_dir.rglob("*.eml"))
    fast = [parse_message(p.read_bytes()) for p in paths]
    monkeypatch.setattr(fastmime, "parse", lambda raw: None)
    for path, record in zip(paths, fast, strict=True):
        slow = parse_message(path.read_bytes())
        assert record.to_json() == slow.to_json(), path
        assert record.body_text == slow.body_text, path


NESTED = (
    b'From: a@b.example\r\nSubject: nested\r\n X-folded\r\nContent-Type: multipart/mixed; boundary="o"\r\n'
    b"\r\npreamble\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
    b"--i\r\nContent-Type: text/plain\r\n\r\nplain\r\n\r\n--i \t\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n"
    b"--i--\r\ninner epilogue\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: c@d.example\r\nContent-Type: text/plain\r\n\r\nattached\r\n\r\n"
    b"--o\r\nContent-Type: text/plain\r\n--o--\r\nepilogue\r\n"
)


def test_nested_multiparts_attached_message_and_boundary_line_breaks() -> None:
    fast = fastmime.parse(NESTED)
    assert fast is not None
    assert_same_tree(fast, stdlib(NESTED))
    assert fast.get_payload(0).epilogue == "inner epilogue\r\n"


def test_leading_mbox_envelope_line() -> None:
    raw = b"From nobody Mon Jan  1 00:00:00 2024\r\nSubject: x\r\n\r\nbody\r\n"
    fast = fastmime.parse(raw)
    assert fast is not None
    assert fast.get_unixfrom() == "From nobody Mon Jan  1 00:00:00 2024"
    assert_same_tree(fast, stdlib(raw))


@pytest.mark.parametrize(
    "raw",
    [
        b"Subject: x\r\nFrom nobody Mon Jan  1 00:00:00 2024\r\n\r\nbody",  # misplaced envelope
        b"Subject: x\rFrom: y\r\n\r\nbody",  # bare CR
        b" continuation first\r\nSubject: x\r\n\r\nbody",
        b"Subject: x\r\nno colon here\r\nbody",
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\nno boundary line\r\n",
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nunterminated\r\n",
        b"Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
        b"Content-Type: multipart/digest; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
        b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n",
    ],
)
def test_declines_what_only_the_stdlib_handles(raw: bytes) -> None:
    assert fastmime.parse(raw) is None
