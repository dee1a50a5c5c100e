"""HTTP responses every view returns, and the broken ones the site can inject.

A view builds a ``Response`` (status, body, content type, extra headers and,
where it knows it, ``last_modified``) and the HTTP handler writes it. The
validator helpers give every 200 an ``ETag`` and ``Last-Modified`` and answer
conditional requests with 304. The fault helpers turn a good response into what
misbehaving servers really send (error pages with ``Retry-After``, redirect
loops, bodies cut short, wrong or missing charsets, HTML where JSON was due,
bodies over any sane size cap) so the crawler's resilience is tested.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from functools import lru_cache
from html import escape
from typing import Any

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=UTF-8"
PDF = "application/pdf"
TEXT = "text/plain; charset=utf-8"


@dataclass
class Response:
    """What a route returns; the handler adds Content-Length and writes it.

    ``last_modified`` is the newest visible change among what the response
    shows (aware datetime); ``FixtureSite.handle`` turns it into the
    ``Last-Modified`` header and honours ``If-Modified-Since`` with it. ``drop``
    asks the handler to close the connection without answering at all.
    """

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None
    drop: bool = False


def newest(*times: datetime | None) -> datetime | None:
    """The latest of some timestamps, ignoring None (None if there are none)."""
    present = [t for t in times if t is not None]
    return max(present) if present else None


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    return Response(status, body, JSON, dict(headers or {}))


def html_response(html: str, status: int = 200) -> Response:
    return Response(status, html.encode("utf-8"), HTML)


def page_html(title: str, body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n{head}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def not_found_html(path: str) -> Response:
    return html_response(
        page_html("Page not found", f"<h1>Page not found</h1><p>{escape(path)}</p>"), 404
    )


# --------------------------------------------------------------------------- validators


def etag_for(body: bytes) -> str:
    """A strong ETag: a hash of the exact bytes sent."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def http_date(when: datetime) -> str:
    """An IMF-fixdate (``Wed, 10 May 2023 11:00:00 GMT``)."""
    return format_datetime(when.astimezone(UTC).replace(microsecond=0), usegmt=True)


def add_validators(response: Response) -> Response:
    """Give a 200 its ``ETag`` (of the final body) and ``Last-Modified`` when known.

    Headers a view set itself win.
    """
    if response.status != 200:
        return response
    validators = {"ETag": etag_for(response.body)}
    if response.last_modified is not None:
        validators["Last-Modified"] = http_date(response.last_modified)
    return replace(response, headers={**validators, **response.headers})


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x"; * matches anything."""
    opaque = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False


def _parse_http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def is_not_modified(response: Response, request_headers: Mapping[str, str]) -> bool:
    """Whether a conditional GET may be answered 304 (RFC 9110 section 13.2.2).

    ``request_headers`` use Title-Case names. If-None-Match, when sent, decides
    alone; If-Modified-Since is used only without it and only when the
    response has a Last-Modified.
    """
    if response.status != 200:
        return False
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        etag = response.headers.get("ETag")
        return etag is not None and _etag_matches(if_none_match, etag)
    since_raw = request_headers.get("If-Modified-Since")
    if since_raw is None or response.last_modified is None:
        return False
    since = _parse_http_date(since_raw)
    modified = response.last_modified.astimezone(UTC).replace(microsecond=0)
    return since is not None and modified <= since


def not_modified(response: Response) -> Response:
    """The 304 for a response: no body, its validators and caching headers only."""
    kept = ("ETag", "Last-Modified", "Cache-Control", "Vary", "Expires")
    headers = {k: v for k, v in response.headers.items() if k in kept}
    return Response(304, b"", "", headers, response.last_modified)


# --------------------------------------------------------------------------- faults


def fault_response(status: int, path: str, retry_after: str = "1") -> Response:
    """An injected error; 429 says when to retry (``retry_after``), as rate limiters do."""
    headers = {"Retry-After": retry_after} if status == 429 else {}
    if path.startswith("/api/") or "/wp-json/" in path:
        return json_response({"error": f"injected fault {status}"}, status, headers)
    response = html_response(page_html(f"Error {status}", f"<h1>Error {status}</h1>"), status)
    response.headers.update(headers)
    return response


def retry_after_date(path: str) -> Response:
    """A 429 whose Retry-After is an HTTP date 1-2 s ahead (whole seconds, rounded up)."""
    when = math.ceil(time.time()) + 1
    return fault_response(429, path, formatdate(when, usegmt=True))


