"""Distant labels: GOV.UK taxons mapped to PolicyWatch themes by a mapping file.

GOV.UK editors tag pages with topic taxons. They are not our themes, but many
map onto one ("Fostering" is fostering), so a user who has crawled GOV.UK can
train on thousands of editor-tagged pages. The mapping is configuration
(``models/data/taxon_themes.toml`` by default), never code: another policy
area brings its own file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policywatch.errors import PolicyWatchError

DEFAULT_MAPPING = Path(__file__).with_name("data") / "taxon_themes.toml"


@dataclass(frozen=True)
class MappingRule:
    themes: tuple[str, ...]
    base_path: str | None = None
    title: str | None = None
    descendants: bool = True


@dataclass(frozen=True)
class TaxonMapping:
    version: str
    rules: tuple[MappingRule, ...]
    path: str = ""

    def themes_for(self, taxons: Iterable[dict[str, Any]]) -> set[str]:
        """The themes a page's taxons imply (taxons as the GOV.UK spider stores them)."""
        found: set[str] = set()
        for taxon in taxons:
            path = taxon.get("base_path") or ""
            ancestors = set(taxon.get("ancestors") or [])
            title = (taxon.get("title") or "").strip().casefold()
            for rule in self.rules:
                if (
                    rule.base_path
                    and (
                        rule.base_path == path or (rule.descendants and rule.base_path in ancestors)
                    )
                ) or (rule.title and rule.title.casefold() == title):
                    found.update(rule.themes)
        return found


def load_mapping(path: Path | str | None = None, *, themes: Iterable[str] = ()) -> TaxonMapping:
    """Read and check a mapping file; unknown themes are an error, not a silent miss."""
    file = Path(path) if path else DEFAULT_MAPPING
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyWatchError(f"cannot read the taxon mapping {file}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyWatchError(f"the taxon mapping {file} is not valid TOML: {exc}") from exc
    known = set(themes)
    rules = []
    for n, entry in enumerate(data.get("map", []), start=1):
        if not isinstance(entry, dict) or not (entry.get("base_path") or entry.get("title")):
            raise PolicyWatchError(f"{file}: [[map]] entry {n} needs a base_path or a title")
        mapped = tuple(entry.get("themes") or ())
        if not mapped:
            raise PolicyWatchError(f"{file}: [[map]] entry {n} maps to no themes")
        unknown = sorted(set(mapped) - known) if known else []
        if unknown:
            raise PolicyWatchError(f"{file}: [[map]] entry {n} names unknown themes {unknown}")
        rules.append(
            MappingRule(
                themes=mapped,
                base_path=entry.get("base_path"),
                title=entry.get("title"),
                descendants=bool(entry.get("descendants", True)),
            )
        )
    return TaxonMapping(version=str(data.get("version", "0")), rules=tuple(rules), path=str(file))
