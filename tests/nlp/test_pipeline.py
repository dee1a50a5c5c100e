"""The pipeline builder: trained model by default, a loud blank fallback otherwise."""

from __future__ import annotations

import logging

import pytest
import spacy
from spacy.language import Language

from nlp.pipeline import BLANK, COMPONENTS, MIRROR_MODEL, PipelineInfo, load_pipeline

TEXT = (
    "Stable homes for children\n\n"
    "The Department for Education will invest £259 million to increase the number of "
    "places in children's homes by 2027. In response to the national review, the "
    "department will evaluate the programme and report on progress each year."
)


def test_the_default_is_a_trained_pipeline_with_every_component(
    trained: tuple[Language, PipelineInfo],
) -> None:
    pipeline, info = trained
    assert info.trained
    assert info.model in {"en_core_web_sm", MIRROR_MODEL}
    assert info.model_version == "3.8.0"
    assert {"parser", "tagger", "ner"} <= set(pipeline.pipe_names)
    assert pipeline.pipe_names[-len(COMPONENTS) :] == list(COMPONENTS)


def test_an_unloadable_model_falls_back_loudly_to_blank(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        pipeline, info = load_pipeline("no_such_model_xyz")
    assert not info.trained
    assert info.model == BLANK
    assert "no_such_model_xyz" in info.note
    assert "falling back to the blank pipeline" in caplog.text
    assert "BLANK FALLBACK" in info.describe()
    assert "parser" not in pipeline.pipe_names


@pytest.mark.parametrize("kind", ["trained", "blank"])
def test_both_pipelines_deliver_themes_money_actors_and_coherence(
    kind: str, request: pytest.FixtureRequest
) -> None:
    pipeline, _ = request.getfixturevalue(kind)
    doc = pipeline.make_doc(TEXT)
    doc.user_data["publisher"] = "department-for-education"
    doc = pipeline(doc)
    assert [s._.money["gbp"] for s in doc.spans["money"]] == [259_000_000]
    assert "department-for-education" in {s.label_ for s in doc.spans["actors"]}
    assert "residential_care" in doc._.themes
    assert doc._.coherence.get("evaluation") and doc._.coherence.get("reactive_cue")
    assert list(doc.sents)


def test_the_version_key_changes_with_the_model(
    trained: tuple[Language, PipelineInfo], blank: tuple[Language, PipelineInfo]
) -> None:
    assert trained[1].version_key != blank[1].version_key
    assert trained[1].version_key.startswith(trained[1].model)


def test_a_saved_pipeline_loads_back_through_the_entry_points(
    blank: tuple[Language, PipelineInfo], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    pipeline, _ = blank
    pipeline.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    doc = loaded("The department will spend £12m on kinship care.")
    assert [s._.money["gbp"] for s in doc.spans["money"]] == [12_000_000]
    assert "kinship_care" in doc._.themes
