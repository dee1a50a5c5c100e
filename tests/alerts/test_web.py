"""The alerts router on a real uvicorn server: JSON API, double opt-in, form with CSRF, pages."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from policywatch.store.db import session_scope
from policywatch.store.tables import Subscription
from policywatch.store.types import utcnow
from tests.alerts.conftest import SmtpServer, add_version, alert_settings


@pytest.fixture
def site(sqlite_engine: Engine, smtp: SmtpServer, web_factory):
    settings = alert_settings(sqlite_engine, smtp)
    return web_factory(sqlite_engine, settings), sqlite_engine, smtp


def _local(url: str, base: str) -> str:
    return base + url.removeprefix("https://alerts.example.org")


def test_api_creates_reads_changes_and_ends_a_webhook_subscription(site) -> None:
    web, _engine, _ = site
    created = httpx.post(
        f"{web.base_url}/api/subscriptions",
        json={
            "name": "Contradictions on care",
            "channel": "webhook",
            "address": "http://127.0.0.1:9/hook",
            "filters": {"signal_kinds": ["contradiction"], "min_score": 0.7},
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["confirmed"] is True and body["webhook_secret"]
    assert created.headers["cache-control"] == "no-store"
    assert created.headers["referrer-policy"] == "no-referrer"
    token = body["manage_url"].rsplit("/", 1)[1]

    shown = httpx.get(f"{web.base_url}/api/subscriptions/{token}").json()
    assert shown["filters"]["signal_kinds"] == ["contradiction"]
    changed = httpx.patch(
        f"{web.base_url}/api/subscriptions/{token}",
        json={"filters": {"themes": ["kinship_care"]}, "cadence": "weekly"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["cadence"] == "weekly"
    assert changed.json()["filters"]["themes"] == ["kinship_care"]

    bad = httpx.patch(f"{web.base_url}/api/subscriptions/{token}", json={"timezone": "Mars/Base"})
    assert bad.status_code == 422 and "unknown time zone" in bad.json()["detail"]
    assert httpx.get(f"{web.base_url}/api/subscriptions/nope").status_code == 404
    ended = httpx.delete(f"{web.base_url}/api/subscriptions/{token}")
    assert ended.json()["active"] is False


def test_api_refuses_bad_input_with_a_clear_message(site) -> None:
    web, _, _ = site
    cases = [
        ({"name": "x", "channel": "webhook", "address": "http://10.0.0.5/"}, "private"),
        ({"name": "x", "channel": "email", "address": "not-an-address"}, "not an email"),
        ({"name": "x", "channel": "atom", "filters": {"themes": ["kinship"]}}, "unknown theme"),
        ({"name": "x", "channel": "atom", "filters": {"keywords": "a AND"}}, "term is missing"),
    ]
    for payload, message in cases:
        response = httpx.post(f"{web.base_url}/api/subscriptions", json=payload)
        assert response.status_code == 422, payload
        assert message in response.text
    # a cross-site form can only send form or text bodies: the API refuses them
    forged = httpx.post(
        f"{web.base_url}/api/subscriptions",
        content='{"name": "x", "channel": "atom"}',
        headers={"Content-Type": "text/plain"},
    )
    assert forged.status_code == 422


def test_email_subscriptions_need_the_confirmation_click(site) -> None:
    web, engine, smtp = site
    created = httpx.post(
        f"{web.base_url}/api/subscriptions",
        json={"name": "Kinship", "channel": "email", "address": "reader@example.org"},
    ).json()
    assert created["confirmed"] is False
    assert created["confirmation"] == {"sent": True, "error": None}
    again = httpx.post(
        f"{web.base_url}/api/subscriptions",
        json={"name": "Again", "channel": "email", "address": "Reader@example.org"},
    )
    assert again.status_code == 429  # the public API cannot be used to flood an inbox
    [mail] = smtp.to("reader@example.org")
    link = re.search(r"https://alerts\.example\.org/alerts/confirm/\S+", mail.get_content())
    assert link is not None
    confirm_url = _local(link.group(0), web.base_url)

    page = httpx.get(confirm_url)  # a mail scanner fetching the link confirms nothing
    assert page.status_code == 200 and 'method="post"' in page.text
    with Session(engine) as session:
        assert session.get(Subscription, created["id"]).confirmed_at is None
    done = httpx.post(confirm_url)
    assert done.status_code == 200 and "Subscription confirmed" in done.text
    with Session(engine) as session:
        assert session.get(Subscription, created["id"]).confirmed_at is not None


def test_the_form_needs_its_csrf_token_and_escapes_what_it_shows(site) -> None:
    web, engine, _ = site
    with httpx.Client(base_url=web.base_url) as client:
        form = client.get("/alerts/new")
        assert form.status_code == 200
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        assert client.cookies.get("pw_alerts_csrf") == token
        data = {
            "csrf": token,
            "name": "<script>alert(1)</script>",
            "channel": "atom",
            "themes": ["kinship_care", "fostering"],
            "keywords": 'kinship -"foster care"',
            "cadence": "immediate",
            "send_hour": "8",
            "timezone": "Europe/London",
        }
        created = client.post("/alerts/new", data=data)
        assert created.status_code == 201, created.text
        manage = re.search(r'href="(http[^"]+/alerts/manage/[^"]+)"', created.text).group(1)
        page = client.get(_local(manage, web.base_url))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "<script>alert(1)" not in page.text
        assert "kinship_care, fostering" in page.text or "fostering, kinship_care" in page.text

        bad = client.post("/alerts/new", data={**data, "keywords": "kinship AND"})
        assert bad.status_code == 422 and "term is missing" in bad.text

    # from another site: no cookie, so the token cannot match
    forged = httpx.post(f"{web.base_url}/alerts/new", data={**data, "csrf": token})
    assert forged.status_code == 403
    with Session(engine) as session:
        assert len(session.exec(select(Subscription)).all()) == 1


def test_unsubscribe_page_asks_and_the_post_unsubscribes(site) -> None:
    web, engine, _ = site
    created = httpx.post(
        f"{web.base_url}/api/subscriptions", json={"name": "Feed", "channel": "atom"}
    ).json()
    url = _local(created["unsubscribe_url"], web.base_url)
    assert httpx.get(url).status_code == 200
    with Session(engine) as session:
        assert session.get(Subscription, created["id"]).active is True
    assert "no more alerts" in httpx.post(url).text
    with Session(engine) as session:
        assert session.get(Subscription, created["id"]).active is False
    feed = _local(created["feed_url"], web.base_url)
    assert httpx.get(feed).status_code == 404  # an ended subscription's feed is gone


def test_pages_need_no_inline_styles_so_a_strict_csp_holds(site) -> None:
    web, _, _ = site
    page = httpx.get(f"{web.base_url}/alerts/new")
    assert "<style" not in page.text and "style=" not in page.text
    assert 'href="/alerts/static/alerts.css"' in page.text
    css = httpx.get(f"{web.base_url}/alerts/static/alerts.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_the_manage_page_changes_the_subscription_with_its_csrf_token(site) -> None:
    web, engine, _ = site
    created = httpx.post(
        f"{web.base_url}/api/subscriptions",
        json={"name": "Feed", "channel": "atom", "filters": {"themes": ["fostering"]}},
    ).json()
    manage = _local(created["manage_url"], web.base_url)
    with httpx.Client() as client:
        page = client.get(manage)
        assert 'value="fostering" checked' in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        data = {
            "csrf": token,
            "name": "Kinship feed",
            "themes": ["kinship_care"],
            "keywords": "kinship OR SGO",
            "cadence": "immediate",
            "send_hour": "0",
            "send_weekday": "4",
            "timezone": "Europe/London",
            "daily_cap": "5",
        }
        saved = client.post(manage, data=data)
        assert saved.status_code == 200 and "Saved." in saved.text
        refused = client.post(manage, data={**data, "timezone": "Nowhere/Land"})
        assert refused.status_code == 422 and "unknown time zone" in refused.text
    with Session(engine) as session:
        subscription = session.get(Subscription, created["id"])
    assert subscription.name == "Kinship feed"
    assert subscription.filters["themes"] == ["kinship_care"]
    assert subscription.filters["keywords"] == "kinship OR SGO"
    assert (subscription.send_hour, subscription.send_weekday, subscription.daily_cap) == (0, 4, 5)
    assert subscription.timezone == "Europe/London"
    forged = httpx.post(manage, data={**data, "name": "Hijacked"})
    assert forged.status_code == 403


def test_the_preview_api_shows_what_filters_would_have_sent(site) -> None:
    web, engine, _ = site
    with session_scope(engine) as session:
        for n in range(3):
            add_version(
                session,
                url=f"https://example.org/p{n}",
                title=f"Care leavers {n}",
                body="Care leavers get a bursary.",
                themes={"care_leavers": 0.9},
                published=utcnow(),
            )
    response = httpx.post(
        f"{web.base_url}/api/subscriptions/preview",
        json={"filters": {"themes": ["care_leavers"]}, "days": 7, "daily_cap": 2},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["immediate"], body["rolled_into_digest"]) == (3, 2, 1)
    assert {item["title"] for item in body["items"]} == {f"Care leavers {n}" for n in range(3)}
    with Session(engine) as session:
        assert session.exec(select(Subscription)).first() is None
