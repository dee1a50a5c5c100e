"""The manifest: everything needed to cite, check and reproduce an export.

It is the only file that carries the time of the export; the data files and
the datasheet carry none, so the same store and filters give byte-identical
files and the manifest's SHA-256 list proves it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import nlp

MANIFEST_NAME = "manifest.json"
THEMES_FILE = Path(nlp.__file__).parent / "data" / "themes.toml"


@dataclass(frozen=True)
class FileEntry:
    path: str
    bytes: int
    sha256: str


@dataclass
class Manifest:
    """What an export holds; written as ``manifest.json`` beside the data."""

    format: str
    created_at: str
    software: dict[str, str]
    store_backend: str
    filters: dict[str, Any]
    row_counts: dict[str, int]
    taxonomy: dict[str, Any]
    pipeline_versions: list[str]
    models: list[dict[str, Any]]
    licences: dict[str, dict[str, Any]]
    publishers: list[dict[str, Any]]
    text_withheld_documents: int
    sources_file: str | None
    files: list[FileEntry] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, folder: Path) -> Path:
        path = folder / MANIFEST_NAME
        path.write_text(
            json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return path


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks so a large export is never held in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(path: Path, folder: Path) -> FileEntry:
    return FileEntry(
        path=path.relative_to(folder).as_posix(), bytes=path.stat().st_size, sha256=sha256_of(path)
    )


def verify(folder: Path) -> list[str]:
    """Files whose size or SHA-256 differs from the manifest (empty when all match)."""
    manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    problems = []
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if not path.exists():
            problems.append(f"{entry['path']}: missing")
        elif sha256_of(path) != entry["sha256"]:
            problems.append(f"{entry['path']}: SHA-256 differs")
    return problems


def software_version() -> dict[str, str]:
    try:
        return {"name": "policywatch", "version": version("policywatch")}
    except PackageNotFoundError:  # running from a source tree that was never installed
        return {"name": "policywatch", "version": "unknown"}


def taxonomy(path: Path = THEMES_FILE) -> dict[str, Any]:
    """The taxonomy's version and each theme's description, as the export records them."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    return {
        "file": "nlp/data/themes.toml",
        "version": data.get("version", "unknown"),
        "themes": {
            name: theme.get("description", "") for name, theme in sorted(data["themes"].items())
        },
    }
