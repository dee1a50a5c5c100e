"""The journalist's path in a real browser: Debian's chromium driven by Playwright.

Playwright's own browser download cannot work offline, so it drives
``/usr/bin/chromium`` through ``executable_path`` (``.ci/run`` installs the
package when it is missing). The app runs under uvicorn on 127.0.0.1, on a
seeded SQLite store. Screenshots go to ``tests/output/screenshots`` (git-ignored).
Every page also records CSP violations, console errors and dialogs, so a
chart that needs a looser policy or a script that should not run shows up.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from dashboards.app import create_app
from policywatch.config import Settings
from tests.dashboards.conftest import (
    QUOTE_AGAIN,
    QUOTE_FIRST,
    Seeded,
    seed,
    sqlite_store,
)

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "output" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


class Server:
    """uvicorn serving the app on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded]]:
    tmp = tmp_path_factory.mktemp("browser")
    seeded = seed(sqlite_store(tmp))
    app = create_app(Settings(database_url=seeded.url, data_dir=tmp / "data"))
    with Server(app) as base_url:
        yield base_url, seeded


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on(
        "console",
        lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"),
    )
    page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def assert_clean(page: Any) -> None:
    """No CSP violation, console error, page error or dialog on this page."""
    violations = page.evaluate("window.__csp")
    assert violations == [], violations
    assert page.problems == [], page.problems


def test_timeline_filter_signal_quotes_and_permalink(site: tuple[str, Seeded], page: Any) -> None:
    base_url, _ = site
    page.goto(f"{base_url}/timeline")
    page.wait_for_selector("#timeline-chart[data-drawn='true'] .scatterlayer", state="attached")
    assert page.locator("table.list tbody tr").count() == 7
    shot(page, "01-timeline")
    assert_clean(page)

    page.get_by_label("residential care").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"theme=residential_care"))
    page.wait_for_selector("#timeline-chart[data-drawn='true'] .scatterlayer", state="attached")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 3
    titles = rows.locator("td:nth-child(2)").all_inner_texts()
    assert "Children's homes capital fund" in titles
    # the chart draws the three documents and the signal lines that join them
    assert page.locator("#timeline-chart .scatterlayer .trace").count() >= 2
    shot(page, "02-timeline-residential-care")
    assert_clean(page)
    filtered_url = page.url

    page.get_by_role("link", name=re.compile("children's homes places")).first.click()
    page.wait_for_selector("article.signal")
    quotes = page.locator(".quotes blockquote").all_inner_texts()
    assert [q.strip() for q in quotes] == [QUOTE_FIRST, QUOTE_AGAIN]
    captions = page.locator(".quotes figcaption").all_inner_texts()
    assert all("Department For Education" in c for c in captions)
    assert "1 Mar 2022" in captions[0] and "2 Feb 2023" in captions[1]
    assert page.locator("#cite-bibtex").input_value().startswith("@misc{policywatch_")
    shot(page, "03-signal-reannouncement")
    assert_clean(page)

    permalink = page.locator("a.permalink").get_attribute("href")
    fresh = page.context.browser.new_context()
    other = fresh.new_page()
    other.goto(f"{base_url}{permalink}")
    assert [q.strip() for q in other.locator(".quotes blockquote").all_inner_texts()] == [
        QUOTE_FIRST,
        QUOTE_AGAIN,
    ]
    shot(other, "04-signal-permalink")
    # the filtered timeline's URL reproduces the same view in a new browser
    other.goto(filtered_url)
    assert other.locator("table.list tbody tr").count() == 3
    assert other.get_by_label("residential care").is_checked()
    fresh.close()


def test_keyboard_navigation_and_accessibility(site: tuple[str, Seeded], page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    base_url, seeded = site
    page.goto(f"{base_url}/timeline")
    page.wait_for_selector("#timeline-chart[data-drawn='true']")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    # from the main content, Tab reaches the filters; Space ticks a theme, Enter submits
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "theme":
            break
    assert page.evaluate("document.activeElement.value") == "residential_care"
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"theme=residential_care"))
    assert page.locator("table.list tbody tr").count() == 3

    axe = Axe()
    pages = {
        "overview": "/",
        "timeline": "/timeline?theme=residential_care",
        "signals": "/signals",
        "signal": "/signals/contradiction-rcc-vs-reorganisation",
        "document": f"/documents/{seeded.docs['homes2'].document_id}",
        "search": "/search?q=homes",
        "login": "/login",
    }
    failures = {}
    for name, path in pages.items():
        page.goto(f"{base_url}{path}")
        if page.locator("[data-chart]").count():
            page.wait_for_selector("[data-chart][data-drawn='true']")
        if name in {"overview", "document"}:
            shot(page, f"05-{name}")
        results = axe.run(page)
        if results.violations_count:
            failures[name] = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                for v in results.response["violations"]
            ]
        assert_clean(page)
    shot(page, "05-login")  # the last page checked
    assert failures == {}


def test_xss_fixture_never_executes(site: tuple[str, Seeded], page: Any) -> None:
    base_url, seeded = site
    xss_doc = seeded.docs["xss"].document_id
    for path in [
        f"/documents/{xss_doc}",
        "/signals/reactive-%22%3E%3Csvg%20onload%3Dalert(9)%3E",
        "/timeline?theme=kinship_care",
        "/search?q=payloads",
        "/signals?theme=kinship_care",
    ]:
        page.goto(f"{base_url}{path}")
        page.wait_for_load_state("load")
        for locator in page.locator("main *").all()[:200]:
            if locator.is_visible():
                locator.hover(timeout=2000, trial=False, force=True)
        assert page.evaluate("typeof window.__xss") == "undefined", path
        injected = page.evaluate(
            """() => {
              const inline = [...document.scripts].filter(
                s => !s.src && s.type !== 'application/json').length;
              const handlers = [...document.querySelectorAll('*')].filter(
                el => [...el.attributes].some(a => a.name.startsWith('on'))).length;
              const jsLinks = [...document.querySelectorAll('a[href^="javascript:"]')].length;
              return {inline, handlers, jsLinks,
                      frames: document.querySelectorAll('iframe, svg[onload]').length};
            }"""
        )
        assert injected == {"inline": 0, "handlers": 0, "jsLinks": 0, "frames": 0}, path
        assert_clean(page)
    page.goto(f"{base_url}/documents/{xss_doc}")
    text = page.locator(".doc-text").inner_text()
    assert "<script>window.__xss = 'script'; alert('xss')</script>" in text
    assert "<img src=x onerror" in page.locator("h1").inner_text()
    shot(page, "06-xss-document")
