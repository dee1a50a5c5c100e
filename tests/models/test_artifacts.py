"""Model files: a tampered or foreign file is refused with a clear error and never runs code."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
import skops.io as sio

from models.artifacts import CARD_FILE, MODEL_FILE, file_sha256, load_model, save_model
from models.training import TrainResult
from policywatch.errors import PolicyWatchError


class Payload:
    """A pickle that would create a file if it were ever unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def copy_model(result: TrainResult, into: Path) -> Path:
    folder = into / "copy"
    shutil.copytree(result.folder, folder)
    return folder


def reseal(folder: Path) -> None:
    """Write the card's hash for the current model file, as a forger would."""
    card = json.loads((folder / CARD_FILE).read_text())
    card["model_sha256"] = file_sha256(folder / MODEL_FILE)
    (folder / CARD_FILE).write_text(json.dumps(card))


def test_a_saved_model_loads_and_predicts(themes_model: TrainResult) -> None:
    pipeline, card = load_model(themes_model.folder)

    assert card["version"] == themes_model.card["version"]
    probabilities = pipeline.predict_proba(["Foster carers will get a higher allowance."])
    assert probabilities.shape == (1, len(card["settings"]["modelled_themes"]))


def test_a_changed_model_file_is_refused(themes_model: TrainResult, tmp_path: Path) -> None:
    folder = copy_model(themes_model, tmp_path)
    with (folder / MODEL_FILE).open("ab") as handle:
        handle.write(b"\0")

    with pytest.raises(PolicyWatchError, match="does not match the SHA-256"):
        load_model(folder)


def test_a_foreign_skops_file_asking_for_untrusted_types_is_refused(
    themes_model: TrainResult, tmp_path: Path
) -> None:
    folder = copy_model(themes_model, tmp_path)
    sio.dump({"run": os.system, "model": "x"}, folder / MODEL_FILE)
    reseal(folder)

    with pytest.raises(PolicyWatchError, match=r"does not trust: .*system"):
        load_model(folder)


def test_a_pickle_posing_as_a_model_is_refused_without_running(
    themes_model: TrainResult, tmp_path: Path
) -> None:
    folder = copy_model(themes_model, tmp_path)
    marker = tmp_path / "pwned"
    (folder / MODEL_FILE).write_bytes(pickle.dumps(Payload(marker)))
    reseal(folder)

    with pytest.raises(PolicyWatchError, match="not a skops model file"):
        load_model(folder)
    assert not marker.exists()


def test_missing_or_broken_cards_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyWatchError, match="no model card"):
        load_model(tmp_path)
    (tmp_path / CARD_FILE).write_text("{not json")
    with pytest.raises(PolicyWatchError, match="cannot be read"):
        load_model(tmp_path)


def test_saving_replaces_files_whole(tmp_path: Path) -> None:
    card = save_model({"a": 1}, {"name": "themes", "version": "v1"}, tmp_path)

    assert card["model_sha256"] == file_sha256(tmp_path / MODEL_FILE)
    assert sorted(p.name for p in tmp_path.iterdir()) == [CARD_FILE, MODEL_FILE]
