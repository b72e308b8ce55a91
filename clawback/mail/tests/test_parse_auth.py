"""SPF/DKIM/DMARC/composite from Authentication-Results (RFC 8601) and Received-SPF."""

from __future__ import annotations

from clawback.mail.parsing import AuthResults, parse_message


def auth(headers: str, sender: str = "alice@sender.example") -> AuthResults:
    return parse_message(f"{headers}From: {sender}\r\nSubject: x\r\n\r\nbody\r\n".encode()).auth


def test_topmost_header_wins_and_comments_are_ignored() -> None:
    result = auth(
        "Authentication-Results: mx.corp.example; spf=SoftFail (domain of x does not designate"
        " 1.2.3.4; dkim=pass would be a lie) smtp.mailfrom=sender.example;\r\n"
        " dkim=fail header.d=sender.example; dmarc=fail (p=REJECT) header.from=sender.example\r\n"
        "Authentication-Results: forged.example; spf=pass; dkim=pass; dmarc=pass\r\n"
    )
    assert (result.spf, result.dkim, result.dmarc, result.composite) == ("softfail", "fail", "fail", "fail")


def test_microsoft_compauth_is_the_composite() -> None:
    result = auth(
        "Authentication-Results: spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=sender.example;"
        " dkim=none (message not signed) header.d=none;dmarc=none action=none"
        " header.from=sender.example;compauth=softpass reason=201\r\n"
    )
    assert (result.spf, result.dkim, result.dmarc, result.composite) == ("fail", "none", "none", "softpass")


def test_any_passing_dkim_signature_passes() -> None:
    result = auth(
        "Authentication-Results: mx.example; dkim=fail header.d=esp.example;"
        " dkim=pass header.i=@sender.example; spf=pass smtp.mailfrom=bounce.esp.example\r\n"
    )
    assert result.dkim == "pass"
    # DKIM is aligned with sender.example but SPF (esp.example) is not: only a soft pass.
    assert result.composite == "softpass"


def test_aligned_spf_and_dkim_without_dmarc_is_a_pass() -> None:
    result = auth(
        "Authentication-Results: mx.example; dkim=pass header.d=sender.example;"
        " spf=pass smtp.mailfrom=bounce@mail.sender.example\r\n"
    )
    assert result.composite == "pass"


def test_received_spf_when_authentication_results_has_no_spf() -> None:
    result = auth("Received-SPF: Fail (mx.corp.example: domain does not designate) client-ip=203.0.113.9\r\n")
    assert (result.spf, result.composite) == ("fail", "none")


def test_arc_results_only_as_a_fallback() -> None:
    arc = "ARC-Authentication-Results: i=1; mx.google.com; dkim=pass header.d=sender.example; dmarc=pass\r\n"
    assert auth(arc).dmarc == "pass"
    both = auth(arc + "Authentication-Results: mx.corp.example; dmarc=fail header.from=sender.example\r\n")
    assert both.dmarc == "fail"


def test_nothing_stamped_is_none() -> None:
    assert auth("") == AuthResults(spf="none", dkim="none", dmarc="none", composite="none")
