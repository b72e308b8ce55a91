"""Direction from the organisation's domains: inbound, outbound, intra-org, unknown."""

from __future__ import annotations

from clawback.mail.parsing import parse_message

ORG = ("corp.example", "corp-mail.example")


def message(sender: str, *recipients: str) -> bytes:
    return (f"From: {sender}\r\nTo: {', '.join(recipients)}\r\nSubject: hi\r\n\r\nbody\r\n").encode()


def test_from_outside_is_inbound() -> None:
    raw = message("Mallory <mallory@evil.example>", "bob@corp.example")
    assert parse_message(raw, org_domains=ORG).direction == "inbound"


def test_all_inside_is_intra_org_including_subdomains_and_second_domains() -> None:
    raw = message("alice@Corp.Example", "bob@eu.corp.example", "carol@corp-mail.example")
    assert parse_message(raw, org_domains=ORG).direction == "intra-org"


def test_from_inside_to_some_outsider_is_outbound() -> None:
    raw = message("alice@corp.example", "bob@corp.example", "partner@vendor.example")
    assert parse_message(raw, org_domains=ORG).direction == "outbound"


def test_no_org_domains_is_unknown() -> None:
    assert parse_message(message("alice@corp.example", "bob@corp.example")).direction == "unknown"


def test_the_copy_owner_decides_the_recipient_side() -> None:
    # A Bcc'd outsider's copy: the headers only name insiders, but this copy went outside.
    raw = message("alice@corp.example", "bob@corp.example")
    parsed = parse_message(raw, org_domains=ORG, recipient="Friend@Gmail.example")
    assert parsed.direction == "outbound"
    inside = parse_message(raw, org_domains=ORG, recipient="bob@corp.example")
    assert inside.direction == "intra-org"


def test_a_lookalike_domain_is_not_the_org() -> None:
    raw = message("ceo@corp.example.evil.example", "bob@corp.example")
    assert parse_message(raw, org_domains=ORG).direction == "inbound"
