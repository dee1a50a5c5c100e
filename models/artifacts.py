"""Model files that are safe to load even when someone else made them.

A pickle runs whatever code its author chose when it is loaded, so PolicyWatch
never loads one. A model is saved with skops (``model.skops``), which stores
the object tree as data and, on load, refuses any type not explicitly trusted.
We trust exactly the types our own pipelines are built from
(:data:`TRUSTED_TYPES`) and nothing a file asks for: a file naming any other
type (a function, ``os.system``, a custom class) is refused with a clear error
before anything in it is constructed.

Beside it, ``card.json`` is the model card: data provenance and hashes, label
counts, metrics, library versions, taxonomy version, creation time, and the
SHA-256 of ``model.skops``, checked on every load, so a swapped or edited file
is caught even when it only holds trusted types.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import skops.io as sio

from policywatch.errors import PolicyWatchError

MODEL_FILE = "model.skops"
CARD_FILE = "card.json"

#: Every type our theme and reactive pipelines contain that skops does not trust by
#: default. Listed by hand, never read from a file: that is the point.
TRUSTED_TYPES = frozenset(
    {
        "builtins.slice",
        "numpy.dtype",
        "numpy.float64",
        "numpy.int64",
        "scipy.sparse._csr.csr_matrix",
        "sklearn.calibration.CalibratedClassifierCV",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.multiclass.OneVsRestClassifier",
        "sklearn.pipeline.FeatureUnion",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._label.LabelBinarizer",
        "sklearn.svm._classes.LinearSVC",
        "sklearn.utils._bunch.Bunch",
    }
)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model(pipeline: Any, card: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Write ``model.skops`` then ``card.json`` (with the model's hash) into ``folder``.

    Each file is written beside its final name and renamed into place, so a
    crash leaves either the old files or the new ones, never half of one.
    """
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / MODEL_FILE
    partial = folder / f".{MODEL_FILE}.part"
    sio.dump(pipeline, partial)
    os.replace(partial, model_path)
    card = {**card, "model_file": MODEL_FILE, "model_sha256": file_sha256(model_path)}
    card_partial = folder / f".{CARD_FILE}.part"
    card_partial.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(card_partial, folder / CARD_FILE)
    return card


def read_card(folder: Path) -> dict[str, Any]:
    path = folder / CARD_FILE
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyWatchError(f"no model card at {path}: is {folder} a model folder?") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyWatchError(f"the model card {path} cannot be read: {exc}") from exc
    if not isinstance(card, dict) or "version" not in card or "name" not in card:
        raise PolicyWatchError(f"the model card {path} is not a PolicyWatch model card")
    return card


def load_model(folder: Path) -> tuple[Any, dict[str, Any]]:
    """The pipeline and card in ``folder``, or a clear error; never runs code from the file."""
    folder = Path(folder)
    card = read_card(folder)
    path = folder / MODEL_FILE
    if not path.is_file():
        raise PolicyWatchError(f"model file missing: {path}")
    if file_sha256(path) != card.get("model_sha256"):
        raise PolicyWatchError(
            f"{path} does not match the SHA-256 in its card: the file was changed or "
            "replaced; retrain it (`policywatch train ...`) or restore the original"
        )
    try:
        requested = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError, json.JSONDecodeError) as exc:
        raise PolicyWatchError(f"{path} is not a skops model file: {exc}") from exc
    refused = sorted(set(requested) - TRUSTED_TYPES)
    if refused:
        raise PolicyWatchError(
            f"refusing to load {path}: it asks for types PolicyWatch does not trust: "
            + ", ".join(refused)
        )
    try:
        pipeline = sio.load(path, trusted=list(requested))
    except Exception as exc:  # a malformed tree of trusted types
        raise PolicyWatchError(f"{path} could not be loaded as a model: {exc}") from exc
    return pipeline, card
