"""The fixture site over real HTTP on 127.0.0.1, against the tiny corpus."""

from __future__ import annotations

import io
import json
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import pypdf
import pytest

from policywatch.fixture_site import server as server_module
from policywatch.fixture_site.server import FixtureSite

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
CHILDCARE_ROOT = "7a1c0000-0000-4000-8000-000000000001"
FOSTERING = "7a1c0000-0000-4000-8000-000000000004"


def search(client: httpx.Client, **params: object) -> dict:
    response = client.get("/api/search.json", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def links(data: dict) -> list[str]:
    return [r["link"].rsplit("/", 1)[1] for r in data["results"]]


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


# --------------------------------------------------------------------------- basics


def test_robots_txt(client: httpx.Client) -> None:
    response = client.get("/robots.txt")
    assert response.text == "User-agent: *\nDisallow: /private/\n"
    assert response.headers["content-type"].startswith("text/plain")


def test_index_pages_and_404(client: httpx.Client) -> None:
    home = client.get("/").text
    assert "/search/news-and-communications.atom" in home and "/sites/kinship/" in home
    assert 'href="/sites/childrens-commissioner/"' in client.get("/sites/").text
    assert client.get("/nowhere").status_code == 404
    missing = client.get("/api/content/government/news/nope")
    assert missing.status_code == 404 and "error" in missing.json()


def test_request_log_records_path_and_query(site: FixtureSite, client: httpx.Client) -> None:
    client.get("/api/search.json?count=1")
    client.get("/robots.txt")
    assert site.request_log[-2:] == ["/api/search.json?count=1", "/robots.txt"]


# --------------------------------------------------------------------------- Search API


def test_search_result_shape(client: httpx.Client) -> None:
    data = search(client, q="homes")
    assert data["total"] == 1 and data["start"] == 0
    assert data["aggregates"] == {} and data["suggested_queries"] == []
    result = data["results"][0]
    assert result["link"] == "/government/news/dfe-homes-press"
    assert result["title"] == "Money for children's homes"
    assert result["public_timestamp"] == "2021-05-10T11:00:00Z"
    assert result["first_published_at"] == "2020-03-01T09:30:00Z"
    assert result["content_store_document_type"] == "press_release"
    assert result["government_name"] == "2015 Conservative government"
    assert result["is_withdrawn"] is False
    assert [o["slug"] for o in result["organisations"]] == [
        "department-for-education",
        "hm-treasury",
    ]
    assert result["organisations"][0] == {
        "slug": "department-for-education",
        "title": "Department for Education",
        "acronym": "DfE",
        "link": "/government/organisations/department-for-education",
        "content_id": "0ffb1a70-2a8b-4c5b-9a0e-4a1e0a0b0001",
        "organisation_state": "live",
    }


def test_search_only_covers_govuk_and_defaults_to_popularity(client: httpx.Client) -> None:
    data = search(client)
    assert data["total"] == 4
    assert links(data) == sorted(links(data))  # stable "popularity" order
    assert search(client, q="HOMES")["total"] == 1  # case-insensitive
    assert search(client, q="blog")["total"] == 0  # sector posts are not on GOV.UK


def test_search_filters(client: httpx.Client) -> None:
    assert links(search(client, filter_organisations="hm-treasury")) == ["dfe-homes-press"]
    both = search(client, filter_organisations=["home-office", "hm-treasury"])
    assert sorted(links(both)) == ["dfe-homes-press", "ho-asylum-policy"]
    speech = search(client, filter_content_store_document_type="speech")
    assert links(speech) == ["dfe-protection-speech"]
    news = search(client, filter_content_purpose_supergroup="news_and_communications")
    assert sorted(links(news)) == ["dfe-homes-press", "dfe-protection-speech"]
    policy = search(client, filter_content_purpose_supergroup="policy_and_engagement")
    assert sorted(links(policy)) == ["dhsc-mental-health-outcome", "ho-asylum-policy"]
    tree = search(client, filter_part_of_taxonomy_tree=CHILDCARE_ROOT)
    assert sorted(links(tree)) == ["dfe-homes-press", "dfe-protection-speech"]
    assert links(search(client, filter_part_of_taxonomy_tree=FOSTERING)) == ["dfe-homes-press"]
    combined = search(
        client,
        filter_part_of_taxonomy_tree=CHILDCARE_ROOT,
        filter_content_store_document_type="speech",
    )
    assert links(combined) == ["dfe-protection-speech"]


def test_search_date_filter_is_inclusive_on_latest_version(client: httpx.Client) -> None:
    since = search(client, filter_public_timestamp="from:2021-05-10")
    assert sorted(links(since)) == [
        "dfe-homes-press",
        "dhsc-mental-health-outcome",
        "ho-asylum-policy",
    ]
    window = search(client, filter_public_timestamp="from:2019-01-01,to:2021-05-10")
    assert sorted(links(window)) == ["dfe-homes-press", "dfe-protection-speech"]
    until = search(client, filter_public_timestamp="to:2021-05-09")
    assert links(until) == ["dfe-protection-speech"]  # homes was re-timestamped in 2021


def test_search_order_paging_and_fields(client: httpx.Client) -> None:
    newest = links(search(client, order="-public_timestamp"))
    assert newest == [
        "dhsc-mental-health-outcome",
        "ho-asylum-policy",
        "dfe-homes-press",
        "dfe-protection-speech",
    ]
    assert links(search(client, order="public_timestamp")) == newest[::-1]
    titles = [r["title"] for r in search(client, order="title")["results"]]
    assert titles == sorted(titles, key=str.lower)
    page = search(client, order="-public_timestamp", count=2, start=2)
    assert links(page) == newest[2:] and page["total"] == 4 and page["start"] == 2
    narrow = search(client, count=1, fields="title,link")
    assert set(narrow["results"][0]) == {"title", "link"}
    repeated = search(client, count=1, fields=["title", "public_timestamp"])
    assert set(repeated["results"][0]) == {"title", "public_timestamp"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"filter_colour": "red", "foo": "1"}, "Unexpected parameters: filter_colour, foo"),
        ({"count": "1501"}, "Maximum result set size"),
        ({"count": "ten"}, 'Invalid value "ten" for parameter "count"'),
        ({"order": "-closing_date"}, "is not a valid sort field"),
        ({"filter_public_timestamp": "from:yesterday"}, "expected ISO8601 date"),
    ],
)
def test_search_rejects_bad_parameters(client: httpx.Client, params: dict, message: str) -> None:
    response = client.get("/api/search.json", params=params)
    assert response.status_code == 422
    assert message in response.json()["error"]


