"""Body fingerprint (exact) and simhash (near duplicates) across copies of one campaign."""

from __future__ import annotations

import hashlib
import random
import re

from clawback.mail.parsing import ParsedMessage, parse_message
from clawback.mail.parsing.fingerprint import _MASK64, _votes, hamming, normalise, simhash

CAMPAIGN = (
    "Dear {name},\r\n\r\nYour mailbox {address} has used {n} of its quota. To avoid losing mail,\r\n"
    "confirm your account within 24 hours at {url} .\r\n\r\nReference {n}-{n}\r\nIT Service Desk\r\n"
)


def copy(to: str, name: str, n: int, url: str, template: str = CAMPAIGN) -> ParsedMessage:
    body = template.format(name=name, address=to, n=n, url=url)
    raw = f"From: IT <it@evil.example>\r\nTo: {name} <{to}>\r\nSubject: Quota\r\n\r\n{body}"
    return parse_message(raw.encode())


def test_copies_differing_in_recipient_numbers_and_urls_share_a_fingerprint() -> None:
    alice = copy("alice.smith@corp.example", "Alice Smith", 97, "https://evil.example/q?u=alice")
    bob = copy("bob@corp.example", "Bob", 12, "https://other.example/track/8812")
    assert alice.fingerprint == bob.fingerprint
    assert len(alice.fingerprint) == 64
    assert alice.simhash == bob.simhash
    assert "alice" not in alice.body_text and "97" not in alice.body_text


def test_a_different_body_has_a_different_fingerprint_and_a_distant_simhash() -> None:
    alice = copy("alice@corp.example", "Alice", 1, "https://evil.example/")
    other = copy(
        "alice@corp.example",
        "Alice",
        1,
        "https://evil.example/",
        template="Hi {name}, the quarterly report is ready; the board meets on Thursday in room {n}.\r\n",
    )
    assert alice.fingerprint != other.fingerprint
    assert hamming(alice.simhash, other.simhash) > 10


LETTER = (
    "Dear {name},\r\n\r\nWe noticed unusual sign-in activity on your account from a device we do not\r\n"
    "recognise. For your protection we have temporarily limited some features, including sending\r\n"
    "payments, adding new recipients and changing your security settings. To restore full access\r\n"
    "please review the recent activity and confirm that the listed devices belong to you. If you do\r\n"
    "not complete the review within two days we will have to close the account permanently and any\r\n"
    "remaining balance will be held until our security team has finished its investigation. We are\r\n"
    "sorry for the inconvenience and thank you for helping us keep your money and your data safe.\r\n"
    "Review your account at {url} and follow the instructions on the screen.\r\n"
    "Case number {n}\r\nThe Security Team\r\n"
)


def test_a_small_edit_keeps_the_simhash_close() -> None:
    base = copy("alice@corp.example", "Alice", 1, "https://evil.example/", template=LETTER)
    edited = copy(
        "alice@corp.example", "Alice", 1, "https://evil.example/", template=LETTER.replace("two days", "48 hours")
    )
    unrelated = copy("alice@corp.example", "Alice", 1, "https://evil.example/")
    assert base.fingerprint != edited.fingerprint
    assert hamming(base.simhash, edited.simhash) <= 8
    assert hamming(base.simhash, unrelated.simhash) > 16
    assert -(2**63) <= base.simhash < 2**63


def test_html_only_body_is_fingerprinted_from_its_text() -> None:
    html = "<html><body><p>Dear Bob,</p><p>Please <b>confirm</b> your account.</p></body></html>"
    raw = f"From: it@evil.example\r\nTo: Bob <bob@corp.example>\r\nContent-Type: text/html\r\n\r\n{html}"
    parsed = parse_message(raw.encode())
    assert parsed.body_text == "dear please confirm your account"
    plain = parse_message(
        b"From: it@evil.example\r\nTo: bob@corp.example\r\n\r\nDear Bob, please CONFIRM your account!\r\n"
    )
    assert plain.fingerprint == parsed.fingerprint


def test_no_body_text_means_no_fingerprint() -> None:
    parsed = parse_message(b"From: a@b.example\r\nSubject: empty\r\n\r\n")
    assert (parsed.fingerprint, parsed.simhash) == ("", 0)


def _majority_by_loop(words: list[int]) -> int:
    """The vote of ``_votes`` the obvious way: count each bit of each word."""
    value = 0
    for bit in range(64):
        if 2 * sum(word >> bit & 1 for word in words) > len(words):
            value |= 1 << bit
    return value


def test_bit_sliced_votes_match_counting_every_bit() -> None:
    rng = random.Random(5)
    # Odd and even counts, ties, all-ones and all-zero words, and a count past 2**14.
    for total in (1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65, 100, 257, 1000, 19_998):
        for shape in ("random", "extremes", "ties"):
            if shape == "random":
                words = [rng.getrandbits(64) for _ in range(total)]
            elif shape == "extremes":
                words = [rng.choice((0, _MASK64, rng.getrandbits(64))) for _ in range(total)]
            else:
                words = [_MASK64 if i % 2 else 0 for i in range(total)]
            packed = sum(word << (64 * i) for i, word in enumerate(words))
            assert _votes(packed, total) == _majority_by_loop(words), (total, shape)


def _simhash_by_loop(words: list[str]) -> int:
    """simhash as specified: blake2b-24 per word split into h1/h2/h3, shingle = h1 ^ h2 ^ h3,
    then the bitwise majority, as a signed 64-bit integer."""
    if len(words) < 3:
        words = (words * 3)[:3]
    digests = [hashlib.blake2b(w.encode(), digest_size=24).digest() for w in words]
    h1, h2, h3 = ([int.from_bytes(d[k : k + 8], "little") for d in digests] for k in (0, 8, 16))
    shingles = [h1[i] ^ h2[i + 1] ^ h3[i + 2] for i in range(len(words) - 2)]
    value = _majority_by_loop(shingles)
    return value - (1 << 64) if value >= 1 << 63 else value


def test_simhash_matches_its_definition() -> None:
    rng = random.Random(9)
    vocabulary = ["alpha", "beta", "gamma", "delta", "konto", "prüfen", "账户", "zeta"]
    for count in (1, 2, 3, 4, 17, 250):
        words = [rng.choice(vocabulary) for _ in range(count)]
        assert simhash(words) == _simhash_by_loop(words), count


def _normalise_by_rule(text: str) -> list[str]:
    """Collapse white space, drop tokens holding a link or an address, keep runs of letters."""
    tokens = text.lower().split()
    kept = " ".join(t for t in tokens if not any(m in t for m in ("@", "://", "www.")))
    return re.findall(r"[^\W\d_]+", kept)


def test_normalised_words_do_not_depend_on_the_kind_of_white_space() -> None:
    assert normalise("Hello\u00a0World\tagain\x85x\r\n") == ["hello", "world", "again", "x"]
    assert normalise("Pay\u2003now at www.evil.example/pay or mail\u00a0boss@evil.example") == [
        "pay",
        "now",
        "at",
        "or",
        "mail",
    ]
    rng = random.Random(11)
    pieces = ["Konto", "prüfen", "HTTPS://x.example/a", "a@b.example", " ", "\t", "\u00a0", "\n", "42", "é", "www.x"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        assert normalise(text) == _normalise_by_rule(text), repr(text)
