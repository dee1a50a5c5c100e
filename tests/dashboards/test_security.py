"""Security: headers, escaping of untrusted text, sign-in, CSRF, read-only public routes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from dashboards.downloads import _cell
from dashboards.security import safe_next
from policywatch.store.db import make_engine
from policywatch.store.tables import ReviewerUser, Signal
from tests.dashboards.conftest import REVIEWER, Seeded, shared_store, sign_in


@pytest.fixture(scope="module")
def backend() -> str:
    """Security does not depend on the database: SQLite only (test_api covers both)."""
    return "sqlite"


@pytest.fixture(scope="module")
def shared(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Seeded]]:
    """One store for the module; the one test that writes (a review) comes last."""
    with shared_store(backend, request, tmp_path_factory.mktemp("security")) as pair:
        yield pair


@pytest.fixture
def client(shared: tuple[TestClient, Seeded]) -> TestClient:
    shared[0].cookies.clear()
    return shared[0]


@pytest.fixture
def seeded(shared: tuple[TestClient, Seeded]) -> Seeded:
    return shared[1]


PAGES = ["/", "/timeline", "/signals", "/search?q=kinship", "/login"]


def test_security_headers_on_pages_api_and_errors(client: TestClient) -> None:
    for path in [*PAGES, "/api/documents", "/api/signals/missing", "/static/dashboard.js"]:
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        script_src = re.search(r"script-src ([^;]+)", csp).group(1)  # type: ignore[union-attr]
        assert script_src == "'self'", path
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert response.headers["x-frame-options"] == "DENY"


def test_no_inline_script_in_any_page(client: TestClient, seeded: Seeded) -> None:
    xss_doc = seeded.docs["xss"].document_id
    for path in [*PAGES, f"/documents/{xss_doc}", "/signals/contradiction-rcc-vs-reorganisation"]:
        html = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert 'src="' in tag or 'type="application/json"' in tag, (path, tag)
        for tag in re.findall(r"<[a-zA-Z][^>]*>", html):  # real tags only: text is escaped
            assert not re.search(r"\son[a-z]+\s*=", tag), (path, tag)  # no event handlers


def test_crawled_markup_is_shown_as_text(client: TestClient, seeded: Seeded) -> None:
    xss_doc = seeded.docs["xss"].document_id
    html = client.get(f"/documents/{xss_doc}").text
    assert "<script>window.__xss" not in html
    assert "&lt;script&gt;window.__xss" in html
    assert "<img src=x" not in html and '<img src="x"' not in html
    signal = client.get("/signals/" + "reactive-%22%3E%3Csvg%20onload%3Dalert(9)%3E").text
    assert "<svg onload" not in signal and "&lt;svg onload=alert(9)&gt;" in signal
    assert "&lt;script&gt;window.__xss=&#39;explanation&#39;" in signal
    timeline = client.get("/timeline?theme=kinship_care").text
    # the chart's JSON block escapes < and > so no tag can close it
    block = re.search(r'id="timeline-data">(.*?)</script>', timeline, re.S).group(1)  # type: ignore[union-attr]
    assert "<" not in block and "\\u003cscript\\u003e" in block


def test_public_routes_are_read_only(client: TestClient) -> None:
    for path in ["/timeline", "/api/documents", "/api/signals", "/signals/reversal-secure-places"]:
        assert client.post(path).status_code == 405
        assert client.delete(path).status_code == 405


def test_sign_in_needs_csrf_and_right_password(client: TestClient) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    no_csrf = client.post("/login", data={"username": REVIEWER[0], "password": REVIEWER[1]})
    assert no_csrf.status_code == 403
    wrong = client.post(
        "/login",
        data={"username": REVIEWER[0], "password": "not the password", "csrf_token": token},
        follow_redirects=False,
    )
    assert wrong.status_code == 303 and "failed=1" in wrong.headers["location"]
    assert "Sign out" not in client.get("/").text
    sign_in(client)
    assert "Signed in as reviewer" in client.get("/").text


def test_session_cookie_is_http_only_and_same_site(client: TestClient) -> None:
    response = client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_helpers_refuse_open_redirects_and_csv_formulas() -> None:
    assert safe_next("https://evil.example/") == "/"
    assert safe_next("//evil.example/") == "/"
    assert safe_next("/signals/x") == "/signals/x"
    assert _cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert _cell("plain") == "plain"


def test_csv_download_neutralises_formulas(client: TestClient) -> None:
    csv_text = client.get("/signals", params={"format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("id,key,kind")
    assert len(csv_text.splitlines()) == 5


def test_repeated_failed_sign_ins_are_refused_for_a_while(client: TestClient) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"username": "nobody-here", "password": "wrong password", "csrf_token": token}
    for _ in range(5):
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    assert client.post("/login", data=form, follow_redirects=False).status_code == 429
    # another reviewer is not affected
    sign_in(client)


# -- the test that writes: keep it last --


def test_review_form_needs_sign_in_and_csrf(client: TestClient, seeded: Seeded) -> None:
    key = "contradiction-rcc-vs-reorganisation"
    anonymous = client.post(
        f"/signals/{key}/review", data={"action": "confirm"}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert "Confirm signal" not in client.get(f"/signals/{key}").text
    token = sign_in(client)
    forged = client.post(f"/signals/{key}/review", data={"action": "dismiss", "csrf_token": "x"})
    assert forged.status_code == 403
    done = client.post(
        f"/signals/{key}/review",
        data={"action": "dismiss", "note": "same council, different year", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(f"/signals/{key}").text
    assert "reviewer chose <strong>dismiss</strong>: same council, different year" in page
    engine = make_engine(seeded.url)
    with Session(engine) as session:
        assert session.exec(select(Signal.status).where(Signal.key == key)).one() == "dismissed"
        stored = session.exec(select(ReviewerUser.password_hash)).one()
    engine.dispose()
    assert stored.startswith("$argon2id$") and REVIEWER[1] not in stored
    logout = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert logout.status_code == 303
    assert "Confirm signal" not in client.get(f"/signals/{key}").text
