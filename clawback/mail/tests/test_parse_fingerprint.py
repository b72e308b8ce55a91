"""Body fingerprint (exact) and simhash (near duplicates) across copies of one campaign."""

from __future__ import annotations

from clawback.mail.parsing import ParsedMessage, parse_message
from clawback.mail.parsing.fingerprint import hamming

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