# --------------------------------------------------------------------------- Content API


def test_content_item_shape(client: httpx.Client, site: FixtureSite) -> None:
    item = client.get("/api/content/government/news/dfe-homes-press").json()
    assert item["schema_name"] == "news_article" and item["document_type"] == "press_release"
    assert item["locale"] == "en" and item["publishing_app"] == "whitehall"
    assert item["first_published_at"] == "2020-03-01T09:30:00Z"
    assert item["public_updated_at"] == "2021-05-10T11:00:00Z"
    assert item["content_id"] == site.corpus.get("dfe-homes-press").content_id
    details = item["details"]
    assert "£259 million" in details["body"] and "<table>" in details["body"]
    assert details["change_history"] == [
        {"public_timestamp": "2021-05-10T11:00:00Z", "note": "Corrected the amount."},
        {"public_timestamp": "2020-03-01T09:30:00Z", "note": "First published."},
    ]
    assert details["government"] == {
        "title": "2015 Conservative government",
        "slug": "2015-conservative-government",
        "current": False,
    }
    assert details["political"] is True
    orgs = item["links"]["organisations"]
    assert [o["title"] for o in orgs] == ["Department for Education", "HM Treasury"]
    assert item["links"]["primary_publishing_organisation"][0]["base_path"] == (
        "/government/organisations/department-for-education"
    )
    assert "withdrawn_notice" not in item


