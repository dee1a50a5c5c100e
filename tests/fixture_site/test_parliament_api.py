"""The fixture site's UK Parliament Written Statements API and statement pages.

Runs over real HTTP against the tiny corpus plus three written statements,
and checks the corpus rules for ``source: parliament`` documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from policywatch.fixture_site.corpus import Corpus, check_corpus, load_corpus
from policywatch.fixture_site.server import FixtureSite
from tests.fixture_site.tiny_corpus import build_tiny_corpus, write_doc

LIST = "/api/writtenstatements/statements"
LONG_BODY = (
    "The government will today make the National Transfer Scheme mandatory for every council. " * 4
    + "\n\n## Funding\n\nCouncils will receive **£143** per child per night.\n"
)


def _statement(folder: Path, body: str, **meta: Any) -> None:
    defaults: dict[str, Any] = {
        "source": "parliament",
        "document_type": "written_statement",
        "description": "A statement.",
        "house": "Commons",
        "labels": {"themes": ["asylum_seeking_children"], "reactive": False, "statements": []},
    }
    write_doc(folder, body, **{**defaults, **meta})


def build_corpus(folder: Path) -> Path:
    build_tiny_corpus(folder)
    _statement(
        folder,
        LONG_BODY,
        id="wms-2021-11-24-hcws430-nts",
        publisher="home-office",
        title="Unaccompanied Asylum-Seeking Children",
        people=["kevin-foster"],
        uin="HCWS430",
        member_name="Kevin Foster",
        member_role="Parliamentary Under-Secretary of State for the Home Department",
        member_from="Torbay",
        versions=[{"public_timestamp": "2021-11-24T13:00:00Z", "note": "Statement made."}],
    )
    _statement(
        folder,
        "Kinship carers will get more support.\n",
        id="wms-2023-12-15-hlws100-kinship",
        publisher="department-for-education",
        title="Kinship Care Strategy",
        people=["baroness-barran"],
        house="Lords",
        uin="HLWS100",
        member_name="Baroness Barran",
        member_role="Parliamentary Under-Secretary of State for the School System",
        member_from="Life peer",
        versions=[{"public_timestamp": "2023-12-15T11:30:00Z", "note": "Statement made."}],
    )
    _statement(  # no member name or UIN: the site invents a UIN in the house's style
        folder,
        "Children's homes will be inspected more often.\n",
        id="wms-2024-12-17-childrens-homes",
        publisher="department-for-education",
        title="Children's Homes",
        people=["education-minister"],
        member_role="Minister of State for Education",
        versions=[{"public_timestamp": "2024-12-17T15:00:00Z", "note": "Statement made."}],
    )
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return load_corpus(build_corpus(tmp_path_factory.mktemp("wms") / "corpus"))


@pytest.fixture
def site(corpus: Corpus) -> Iterator[FixtureSite]:
    with FixtureSite(corpus) as running:
        yield running


@pytest.fixture
def client(site: FixtureSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, timeout=5) as http:
        yield http


def statements(client: httpx.Client, **params: Any) -> dict[str, Any]:
    response = client.get(LIST, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def uins(data: dict[str, Any]) -> list[str]:
    return [r["value"]["uin"] for r in data["results"]]


# --------------------------------------------------------------------------- list


def test_list_shape_newest_first_with_cut_text(client: httpx.Client) -> None:
    data = statements(client)
    assert data["totalResults"] == 3
    assert uins(data)[1:] == ["HLWS100", "HCWS430"]
    assert uins(data)[0].startswith("HCWS")  # invented for a statement without one
    nts = data["results"][2]
    assert nts["links"] == []
    value = nts["value"]
    assert set(value) == {
        "id",
        "memberId",
        "member",
        "memberRole",
        "uin",
        "dateMade",
        "answeringBodyId",
        "answeringBodyName",
        "title",
        "text",
        "house",
        "noticeNumber",
        "hasAttachments",
        "hasLinkedStatements",
        "linkedStatements",
        "attachments",
    }
    assert value["member"] is None  # only with expandMember=true
    assert value["dateMade"] == "2021-11-24T00:00:00"
    assert (value["answeringBodyId"], value["answeringBodyName"]) == (1, "Home Office")
    assert value["house"] == "Commons" and value["noticeNumber"] == 430
    assert value["memberRole"] == "Parliamentary Under-Secretary of State for the Home Department"
    assert isinstance(value["id"], int) and isinstance(value["memberId"], int)
    assert value["text"].endswith("...") and len(value["text"]) <= 255
    assert "<" not in value["text"]  # a plain-text preview
    short = data["results"][1]["value"]["text"]
    assert short == "Kinship carers will get more support."  # not cut, no "..."


def test_expand_member(client: httpx.Client) -> None:
    data = statements(client, expandMember="true", house="Lords")
    assert data["results"][0]["value"]["member"] == {
        "id": data["results"][0]["value"]["memberId"],
        "listAs": "Barran, Baroness",
        "name": "Baroness Barran",
        "party": "Conservative",
        "partyColour": "0000ff",
        "partyAbbreviation": "Con",
        "memberFrom": "Life peer",
        "thumbnailUrl": (
            "https://members-api.parliament.uk/api/Members/"
            f"{data['results'][0]['value']['memberId']}/Thumbnail"
        ),
    }
    labour = statements(client, expandMember="True", madeWhenFrom="2024-01-01")
    assert labour["results"][0]["value"]["member"]["party"] == "Labour"
    assert labour["results"][0]["value"]["member"]["name"] is None


def test_filters(client: httpx.Client) -> None:
    assert uins(statements(client, answeringBodies=1)) == ["HCWS430"]
    assert statements(client, answeringBodies=[60, 1])["totalResults"] == 3
    assert statements(client, answeringBodies=17)["totalResults"] == 0
    assert uins(statements(client, house="Lords")) == ["HLWS100"]
    assert statements(client, house="Commons")["totalResults"] == 2
    assert statements(client, house="bicameral")["totalResults"] == 3
    window = statements(client, madeWhenFrom="2021-11-24", madeWhenTo="2023-12-15")
    assert uins(window) == ["HLWS100", "HCWS430"]  # both ends inclusive
    assert uins(statements(client, madeWhenTo="2021-11-23")) == []
    assert uins(statements(client, uIN="hlws100")) == ["HLWS100"]
    assert uins(statements(client, searchTerm="TRANSFER SCHEME")) == ["HCWS430"]
    member = statements(client, house="Lords")["results"][0]["value"]["memberId"]
    assert uins(statements(client, members=member)) == ["HLWS100"]


def test_paging_and_case_insensitive_or_unknown_parameters(client: httpx.Client) -> None:
    everything = uins(statements(client))
    page = statements(client, skip=1, take=1)
    assert page["totalResults"] == 3 and uins(page) == everything[1:2]
    assert uins(statements(client, SKIP=2, Take=5)) == everything[2:]
    # the real API ignores parameters it does not know instead of refusing them
    assert statements(client, colour="red", sessionStatus="Any")["totalResults"] == 3
    assert statements(client, madewhenfrom="2023-01-01")["totalResults"] == 2


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"take": "ten"}, "take"),
        ({"madeWhenFrom": "yesterday"}, "madeWhenFrom"),
        ({"answeringBodies": "Department for Education"}, "answeringBodies"),
        ({"house": "Both"}, "house"),
        ({"expandMember": "yes"}, "expandMember"),
    ],
)
def test_values_that_do_not_bind_are_a_400_problem(
    client: httpx.Client, params: dict[str, str], name: str
) -> None:
    response = client.get(LIST, params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json; charset=utf-8"
    problem = response.json()
    assert problem["status"] == 400
    assert problem["title"] == "One or more validation errors occurred."
    assert problem["errors"] == {name: [f"The value '{next(iter(params.values()))}' is not valid."]}


# --------------------------------------------------------------------------- one statement


def test_one_statement_by_id_and_by_date_and_uin_has_the_full_html(client: httpx.Client) -> None:
    listed = statements(client, uIN="HCWS430")["results"][0]["value"]
    item = client.get(f"{LIST}/{listed['id']}", params={"expandMember": "true"}).json()
    assert item["links"] == []
    value = item["value"]
    assert value["text"].startswith("<p>The government will today make")
    assert "<h2>Funding</h2>" in value["text"] and "<strong>£143</strong>" in value["text"]
    assert value["member"]["name"] == "Kevin Foster"
    assert {k: v for k, v in value.items() if k not in ("text", "member")} == {
        k: v for k, v in listed.items() if k not in ("text", "member")
    }
    same = client.get(f"{LIST}/2021-11-24/hcws430").json()
    assert same["value"]["id"] == listed["id"] and same["value"]["member"] is None

    missing = client.get(f"{LIST}/999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["title"] == "Not Found"
    assert client.get(f"{LIST}/2021-11-25/HCWS430").status_code == 404


def test_statement_page(client: httpx.Client) -> None:
    page = client.get("/written-statements/detail/2021-11-24/HCWS430")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<h1>Unaccompanied Asylum-Seeking Children</h1>" in html
    assert "<dd>24 November 2021</dd>" in html and "<dd>Home Office</dd>" in html
    assert "Kevin Foster, Parliamentary Under-Secretary" in html
    assert "<strong>£143</strong>" in html
    assert client.get("/written-statements/detail/2021-11-24/HCWS999").status_code == 404


def test_as_of_hides_statements_not_yet_made(site: FixtureSite, client: httpx.Client) -> None:
    nts = statements(client, uIN="HCWS430")["results"][0]["value"]
    site.as_of = "2021-11-24T12:59:00Z"
    assert statements(client)["totalResults"] == 0
    assert client.get(f"{LIST}/{nts['id']}").status_code == 404
    assert client.get("/written-statements/detail/2021-11-24/HCWS430").status_code == 404
    site.as_of = "2021-11-24T13:00:00Z"
    assert uins(statements(client)) == ["HCWS430"]
    assert client.get(f"{LIST}/{nts['id']}").status_code == 200


def test_the_demo_corpus_statements_are_all_served() -> None:
    corpus = load_corpus()
    expected = [d for d in corpus.documents if d.source == "parliament"]
    assert len(expected) >= 8
    with FixtureSite(corpus) as site, httpx.Client(base_url=site.base_url, timeout=5) as client:
        data = statements(client, take=100)
        assert data["totalResults"] == len(expected)
        assert {r["value"]["uin"] for r in data["results"]} == {d.uin for d in expected}
        assert {r["value"]["answeringBodyId"] for r in data["results"]} == {1, 7, 17, 60}
        for doc in expected:
            full = client.get(f"{LIST}/{doc.first_published_at.date()}/{doc.uin}").json()
            assert full["value"]["title"] == doc.title
            assert full["value"]["house"] == (doc.house or "Commons")


# --------------------------------------------------------------------------- corpus rules


def test_the_statement_corpus_is_valid(corpus: Corpus) -> None:
    assert check_corpus(corpus) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"publisher": "adcs"}, "parliament document has non-government publisher 'adcs'"),
        ({"document_type": "press_release"}, "must be written_statement"),
        ({"people": ["a", "b"]}, "people must name exactly one minister"),
        ({"other_publishers": ["hm-treasury"]}, "no other_publishers"),
        ({"house": "Senate"}, "house 'Senate' is not one of Commons, Lords"),
        ({"uin": "HLWS430"}, "uin 'HLWS430' must look like HCWS123"),
        (
            {
                "versions": [
                    {"public_timestamp": "2021-11-24T13:00:00Z", "note": "Made."},
                    {"public_timestamp": "2021-11-25T13:00:00Z", "note": "Corrected."},
                ]
            },
            "exactly one version",
        ),
    ],
)
def test_checker_rules_for_statements(
    tmp_path: Path, changes: dict[str, Any], expected: str
) -> None:
    folder = build_corpus(tmp_path / "corpus")
    path = folder / "documents" / "wms-2021-11-24-hcws430-nts.md"
    corpus_before = load_corpus(folder)
    doc = corpus_before.get("wms-2021-11-24-hcws430-nts")
    assert doc is not None
    meta = {
        "id": doc.id,
        "publisher": "home-office",
        "title": doc.title,
        "people": ["kevin-foster"],
        "uin": "HCWS430",
        "versions": [{"public_timestamp": "2021-11-24T13:00:00Z", "note": "Statement made."}],
        **changes,
    }
    _statement(folder, LONG_BODY, **meta)
    assert path.exists()
    errors = check_corpus(load_corpus(folder))
    assert any(
        e.startswith("documents/wms-2021-11-24-hcws430-nts.md: ") and expected in e for e in errors
    ), errors


def test_statement_fields_are_only_for_statements(tmp_path: Path) -> None:
    folder = build_corpus(tmp_path / "corpus")
    path = folder / "documents" / "dfe-homes-press.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("---\n", "---\nuin: HCWS1\n", 1),
        encoding="utf-8",
    )
    errors = check_corpus(load_corpus(folder))
    assert "documents/dfe-homes-press.md: uin is only for parliament documents" in errors
