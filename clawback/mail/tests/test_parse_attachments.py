"""Attachments: names (RFC 2231/2047, sanitised), extensions, magic-byte types, hashes."""

from __future__ import annotations

import base64
import hashlib

from clawback.mail.parsing import ParsedMessage, parse_message
from clawback.mail.parsing.attachments import detect_type, extension, sanitise_name


def with_attachment(disposition: str, payload: bytes, content_type: str = "application/octet-stream") -> ParsedMessage:
    encoded = base64.encodebytes(payload).decode()
    raw = (
        "From: a@sender.example\r\nTo: b@corp.example\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
        "--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        f"--XX\r\nContent-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--XX--\r\n"
    )
    return parse_message(raw.encode())


def test_path_traversal_name_is_flattened() -> None:
    [attachment] = with_attachment('attachment; filename="../../etc/cron.d/evil.sh"', b"#!/bin/sh\n").attachments
    assert attachment.name == "etc_cron.d_evil.sh"
    assert attachment.ext == "sh"
    assert attachment.content_type == "text/x-shellscript"


def test_windows_path_and_control_characters() -> None:
    assert sanitise_name("C:\\Users\\bob\\invoice.pdf") == "C:_Users_bob_invoice.pdf"
    assert sanitise_name("in\r\nvoice\x00.pdf") == "in voice .pdf"
    # A right-to-left override makes "invoice\u202egpj.exe" display as "invoiceexe.jpg".
    assert sanitise_name("invoice\u202egpj.exe") == "invoice gpj.exe"


def test_rfc2231_encoded_name() -> None:
    parsed = with_attachment("attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf", b"%PDF-1.7\n")
    [attachment] = parsed.attachments
    assert attachment.name == "Rechnung März.pdf"
    assert attachment.content_type == "application/pdf"


def test_rfc2047_encoded_name() -> None:
    parsed = with_attachment('attachment; filename="=?utf-8?B?w6ljaGFudGlsbG9uLnppcA==?="', b"PK\x03\x04rest")
    assert parsed.attachments[0].name == "échantillon.zip"


def test_hash_and_size_are_of_the_decoded_bytes() -> None:
    payload = b"MZ\x90\x00" + bytes(range(256)) * 4
    [attachment] = with_attachment('attachment; filename="invoice.pdf.exe"', payload, "image/jpeg").attachments
    assert attachment.sha256 == hashlib.sha256(payload).hexdigest()
    assert attachment.size == len(payload)
    assert (attachment.ext, attachment.declared_type, attachment.content_type) == (
        "exe",
        "image/jpeg",
        "application/x-dosexec",
    )


def test_inline_named_image_and_attached_message_are_listed() -> None:
    raw = (
        b"From: a@sender.example\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: image/png; name=logo.png\r\nContent-Disposition: inline\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAA=\r\n"
        b"--B\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: x@phish.example\r\nSubject: inner\r\n\r\nclick https://inner.example/a\r\n"
        b"--B--\r\n"
    )
    parsed = parse_message(raw)
    assert [(a.name, a.ext, a.content_type) for a in parsed.attachments] == [
        ("logo.png", "png", "image/png"),
        ("", "eml", "message/rfc822"),
    ]
    # URLs of an attached message are the attachment's, not the body's.
    assert [(u.url, u.source) for u in parsed.urls] == [("https://inner.example/a", "attachment")]
    assert parsed.body_text == ""


def test_html_attachment_urls_are_extracted() -> None:
    page = b'<!DOCTYPE html><html><form action="https://harvest.example/post"></form></html>'
    parsed = with_attachment('attachment; filename="Secure Message.htm"', page, "application/octet-stream")
    assert parsed.attachments[0].content_type == "text/html"
    assert [(u.domain, u.source) for u in parsed.urls] == [("harvest.example", "attachment")]


def test_magic_signatures() -> None:
    zip_docx = b"PK\x03\x04" + b"\x00" * 26 + b"[Content_Types].xml" + b"word/document.xml"
    cases = {
        b"%PDF-1.4": "application/pdf",
        zip_docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04plain": "application/zip",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le"): "application/msword",
        b"\x7fELF\x02\x01": "application/x-executable",
        b"Rar!\x1a\x07\x00": "application/x-rar",
        b"7z\xbc\xaf\x27\x1c": "application/x-7z-compressed",
        b"\x1f\x8b\x08": "application/gzip",
        b"\x00" * 0x8001 + b"CD001": "application/x-iso9660-image",
        b"\x89PNG\r\n\x1a\n": "image/png",
        b"\xff\xd8\xff\xe0": "image/jpeg",
        b"GIF89a": "image/gif",
        b"  <html><body>": "text/html",
        b'Set o = CreateObject("WScript.Shell")': "text/x-script",
    }
    for data, expected in cases.items():
        assert detect_type(data, "application/octet-stream") == expected, data[:20]
    assert detect_type(b"just words", "text/plain") == "text/plain"


def test_extension_ignores_trailing_dots_and_spaces() -> None:
    assert extension("report.PDF") == "pdf"
    assert extension("evil.exe. . ") == "exe"
    assert extension("README") == ""


def test_raw_eight_bit_names_in_utf8_and_latin1() -> None:
    part = 'Content-Type: text/plain; name="Grüße.txt"\r\nContent-Disposition: attachment\r\n\r\nx'
    for encoding in ("utf-8", "latin-1"):
        [attachment] = parse_message(f"Subject: x\r\n{part}".encode(encoding)).attachments
        assert attachment.name == "Grüße.txt", encoding
