"""HTTP responses every view returns, and the broken ones the site can inject.

A view builds a ``Response`` (status, body, content type, extra headers) and the
HTTP handler writes it. The fault helpers turn a good response into what
misbehaving servers really send (error pages with ``Retry-After``, bodies cut
in half, latin-1 bodies labelled utf-8) so the crawler's resilience is tested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
    """What a route returns; the handler adds Content-Length and writes it."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


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


# --------------------------------------------------------------------------- faults


def fault_response(status: int, path: str) -> Response:
    """An injected error; 429 says when to retry, as rate limiters do."""
    headers = {"Retry-After": "1"} if status == 429 else {}
    if path.startswith("/api/") or "/wp-json/" in path:
        return json_response({"error": f"injected fault {status}"}, status, headers)
    response = html_response(page_html(f"Error {status}", f"<h1>Error {status}</h1>"), status)
    response.headers.update(headers)
    return response


def malformed(response: Response) -> Response:
    """Half the body with a 200: unparsable JSON/XML, broken HTML."""
    cut = max(1, len(response.body) // 2)
    return Response(200, response.body[:cut], response.content_type, response.headers)


def mislabelled_latin1(response: Response) -> Response:
    """The body in ISO-8859-1 while the Content-Type still says utf-8."""
    if response.content_type == PDF:
        return response
    text = response.body.decode("utf-8")
    return Response(
        response.status,
        text.encode("latin-1", errors="replace"),
        response.content_type,
        response.headers,
    )
