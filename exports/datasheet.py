"""The datasheet (``DATASHEET.md``) and Datasette metadata written beside the data.

Both are made from the manifest without its time or file hashes, so they are
as reproducible as the data and are themselves listed in the manifest. The
datasheet follows "Datasheets for Datasets" in spirit: what every field means,
how labels and signals were made, with which versions, under which licences.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from exports.licences import LICENCES
from exports.manifest import Manifest
from exports.schema import TABLES, TYPES

DATASHEET_NAME = "DATASHEET.md"
DATASETTE_METADATA_NAME = "metadata.json"

HOW_MADE = """\
## How the labels and signals were made

- **Documents** were crawled from the configured sources (GOV.UK Search and
  Content APIs, Parliament's written statements API, sector feeds, WordPress
  sites, sitemaps and listings) or imported. A changed body or a GOV.UK change
  note makes a new version; nothing is overwritten.
- **Themes** come from the taxonomy named above. `rule` rows are the spaCy
  theme ruler's scores (phrases, lemmas and patterns from the taxonomy file;
  `evidence` lists the phrases found and their counts); `model` rows are a
  trained classifier's probability for every theme; `combined` rows are the
  final tags where a model is active. `documents.themes` and `themes.is_tag`
  give the current tags: the active model's combined tags, else rule scores of
  at least 0.5.
- **Statements** are read from single sentences by spaCy patterns over the
  dependency parse: an actor (canonical id), a direction, a target phrase, and
  money and timeframe when stated. Negated commitments become `maintain`.
- **Coherence profiles** mark which of eight theory-of-change parts a version
  states, and reactive cues; `planning_score` is the share of parts present;
  `reactive_score` is the reactive classifier's probability when one is active.
- **Signals** are computed from statements, themes, money and timing by the
  timeline detectors (contradiction, reversal, reannouncement, reactive,
  burst); each links documents through `signal_links` with the evidence text.