def test_content_item_taxons_carry_parent_chain(client: httpx.Client) -> None:
    item = client.get("/api/content/government/news/dfe-homes-press").json()
    chain, taxon = [], item["links"]["taxons"][0]
    while taxon:
        chain.append(taxon["base_path"])
        parents = taxon["links"].get("parent_taxons", [])
        taxon = parents[0] if parents else None
    assert chain == [
        "/childcare-parenting/fostering",
        "/childcare-parenting/children-in-care-including-adoption",
        "/childcare-parenting/safeguarding-and-social-care-for-children",
        "/childcare-parenting",
    ]
    assert item["links"]["taxons"][0]["api_path"] == "/api/content/childcare-parenting/fostering"


def test_content_item_kinds_withdrawn_and_government(client: httpx.Client) -> None:
    speech = client.get("/api/content/government/speeches/dfe-protection-speech").json()
    assert speech["schema_name"] == "speech" and speech["details"]["political"] is True
    policy = client.get("/api/content/government/publications/ho-asylum-policy").json()
    assert policy["schema_name"] == "publication"
    assert policy["withdrawn_notice"]["withdrawn_at"] == "2023-01-01T00:00:00Z"
    assert "Replaced by new guidance." in policy["withdrawn_notice"]["explanation"]
    outcome = client.get("/api/content/government/consultations/dhsc-mental-health-outcome")
    assert outcome.json()["details"]["government"]["title"] == "2024 Labour government"
    assert client.get("/api/content/childcare-parenting/fostering").json()["title"] == "Fostering"


def test_govuk_html_page(client: httpx.Client) -> None:
    page = client.get("/government/news/dfe-homes-press")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Money for children&#x27;s homes</h1>" in page.text
    assert 'datetime="2020-03-01T09:30:00Z"' in page.text
    assert "Corrected the amount." in page.text


def test_govuk_attachment_is_a_real_pdf(client: httpx.Client) -> None:
    item = client.get("/api/content/government/news/dfe-homes-press").json()
    attachment = item["details"]["attachments"][0]
    assert attachment["content_type"] == "application/pdf"
    assert attachment["filename"] == "homes-report.pdf"
    path = urlsplit(attachment["url"]).path
    assert path.startswith("/government/uploads/system/uploads/attachment_data/file/")
    response = client.get(path)
    assert response.headers["content-type"] == "application/pdf"
    assert len(response.content) == attachment["file_size"]
    text = pdf_text(response.content)
    assert text.startswith("Homes report Children's homes sufficiency (2021): the £259 million")
    assert "A back\\slash and (parentheses) survive the round trip." in text


# --------------------------------------------------------------------------- as_of


def test_as_of_hides_future_documents_and_serves_old_versions(
    site: FixtureSite, client: httpx.Client
) -> None:
    site.as_of = datetime(2020, 6, 1, tzinfo=UTC)
    assert sorted(links(search(client))) == ["dfe-homes-press", "dfe-protection-speech"]
    item = client.get("/api/content/government/news/dfe-homes-press").json()
    assert "£100 million" in item["details"]["body"]
    assert item["public_updated_at"] == "2020-03-01T09:30:00Z"
    assert len(item["details"]["change_history"]) == 1
    assert item["details"]["government"]["current"] is True
    assert client.get("/api/content/government/publications/ho-asylum-policy").status_code == 404
    assert client.get("/government/publications/ho-asylum-policy").status_code == 404
    posts = client.get("/sites/childrens-commissioner/wp-json/wp/v2/posts").json()
    assert [p["slug"] for p in posts] == ["cc-blog-0"]
    site.as_of = datetime(2022, 12, 1, tzinfo=UTC)  # published but not yet withdrawn
    policy = client.get("/api/content/government/publications/ho-asylum-policy").json()
    assert "withdrawn_notice" not in policy
    site.as_of = None
    assert search(client)["total"] == 4


# --------------------------------------------------------------------------- faults


