"""Attachment bytes: harmless stand-ins that look like the real thing to a magic-number check.

Nothing here is executable in any meaningful sense: the "EXE" is a DOS stub followed by random
filler, the macro document's ``vbaProject.bin`` is random bytes, the script in the ZIP only
prints a line.  They exist so that file-type detection, SHA-256 indicators and attachment
pivots have something realistic to work on.  Each builder takes its own ``random.Random`` so the
bytes depend only on the seed it is given.
"""

from __future__ import annotations

import io
import random
import zipfile

# A fixed timestamp keeps ZIP members (and so the file's SHA-256) stable between runs.
_ZIP_DATE = (2024, 11, 4, 9, 30, 0)

_DOS_STUB = b"This program cannot be run in DOS mode.\r\r\n$"


def exe(rng: random.Random, size: int) -> bytes:
    """A PE-looking file: ``MZ`` header, DOS stub, ``PE\\0\\0`` signature, random sections."""
    header = bytearray(64)
    header[0:2] = b"MZ"
    header[0x3C:0x40] = (0x80).to_bytes(4, "little")  # e_lfanew: where the PE header starts
    stub = _DOS_STUB.ljust(0x80 - 64, b"\0")
    pe = b"PE\0\0" + b"\x4c\x01"  # IMAGE_FILE_MACHINE_I386
    body = bytes(header) + stub + pe
    return body + rng.randbytes(max(0, size - len(body)))


def zip_archive(rng: random.Random, members: dict[str, bytes | int]) -> bytes:
    """A real ZIP (``PK``).  An ``int`` member value means that many random bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in members.items():
            data = rng.randbytes(content) if isinstance(content, int) else content
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), data)
    return buf.getvalue()


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


_MACRO_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
)


def docm(rng: random.Random, size: int) -> bytes:
    """An Office Open XML package with a (random-bytes) ``vbaProject.bin``: a macro document."""
    return zip_archive(
        rng,
        {
            "[Content_Types].xml": _MACRO_CONTENT_TYPES,
            "word/document.xml": b"<w:document><w:body><w:p><w:r><w:t>Enable content to view "
            b"this document</w:t></w:r></w:p></w:body></w:document>",
            "word/vbaProject.bin": size,
        },
    )


def docx(rng: random.Random, size: int, text: str) -> bytes:
    return zip_archive(
        rng,
        {
            "[Content_Types].xml": _CONTENT_TYPES,
            "word/document.xml": f"<w:document><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>"
            "</w:body></w:document>".encode(),
            "word/media/image1.png": size,
        },
    )


def xlsx(rng: random.Random, size: int) -> bytes:
    return zip_archive(
        rng,
        {
            "[Content_Types].xml": _CONTENT_TYPES,
            "xl/workbook.xml": b'<workbook><sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>',
            "xl/worksheets/sheet1.xml": size,
        },
    )


def pdf(rng: random.Random, size: int, title: str) -> bytes:
    """``%PDF-1.7`` with one (random, "compressed") content stream padded to about ``size``."""
    stream = rng.randbytes(max(0, size - 400))
    head = (
        f"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        f"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        f"3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n"
        f"5 0 obj\n<< /Title ({title}) >>\nendobj\n"
        f"4 0 obj\n<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n"
    ).encode("latin-1")
    return head + stream + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R /Info 5 0 R >>\n%%EOF\n"


def iso(rng: random.Random, size: int, label: str) -> bytes:
    """An ISO 9660 image: 32 KiB system area, then the ``CD001`` primary volume descriptor."""
    system_area = bytes(0x8000)
    descriptor = (b"\x01CD001\x01\x00" + b" " * 32 + label.upper().encode().ljust(32)).ljust(2048, b"\0")
    terminator = b"\xffCD001\x01".ljust(2048, b"\0")
    image = system_area + descriptor + terminator
    return image + rng.randbytes(max(0, size - len(image)))


def harvest_page(action_url: str, brand: str) -> bytes:
    """A credential-harvest HTML page (the kind sent as ``remittance.html``); it posts nowhere
    real because the action URL is on a reserved ``.example`` domain."""
    page = f"""<html><head><meta charset="utf-8"><title>{brand} - Sign in</title>
<style>body{{font-family:Segoe UI,Arial;background:#f2f2f2}}.box{{width:340px;margin:80px auto;
background:#fff;padding:32px}}input{{width:100%;margin:8px 0;padding:6px}}</style></head>
<body><div class="box"><h2>{brand}</h2><p>Your remittance advice is protected.
Sign in with your email account to view the document.</p>
<form method="POST" action="{action_url}">
<input type="email" name="login" placeholder="Email address">
<input type="password" name="passwd" placeholder="Password">
<input type="submit" value="View document"></form></div>
<script>document.forms[0].login.focus();</script></body></html>
"""
    return page.encode()


def script_zip(rng: random.Random, inner_name: str) -> bytes:
    """A ZIP holding a harmless script named like a dropper (``scan_0043.js``)."""
    script = b"// demo stand-in, does nothing harmful\r\nWScript.Echo('scan complete');\r\n"
    padding = b"/* " + rng.randbytes(18_000).hex().encode() + b" */\r\n"
    return zip_archive(rng, {inner_name: script + padding})
