"""``policywatch sources check``: does each configured source answer?

Sources move (Parliament moved written answers and broke parsers for years),
so a source that stops answering must be reported, not left silently empty.
This probes one cheap URL per source, the one its spider starts from, and says
what came back. Sources marked ``verified = false`` in sources.toml were never
checked from a machine with internet; this is how to check them.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from policywatch.registry import SourceConfig

TIMEOUT_SECONDS = 15.0


def probe_url(source: SourceConfig, base_url: str) -> str:
    """The URL that tells whether a source is alive, by source kind."""
    base = base_url.rstrip("/")
    options = source.options
    probes: dict[str, Callable[[], str]] = {
        "govuk_search": lambda: f"{base}/api/search.json?count=1",
        "parliament_statements": lambda: f"{base}/api/writtenstatements/statements?take=1",
        "feed": lambda: options.get("feed_url") or f"{base}{options.get('feed_path', '/feed/')}",
        "wordpress": lambda: f"{base}/wp-json/wp/v2/posts?per_page=1",
        "sitemap": lambda: options.get("sitemap_url") or f"{base}/sitemap.xml",
        "html_listing": lambda: f"{base}{options.get('listing_path', '/news/')}",
    }
    return probes.get(source.kind, lambda: base)()


@dataclass(frozen=True)
class ProbeResult:
    source: SourceConfig
    url: str
    ok: bool
    status: int | None
    detail: str


def probe(source: SourceConfig, base_url: str, *, user_agent: str) -> ProbeResult:
    """GET the source's probe URL once (redirects followed) and judge the answer."""
    url = probe_url(source, base_url)
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            content_type = response.headers.get("Content-Type", "")
            response.read(4096)
            return ProbeResult(source, url, True, response.status, content_type)
    except urllib.error.HTTPError as exc:
        return ProbeResult(source, url, False, exc.code, exc.reason or "HTTP error")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return ProbeResult(source, url, False, None, str(reason))
