"""Every API route and every filter, on SQLite and PostgreSQL.

The seeded store (conftest) has seven documents and four signals; each
assertion names the rows a filter must keep, so a filter that silently
does nothing fails. The store is seeded once per backend for this module
(seeding dominates the run time); the two tests that write (a new document
version, reviewer feedback) come last, and pytest keeps definition order
within each backend.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from dashboards.queries import document_themes, tagged_versions
from policywatch.store.db import make_engine
from policywatch.store.queries import RULE_TAG_THRESHOLD
from tests.dashboards.conftest import (
    QUOTE_DFE,
    QUOTE_MHCLG,
    Seeded,
    shared_store,
    sign_in,
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def shared(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Seeded]]:
    with shared_store(backend, request, tmp_path_factory.mktemp(f"api-{backend}")) as pair:
        yield pair


@pytest.fixture
def client(shared: tuple[TestClient, Seeded]) -> TestClient:
    shared[0].cookies.clear()
    return shared[0]


@pytest.fixture
def seeded(shared: tuple[TestClient, Seeded]) -> Seeded:
    return shared[1]


XSS_KEY = 'reactive-"><svg onload=alert(9)>'


def ids(page: dict) -> set[int]:
    return {item["id"] for item in page["items"]}


def doc_ids(seeded: Seeded, *names: str) -> set[int]:
    return {seeded.docs[name].document_id for name in names}


def signal_keys(page: dict) -> set[str]:
    return {item["key"] for item in page["items"]}


def test_documents_every_filter(client: TestClient, seeded: Seeded) -> None:
    everything = client.get("/api/documents").json()
    assert everything["total"] == 7 and len(everything["items"]) == 7
    dates = [item["published_at"] for item in everything["items"]]
    assert dates == sorted(dates, reverse=True)

    def docs(**params: object) -> set[int]:
        response = client.get("/api/documents", params=params)
        assert response.status_code == 200, response.text
        return ids(response.json())

    assert docs(theme="residential_care") == doc_ids(seeded, "homes1", "homes2", "rev2")
    # funding 0.3 on "dfe" is below the rule threshold: not a tag
    assert docs(theme="funding") == doc_ids(seeded, "homes1", "homes2")
    assert docs(theme=["fostering", "kinship_care"]) == doc_ids(seeded, "fostering", "xss")
    assert docs(publisher="ministry-of-justice") == doc_ids(seeded, "rev2")
    assert docs(actor="ministry-of-housing") == doc_ids(seeded, "mhclg")
    assert docs(target="Children's Homes Places") == doc_ids(seeded, "homes1", "homes2")
    assert docs(**{"from": "2023-01-01", "to": "2023-12-31"}) == doc_ids(seeded, "homes2", "rev2")
    assert docs(to="2022-03-01") == doc_ids(seeded, "homes1", "fostering")
    assert docs(kind="contradiction") == doc_ids(seeded, "dfe", "mhclg")
    assert docs(kind=["reversal", "reannouncement"]) == doc_ids(seeded, "homes1", "homes2", "rev2")
    assert docs(min_score=0.6) == doc_ids(seeded, "dfe", "mhclg", "homes1", "homes2")
    assert docs(q="unitary") == doc_ids(seeded, "mhclg")
    assert docs(q="homes", theme="funding", publisher="department-for-education") == doc_ids(
        seeded, "homes1", "homes2"
    )
    first = client.get("/api/documents", params={"limit": 2}).json()
    second = client.get("/api/documents", params={"limit": 2, "offset": 2}).json()
    assert first["total"] == second["total"] == 7
    assert len(first["items"]) == 2 and not ids(first) & ids(second)


def test_documents_show_current_themes_and_actors(client: TestClient, seeded: Seeded) -> None:
    page = client.get("/api/documents", params={"publisher": "ministry-of-justice"}).json()
    (row,) = page["items"]
    assert row["themes"] == {"exploitation_youth_justice": 0.9, "residential_care": 0.55}
    assert row["actors"] == ["ministry-of-justice"]
    assert row["publisher"] == "ministry-of-justice"


def test_tagged_versions_mirror_current_themes(seeded: Seeded) -> None:
    engine = make_engine(seeded.url)
    with Session(engine) as session:
        pairs = set(session.exec(tagged_versions(session)).all())
        versions = [result.version_id for result in seeded.docs.values()]
        themes = document_themes(session, versions)
    engine.dispose()
    assert pairs == {(v, t) for v, tags in themes.items() for t in tags}
    assert all(score >= RULE_TAG_THRESHOLD for tags in themes.values() for score in tags.values())


def test_timeline_groups_and_signals(client: TestClient, seeded: Seeded) -> None:
    data = client.get("/api/timeline", params={"theme": "residential_care"}).json()
    assert ids(data["documents"]) == doc_ids(seeded, "homes1", "homes2", "rev2")
    assert set(data["groups"]) == {"residential_care"}
    keys = {s["key"] for s in data["signals"]}
    assert keys == {"reannouncement-homes-259m", "reversal-secure-places"}
    by_publisher = client.get("/api/timeline", params={"group": "publisher"}).json()["groups"]
    assert by_publisher["ministry-of-justice"] == [seeded.docs["rev2"].document_id]
    by_actor = client.get("/api/timeline", params={"group": "actor"}).json()["groups"]
    assert seeded.docs["mhclg"].document_id in by_actor["ministry-of-housing"]
    kinds = client.get("/api/timeline", params={"kind": "contradiction"}).json()
    assert {s["kind"] for s in kinds["signals"]} == {"contradiction"}
    scored = client.get("/api/timeline", params={"min_score": 0.75}).json()
    assert [s["key"] for s in scored["signals"]] == ["contradiction-rcc-vs-reorganisation"]
    status = client.get("/api/timeline", params={"status": "confirmed"}).json()
    assert status["signals"] == [] and status["documents"]["total"] == 7


def test_signals_every_filter(client: TestClient, seeded: Seeded) -> None:
    def keys(**params: object) -> set[str]:
        response = client.get("/api/signals", params=params)
        assert response.status_code == 200, response.text
        return signal_keys(response.json())

    assert len(keys()) == 4
    assert keys(kind="reversal") == {"reversal-secure-places"}
    assert keys(theme="residential_care") == {"reannouncement-homes-259m", "reversal-secure-places"}
    assert keys(target="children's services authorities") == {"contradiction-rcc-vs-reorganisation"}
    assert keys(min_score=0.5) == {
        "contradiction-rcc-vs-reorganisation",
        "reannouncement-homes-259m",
    }
    assert keys(publisher="ministry-of-justice") == {"reversal-secure-places"}
    assert keys(actor="ministry-of-housing") == {"contradiction-rcc-vs-reorganisation"}
    assert keys(**{"from": "2024-12-01"}) == {"contradiction-rcc-vs-reorganisation"}
    # a signal is in a date range when its evidence overlaps it
    assert keys(to="2022-12-31") == {"reannouncement-homes-259m", XSS_KEY}
    assert keys(q="£259 million") == {"reannouncement-homes-259m"}
    assert keys(status="open") == keys()
    assert keys(status="dismissed") == set()
    newest = client.get("/api/signals", params={"limit": 1}).json()
    assert (
        newest["total"] == 4 and newest["items"][0]["key"] == "contradiction-rcc-vs-reorganisation"
    )


def test_signal_detail_has_both_quotes_chain_and_citations(
    client: TestClient, seeded: Seeded
) -> None:
    by_key = client.get("/api/signals/contradiction-rcc-vs-reorganisation").json()
    by_id = client.get(f"/api/signals/{seeded.signals['contradiction']}").json()
    assert by_key == by_id
    quotes = [e["quote"] for e in by_key["evidence"]]
    assert quotes == [QUOTE_DFE, QUOTE_MHCLG]  # oldest first
    assert by_key["evidence"][1]["publisher"] == (
        "ministry-of-housing-communities-and-local-government"
    )
    assert [c["direction"] for c in by_key["chain"]] == ["maintain", "abolish"]
    assert "/signals/contradiction-rcc-vs-reorganisation" in by_key["cite_text"]
    assert by_key["cite_bibtex"].startswith("@misc{policywatch_contradiction_rcc")
    assert client.get("/api/signals/no-such-signal").status_code == 404
    # real keys carry targets, which may hold a slash ("16/17-year-olds")
    slashed = client.get("/api/signals/reversal:dfe:16/17-year-olds in care")
    assert slashed.status_code == 404 and slashed.json()["detail"] == "no such signal"


def test_search_with_filters_and_paging(client: TestClient, seeded: Seeded) -> None:
    hits = client.get("/api/search", params={"q": "children's homes"}).json()
    assert {h["document_id"] for h in hits["items"]} >= doc_ids(seeded, "homes1", "homes2")
    assert all("[" in h["snippet"] for h in hits["items"])
    narrowed = client.get(
        "/api/search", params={"q": "homes", "publisher": "ministry-of-justice"}
    ).json()
    assert {h["document_id"] for h in narrowed["items"]} == doc_ids(seeded, "rev2")
    themed = client.get("/api/search", params={"q": "homes", "theme": "funding"}).json()
    assert {h["document_id"] for h in themed["items"]} == doc_ids(seeded, "homes1", "homes2")
    dated = client.get("/api/search", params={"q": "homes", "from": "2023-01-01"}).json()
    assert {h["document_id"] for h in dated["items"]} == doc_ids(seeded, "homes2", "rev2")
    paged = client.get("/api/search", params={"q": "homes", "limit": 1, "offset": 1}).json()
    whole = client.get("/api/search", params={"q": "homes"}).json()
    # without other filters only one hit past the page is read: the total is then a floor
    assert whole["total"] >= 3 and not whole["capped"]
    assert paged["capped"] and paged["total"] == 3 <= whole["total"]
    assert [h["document_id"] for h in paged["items"]] == [whole["items"][1]["document_id"]]
    assert client.get("/api/search").json()["items"] == []


def test_themes_actors_publishers_money_overview(client: TestClient, seeded: Seeded) -> None:
    themes = {row["name"]: row["count"] for row in client.get("/api/themes").json()}
    assert themes["residential_care"] == 3 and themes["local_government"] == 2
    assert "funding" in themes and themes["funding"] == 2
    actors = {row["name"]: row["count"] for row in client.get("/api/actors").json()}
    assert actors["department-for-education"] == 4
    assert [r["name"] for r in client.get("/api/actors", params={"q": "justice"}).json()] == [
        "ministry-of-justice"
    ]
    publishers = {row["name"] for row in client.get("/api/publishers").json()}
    assert "ministry-of-justice" in publishers
    money = {row["year"]: row for row in client.get("/api/money").json()}
    assert money[2022]["announced_gbp"] == 259_000_000 and money[2022]["reannounced_gbp"] == 0
    assert money[2023]["reannounced_gbp"] == 259_000_000 and money[2023]["reannouncements"] == 1
    assert client.get("/api/money", params={"theme": "fostering"}).json() == []
    only_2023 = client.get("/api/money", params={"from": "2023-01-01", "to": "2023-12-31"}).json()
    assert [row["year"] for row in only_2023] == [2023]
    overview = client.get("/api/overview").json()
    assert overview["documents"] == 7 and overview["signals"] == 4
    assert {"theme": "residential_care", "year": 2023, "count": 2} in overview["theme_years"]
    assert len(overview["newest_signals"]) == 4


def test_pages_download_exactly_what_they_show(client: TestClient, seeded: Seeded) -> None:
    import csv
    import io

    page = client.get("/timeline", params={"theme": "residential_care", "format": "csv"})
    assert page.headers["content-disposition"] == 'attachment; filename="timeline.csv"'
    rows = list(csv.DictReader(io.StringIO(page.text)))
    api = client.get("/api/timeline", params={"theme": "residential_care"}).json()
    assert [int(r["id"]) for r in rows] == [d["id"] for d in api["documents"]["items"]]
    as_json = client.get("/timeline", params={"theme": "residential_care", "format": "json"})
    assert as_json.json() == api
    signals = client.get("/signals", params={"kind": "reversal", "format": "json"}).json()
    assert signal_keys(signals) == {"reversal-secure-places"}
    search = client.get("/search", params={"q": "homes", "format": "csv"}).text
    assert search.splitlines()[0].startswith("document_id,title")
    money = client.get("/", params={"format": "csv", "table": "money"}).text
    assert money.splitlines()[0] == "year,announced_gbp,reannounced_gbp,statements,reannouncements"
    for path in ("/", "/timeline", "/signals", "/search?q=homes"):
        assert "format=csv" in client.get(path).text, path


def test_bad_parameters_are_client_errors(client: TestClient) -> None:
    for params in ({"kind": "gossip"}, {"limit": 0}, {"limit": 501}, {"from": "yesterday"}):
        assert client.get("/api/documents", params=params).status_code == 422
    assert client.get("/api/documents/0").status_code == 422


# -- tests that write: keep them last -------------------------------------------


def test_document_detail_versions_diff_highlights(client: TestClient, seeded: Seeded) -> None:
    from policywatch.store import session_scope, writes

    engine = make_engine(seeded.url)
    with session_scope(engine) as session:
        publisher = writes.upsert_publisher(session, slug="department-for-education")
        writes.upsert_document(
            session,
            source_key="test",
            canonical_url="https://www.gov.uk/government/news/homes-capital-2022",
            title="Children's homes capital fund",
            body_text="We will invest £300 million in new children's homes places.",
            body_html="<p>changed</p>",
            publisher_ids=[publisher.id],
            change_note="Amount raised",
        )
    engine.dispose()
    document_id = seeded.docs["homes1"].document_id
    detail = client.get(f"/api/documents/{document_id}").json()
    assert [v["version_no"] for v in detail["versions"]] == [1, 2]
    assert detail["version"]["version_no"] == 2 and detail["diff_from"] == 1
    assert {"-", "+"} <= {line["op"] for line in detail["diff"]}
    first = client.get(f"/api/documents/{document_id}", params={"version": 1}).json()
    marks = {m for seg in first["segments"] for m in seg["marks"]}
    assert {"statement", "money", "coherence-intervention"} <= marks
    assert "".join(seg["text"] for seg in first["segments"]).startswith("Children's homes")
    assert [t["theme"] for t in first["theme_tags"] if t["current"]] == [
        "residential_care",
        "funding",
    ]
    assert {s["key"] for s in first["signals"]} == {"reannouncement-homes-259m"}
    assert client.get("/api/documents/999999").status_code == 404


def test_feedback_list_and_write_need_a_reviewer(client: TestClient, seeded: Seeded) -> None:
    key = "reversal-secure-places"
    assert client.get("/api/feedback").json() == []
    anonymous = client.post(f"/api/signals/{key}/feedback", json={"action": "confirm"})
    assert anonymous.status_code == 401
    token = sign_in(client)
    no_token = client.post(f"/api/signals/{key}/feedback", json={"action": "confirm"})
    assert no_token.status_code == 403
    bad = client.post(
        f"/api/signals/{key}/feedback", json={"action": "shred"}, headers={"X-CSRF-Token": token}
    )
    assert bad.status_code == 422
    done = client.post(
        f"/api/signals/{key}/feedback",
        json={"action": "confirm", "note": "checked both sources"},
        headers={"X-CSRF-Token": token},
    )
    assert done.status_code == 201, done.text
    assert done.json()["reviewer"] == "reviewer"
    listed = client.get("/api/feedback", params={"signal": key}).json()
    assert [(r["action"], r["note"]) for r in listed] == [("confirm", "checked both sources")]
    assert client.get("/api/signals", params={"status": "confirmed"}).json()["total"] == 1
    assert client.get("/api/feedback", params={"signal": "nope"}).status_code == 404
    # a dismissed signal is kept but no longer listed unless asked for
    dismissed = client.post(
        f"/api/signals/{key}/feedback", json={"action": "dismiss"}, headers={"X-CSRF-Token": token}
    )
    assert dismissed.status_code == 201
    assert key not in signal_keys(client.get("/api/signals").json())
    assert signal_keys(client.get("/api/signals", params={"status": "dismissed"}).json()) == {key}
    assert client.get(f"/api/signals/{key}").json()["signal"]["status"] == "dismissed"
