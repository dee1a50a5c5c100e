"""A tiny PDF writer, so attachments are real PDFs that pypdf can read back.

The crawler's PDF extraction must be tested against genuine PDF syntax
(objects, xref table, content streams), not a stub. Text is set in the
standard Helvetica font (no embedding needed), WinAnsi-encoded, wrapped to the
page width and split across as many A4 pages as it needs.
"""

from __future__ import annotations

import textwrap

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 72
FONT_SIZE = 11
LEADING = 14
TITLE_SIZE = 16
WRAP_CHARS = 85  # Helvetica averages ~0.5 em, so ~85 chars fit 451 pt at 11 pt
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LEADING


def escape_pdf_string(text: str) -> bytes:
    """Encode for a PDF literal string: WinAnsi bytes, with \\ ( ) escaped.

    Bytes outside printable ASCII become octal escapes so the file stays
    7-bit clean and a text editor shows it sensibly.
    """
    out = bytearray()
    for byte in text.encode("cp1252", errors="replace"):
        if byte in b"\\()":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += f"\\{byte:03o}".encode("ascii")
    return bytes(out)


def info_string(text: str) -> str:
    """Document-info strings are PDFDocEncoding, so use UTF-16BE hex to keep any character."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def wrap_text(text: str, width: int = WRAP_CHARS) -> list[str]:
    """Wrap paragraphs (blank-line separated) to lines; a blank line between them."""
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").split("\n\n"):
        words = " ".join(paragraph.split())
        if not words:
            continue
        if lines:
            lines.append("")
        lines += textwrap.wrap(words, width=width, break_on_hyphens=False)
    return lines


def _page_stream(lines: list[str], title: str | None) -> bytes:
    """One page's content stream: optional bold title, then the lines."""
    parts = [b"BT", f"{MARGIN} {PAGE_HEIGHT - MARGIN} Td".encode(), f"{LEADING} TL".encode()]
    if title:
        parts += [
            f"/F2 {TITLE_SIZE} Tf".encode(),
            b"(" + escape_pdf_string(title) + b") Tj",
            b"T* T*",
        ]
    parts.append(f"/F1 {FONT_SIZE} Tf".encode())
    for line in lines:
        parts.append(b"(" + escape_pdf_string(line) + b") Tj T*")
    parts.append(b"ET")
    return b"\n".join(parts)


def _paginate(lines: list[str], has_title: bool) -> list[list[str]]:
    first = LINES_PER_PAGE - (2 if has_title else 0)
    pages = [lines[:first]]
    rest = lines[first:]
    while rest:
        pages.append(rest[:LINES_PER_PAGE])
        rest = rest[LINES_PER_PAGE:]
    return pages


def _serialise(objects: list[bytes], info_ref: int) -> bytes:
    """Write the objects with an exact xref table (pypdf checks the offsets)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info_ref} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def build_pdf(text: str, title: str | None = None) -> bytes:
    """A valid PDF whose extracted text is ``title`` followed by ``text``."""
    pages = _paginate(wrap_text(text), bool(title))
    # 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info, then page+content pairs
    first_page = 6
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(pages)))
    font = "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        font.format("Helvetica").encode(),
        font.format("Helvetica-Bold").encode(),
        f"<< /Title {info_string(title or '')} /Producer (PolicyWatch fixture) >>".encode(),
    ]
    for i, page_lines in enumerate(pages):
        stream = _page_stream(page_lines, title if i == 0 else None)
        objects.append(
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
                f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> "
                f"/Contents {first_page + 2 * i + 1} 0 R >>"
            ).encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    return _serialise(objects, info_ref=5)
