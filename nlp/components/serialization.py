"""Saving and loading a rule component's data, shared by the rule components.

A rule component is its data: ``to_disk`` writes it as one JSON file in the
component's folder (spaCy's layout for ``nlp.to_disk``), ``from_disk`` reads
it back through the component's own ``set_data`` so validation and compiled
matchers are rebuilt exactly as ``initialize`` builds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Self

import srsly
from spacy.util import SimpleFrozenList, ensure_path


class JsonDataSerializer:
    """Mixin: ``to/from_disk`` and ``to/from_bytes`` for components with ``data`` + ``set_data``."""

    #: the file name inside the component's folder, e.g. "themes.json"
    data_file: ClassVar[str]
    data: dict[str, Any]

    def set_data(self, data: dict[str, Any]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        return srsly.json_dumps(self.data).encode()

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()) -> Self:
        self.set_data(srsly.json_loads(bytes_data))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        folder = ensure_path(path)
        folder.mkdir(parents=True, exist_ok=True)
        srsly.write_json(folder / self.data_file, self.data)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> Self:
        self.set_data(srsly.read_json(ensure_path(path) / self.data_file))
        return self
