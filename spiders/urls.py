"""URL helpers shared by the spiders and the store (no Scrapy import here)."""

from __future__ import annotations

from urllib.parse import urlsplit


def url_key(url: str) -> str:
    """The host-independent key of a URL (path and query).

    Known-document files are keyed this way so that the same site served on
    another host or port (the fixture site picks a free port) still matches.
    """
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
