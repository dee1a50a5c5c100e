"""Fault injection, conditional GET and the request-header log, over real HTTP.

Every fault a crawler must survive is exercised against the running fixture
site with a real client, as is the ETag / Last-Modified / 304 behaviour that
incremental crawls rely on.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
import pytest

from policywatch.fixture_site import server as server_module
from policywatch.fixture_site.responses import JSON, Response, no_charset
from policywatch.fixture_site.server import FixtureSite
from spiders import settings as crawler_settings

HOMES = "/api/content/government/news/dfe-homes-press"
HOMES_LAST_MODIFIED = "Mon, 10 May 2021 11:00:00 GMT"
WP_POST_PAGE = "/sites/childrens-commissioner/2023/11/cc-blog-2/"
RSS = "/sites/childrens-commissioner/feed/"
STRONG_ETAG = re.compile(r'^"[0-9a-f]{32}"$')


def raw_get(site: FixtureSite, path: str, headers: dict[str, str] | None = None):
    """One request with http.client, so nothing is followed, retried or decoded."""
    parts = urlsplit(site.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# --------------------------------------------------------------------------- conditional GET


def test_200s_carry_a_strong_etag_of_the_body_and_last_modified(client: httpx.Client) -> None:
    first, again = client.get(HOMES), client.get(HOMES)
    assert STRONG_ETAG.match(first.headers["etag"])
    assert first.headers["etag"] == again.headers["etag"]  # a hash of the bytes: stable
    assert first.headers["last-modified"] == HOMES_LAST_MODIFIED
    other = client.get("/api/content/government/speeches/dfe-protection-speech")
    assert other.headers["etag"] != first.headers["etag"]
    assert "etag" in client.get("/robots.txt").headers  # every 200, even without a date
    assert "last-modified" not in client.get("/robots.txt").headers
    assert "etag" not in client.get("/nowhere").headers  # errors carry no validators


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/government/news/dfe-homes-press", HOMES_LAST_MODIFIED),
        # withdrawn after its last version: the withdrawal is the latest change
        ("/api/content/government/publications/ho-asylum-policy", "Sun, 01 Jan 2023 00:00:00 GMT"),
        ("/government/publications/ho-asylum-policy", "Sun, 01 Jan 2023 00:00:00 GMT"),
        ("/government/organisations/department-for-education.atom", HOMES_LAST_MODIFIED),
        ("/search/all.atom", "Thu, 01 Aug 2024 10:00:00 GMT"),
        (RSS, "Fri, 05 Jan 2024 10:00:00 GMT"),  # cc-blog-2 was updated after publication
        ("/sites/childrens-commissioner/wp-json/wp/v2/posts", "Fri, 05 Jan 2024 10:00:00 GMT"),
        (WP_POST_PAGE, "Fri, 05 Jan 2024 10:00:00 GMT"),
        ("/sites/kinship/news/?page=2", "Thu, 15 Dec 2022 10:00:00 GMT"),  # all items count
        ("/sites/kinship/news/kinship-news-03/", "Fri, 15 Apr 2022 10:00:00 GMT"),
    ],
)
def test_last_modified_is_the_newest_visible_change(
    client: httpx.Client, path: str, expected: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["last-modified"] == expected


def test_wp_single_post_last_modified(client: httpx.Client) -> None:
    posts = client.get("/sites/childrens-commissioner/wp-json/wp/v2/posts").json()
    post = next(p for p in posts if p["slug"] == "cc-blog-2")
    single = client.get(f"/sites/childrens-commissioner/wp-json/wp/v2/posts/{post['id']}")
    assert single.headers["last-modified"] == "Fri, 05 Jan 2024 10:00:00 GMT"


def test_last_modified_follows_as_of(site: FixtureSite, client: httpx.Client) -> None:
    latest = client.get(HOMES)
    site.as_of = datetime(2020, 6, 1, tzinfo=UTC)  # before the 2021 correction
    then = client.get(HOMES)
    assert then.headers["last-modified"] == "Sun, 01 Mar 2020 09:30:00 GMT"
    assert then.headers["etag"] != latest.headers["etag"]
    assert client.get(HOMES, headers={"If-None-Match": latest.headers["etag"]}).status_code == 200


def test_if_none_match(site: FixtureSite) -> None:
    status, headers, body = raw_get(site, HOMES)
    etag = headers["ETag"]
    for header in (etag, f'"nope", {etag}', f"W/{etag}", "*"):
        status, got, body = raw_get(site, HOMES, {"If-None-Match": header})
        assert (status, body) == (304, b""), header
        assert got["ETag"] == etag and got["Last-Modified"] == HOMES_LAST_MODIFIED
        assert "Content-Length" not in got and "Content-Type" not in got
    status, _, body = raw_get(site, HOMES, {"If-None-Match": '"something-else"'})
    assert status == 200 and json.loads(body)["base_path"] == "/government/news/dfe-homes-press"


def test_if_modified_since(client: httpx.Client) -> None:
    def status(since: str, **extra: str) -> int:
        return client.get(HOMES, headers={"If-Modified-Since": since, **extra}).status_code

    assert status(HOMES_LAST_MODIFIED) == 304
    assert status("Tue, 01 Jan 2030 00:00:00 GMT") == 304
    assert status("Mon, 10 May 2021 10:59:59 GMT") == 200
    assert status("not a date") == 200
    # If-None-Match decides when both are sent
    assert status(HOMES_LAST_MODIFIED, **{"If-None-Match": '"other"'}) == 200
    # no Last-Modified known: If-Modified-Since alone never gives a 304
    robots = client.get("/robots.txt", headers={"If-Modified-Since": HOMES_LAST_MODIFIED})
    assert robots.status_code == 200


def test_head_is_conditional_too(client: httpx.Client) -> None:
    etag = client.head(HOMES).headers["etag"]
    assert client.head(HOMES, headers={"If-None-Match": etag}).status_code == 304


def test_a_queued_fault_beats_a_matching_etag(site: FixtureSite, client: httpx.Client) -> None:
    full = client.get(HOMES)
    site.faults[HOMES] = ["truncated"]
    cut = client.get(HOMES, headers={"If-None-Match": full.headers["etag"]})
    assert cut.status_code == 200 and full.content.startswith(cut.content)
    assert cut.headers["etag"] != full.headers["etag"]  # the ETag is of the bytes sent


# --------------------------------------------------------------------------- request headers


def test_request_headers_are_logged_title_case(site: FixtureSite) -> None:
    raw_get(site, "/robots.txt?x=1", {"user-agent": "policywatch-test/1.0", "If-None-Match": '"a"'})
    target, headers = site.request_headers[-1]
    assert target == "/robots.txt?x=1" == site.request_log[-1]
    assert headers["User-Agent"] == "policywatch-test/1.0"
    assert headers["If-None-Match"] == '"a"'
    assert len(site.request_headers) == len(site.request_log)


# --------------------------------------------------------------------------- faults


def test_retry_after_as_http_date(site: FixtureSite, client: httpx.Client) -> None:
    site.faults["/api/search.json"] = ["retry_after_date"]
    response = client.get("/api/search.json")
    assert response.status_code == 429 and "error" in response.json()
    when = parsedate_to_datetime(response.headers["retry-after"])
    wait = (when - datetime.now(UTC)).total_seconds()
    assert 0.5 < wait <= 2.0
    assert client.get("/api/search.json").status_code == 200


def test_redirect_loop(site: FixtureSite, client: httpx.Client) -> None:
    target = "/api/search.json?count=1&order=title"
    site.faults["/api/search.json"] = ["redirect_loop"]
    first = client.get(target)
    assert first.status_code == 302 and first.headers["location"] == target
    site.faults["/api/search.json"] = ["redirect_loop"] * 3  # one hop per queued entry
    followed = client.get(target, follow_redirects=True)
    assert followed.status_code == 200 and len(followed.history) == 3
    assert site.request_log[-4:] == [target] * 4


def test_redirect_loop_beats_the_redirect_limit(site: FixtureSite) -> None:
    site.faults["/robots.txt"] = ["redirect_loop"] * 4
    with (
        httpx.Client(base_url=site.base_url, max_redirects=3) as limited,
        pytest.raises(httpx.TooManyRedirects),
    ):
        limited.get("/robots.txt", follow_redirects=True)


def test_truncated_json_and_xml(site: FixtureSite, client: httpx.Client) -> None:
    full = client.get(HOMES).content
    site.faults[HOMES] = ["truncated"]
    cut = client.get(HOMES)
    assert cut.status_code == 200
    assert int(cut.headers["content-length"]) == len(cut.content)
    assert full.startswith(cut.content)
    assert 0.35 * len(full) <= len(cut.content) <= 0.4 * len(full)
    cut.content.decode("utf-8")  # cut on a character boundary: only the document is broken
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)
    site.faults[RSS] = ["truncated"]
    with pytest.raises(ET.ParseError):
        ET.fromstring(client.get(RSS).content)


def test_no_charset_json_html_and_xml(site: FixtureSite, client: httpx.Client) -> None:
    full = client.get(HOMES).json()
    site.faults[HOMES] = ["no_charset"]
    response = client.get(HOMES)
    assert response.headers["content-type"] == "application/json"
    assert b"\xa3259 million" in response.content
    assert json.loads(response.content.decode("cp1252")) == full

    site.faults[WP_POST_PAGE] = ["no_charset"]
    page = client.get(WP_POST_PAGE)
    assert page.headers["content-type"] == "text/html"
    assert b"\x93quoted\x94" in page.content and b"\x97" in page.content  # “quoted” and —
    assert b"charset" not in page.content.lower()  # nothing declares the encoding

    site.faults[RSS] = ["no_charset"]
    feed = client.get(RSS)
    assert feed.headers["content-type"] == "application/rss+xml"
    assert feed.content.startswith(b'<?xml version="1.0" encoding="windows-1252"?>')
    channel = ET.fromstring(feed.content).find("channel")
    assert channel.findtext("title") == "Children's Commissioner for England"


def test_no_charset_keeps_characters_cp1252_lacks() -> None:
    text = '{"title": "Arrows \u2192 and \U0001f600 and \u00a3"}'
    data = no_charset(Response(200, text.encode("utf-8"), JSON))
    assert b"\\u2192" in data.body and b"\\ud83d\\ude00" in data.body and b"\xa3" in data.body
    assert json.loads(data.body.decode("cp1252")) == json.loads(text)
    html = no_charset(Response(200, "<p>\u2192</p>".encode(), "text/html; charset=utf-8"))
    assert html.body == b"<p>&#8594;</p>" and html.content_type == "text/html"


def test_oversize_exceeds_the_crawler_cap(site: FixtureSite, client: httpx.Client) -> None:
    assert server_module.OVERSIZE_BYTES > crawler_settings.DOWNLOAD_MAXSIZE
    site.faults[HOMES] = ["oversize"]
    response = client.get(HOMES)
    assert response.status_code == 200
    assert len(response.content) == server_module.OVERSIZE_BYTES
    assert response.headers["content-length"] == str(server_module.OVERSIZE_BYTES)


def test_oversize_size_is_monkeypatchable(
    site: FixtureSite, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_module, "OVERSIZE_BYTES", 64 * 1024)
    site.faults[WP_POST_PAGE] = ["oversize"]
    assert len(client.get(WP_POST_PAGE).content) == 64 * 1024


def test_html_instead_of_json_or_xml(site: FixtureSite, client: httpx.Client) -> None:
    for path in (HOMES, RSS, "/sites/childrens-commissioner/wp-json/wp/v2/posts"):
        site.faults[path] = ["html"]
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.text.startswith("<html>")
        assert "<h1>Service unavailable</h1>" in response.text
        with pytest.raises(json.JSONDecodeError):
            response.json()
        assert client.get(path).headers["content-type"] != "text/html; charset=utf-8"


def test_hang_delays_then_answers(
    site: FixtureSite, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert server_module.HANG_SECONDS > crawler_settings.DOWNLOAD_TIMEOUT
    monkeypatch.setattr(server_module, "HANG_SECONDS", 0.3)
    site.faults["/robots.txt"] = ["hang"]
    started = time.monotonic()
    assert client.get("/robots.txt").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_hang_outlasts_a_client_timeout(site: FixtureSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "HANG_SECONDS", 5.0)  # stop() ends it at teardown
    site.faults[HOMES] = ["hang"]
    with (
        httpx.Client(base_url=site.base_url, timeout=0.3) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.get(HOMES)


def test_drop_closes_without_a_response(site: FixtureSite, client: httpx.Client) -> None:
    site.faults[HOMES] = ["drop", "drop"]
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(HOMES)
    with pytest.raises(http.client.RemoteDisconnected):
        raw_get(site, HOMES)
    assert client.get(HOMES).status_code == 200  # the next request is served


def test_unknown_fault_is_a_loud_500(site: FixtureSite, client: httpx.Client) -> None:
    site.faults["/robots.txt"] = ["no-such-fault"]
    response = client.get("/robots.txt")
    assert response.status_code == 500 and "no-such-fault" in response.json()["error"]


# --------------------------------------------------------------------------- fault keys


def test_prefix_fault_hits_every_matching_path_once_per_entry(
    site: FixtureSite, client: httpx.Client
) -> None:
    speech = "/api/content/government/speeches/dfe-protection-speech"
    site.faults["/api/content/*"] = [503, "malformed"]
    for path in (HOMES, speech):
        assert client.get(path).status_code == 503
    for path in (HOMES, speech):
        with pytest.raises(json.JSONDecodeError):
            json.loads(client.get(path).content)
    for path in (HOMES, speech):
        assert client.get(path).status_code == 200
    assert client.get("/api/search.json").status_code == 200  # not under the prefix
    assert site.faults["/api/content/*"] == [503, "malformed"]  # prefix queues stay

    site.faults["/api/content/*"] = [500]  # a new queue starts afresh for every path
    assert client.get(HOMES).status_code == 500
    assert client.get(HOMES).status_code == 200


def test_exact_key_then_longest_prefix(site: FixtureSite, client: httpx.Client) -> None:
    site.faults["/api/*"] = [502]
    site.faults["/api/content/*"] = [503]
    site.faults[HOMES] = [504]
    assert [client.get(HOMES).status_code for _ in range(4)] == [504, 503, 502, 200]
    assert HOMES not in site.faults  # exact queues empty as before


def test_pop_fault_is_thread_safe(site: FixtureSite) -> None:
    site.faults["/robots.txt"] = [503] * 10
    statuses: list[int] = []

    def fetch() -> None:
        with httpx.Client(base_url=site.base_url, timeout=5) as own:
            for _ in range(3):
                statuses.append(own.get("/robots.txt").status_code)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 14 + [503] * 10
