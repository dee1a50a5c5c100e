"""The Hugging Face dataset card (``README.md``) written beside a JSONL export.

Without declared types, the ``datasets`` JSON loader infers each column per
chunk of the file, and a column that is empty for the first ten megabytes
(``withdrawn_at``, say) is typed ``null`` there and something else later: the
load fails. The card's YAML declares every table as a config with its
features, so ``datasets.load_dataset("<export folder>", "documents")`` loads
any size with the right types (timestamps, dates, lists). Written by hand
from the export schema, because ``datasets`` is not a runtime dependency.
"""

from __future__ import annotations

from pathlib import Path

from exports.schema import TABLES, Column

CARD_NAME = "README.md"

HF_DTYPES = {
    "int": "int64",
    "float": "float64",
    "str": "string",
    "bool": "bool",
    "datetime": "timestamp[us, tz=UTC]",
    "date": "date32",
    "json": "string",
}


def _feature(column: Column) -> list[str]:
    if column.type == "list":
        return [f"  - name: {column.name}", "    list: string"]
    return [f"  - name: {column.name}", f"    dtype: {HF_DTYPES[column.type]}"]


def render_card() -> str:
    """The card: YAML configs and features for every table, then a pointer to the datasheet."""
    lines = ["---", "license: other", "configs:"]
    for index, table in enumerate(TABLES):
        lines += [f"- config_name: {table.name}", f"  data_files: {table.name}.jsonl"]
        if index == 0:
            lines.append("  default: true")
    lines.append("dataset_info:")
    for table in TABLES:
        lines += [f"- config_name: {table.name}", "  features:"]
        for column in table.columns:
            lines += [f"  {line}" for line in _feature(column)]
    lines += [
        "---",
        "",
        "# PolicyWatch corpus export (JSON Lines)",
        "",
        "Load one table with its declared types:",
        "",
        "```python",
        "from datasets import load_dataset",
        'documents = load_dataset("path/to/this/folder", "documents", split="train")',
        "```",
        "",
        "What every field means, the licences and the versions are in `DATASHEET.md`;",
        "`manifest.json` holds the SHA-256 of every file.",
        "",
    ]
    return "\n".join(lines)


def write_card(folder: Path) -> Path:
    path = folder / CARD_NAME
    path.write_text(render_card(), encoding="utf-8", newline="\n")
    return path
