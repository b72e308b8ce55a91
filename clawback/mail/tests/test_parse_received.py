"""Sender IP = the first external hop of the Received chain; delivery time = the top hop."""

from __future__ import annotations

from datetime import UTC, datetime

from clawback.mail.parsing import parse_message
from clawback.mail.parsing.received import parse_hop


def message(*received: str, extra: str = "") -> bytes:
    trace = "".join(f"Received: {hop}\r\n" for hop in received)
    return (
        f"{trace}{extra}From: Alice <alice@sender.example>\r\nTo: bob@corp.example\r\n"
        "Subject: hi\r\nDate: Mon, 16 Nov 2026 09:59:00 +0000\r\nMessage-ID: <1@sender.example>\r\n"
        "\r\nhello\r\n"
    ).encode()


def test_private_and_loopback_hops_are_skipped() -> None:
    raw = message(
        "from mx1.corp.example (mx1.corp.example [10.0.0.5]) by mbox1.corp.example with LMTP;"
        " Mon, 16 Nov 2026 10:00:05 +0000",
        "from localhost (localhost [127.0.0.1]) by mx1.corp.example; Mon, 16 Nov 2026 10:00:04 +0000",
        "from mail.sender.example (mail.sender.example [8.8.4.4]) by mx1.corp.example (Postfix)"
        " with ESMTPS id 4Xy; Mon, 16 Nov 2026 10:00:03 +0000",
        "from laptop (unknown [192.168.1.20]) by mail.sender.example; Mon, 16 Nov 2026 10:00:00 +0000",
    )
    parsed = parse_message(raw)
    assert parsed.sender_ip == "8.8.4.4"
    assert parsed.received_at == datetime(2026, 11, 16, 10, 0, 5, tzinfo=UTC)


def test_hops_below_the_first_external_one_are_not_trusted() -> None:
    # The sender can write any Received header below the one our MX added.
    raw = message(
        "from evil.example (evil.example [1.1.1.1]) by mx1.corp.example; Mon, 16 Nov 2026 10:00:00 +0000",
        "from trusted.bank.example ([9.9.9.9]) by evil.example; Mon, 16 Nov 2026 09:00:00 +0000",
    )
    assert parse_message(raw).sender_ip == "1.1.1.1"


def test_ipv6_client() -> None:
    raw = message(
        "from mail.sender.example (mail.sender.example [IPv6:2a00:1450:4864:20::42a]) by"
        " mx1.corp.example; Mon, 16 Nov 2026 10:00:00 +0000"
    )
    assert parse_message(raw).sender_ip == "2a00:1450:4864:20::42a"


def test_documentation_addresses_count_as_external() -> None:
    raw = message(
        "from mx.evil.example (mx.evil.example [198.51.100.7]) by mx1.corp.example; Mon, 16 Nov 2026 10:00:00 +0000"
    )
    assert parse_message(raw).sender_ip == "198.51.100.7"


def test_no_external_hop_leaves_sender_ip_empty_and_received_at_falls_back_to_date() -> None:
    raw = message("from localhost (localhost [127.0.0.1]) by mx1.corp.example")
    parsed = parse_message(raw)
    assert parsed.sender_ip == ""
    assert parsed.received_at == datetime(2026, 11, 16, 9, 59, tzinfo=UTC)


def test_client_ip_forms_of_common_mtas() -> None:
    cases = {
        # Postfix: HELO name, then (reverse DNS [IP]).
        "from helo.example (rdns.example [8.8.8.8]) by mx": "8.8.8.8",
        # Exim without a reverse name: the IP literal is the host token.
        "from [178.155.20.67] (helo=33.155.28.47) by mx": "178.155.20.67",
        # Exchange: host (IP).
        "from mx-01.autodoc.dev (46.4.242.225) by x.mail.protection.outlook.com": "46.4.242.225",
        # qmail: the HELO is client-claimed; the last parenthesised IP is what was seen.
        "from unknown (HELO 10.1.1.1) (81.2.69.142) by mx": "81.2.69.142",
        # A HELO IP literal followed by the real address.
        "from [127.0.1.1] (159.223.224.188) by mx": "159.223.224.188",
        "from host (helo [1.2.3.4]) by mx": "1.2.3.4",
        # Gmail's internal hop has no "from" at all.
        "by 2002:a67:f8c8:0:0:0:0:0 with SMTP id c8csp1206370vsp": "",
    }
    for value, expected in cases.items():
        assert parse_hop(value).from_ip == expected, value


def test_between_tenants_of_one_provider_the_ip_our_mx_checked_wins() -> None:
    hops = (
        "from BN8PR04MB.namprd04.prod.outlook.com (2603:10b6:408:e0::21) by"
        " SN6PR04MB.namprd04.prod.outlook.com with HTTPS; Mon, 16 Nov 2026 10:00:02 +0000",
        "from NAM12-MW2-obe.outbound.protection.outlook.com (40.107.244.90) by"
        " BN8PR04MB.namprd04.prod.outlook.com with ESMTPS; Mon, 16 Nov 2026 10:00:01 +0000",
    )
    # Every public hop is Microsoft's own: without a checked IP, the topmost one.
    assert parse_message(message(*hops)).sender_ip == "2603:10b6:408:e0::21"
    spf = "Received-SPF: Pass (protection.outlook.com: domain of sender.example designates\r\n"
    spf += " 40.107.244.90 as permitted sender) client-ip=40.107.244.90;\r\n"
    assert parse_message(message(*hops, extra=spf)).sender_ip == "40.107.244.90"
    results = "Authentication-Results: spf=pass (sender IP is 40.107.244.90) smtp.mailfrom=sender.example\r\n"
    assert parse_message(message(*hops, extra=results)).sender_ip == "40.107.244.90"
