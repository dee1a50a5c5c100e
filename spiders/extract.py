"""Reading sector-body web pages: dates, main text and PDF links, as pure functions.

Sector bodies publish full HTML pages with navigation, footers and sidebars,
so the article's main text is found with trafilatura (boilerplate removal is
the point there). Dates need more care than trafilatura's day-precision date:
an incremental crawl compares a page's update time with the one we hold, to
the second, so we read the page's own machine-readable timestamps first
(``article:published_time``/``article:modified_time`` meta tags, schema.org
``datePublished``/``dateModified`` in microdata or JSON-LD, ``<time
datetime>``), keeping their time zone, and fall back to htmldate's
``find_date`` (which may read a date out of the visible text) only when the
page has none.

The sitemap, HTML-listing and feed spiders share these; they hold no Scrapy
objects so each is tested on plain strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from html import escape, unescape
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

from spiders.items import AnnouncementItem
from spiders.text import html_to_text

#: where the article body usually is when trafilatura finds nothing (WordPress, Drupal, plain)
FALLBACK_BODY_SELECTORS = (
    ".entry-content",
    ".article-body",
    ".post-content",
    ".field--name-body",
    "article",
    "main",
    "[role=main]",
)
#: below this many characters of main text, trafilatura is asked again, favouring precision
SHORT_TEXT = 400
#: page regions whose PDF links are site furniture (annual reports, policies), not attachments
FURNITURE = "header, nav, footer, aside, form"
_PDF_SUFFIX = re.compile(r"\s*\((?:pdf|PDF)[^)]*\)\s*$")
_MODIFIED_CLASS = re.compile(r"modif|updat|revis", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_EXCERPT_TAIL = re.compile(r"\s*(?:\[(?:…|&hellip;|\.\.\.)\]|…|Continue reading.*|Read more.*)$")


# --------------------------------------------------------------------------- dates


def parse_when(value: str | None) -> datetime | None:
    """An aware UTC datetime from ISO 8601, a bare date or an RFC 822 date; None if unreadable.

    Naive times are taken as UTC: WordPress's ``*_gmt`` fields and sitemap
    ``lastmod`` values without an offset are UTC by definition, and for the
    rest it is the least surprising guess.
    """
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_utc_iso(value: str | None) -> str | None:
    """A timestamp as ISO 8601 UTC (``2025-02-20T10:00:00+00:00``), or None."""
    parsed = parse_when(value)
    return parsed.isoformat() if parsed else None


def parse_since(since: str | date | datetime | None) -> datetime | None:
    """The ``since`` option (an ISO date or datetime) as an aware UTC datetime."""
    if since is None or since == "":
        return None
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    if isinstance(since, date):
        return datetime(since.year, since.month, since.day, tzinfo=UTC)
    parsed = parse_when(since)
    if parsed is None:
        raise ValueError(f"since must be an ISO date, not {since!r}")
    return parsed


def older_than(when: str | None, since: datetime | None) -> bool:
    """True when ``when`` is known and earlier than ``since`` (unknown dates are kept)."""
    parsed = parse_when(when)
    return since is not None and parsed is not None and parsed < since


def newest(values: Iterable[str | None]) -> str | None:
    """The latest of some timestamps, as ISO UTC (unreadable ones ignored)."""
    parsed = [p for p in (parse_when(v) for v in values) if p is not None]
    return max(parsed).isoformat() if parsed else None


def _json_ld_dates(tree: lxml.html.HtmlElement) -> tuple[str | None, str | None]:
    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for node in walk(data):
            if node.get("datePublished"):
                return str(node["datePublished"]), node.get("dateModified")
    return None, None


def _first(tree: lxml.html.HtmlElement, xpaths: Iterable[str]) -> str | None:
    for xpath in xpaths:
        for value in tree.xpath(xpath):
            if parse_when(str(value)) is not None:
                return str(value)
    return None


def _is_modified_time(element: lxml.html.HtmlElement) -> bool:
    """A ``<time>`` that gives the update, by its class or an enclosing element's."""
    node: Any = element
    for _ in range(3):
        if node is None:
            break
        if _MODIFIED_CLASS.search(node.get("class") or "") or node.get("itemprop") == (
            "dateModified"
        ):
            return True
        node = node.getparent()
    return False


