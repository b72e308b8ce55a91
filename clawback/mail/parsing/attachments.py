"""Attachment names and types: what the file *is*, not what the sender says it is.

The detected type comes from the first bytes (a signature table in the spirit of libmagic and
the WHATWG MIME Sniffing Standard); the declared ``Content-Type`` is kept beside it because a
mismatch (an executable declared as ``image/jpeg``) is itself a signal.
"""

from __future__ import annotations

import re

MAX_NAME = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")
_EXT = re.compile(r"^[0-9a-z_+-]{1,16}$")

# (offset, signature, type).  Order matters only where signatures overlap.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"PK\x05\x06", "application/zip"),
    (0, b"PK\x07\x08", "application/zip"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (0, b"MZ", "application/x-dosexec"),
    (0, b"\x7fELF", "application/x-executable"),
    (0, b"\xca\xfe\xba\xbe", "application/x-mach-binary"),
    (0, b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),
    (0, b"Rar!\x1a\x07", "application/x-rar"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"BZh", "application/x-bzip2"),
    (0, b"\xfd7zXZ\x00", "application/x-xz"),
    (0, b"MSCF", "application/vnd.ms-cab-compressed"),
    (0, b"ITSF", "application/vnd.ms-htmlhelp"),
    (0, b"L\x00\x00\x00\x01\x14\x02\x00", "application/x-ms-shortcut"),
    (0, b"\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d\xae\xb1\x53\x78\xd0\x29\x96\xd3", "application/onenote"),
    (0, b"{\\rtf", "application/rtf"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"BEGIN:VCALENDAR", "text/calendar"),
    (0, b"-----BEGIN PGP", "application/pgp"),
    # ISO 9660: the volume descriptor "CD001" sits after a 32 KiB system area.
    (0x8001, b"CD001", "application/x-iso9660-image"),
    (0x8801, b"CD001", "application/x-iso9660-image"),
    (0x9001, b"CD001", "application/x-iso9660-image"),
)
_OOXML = (
    (b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)
# OLE2 stream names are UTF-16LE in the directory sectors.
_OLE_STREAMS = (
    ("WordDocument", "application/msword"),
    ("Workbook", "application/vnd.ms-excel"),
    ("Book", "application/vnd.ms-excel"),
    ("PowerPoint Document", "application/vnd.ms-powerpoint"),
    ("__substg1.0_", "application/vnd.ms-outlook"),
)
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<iframe", b"<script", b"<meta", b"<form")
_SCRIPT_MARKERS = (
    b"wscript.",
    b"createobject(",
    b"activexobject",
    b"powershell",
    b"cmd.exe",
    b"@echo off",
    b"eval(",
    b"fromcharcode",
    b"invoke-expression",
    b"set-executionpolicy",
)
_SNIFF = 4096


def _zip_type(data: bytes) -> str:
    # Local file headers at the start and the central directory at the end both carry names.
    window = data[:65536] + data[-65536:]
    if b"[Content_Types].xml" in window:
        for marker, kind in _OOXML:
            if marker in window:
                return kind
    if b"META-INF/MANIFEST.MF" in window:
        return "application/java-archive"
    if b"mimetypeapplication/vnd.oasis.opendocument" in window[:200]:
        return "application/vnd.oasis.opendocument"
    return "application/zip"


def _ole_type(data: bytes) -> str:
    window = data[:262144]
    for name, kind in _OLE_STREAMS:
        if name.encode("utf-16-le") in window:
            return kind
    return "application/x-ole-storage"


def _text_type(head: bytes) -> str:
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith(b"#!"):
        return "text/x-shellscript"
    if lowered.startswith(_HTML_STARTS) or b"<html" in lowered[:1024]:
        return "text/html"
    if b"<svg" in lowered[:1024]:
        return "image/svg+xml"
    if any(marker in lowered for marker in _SCRIPT_MARKERS):
        return "text/x-script"
    return ""


def detect_type(data: bytes, declared: str) -> str:
    """The content type the bytes carry, else ``declared``."""
    for offset, signature, kind in _SIGNATURES:
        if data.startswith(signature, offset):
            if kind == "application/zip":
                return _zip_type(data)
            if kind == "application/x-ole-storage":
                return _ole_type(data)
            return kind
    head = data[:_SNIFF]
    if b"\x00" not in head:
        sniffed = _text_type(head)
        if sniffed:
            return sniffed
    return declared


def is_textish(content_type: str, ext: str) -> bool:
    """Attachments whose text we scan for URLs (credential-harvest pages, SVG, invites)."""
    return (
        content_type.startswith("text/")
        or content_type in {"image/svg+xml", "application/xhtml+xml", "application/xml"}
        or ext in {"htm", "html", "shtml", "xhtml", "svg", "txt", "ics", "xml", "url"}
    )


def sanitise_name(name: str) -> str:
    """Make a name safe to show and to save, keeping it recognisable.

    Control characters and bidi overrides (RLO makes "exe.pdf" read as "fdp.exe") are dropped;
    directory parts are kept but flattened with "_" so "../../etc/passwd" becomes "etc_passwd"
    rather than escaping a download directory.
    """
    name = _CONTROL.sub(" ", name).strip()
    pieces = [p.strip() for p in re.split(r"[\\/]+", name)]
    pieces = [p for p in pieces if p and p not in {".", ".."}]
    name = "_".join(pieces).lstrip(".")
    return name[:MAX_NAME]


def extension(name: str) -> str:
    """Lower-cased final extension; Windows ignores trailing dots and spaces, so do we."""
    base = name.rstrip(". ")
    if "." not in base:
        return ""
    ext = base.rpartition(".")[2].strip().lower()
    return ext if _EXT.match(ext) else ""
