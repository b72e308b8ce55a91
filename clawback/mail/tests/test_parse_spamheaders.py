"""Verdicts stamped by upstream filters: Microsoft EOP, SpamAssassin, rspamd."""

from __future__ import annotations

from clawback.mail.parsing import ParsedMessage, parse_message


def with_headers(headers: str) -> ParsedMessage:
    return parse_message(f"From: a@sender.example\r\nSubject: x\r\n{headers}\r\nbody\r\n".encode())


def test_microsoft_phish_category() -> None:
    parsed = with_headers(
        "X-Forefront-Antispam-Report: CIP:198.51.100.7;CTRY:US;LANG:en;SCL:5;SRV:;IPV:NLI;\r\n"
        " SFV:SPM;H:mail.evil.example;PTR:;CAT:PHSH;SFS:(13230031);DIR:INB;\r\n"
        "X-Microsoft-Antispam: BCL:0;\r\n"
    )
    assert parsed.threats == ["phish", "spam"]
    assert parsed.spam_verdict == "spam"
    assert parsed.detections == ["spam-filter-header"]


def test_microsoft_high_confidence_phish_malware_and_bulk() -> None:
    assert with_headers("X-Forefront-Antispam-Report: SFV:SPM;CAT:HPHISH;\r\n").threats == [
        "high-confidence-phish",
        "spam",
    ]
    assert "malware" in with_headers("X-Forefront-Antispam-Report: CAT:MALW;\r\n").threats
    bulk = with_headers("X-Forefront-Antispam-Report: SFV:NSPM;CAT:NONE;\r\nX-Microsoft-Antispam: BCL:7;\r\n")
    assert (bulk.threats, bulk.spam_verdict) == (["bulk"], "bulk")


def test_microsoft_clean_is_ham_without_a_detection() -> None:
    parsed = with_headers("X-Forefront-Antispam-Report: SFV:NSPM;CAT:NONE;SCL:1;\r\nX-Microsoft-Antispam: BCL:0;\r\n")
    assert (parsed.spam_verdict, parsed.threats, parsed.detections) == ("ham", [], [])


def test_spamassassin_status_score() -> None:
    parsed = with_headers(
        "X-Spam-Status: Yes, score=12.5 required=5.0 tests=BAYES_99\r\nX-Spam-Level: ************\r\n"
    )
    assert (parsed.spam_verdict, parsed.spam_score) == ("spam", 12.5)
    clean = with_headers("X-Spam-Status: No, score=-1.2 required=5.0\r\n")
    assert (clean.spam_verdict, clean.spam_score, clean.threats) == ("ham", -1.2, [])


def test_rspamd_action_and_phish_symbol() -> None:
    parsed = with_headers(
        "X-Spamd-Result: default: False [9.10 / 15.00];\r\n PHISHED_OPENPHISH(7.00)[evil.example];\r\n"
        " R_SPF_FAIL(1.00)[-all]\r\nX-Rspamd-Action: add header\r\n"
    )
    assert parsed.threats == ["phish", "spam"]
    assert parsed.spam_score == 9.1
    assert with_headers("X-Spam: Yes\r\n").threats == ["spam"]


def test_a_forged_clean_header_does_not_hide_a_threat() -> None:
    parsed = with_headers("X-Spam-Status: No, score=0.0\r\nX-Forefront-Antispam-Report: CAT:PHSH;\r\n")
    assert parsed.threats == ["phish"]
    assert parsed.spam_verdict == "spam"


def test_no_filter_headers_means_no_verdict() -> None:
    parsed = with_headers("")
    assert (parsed.spam_verdict, parsed.spam_score, parsed.threats) == ("", None, [])
