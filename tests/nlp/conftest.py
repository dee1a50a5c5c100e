"""Pipelines built once per test session: loading the trained model takes a second."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nlp.pipeline import BLANK, PipelineInfo, load_pipeline


@pytest.fixture(scope="session")
def trained() -> tuple[Language, PipelineInfo]:
    pipeline, info = load_pipeline()
    assert info.trained, info.note
    return pipeline, info


@pytest.fixture(scope="session")
def blank() -> tuple[Language, PipelineInfo]:
    return load_pipeline(BLANK)