def test_fault_429_then_recovers(site: FixtureSite, client: httpx.Client) -> None:
    site.faults["/api/search.json"] = [429, 500]
    first = client.get("/api/search.json")
    assert first.status_code == 429 and first.headers["retry-after"] == "1"
    second = client.get("/api/search.json")
    assert second.status_code == 500 and "retry-after" not in second.headers
    assert client.get("/api/search.json").json()["total"] == 4
    assert "/api/search.json" not in site.faults


def test_fault_malformed_json_and_html(site: FixtureSite, client: httpx.Client) -> None:
    site.faults["/api/content/government/news/dfe-homes-press"] = ["malformed"]
    broken = client.get("/api/content/government/news/dfe-homes-press")
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    site.faults["/sites/kinship/news/"] = ["malformed"]
    html = client.get("/sites/kinship/news/")
    assert html.status_code == 200 and "</html>" not in html.text


def test_fault_latin1_body_with_utf8_header(site: FixtureSite, client: httpx.Client) -> None:
    path = "/api/content/government/news/dfe-homes-press"
    site.faults[path] = ["latin1"]
    response = client.get(path)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert b"\xa3259 million" in response.content
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")


def test_fault_slow(
    site: FixtureSite, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_module, "SLOW_SECONDS", 0.3)
    site.faults["/robots.txt"] = ["slow"]
    started = time.monotonic()
    assert client.get("/robots.txt").status_code == 200
    assert time.monotonic() - started >= 0.3


# --------------------------------------------------------------------------- Atom


def test_organisation_atom_feed(client: httpx.Client) -> None:
    response = client.get("/government/organisations/department-for-education.atom")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.findtext(f"{ATOM}title") == "Department for Education - Activity on GOV.UK"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Press release: Money for children's homes",
        "Speech: Protecting children: a speech",
    ]
    first = entries[0]
    href = first.find(f"{ATOM}link").get("href")
    assert href.endswith("/government/news/dfe-homes-press")
    assert first.findtext(f"{ATOM}id") == f"{href}#2021-05-10T11:00:00Z"
    assert first.findtext(f"{ATOM}updated") == "2021-05-10T11:00:00Z"
    assert first.findtext(f"{ATOM}summary") == "Funding for new children's homes places."
    assert feed.findtext(f"{ATOM}updated") == "2021-05-10T11:00:00Z"