def redirect_to_self(target: str) -> Response:
    """A 302 back to the same path+query: a client that follows it goes round again."""
    body = page_html("Moved", f'<p>Moved to <a href="{escape(target)}">here</a>.</p>')
    return Response(302, body.encode("utf-8"), HTML, {"Location": target})


def service_unavailable_html() -> Response:
    """A 200 HTML error page, as proxies and CMSs serve in place of a feed or API."""
    html = (
        "<html><head><title>Service unavailable</title></head><body>"
        "<h1>Service unavailable</h1><p>The service is temporarily unavailable. "
        "Please try again later.</p></body></html>\n"
    )
    return Response(200, html.encode("utf-8"), HTML)


def dropped() -> Response:
    """Not a response: the handler closes the connection without answering."""
    return Response(0, b"", "", drop=True)


def _is_text(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith("text/") or kind.endswith(("json", "xml"))


def malformed(response: Response) -> Response:
    """Half the body with a 200: unparsable JSON/XML, broken HTML."""
    cut = max(1, len(response.body) // 2)
    return replace(response, status=200, body=response.body[:cut])


def truncated(response: Response, fraction: float = 0.4) -> Response:
    """The first ~40% of the body with a 200 and a Content-Length that matches it.

    The HTTP message is complete; the document in it is not. Text bodies are
    cut on a UTF-8 character boundary so the failure is the truncation alone.
    """
    body = response.body
    cut = max(1, int(len(body) * fraction))
    if _is_text(response.content_type):
        while 0 < cut < len(body) and body[cut] & 0xC0 == 0x80:  # a continuation byte
            cut -= 1
    return replace(response, status=200, body=body[:cut])


def mislabelled_latin1(response: Response) -> Response:
    """The body in ISO-8859-1 while the Content-Type still says utf-8."""
    if response.content_type == PDF:
        return response
    text = response.body.decode("utf-8")
    return replace(response, body=text.encode("latin-1", errors="replace"))


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: characters cp1252 lacks become JSON \\uXXXX escapes."""
    assert isinstance(error, UnicodeEncodeError)
    units = error.object[error.start : error.end].encode("utf-16-be")
    escaped = "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))
    return escaped, error.end


codecs.register_error("policywatch-json-escape", _json_escape)

_META_CHARSET = re.compile(rb"<meta charset=[\"']?utf-8[\"']?\s*/?>\n?", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"^(<\?xml[^>]*?encoding=)([\"'])utf-8\2", re.IGNORECASE)


def no_charset(response: Response) -> Response:
    """The body in windows-1252 and a Content-Type with no charset parameter.

    HTML loses its ``<meta charset>`` too (nothing declares the encoding, as on
    old hand-built sites); an XML declaration names windows-1252, as legacy
    feeds do. Characters cp1252 lacks become character references in HTML/XML
    and ``\\u`` escapes in JSON, so nothing is lost. Binary bodies are unchanged.
    """
    if not _is_text(response.content_type):
        return response
    kind = response.content_type.split(";", 1)[0].strip()
    text = response.body.decode("utf-8")
    is_json = kind.endswith("json")
    errors = "policywatch-json-escape" if is_json else "xmlcharrefreplace"
    body = text.encode("cp1252", errors=errors)
    if not is_json:
        body = _META_CHARSET.sub(b"", body, count=1)
        body = _XML_DECLARATION.sub(rb"\1\2windows-1252\2", body, count=1)
    return replace(response, body=body, content_type=kind)


@lru_cache(maxsize=2)
def _padding_block(size: int) -> bytes:
    """Spaces enough to pad any response to ``size``, built once per size."""
    return b" " * size


def oversize(response: Response, size: int) -> Response:
    """The real response padded to ``size`` bytes (unchanged if already that big).

    HTML and XML get the padding as a trailing comment, everything else
    (JSON, PDF, text) as trailing whitespace, so the document still parses
    for a client that accepts the size.
    """
    need = size - len(response.body)
    if need <= 0:
        return response
    block = memoryview(_padding_block(size))
    kind = response.content_type.split(";", 1)[0].strip().lower()
    markup = kind.endswith(("html", "xml"))
    if markup and need >= 9:
        parts = [response.body, b"\n<!--", block[: need - 9], b"-->\n"]
    else:
        parts = [response.body, block[:need]]
    return replace(response, body=b"".join(parts))
