"""spiders.extract: dates, main text and PDF links of sector-body pages (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import lxml.html
import pytest

from spiders.extract import (
    Article,
    ExtractionError,
    article_item,
    clean_excerpt,
    extract_article,
    looks_truncated,
    merge_attachments,
    newest,
    older_than,
    page_dates,
    parse_since,
    parse_when,
    pdf_attachments,
    plain_title,
    select,
    select_first,
    time_elements,
    to_utc_iso,
)
from tests.spiders.sector import CORPUS, corpus_text, offline_site

LONG = "Councils told us that placements cost more every year and come later. " * 6


def page(body: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>Page title | Site</title>{head}</head>"
        f"<body><header><nav><a href='/'>Home</a><a href='/annual-report.pdf'>Annual report"
        f"</a></nav></header>{body}<footer>© Site</footer></body></html>"
    )


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-02-20T10:00:00Z", "2025-02-20T10:00:00+00:00"),
        ("2025-02-20T11:00:00+01:00", "2025-02-20T10:00:00+00:00"),
        ("2025-02-20T10:00:00", "2025-02-20T10:00:00+00:00"),  # naive is UTC (WordPress *_gmt)
        ("2025-02-20", "2025-02-20T00:00:00+00:00"),  # sitemap lastmod may be a bare date
        ("Thu, 20 Feb 2025 10:00:00 GMT", "2025-02-20T10:00:00+00:00"),  # RSS pubDate
        ("Thu, 20 Feb 2025 10:00:00 +0100", "2025-02-20T09:00:00+00:00"),
        ("next Tuesday", None),
        ("", None),
        (None, None),
    ],
)
def test_timestamps_become_iso_utc(raw: str | None, expected: str | None) -> None:
    assert to_utc_iso(raw) == expected


def test_since_older_than_and_newest() -> None:
    since = parse_since("2024-01-01")
    assert since == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_since(date(2024, 1, 1)) == since
    assert parse_since(None) is None
    assert older_than("2023-12-31T23:59:59Z", since)
    assert not older_than("2024-01-01T00:00:00Z", since)
    assert not older_than(None, since)  # an undated item is kept, not silently dropped
    assert not older_than("2020-01-01", None)
    assert newest(["2024-01-01T00:00:00Z", None, "2024-03-01T09:00:00+01:00", "bad"]) == (
        "2024-03-01T08:00:00+00:00"
    )
    assert newest([None]) is None
    with pytest.raises(ValueError, match="since"):
        parse_since("last week")


def test_page_dates_prefer_meta_then_json_ld_then_time() -> None:
    meta = lxml.html.document_fromstring(
        page(
            '<article><time datetime="2020-01-01T00:00:00Z">x</time><p>t</p></article>',
            '<meta property="article:published_time" content="2025-02-20T10:00:00+00:00">'
            '<meta property="article:modified_time" content="2025-03-03T09:00:00Z">',
        )
    )
    assert page_dates(meta) == ("2025-02-20T10:00:00+00:00", "2025-03-03T09:00:00+00:00", "meta")
    json_ld = lxml.html.document_fromstring(
        page(
            "<p>t</p>",
            '<script type="application/ld+json">{"@graph": [{"@type": "WebPage"}, '
            '{"@type": "NewsArticle", "datePublished": "2024-05-01T08:00:00+01:00", '
            '"dateModified": "2024-05-02T08:00:00+01:00"}]}</script>',
        )
    )
    assert page_dates(json_ld) == (
        "2024-05-01T07:00:00+00:00",
        "2024-05-02T07:00:00+00:00",
        "json-ld",
    )
    times = lxml.html.document_fromstring(
        page(
            '<article><p class="meta"><time datetime="2023-02-07T10:00:00Z">7 Feb</time>'
            '<span class="updated">Updated <time datetime="2023-03-01T10:00:00Z">1 Mar</time>'
            "</span></p><p>t</p></article>"
        )
    )
    assert page_dates(times) == ("2023-02-07T10:00:00+00:00", "2023-03-01T10:00:00+00:00", "time")
    assert page_dates(lxml.html.document_fromstring(page("<p>t</p>"))) == (None, None, "")


def test_time_elements_tell_published_from_updated_by_class() -> None:
    root = lxml.html.fragment_fromstring(
        '<li><time class="modified" datetime="2024-02-01">b</time>'
        '<time datetime="not a date">?</time><time datetime="2024-01-01">a</time></li>'
    )
    assert time_elements(root) == ("2024-01-01", "2024-02-01")


def test_a_listed_date_then_htmldate_stand_in_for_a_page_without_dates() -> None:
    html = page(f"<article><h1>Report</h1><p>Published 14 July 2016.</p><p>{LONG}</p></article>")
    article = extract_article(html, "https://example.org/report/")
    assert article.published == "2016-07-14T00:00:00+00:00"
    assert article.warnings == ["publication date guessed by htmldate (no time zone on the page)"]
    listed = extract_article(html, "https://example.org/report/", listed_published="2016-07-15")
    assert (listed.published, listed.warnings) == ("2016-07-15T00:00:00+00:00", [])


# --------------------------------------------------------------------------- links


def test_pdf_attachments_are_absolute_titled_and_unique() -> None:
    fragment = (
        '<p><a href="/files/Our%20report.pdf">Our report (PDF, 1.2MB)</a></p>'
        '<p><a href="https://cdn.example.org/r.PDF?v=2">  Annual\n  review </a></p>'
        '<p><a href="/download/42" type="application/pdf">Data</a></p>'
        '<p><a href="/files/Our%20report.pdf">again</a><a href="/about/">About</a></p>'
    )
    assert pdf_attachments(fragment, "https://example.org/news/item/") == [
        {
            "title": "Our report",
            "url": "https://example.org/files/Our%20report.pdf",
            "filename": "Our report.pdf",
        },
        {
            "title": "Annual review",
            "url": "https://cdn.example.org/r.PDF?v=2",
            "filename": "r.PDF",
        },
        {"title": "Data", "url": "https://example.org/download/42", "filename": "42"},
    ]
    assert pdf_attachments("", "https://example.org/") == []
    a = {"title": "A", "url": "u1", "filename": "a.pdf"}
    b = {"title": "B", "url": "u2", "filename": "b.pdf"}
    assert merge_attachments([a], [dict(a, title="other"), b]) == [a, b]


def test_select_takes_css_or_xpath_and_select_first_honours_the_order_written() -> None:
    root = lxml.html.fragment_fromstring('<div><p>two</p><p class="x">one</p></div>')
    assert [p.text for p in select(root, "p.x")] == ["one"]
    assert [p.text for p in select(root, "//p[not(@class)]")] == ["two"]
    assert select_first(root, "p.x, p").text == "one"  # not the first <p> in the page
    assert select_first(root, "h2, p").text == "two"
    assert select_first(root, "h2") is None
    assert select_first(root, "(//p)[2]").text == "one"


def test_excerpts_and_titles_are_plain_text() -> None:
    assert clean_excerpt("<p>Our response to the review [&hellip;]</p>\n") == (
        "Our response to the review"
    )
    assert clean_excerpt("<p>Short.</p><p>Continue reading →</p>") == "Short."
    assert plain_title("Children&#8217;s homes &amp; care") == "Children\u2019s homes & care"
    assert plain_title("<em>Stable</em> homes") == "Stable homes"


# --------------------------------------------------------------------------- articles


@pytest.mark.parametrize(
    "doc",
    [d for d in CORPUS.documents if d.source in ("wordpress", "html")],
    ids=lambda d: d.id,
)
def test_every_sector_article_page_reads_back_as_its_corpus_document(doc) -> None:  # type: ignore[no-untyped-def]
    site = offline_site()
    path = site.post_path(doc)
    article = extract_article(site.handle(path).body.decode(), site.base_url + path)
    assert article.title == doc.title
    assert article.description == doc.description
    assert article.published == doc.first_published_at.isoformat()
    assert article.updated == doc.public_updated_at.isoformat()
    assert corpus_text(doc) in article.body_text  # the whole body, one line per block
    assert [(a["title"], a["filename"]) for a in article.attachments] == [
        (a.title, a.filename) for a in doc.attachments
    ]
    assert article.warnings == []


def test_body_selector_wins_and_furniture_pdfs_are_not_attachments() -> None:
    html = page(
        f'<main><h1>Heading</h1><div class="story"><p>{LONG}</p>'
        '<p><a href="/r.pdf">Report (PDF)</a></p></div><aside><p>Related: see also our work '
        "on fostering, adoption, kinship care and residential care across England.</p>"
        "</aside></main>"
    )
    chosen = extract_article(html, "https://example.org/a/", body_selector=".story")
    assert chosen.body_text.startswith("Councils told us") and "Related" not in chosen.body_text
    assert [a["url"] for a in chosen.attachments] == ["https://example.org/r.pdf"]
    assert chosen.title == "Heading"  # no og:title, trafilatura found the h1
    missing = extract_article(html, "https://example.org/a/", body_selector=".nope")
    assert "Councils told us" in missing.body_text
    assert missing.warnings[0] == "body_selector '.nope' matched nothing; used trafilatura"
    assert "annual-report" not in str(missing.attachments)  # the nav's PDF is site furniture


def test_a_cut_off_or_empty_page_is_an_extraction_error() -> None:
    site = offline_site()
    doc = next(d for d in CORPUS.documents if d.source == "html")
    html = site.handle(site.post_path(doc)).body.decode()
    assert not looks_truncated(html)
    assert looks_truncated(html[: len(html) // 2])
    with pytest.raises(ExtractionError) as cut:
        extract_article(html[: len(html) // 2], "https://example.org/a/")
    assert cut.value.reason == "truncated_page"
    with pytest.raises(ExtractionError) as empty:
        extract_article(page("<article><h1>Title only</h1></article>"), "https://x.org/")
    assert empty.value.reason == "no_main_text"
    assert not looks_truncated("<p>a fragment never opened html</p>")


def test_an_xhtml_page_with_an_xml_declaration_is_read() -> None:
    html = '<?xml version="1.0" encoding="utf-8"?>\n' + page(f"<article><p>{LONG}</p></article>")
    assert extract_article(html, "https://example.org/a/").body_text.startswith("Councils")


def test_article_item_carries_publisher_dates_and_validators() -> None:
    article = Article(
        title="T",
        description="D",
        body_html="<p>B</p>",
        body_text="B",
        published="2024-01-01T10:00:00+00:00",
        updated=None,
        attachments=[{"title": "R", "url": "https://x.org/r.pdf", "filename": "r.pdf"}],
        warnings=["w"],
    )
    item = article_item(
        article,
        source_key="k",
        url="https://x.org/a/",
        publisher="ncercc",
        publisher_title="NCERCC",
        document_type="news",
        http={"etag": '"1"'},
        fetched_at="2026-01-01T00:00:00+00:00",
    )
    assert item.organisations == [{"slug": "ncercc", "title": "NCERCC"}]
    assert item.public_updated_at == item.first_published_at == "2024-01-01T10:00:00+00:00"
    assert (item.document_type, item.http, item.warnings) == ("news", {"etag": '"1"'}, ["w"])
    assert item.attachments == article.attachments and item.attachments is not article.attachments
    assert item.external_id is None
    assert parse_when(item.fetched_at) == datetime(2026, 1, 1, tzinfo=UTC)