"""


def _licence_section(manifest: Manifest) -> list[str]:
    lines = ["## Licences and attribution", ""]
    for licence_id, entry in sorted(manifest.licences.items()):
        url = f" ({entry['url']})" if entry.get("url") else ""
        lines.append(
            f"- **{entry['name']}** (`{licence_id}`){url}: {entry['documents']} documents."
        )
        lines.append(f"  Attribution: {entry['attribution']}")
    lines += [
        "",
        "Each row of `documents` carries its own `licence` and `attribution`. Sector",
        "content stays under its publisher's terms: credit the publisher and link the",
        "`canonical_url`. Full text is left out (`text` empty, `text_withheld` true) for",
        "sources or publishers marked `redistribute = false`; titles, summaries, quoted",
        "evidence sentences and links are kept.",
        f"Documents with text withheld: {manifest.text_withheld_documents}.",
        "",
        "| publisher | name | kind | documents | licence | text withheld |",
        "|---|---|---|---|---|---|",
    ]
    for p in manifest.publishers:
        lines.append(
            f"| {p['slug']} | {p['title']} | {p['kind']} | {p['documents']} | "
            f"{p['licence']} | {p['text_withheld']} |"
        )
    return lines


def _fields_section() -> list[str]:
    lines = ["## Fields", ""]
    for table in TABLES:
        lines += [f"### {table.name}", "", table.description, ""]
        lines += ["| field | type | meaning |", "|---|---|---|"]
        for column in table.columns:
            optional = "" if column.nullable else " (always present)"
            lines.append(f"| `{column.name}` | {column.type}{optional} | {column.description} |")
        lines.append("")
    lines += ["Types:", ""]
    lines += [f"- `{name}`: {meaning}" for name, meaning in TYPES.items()]
    return lines


#: lists longer than this (a card's test keys) are summarised; manifest.json has them whole
LONGEST_LIST = 20


def _shorten(value: Any) -> Any:
    """A model card with long lists replaced by their length, to keep the datasheet readable."""
    if isinstance(value, dict):
        return {key: _shorten(item) for key, item in value.items()}
    if isinstance(value, list):
        if len(value) > LONGEST_LIST:
            return f"({len(value)} items: see manifest.json)"
        return [_shorten(item) for item in value]
    return value


def _models_section(manifest: Manifest) -> list[str]:
    lines = ["## Versions", ""]
    taxonomy = manifest.taxonomy
    lines.append(f"- Taxonomy: `{taxonomy['file']}` version **{taxonomy['version']}**")
    if manifest.pipeline_versions:
        lines.append("- Language pipeline versions in this export:")
        lines += [f"  - `{v}`" for v in manifest.pipeline_versions]
    else:
        lines.append("- Language pipeline: no exported version is annotated yet.")
    if not manifest.models:
        lines.append("- Classifiers: none was active or used; themes are the rule tags.")
    for model in manifest.models:
        state = "active" if model["active"] else "not active"
        lines += [
            f"- Classifier `{model['name']}` version `{model['version']}` ({state}); its card,",
            "  with its evaluation figures:",
            "",
            "  ```json",
            *(
                f"  {line}"
                for line in json.dumps(_shorten(model["card"]), indent=2, sort_keys=True).split(
                    "\n"
                )
            ),
            "  ```",
        ]
    lines += ["", "Themes of the taxonomy:", ""]
    lines += [f"- `{name}`: {text}" for name, text in taxonomy["themes"].items()]
    return lines


def render_datasheet(manifest: Manifest, how_to_load: str) -> str:
    """The datasheet text; it holds no time, so the same export gives the same bytes."""
    counts = ", ".join(f"{table}: {n}" for table, n in manifest.row_counts.items())
    filters = json.dumps(manifest.filters, sort_keys=True)
    lines = [
        "# PolicyWatch corpus export: datasheet",
        "",
        "What government and the sector bodies around it published about children's social",
        "care in England, tagged by theme and coherence, with the policy statements and",
        "timeline signals PolicyWatch found. `manifest.json` beside this file holds the time",
        "of the export and the SHA-256 of every file; cite the export by that manifest.",
        "",
        "## This export",
        "",
        f"- Format: **{manifest.format}**. Load it with {how_to_load}",
        f"- Software: {manifest.software['name']} {manifest.software['version']}; "
        f"store backend: {manifest.store_backend}",
        f"- Filters: `{filters}`",
        f"- Rows: {counts}",
        "- Ordering: by `document_id` then `version_no` in every table (then the table's",
        "  own key); signals by `signal_id`.",
        "  The same store and filters give byte-identical files.",
        "",
        *_models_section(manifest),
        "",
        HOW_MADE,
        *_licence_section(manifest),
        "",
        *_fields_section(),
        "",
    ]
    return "\n".join(lines)


def write_datasheet(folder: Path, manifest: Manifest, how_to_load: str) -> Path:
    path = folder / DATASHEET_NAME
    path.write_text(render_datasheet(manifest, how_to_load), encoding="utf-8", newline="\n")
    return path


def datasette_metadata(manifest: Manifest, database: str) -> dict[str, Any]:
    """Datasette's metadata: licence, source, and a description for every table and column."""
    used = sorted(manifest.licences)
    names = "; ".join(LICENCES[licence]["name"] for licence in used) or "see DATASHEET.md"
    return {
        "title": "PolicyWatch corpus export",
        "description": "Children's social care announcements with themes, statements, "
        "coherence profiles and timeline signals. See DATASHEET.md.",
        "license": names,
        "license_url": LICENCES[used[0]]["url"] if len(used) == 1 else "",
        "source": "PolicyWatch",
        "databases": {
            database: {
                "tables": {
                    table.name: {
                        "description": table.description,
                        "columns": {c.name: c.description for c in table.columns},
                        **(
                            {"fts_table": "documents_fts", "fts_pk": "version_id"}
                            if table.name == "documents"
                            else {}
                        ),
                    }
                    for table in TABLES
                }
            }
        },
    }


def write_datasette_metadata(folder: Path, manifest: Manifest, database: str) -> Path:
    path = folder / DATASETTE_METADATA_NAME
    text = json.dumps(datasette_metadata(manifest, database), indent=2, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8", newline="\n")
    return path
