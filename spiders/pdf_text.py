"""Text out of PDF attachments, with pypdf.

Government reports often carry the substance (the money tables, the
milestones) in an attached PDF rather than the web page, so attachments are
downloaded (within a size cap) and their text kept beside the body.
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PdfReadError

#: enough for any report; stops a pathological file from eating the crawl
MAX_PAGES = 300

logging.getLogger("pypdf").setLevel(logging.ERROR)


class UnreadablePdf(ValueError):
    """The bytes are not a PDF we can read."""


def pdf_text(data: bytes, *, max_pages: int = MAX_PAGES) -> str:
    """The text of a PDF, page by page; raises :class:`UnreadablePdf`."""
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages[:max_pages]]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UnreadablePdf(f"{type(exc).__name__}: {exc}") from exc
    return "\n".join(
        " ".join(line.split()) for page in pages for line in page.splitlines() if line.strip()
    )
