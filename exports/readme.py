"""The README.md of an export: how to open it, in the words of its format.

Every export gets one, so whoever receives the folder knows in a few lines
what it is and how to load it; the JSONL export's README is also a Hugging
Face dataset card (YAML features ahead of the text), and the SQLite export's
says how to open it in Datasette with full-text search.
"""

from __future__ import annotations

from pathlib import Path

from exports.hf_card import card_front_matter

README_NAME = "README.md"

OPENING = {
    "jsonl": [
        "One `<table>.jsonl` file per table, one JSON object per line. Load a table with",
        "the types declared above:",
        "",
        "```python",
        "from datasets import load_dataset",
        'documents = load_dataset("path/to/this/folder", "documents", split="train")',
        "```",
        "",
        'or `pandas.read_json("documents.jsonl", lines=True)`.',
    ],
    "csv": [
        "One `<table>.csv` file per table: header row, UTF-8, RFC 4180 quoting. An empty",
        "field is a missing value; booleans are `true`/`false`; lists and nested data",
        'are JSON text. `pandas.read_csv("documents.csv", parse_dates=["first_published_at"])`.',
    ],
    "parquet": [
        "One `<table>.parquet` file per table with explicit types: datetimes are UTC",
        "timestamps and `first_published_date` is a date, so `pandas.read_parquet`,",
        "`polars.read_parquet` and DuckDB read them as dates without being told.",
    ],
    "sqlite": [
        "One SQLite database, `policywatch.sqlite`, with every table, typed columns,",
        "primary and foreign keys, and a full-text index (FTS5) over document titles,",
        "summaries and texts. Open it in Datasette, which shows a search box on",
        "`documents`, links between tables, column descriptions and the licence:",
        "",
        "```bash",
        "datasette policywatch.sqlite -m metadata.json",
        "```",
        "",
        "or query it with `sqlite3 policywatch.sqlite` (search:",
        "`SELECT * FROM documents WHERE rowid IN (SELECT rowid FROM documents_fts",
        "WHERE documents_fts MATCH 'kinship')`).",
    ],
}


def render_readme(fmt: str) -> str:
    lines = [
        f"# PolicyWatch corpus export ({fmt})",
        "",
        *OPENING[fmt],
        "",
        "What every field means, how the labels and signals were made, the versions and",
        "the licences are in `DATASHEET.md`; `manifest.json` holds the time of the export",
        "and the SHA-256 of every file.",
        "",
    ]
    text = "\n".join(lines)
    return card_front_matter() + "\n" + text if fmt == "jsonl" else text


def write_readme(folder: Path, fmt: str) -> Path:
    path = folder / README_NAME
    path.write_text(render_readme(fmt), encoding="utf-8", newline="\n")
    return path
