"""Models trained once per test session, the same way `policywatch train` makes the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from models.training import TrainResult, train_model
from nlp.pipeline import BLANK, PipelineInfo, load_pipeline


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def themes_model(models_dir: Path) -> TrainResult:
    return train_model("themes", out_dir=models_dir)


@pytest.fixture(scope="session")
def reactive_model(models_dir: Path) -> TrainResult:
    return train_model("reactive", out_dir=models_dir)


@pytest.fixture(scope="session")
def blank_nlp() -> tuple[Language, PipelineInfo]:
    return load_pipeline(BLANK)
