"""The parser on real mail: every corpus message parses, and hand-read facts come back out.

Expected values were read from the files themselves (``shared/corpus``), not from the parser.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clawback.mail.parsing import ParsedMessage, parse_message

pytestmark = pytest.mark.corpus


def parse(corpus_dir: Path, name: str) -> ParsedMessage:
    return parse_message((corpus_dir / name).read_bytes())


def test_every_corpus_message_parses(corpus_dir: Path) -> None:
    files = sorted(corpus_dir.rglob("*.eml"))
    assert len(files) > 500
    for path in files:
        raw = path.read_bytes()
        parsed = parse_message(raw)
        assert isinstance(parsed, ParsedMessage), path
        assert parsed.size == len(raw), path
        # No step of the parser crashed: crashes are recorded as "... could not be read".
        assert not [p for p in parsed.parse_problems if "could not be read" in p], path
        json.dumps(parsed.to_json(str(path)), ensure_ascii=False)


def test_microsoft_phish_auth_trace_and_url(corpus_dir: Path) -> None:
    parsed = parse(corpus_dir, "phish/phishingpot__sample-1059.eml")
    # Authentication-Results: spf=pass ... dkim=fail ... dmarc=pass ... compauth=pass reason=100
    assert (parsed.auth.spf, parsed.auth.dkim, parsed.auth.dmarc) == ("pass", "fail", "pass")
    assert parsed.auth.composite == "pass"
    # "from mx-01.autodoc.dev (46.4.242.225) by MW2NAM10FT067.mail.protection.outlook.com";
    # every hop above it is Microsoft's own relaying.
    assert parsed.sender_ip == "46.4.242.225"
    assert parsed.message_id == "E1qSUXd-00036F-2z@mx-01.autodoc.dev"
    assert (parsed.from_address, parsed.from_name) == ("c.bakou.kossi@autodoc.de", "Tether.to")
    assert parsed.reply_to == "workspace-noreply@google.com"
    assert parsed.mail_from_domain == "autodoc.de"
    assert parsed.received_at == datetime(2023, 8, 6, 3, 35, 8, tzinfo=UTC)
    urls = {u.url: u for u in parsed.urls}
    drawing = "https://docs.google.com/drawings/d/1rfz7XN5tNULCKEsg36BxpT7idm4B7aBLeHpM3MuA2j8/preview?5Gwy5ltimG"
    assert urls[drawing].domain == "docs.google.com"
    assert urls[drawing].source == "html"


def test_microsoft_tenant_to_tenant_uses_the_ip_spf_checked(corpus_dir: Path) -> None:
    # Every Received hop is Microsoft's; Received-SPF says client-ip=40.107.78.117.
    parsed = parse(corpus_dir, "phish/phishingpot__sample-1132.eml")
    assert parsed.sender_ip == "40.107.78.117"
    assert parsed.auth.dmarc == "bestguesspass"


def test_helo_literal_is_not_the_client_ip(corpus_dir: Path) -> None:
    # "Received: from [127.0.1.1] (134.199.158.178) by SG2PEPF000B66CA.mail.protection..."
    parsed = parse(corpus_dir, "phish/phishingpot__sample-5892.eml")
    assert parsed.sender_ip == "134.199.158.178"


def test_gmail_authentication_results(corpus_dir: Path) -> None:
    parsed = parse(corpus_dir, "ham/mailauth__authtest.eml")
    assert (parsed.auth.spf, parsed.auth.dkim, parsed.auth.dmarc) == ("pass", "pass", "none")
    # No compauth and no DMARC result, but SPF and DKIM both pass aligned with ekiri.ee.
    assert parsed.auth.composite == "pass"
    assert parsed.sender_ip == "217.146.67.33"
    assert parsed.delivered_to == ["andris.reinman@gmail.com"]
    assert parsed.received_at == datetime(2020, 8, 31, 18, 56, 50, tzinfo=UTC)


def test_phish_url_domain_and_failed_dmarc(corpus_dir: Path) -> None:
    parsed = parse(corpus_dir, "phish/phishingpot__sample-5209.eml")
    [url] = [u for u in parsed.urls if u.domain == "verifique.valid-count.co.ua"]
    assert url.url == "https://verifique.valid-count.co.ua/veri/?atendimento=1"
    assert (url.path, url.source) == ("/veri/", "html")
    assert (parsed.auth.dmarc, parsed.auth.composite) == ("fail", "fail")
    assert parsed.language == "pt"


def test_encoded_word_subject_is_decoded(corpus_dir: Path) -> None:
    parsed = parse(corpus_dir, "phish/phishingpot__sample-5266.eml")
    assert parsed.subject == (
        "Olá, rodrigo-f-p! gov.br: Seu CPF esta em processo de cancelamento! Autenticação: 98862537."
    )


def test_spamassassin_verdict(corpus_dir: Path) -> None:
    # X-Spam-Status: Yes, hits=15 required=5 / X-Spam-Flag: YES
    parsed = parse(corpus_dir, "spam/spamassassin__t_data_spam_003.eml")
    assert parsed.spam_verdict == "spam"
    assert parsed.spam_score == 15.0
    assert parsed.threats == ["spam"]
    assert parsed.detections == ["spam-filter-header"]


def test_decimal_ip_url_is_indexed_as_the_address_browsers_reach(corpus_dir: Path) -> None:
    parsed = parse(corpus_dir, "spam/spamassassin__t_data_spam_003.eml")
    [url] = [u for u in parsed.urls if u.url == "http://2742879943/ATV"]
    assert url.domain == "163.125.6.199"


def test_attachment_hash_matches_an_independent_decode(corpus_dir: Path) -> None:
    path = corpus_dir / "ham/flanker__messages_attached-pdf.eml"
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    [part] = [p for p in msg.walk() if p.get_filename() == "test.pdf"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)

    [attachment] = parse_message(path.read_bytes()).attachments
    assert attachment.sha256 == hashlib.sha256(payload).hexdigest()
    assert attachment.size == len(payload)
    assert (attachment.name, attachment.ext) == ("test.pdf", "pdf")
    assert attachment.content_type == "application/pdf"


def test_executable_detected_despite_its_declared_type(corpus_dir: Path) -> None:
    [attachment] = parse(corpus_dir, "malware-safe/rspamd__messages_exe_attm.eml").attachments
    assert attachment.name == "hello_world.exe"
    assert attachment.declared_type == "application/octet-stream"
    assert attachment.content_type == "application/x-executable"  # 57 bytes of ELF header


def test_rar_disguised_as_gz(corpus_dir: Path) -> None:
    [attachment] = parse(corpus_dir, "malware-safe/rspamd__messages_rar-date-bad-ext.eml").attachments
    assert attachment.ext == "gz"
    assert attachment.content_type == "application/x-rar"


def test_malformed_message_keeps_what_could_be_read(corpus_dir: Path) -> None:
    parsed = parse(corpus_dir, "spam/spamassassin__t_data_spam_badmime2.eml")
    assert any("StartBoundaryNotFoundDefect" in p for p in parsed.parse_problems)
    assert parsed.from_address == "odubciokci@isomedia.com"
    assert parsed.message_id == "2wbs8otwrn5-o0ap8qij7-27odubciokci@isomedia.com"
    assert parsed.sender_ip == "24.3.96.11"


def test_path_traversal_attachment_name(corpus_dir: Path) -> None:
    # Content-Type: application/txt; name="1234/../../1234.txt"
    [attachment] = parse(corpus_dir, "malformed/phpmimemailparser__m0027.eml").attachments
    assert attachment.name == "1234_1234.txt"
    assert attachment.ext == "txt"


def test_newline_inside_encoded_attachment_name(corpus_dir: Path) -> None:
    # filename="=?UTF-8?b?...?=" decodes to "Kontoutskrift for 1506.14.90466\nBedriftskonto.pdf"
    [attachment] = parse(corpus_dir, "malformed/phpmimemailparser__issue250.eml").attachments
    assert attachment.name == "Kontoutskrift for 1506.14.90466 Bedriftskonto.pdf"
    assert attachment.ext == "pdf"
