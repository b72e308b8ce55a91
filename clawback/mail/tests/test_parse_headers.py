"""Header decoding: RFC 2047 encoded words, broken charsets, address lists, identity fields."""

from __future__ import annotations

import random

from clawback.mail.parsing import parse_message
from clawback.mail.parsing.headers import decode_words, unfold
from clawback.mail.parsing.parser import MAX_HEADERS_TOTAL


def test_adjacent_encoded_words_are_joined_even_mid_character() -> None:
    # "日本" in UTF-8 split across two B-encoded words in the middle of a character.
    assert decode_words("=?UTF-8?B?5pel5pw=?= =?UTF-8?B?rA==?=") == "日本"
    assert decode_words("Re: =?iso-8859-1?q?caf=E9?= au lait") == "Re: café au lait"
    assert decode_words("=?utf-8?q?a_b?=  =?utf-8?q?c?=") == "a bc"


def test_unknown_and_wrong_charsets_are_tolerated_and_reported() -> None:
    problems: list[str] = []
    assert decode_words("=?x-klingon?Q?plain?=", problems) == "plain"
    assert problems == ["unknown charset 'x-klingon'"]
    assert decode_words("=?gb2312?B?xOO6ww==?=") == "你好"
    assert decode_words("=?ks_c_5601-1987?B?vsiz58fPvLy/5A==?=") == "안녕하세요"


def test_identity_and_address_fields() -> None:
    raw = (
        b"Message-ID:  <Abc.123@Sender.Example> (comment)\r\n"
        b'From: "Service, PayPal" <Service@PayPal.Example>\r\n'
        b"Reply-To: collect@evil.example\r\nReturn-Path: <Bounce@Mail.Evil.Example>\r\n"
        b"To: Bob <BOB@corp.example>, carol@corp.example\r\nCc: bob@corp.example, dan@corp.example\r\n"
        b"Delivered-To: bob@corp.example\r\nSubject: =?utf-8?Q?Konto_gesperrt?=\r\n\r\nx"
    )
    parsed = parse_message(raw)
    assert parsed.message_id == "Abc.123@Sender.Example"
    assert (parsed.from_name, parsed.from_address, parsed.from_domain) == (
        "Service, PayPal",
        "service@paypal.example",
        "paypal.example",
    )
    assert (parsed.mail_from, parsed.mail_from_domain) == ("bounce@mail.evil.example", "mail.evil.example")
    assert parsed.reply_to == "collect@evil.example"
    assert parsed.to == ["bob@corp.example", "carol@corp.example"]
    assert parsed.cc == ["bob@corp.example", "dan@corp.example"]
    assert parsed.recipients == ["bob@corp.example", "carol@corp.example", "dan@corp.example"]
    assert parsed.subject == "Konto gesperrt"


def test_unquoted_comma_in_from_display_name() -> None:
    parsed = parse_message(b"From: Hotel Rewards, Inc <win@prize.example>\r\n\r\nx")
    assert (parsed.from_name, parsed.from_address) == ("Hotel Rewards, Inc", "win@prize.example")


def test_language_guess() -> None:
    def language(body: str, headers: str = "") -> str:
        return parse_message(f"{headers}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}".encode()).language

    assert language("Sehr geehrter Kunde, bitte bestätigen Sie die Zahlung, die wir für Sie haben.") == "de"
    assert language("Bonjour, votre compte est suspendu. Merci de vérifier vos données pour nous.") == "fr"
    assert language("Olá, você tem uma encomenda para retirar. Clique para ver mais do pedido.") == "pt"
    assert language("こんにちは、アカウントを確認してください。") == "ja"
    assert language("Здравствуйте, ваш аккаунт заблокирован.") == "ru"
    assert language("hello", headers="Content-Language: en-GB\r\n") == "en"
    assert language("xyzzy plugh") == ""


def test_header_copy_joins_repeats_and_caps_only_what_is_over_budget() -> None:
    head = "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\nReceived: from c\r\n by d\r\n"
    parsed = parse_message(f"{head}From: a@b.example\r\nX-Tag: one\r\n\r\nbody\r\n".encode())
    assert parsed.headers == {
        "received": "from a by b; Mon, 1 Jan 2024 00:00:00 +0000\nfrom c by d",
        "from": "a@b.example",
        "x-tag": "one",
    }
    # Eight headers of 4,000 characters, then one that gets what is left of MAX_HEADERS_TOTAL:
    # kept whole while names and values fit, cut to the budget once they do not.
    block = "From: a@b.example\r\n" + "".join(f"X-{n}: {'v' * 4000}\r\n" for n in range(8))
    left = MAX_HEADERS_TOTAL - len("from") - len("a@b.example") - 8 * (len("x-0") + 4000)
    for length, kept in ((left - len("x-8") - 1, left - len("x-8") - 1), (left, left), (left + 5, left)):
        copy = parse_message(f"{block}X-8: {'w' * length}\r\n\r\nx".encode()).headers
        assert len(copy["x-8"]) == kept, length
        assert [len(copy[f"x-{n}"]) for n in range(8)] == [4000] * 8


def _unfold_by_rule(value: str) -> str:
    """RFC 5322 §2.2.3 spelled out: CRLF -> LF, drop LF before folding white space, any other
    line break becomes a space, then trim (a value on one line is left as it is)."""
    if "\n" not in value:
        return value
    value = value.replace("\r\n", "\n").replace("\n ", " ").replace("\n\t", "\t")
    return value.replace("\n", " ").strip()


def test_unfold_takes_its_shortcut_only_where_the_rule_gives_the_same() -> None:
    pieces = ["a", " ", "\t", "\r\n", "\n", "\r", "\r\n ", "\r\n\t", "\n ", "b;"]
    rng = random.Random(3)
    cases = ["x\r\n\ty\r\n z", "\r\n\r\n\tx", "x\r\r\n\ty", "x\n\r\n\ty", "x\r\ny", " x\r\n\t"]
    cases += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    for value in cases:
        assert unfold(value) == _unfold_by_rule(value), repr(value)
