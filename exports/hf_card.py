"""The Hugging Face dataset card: the YAML that heads a JSONL export's README.md.

Without declared types, the ``datasets`` JSON loader infers each column per
chunk of the file, and a column that is empty for the first ten megabytes
(``withdrawn_at``, say) is typed ``null`` there and something else later: the
load fails. The card's YAML declares every table as a config with its
features, so ``datasets.load_dataset("<export folder>", "documents")`` loads
any size with the right types (timestamps, dates, lists). Written by hand
from the export schema, because ``datasets`` is not a runtime dependency.
"""

from __future__ import annotations

from exports.schema import TABLES, Column

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


def card_front_matter() -> str:
    """YAML configs and features for every table, as the Hugging Face loader reads them."""
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
    lines += ["---", ""]
    return "\n".join(lines)