def time_elements(root: lxml.html.HtmlElement) -> tuple[str | None, str | None]:
    """(published, updated) from ``<time datetime>``: first plain one, first "updated" one."""
    published = updated = None
    for element in root.xpath(".//time[@datetime]"):
        value = element.get("datetime")
        if parse_when(value) is None:
            continue
        if _is_modified_time(element):
            updated = updated or value
        else:
            published = published or value
    return published, updated


def page_dates(tree: lxml.html.HtmlElement) -> tuple[str | None, str | None, str]:
    """(published, updated, how) from a page's machine-readable dates, as ISO UTC.

    ``how`` names the evidence used (``meta``, ``json-ld``, ``time`` or ``""``).
    """
    published = _first(
        tree,
        [
            '//meta[@property="article:published_time"]/@content',
            '//meta[@name="article:published_time"]/@content',
            '//meta[@itemprop="datePublished"]/@content',
            '//*[@itemprop="datePublished"]/@datetime',
            '//meta[@name="dcterms.created" or @name="DC.date.issued"]/@content',
        ],
    )
    updated = _first(
        tree,
        [
            '//meta[@property="article:modified_time"]/@content',
            '//meta[@name="article:modified_time"]/@content',
            '//meta[@property="og:updated_time"]/@content',
            '//meta[@itemprop="dateModified"]/@content',
            '//*[@itemprop="dateModified"]/@datetime',
            '//meta[@name="dcterms.modified"]/@content',
        ],
    )
    if published:
        return to_utc_iso(published), to_utc_iso(updated), "meta"
    ld_published, ld_updated = _json_ld_dates(tree)
    if ld_published and parse_when(ld_published):
        return to_utc_iso(ld_published), to_utc_iso(ld_updated) or to_utc_iso(updated), "json-ld"
    articles = tree.xpath("//article") or [tree]
    time_published, time_updated = time_elements(articles[0])
    if time_published or time_updated:
        return to_utc_iso(time_published), to_utc_iso(time_updated or updated), "time"
    return None, to_utc_iso(updated), ""


def htmldate_dates(html: str) -> tuple[str | None, str | None]:
    """htmldate's guesses (original and latest date), as ISO UTC; it drops time zones."""
    from htmldate import find_date  # imported late: it loads its date parsers on import

    fmt = "%Y-%m-%dT%H:%M:%S"
    try:
        original = find_date(html, original_date=True, outputformat=fmt)
        latest = find_date(html, original_date=False, outputformat=fmt)
    except (ValueError, TypeError):  # htmldate raises on some unparseable input
        return None, None
    return to_utc_iso(original), to_utc_iso(latest)


# --------------------------------------------------------------------------- links


def pdf_attachments(root: lxml.html.HtmlElement | str, base_url: str) -> list[dict[str, Any]]:
    """Links to PDFs in an element or HTML fragment: ``{"title", "url", "filename"}``, once each."""
    if isinstance(root, str):
        if not root.strip():
            return []
        root = lxml.html.fragment_fromstring(root, create_parent="div")
    found: dict[str, dict[str, Any]] = {}
    for link in root.xpath(".//a[@href]"):
        url = urljoin(base_url, link.get("href").strip())
        path = urlsplit(url).path
        if not (path.lower().endswith(".pdf") or "pdf" in (link.get("type") or "").lower()):
            continue
        filename = unquote(path.rsplit("/", 1)[-1])
        title = _PDF_SUFFIX.sub("", " ".join(link.text_content().split())) or filename
        found.setdefault(url, {"title": title, "url": url, "filename": filename})
    return list(found.values())