def test_finder_atom_feed(client: httpx.Client) -> None:
    feed = ET.fromstring(client.get("/search/news-and-communications.atom").content)
    ids = [e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")]
    assert ids == [
        "tag:127.0.0.1,2005:/government/news/dfe-homes-press",
        "tag:127.0.0.1,2005:/government/speeches/dfe-protection-speech",
    ]
    everything = ET.fromstring(client.get("/search/all.atom").content)
    assert len(everything.findall(f"{ATOM}entry")) == 4
    assert client.get("/government/organisations/nobody.atom").status_code == 404


# --------------------------------------------------------------------------- WordPress


def test_wp_json_paging(client: httpx.Client) -> None:
    base = "/sites/childrens-commissioner/wp-json/wp/v2/posts"
    first = client.get(base, params={"per_page": 1, "page": 1, "orderby": "date", "order": "desc"})
    assert first.headers["x-wp-total"] == "3" and first.headers["x-wp-totalpages"] == "3"
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    assert [p["slug"] for p in first.json()] == ["cc-blog-2"]
    last = client.get(base, params={"per_page": 1, "page": 3})
    assert 'rel="next"' not in last.headers["link"] and 'rel="prev"' in last.headers["link"]
    beyond = client.get(base, params={"per_page": 1, "page": 4})
    assert beyond.status_code == 400
    assert beyond.json()["code"] == "rest_post_invalid_page_number"
    assert client.get(base, params={"per_page": 101}).status_code == 400


def test_wp_post_object(client: httpx.Client, site: FixtureSite) -> None:
    base = "/sites/childrens-commissioner/wp-json/wp/v2/posts"
    posts = client.get(base, params={"after": "2021-01-01T00:00:00", "order": "asc"}).json()
    assert [p["slug"] for p in posts] == ["cc-blog-1", "cc-blog-2"]
    post = posts[1]
    assert post["date_gmt"] == "2023-11-20T10:00:00" and post["date"] == "2023-11-20T10:00:00"
    assert post["modified_gmt"] == "2024-01-05T10:00:00"
    assert post["title"]["rendered"] == "Commissioner blog 2"
    assert post["excerpt"]["rendered"] == "<p>Blog 2 summary.</p>\n"
    assert "“quoted”" in post["content"]["rendered"]
    assert post["link"] == f"{site.base_url}/sites/childrens-commissioner/2023/11/cc-blog-2/"
    assert isinstance(post["id"], int)
    again = client.get(base, params={"after": "2021-01-01T00:00:00", "order": "asc"}).json()
    assert again[1]["id"] == post["id"]
    only = client.get(base, params={"_fields": "id,title"}).json()
    assert all(set(p) == {"id", "title"} for p in only)
    single = client.get(f"{base}/{post['id']}").json()
    assert single["slug"] == "cc-blog-2"
    page = client.get(urlsplit(post["link"]).path).text
    assert '<div class="entry-content">\n<p>Blog post number 2' in page
    assert "<h1>Commissioner blog 2</h1>" in page and 'datetime="2023-11-20T10:00:00Z"' in page


def test_wp_attachment_pdf(client: httpx.Client) -> None:
    posts = client.get("/sites/childrens-commissioner/wp-json/wp/v2/posts").json()
    content = next(p for p in posts if p["slug"] == "cc-blog-1")["content"]["rendered"]
    assert "/sites/childrens-commissioner/wp-content/uploads/cc-report.pdf" in content
    response = client.get("/sites/childrens-commissioner/wp-content/uploads/cc-report.pdf")
    assert pdf_text(response.content) == "Our report The Commissioner's report on homes."


def test_rss_feed(client: httpx.Client) -> None:
    response = client.get("/sites/childrens-commissioner/feed/")
    assert response.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    assert channel.findtext("title") == "Children's Commissioner for England"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == [f"Commissioner blog {n}" for n in (2, 1, 0)]
    assert items[0].findtext("pubDate") == "Mon, 20 Nov 2023 10:00:00 GMT"
    assert items[0].findtext("link").endswith("/sites/childrens-commissioner/2023/11/cc-blog-2/")
    assert "<p>Blog post number 2" in items[0].findtext(f"{CONTENT}encoded")


# --------------------------------------------------------------------------- HTML sites


def test_html_listing_pagination(client: httpx.Client) -> None:
    first = client.get("/sites/kinship/news/", params={"page": 1}).text
    assert first.count('class="news-item"') == 10
    assert 'rel="next" href="/sites/kinship/news/?page=2"' in first
    assert first.index("Kinship news 11") < first.index("Kinship news 10")  # newest first
    assert '<time datetime="2022-12-15T10:00:00Z">' in first
    second = client.get("/sites/kinship/news/?page=2").text
    assert second.count('class="news-item"') == 2 and 'rel="next"' not in second
    assert 'rel="prev"' in second
    assert client.get("/sites/kinship/news/?page=3").status_code == 404


def test_html_article_and_report(client: httpx.Client) -> None:
    page = client.get("/sites/kinship/news/kinship-news-11/").text
    assert "<h1>Kinship news 11</h1>" in page
    assert '<time datetime="2022-12-15T10:00:00Z">' in page
    assert '<div class="article-body">\n<p>Kinship news item 11.</p>' in page
    assert "Kinship news item 11." in page
    assert "/sites/kinship/reports/kinship-report.pdf" in page
    report = client.get("/sites/kinship/reports/kinship-report.pdf")
    assert pdf_text(report.content) == "Kinship report Kinship report text."
    assert client.get("/sites/kinship/news/cc-blog-0/").status_code == 404
