"""Turning fetched bytes into text: decoding and HTML-to-text.

Government pages are full of lists and tables of money and dates, so the text
keeps one line per paragraph, list item and table row instead of running them
together. Bodies that lie about their encoding are decoded by a fallback and
the item carries a warning, rather than being dropped.
"""

from __future__ import annotations

import json
import re
from typing import Any

import lxml.html

BLOCK_TAGS = {
    "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "section", "article", "table", "ul", "ol", "br", "dt", "dd",
}  # fmt: skip


_WHITESPACE = re.compile(r"\s+")


def decode_bytes(body: bytes, declared: str | None = "utf-8") -> tuple[str, str | None]:
    """Decode ``body``; return the text and a warning when the declared charset was wrong.

    UTF-8 is tried first whatever is declared (it is self-validating); then
    the declared charset; then Windows-1252, which decodes any byte string and
    is what mislabelled British pages usually are.
    """
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    declared = (declared or "").lower()
    if declared and declared not in {"utf-8", "utf8"}:
        try:
            return body.decode(declared), None
        except (LookupError, UnicodeDecodeError):
            pass
    text = body.decode("cp1252", errors="replace")
    return text, f"body is not valid {declared or 'utf-8'}; decoded as windows-1252"


def load_json(body: bytes, declared: str | None = "utf-8") -> tuple[Any, str | None]:
    """Parse a JSON body with :func:`decode_bytes`; raises ``ValueError`` if malformed."""
    text, warning = decode_bytes(body, declared)
    return json.loads(text), warning


def _collapse(value: str | None) -> str | None:
    """Whitespace runs (source line breaks included) become one space, as browsers do."""
    return None if value is None else _WHITESPACE.sub(" ", value)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment, one line per block, whitespace tidied."""
    if not html or not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        # source line breaks are just spaces in HTML; only blocks start new lines
        element.text = _collapse(element.text)
        element.tail = _collapse(element.tail)
        if element.tag in {"td", "th"}:
            element.tail = " " + (element.tail or "")
        elif element.tag in BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
            if element.tag in {"p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "div"}:
                element.text = "\n" + (element.text or "")
    raw = root.text_content()
    lines = (" ".join(line.split()) for line in raw.splitlines())
    return "\n".join(line for line in lines if line)