def merge_attachments(*groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attachments from several places, each URL once, first seen first."""
    merged: dict[str, dict[str, Any]] = {}
    for group in groups:
        for attachment in group:
            merged.setdefault(attachment["url"], attachment)
    return list(merged.values())


def inner_html(element: lxml.html.HtmlElement) -> str:
    """The HTML inside an element, without the element itself."""
    text = escape(element.text, quote=False) if element.text else ""
    return text + "".join(
        lxml.html.tostring(child, encoding="unicode", method="html") for child in element
    )


def _is_xpath(selector: str) -> bool:
    return selector.startswith(("/", "(", "./"))


def select(root: lxml.html.HtmlElement, selector: str) -> list[Any]:
    """CSS, or XPath when the selector starts with ``/`` or ``(`` (options accept both)."""
    if _is_xpath(selector):
        return list(root.xpath(selector))
    return list(root.cssselect(selector))


def select_first(root: lxml.html.HtmlElement, selector: str) -> Any | None:
    """The first match, trying a CSS group's selectors in the order written.

    ``h2 a, a`` means "the heading's link, else any link", which document
    order (what a CSS group returns) would not give.
    """
    parts = [selector] if _is_xpath(selector) else [p.strip() for p in selector.split(",")]
    for part in parts:
        found = select(root, part) if part else []
        if found:
            return found[0]
    return None


# --------------------------------------------------------------------------- articles


class ExtractionError(ValueError):
    """A page we cannot turn into an article; ``reason`` is the error item's reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class Article:
    """What a page says about itself: the fields an announcement needs."""

    title: str
    description: str
    body_html: str
    body_text: str
    published: str | None
    updated: str | None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def looks_truncated(html: str) -> bool:
    """True for a document that stops before ``</body>``/``</html>``: cut off in transit.

    HTML allows both end tags to be left out, but pages written by a CMS always
    close them, so their absence in a page that opened ``<html>`` or ``<body>``
    means the body we hold is not the whole page.
    """
    lowered = html.lower()
    opened = "<html" in lowered or "<body" in lowered
    return opened and "</body>" not in lowered and "</html>" not in lowered


def _trafilatura_body(html: str, url: str) -> str:
    """trafilatura's main text as HTML; on a short result, its precision mode's instead.

    On a page with little text trafilatura falls back to keeping nearly all
    of it, menus included; in a short text those would be most of the body.
    """
    import trafilatura  # imported late: it is slow to import and only pages need it

    body = ""
    for favor_precision in (False, True):
        extracted = trafilatura.extract(
            html,
            url=url,
            output_format="html",
            include_links=True,
            include_tables=True,
            include_formatting=True,
            include_comments=False,
            include_images=False,
            favor_precision=favor_precision,
        )
        if not extracted:
            return ""
        root = lxml.html.fromstring(extracted)
        found = root.find("body")
        body = inner_html(found if found is not None else root).strip()
        if len(html_to_text(body)) >= SHORT_TEXT:
            break
    return body


def _has_text(body_html: str, title: str) -> bool:
    """Whether a body says anything beyond repeating the page's title."""
    same = " ".join(title.split()).casefold()
    return any(line.casefold() != same for line in html_to_text(body_html).splitlines())


def _main_element(tree: lxml.html.HtmlElement, selectors: Iterable[str]) -> Any:
    for selector in selectors:
        for element in select(tree, selector):
            if isinstance(element, lxml.html.HtmlElement) and element.text_content().strip():
                return element
    return None


def _title(tree: lxml.html.HtmlElement, metadata_title: str | None) -> str:
    candidates = [
        metadata_title,
        *tree.xpath('//meta[@property="og:title"]/@content'),
        *(h.text_content() for h in tree.xpath("//article//h1 | //h1")),
        *tree.xpath("//title/text()"),
    ]
    return next((" ".join(c.split()) for c in candidates if c and c.strip()), "")


def extract_article(
    html: str,
    url: str,
    *,
    body_selector: str | None = None,
    listed_published: str | None = None,
) -> Article:
    """Title, description, main text, dates and PDF links of an article page.

    The body is the element ``body_selector`` names when given (a site's own
    markup is the most precise), else trafilatura's main text, else the first
    usual article container. Dates come from the page's machine-readable
    metadata; failing that, from ``listed_published`` (the date a listing or
    feed showed for the page), and only then from htmldate's guess, with a
    warning. Raises :class:`ExtractionError` with reason ``truncated_page``
    for a page cut off in transit (storing half a body would look like an edit
    later) and ``no_main_text`` when the page has no text beyond its title.
    """
    if looks_truncated(html):
        raise ExtractionError("truncated_page", "the page ends before </body> and </html>")
    html = _XML_DECLARATION.sub("", html, count=1)  # XHTML pages; lxml refuses it in a str
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError("no_main_text", f"not an HTML page: {exc}") from exc
    warnings: list[str] = []

    import trafilatura

    # from the text, not our tree: trafilatura may prune the tree it is given
    metadata = trafilatura.extract_metadata(html, default_url=url, extensive=False)
    title = _title(tree, metadata.title)
    chosen = _main_element(tree, [body_selector]) if body_selector else None
    body_html = inner_html(chosen).strip() if chosen is not None else ""
    if body_selector and chosen is None:
        warnings.append(f"body_selector {body_selector!r} matched nothing; used trafilatura")
    if not body_html:
        body_html = _trafilatura_body(html, url)
    if not _has_text(body_html, title):
        fallback = _main_element(tree, FALLBACK_BODY_SELECTORS)
        body_html = inner_html(fallback).strip() if fallback is not None else ""
    if not _has_text(body_html, title):
        raise ExtractionError("no_main_text", "no main text found on the page")
    body_text = html_to_text(body_html)

    published, updated, _how = page_dates(tree)
    if not published and listed_published:
        published = to_utc_iso(listed_published)
    if not published:
        guessed_published, guessed_updated = htmldate_dates(html)
        if guessed_published:
            warnings.append("publication date guessed by htmldate (no time zone on the page)")
        published, updated = guessed_published, updated or guessed_updated
    if not published and not updated:
        warnings.append("no date found on the page")
    attachments_root = chosen if chosen is not None else _attachment_region(tree)
    return Article(
        title=title,
        description=" ".join((metadata.description or "").split()),
        body_html=body_html,
        body_text=body_text,
        published=published,
        updated=newest([published, updated]),
        attachments=pdf_attachments(attachments_root, url),
        warnings=warnings,
    )


def _attachment_region(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The article (or the page without its furniture) to look for PDF links in."""
    region = _main_element(tree, ["article", "main", "[role=main]"])
    if region is not None:
        return region
    body = tree.find("body")
    region = lxml.html.fromstring(lxml.html.tostring(body if body is not None else tree))
    for furniture in region.cssselect(FURNITURE):
        furniture.drop_tree()
    return region


def clean_excerpt(html: str) -> str:
    """An excerpt as one line of text, without WordPress's "[…]" or "Continue reading"."""
    return _EXCERPT_TAIL.sub("", " ".join(html_to_text(html).split())).strip()


def plain_title(html_title: str) -> str:
    """A title as WordPress renders it (entities, sometimes tags) as plain text."""
    if "<" in html_title:
        return " ".join(html_to_text(html_title).split())
    return " ".join(unescape(html_title).split())


# --------------------------------------------------------------------------- items


def organisation(publisher: str, title: str = "") -> list[dict[str, Any]]:
    """The ``organisations`` of a sector-body item: the one publisher the source is."""
    if not publisher:
        return []
    return [{"slug": publisher, "title": title or publisher}]


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def article_item(
    article: Article,
    *,
    source_key: str,
    url: str,
    publisher: str,
    publisher_title: str = "",
    document_type: str = "blog_post",
    http: dict[str, str] | None = None,
    external_id: str | None = None,
    fetched_at: str | None = None,
) -> AnnouncementItem:
    """An announcement from an extracted article page."""
    return AnnouncementItem(
        source_key=source_key,
        url=url,
        external_id=external_id,
        title=article.title,
        description=article.description,
        document_type=document_type,
        body_html=article.body_html,
        body_text=article.body_text,
        organisations=organisation(publisher, publisher_title),
        first_published_at=article.published,
        public_updated_at=article.updated or article.published,
        attachments=list(article.attachments),
        http=dict(http or {}),
        warnings=list(article.warnings),
        fetched_at=fetched_at or now_iso(),
    )
