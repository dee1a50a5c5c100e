"""SQLite: one ``policywatch.sqlite`` database ready for Datasette, built with sqlite-utils.

Tables get typed columns (INTEGER, REAL, TEXT), primary keys, foreign keys
Datasette turns into links, indexes on the join columns, and an FTS5 index
over document titles, summaries and texts so Datasette shows a search box.
A ``metadata.json`` beside it carries the licence, the source and every
column's description for ``datasette policywatch.sqlite -m metadata.json``.
The file is written with no journal and then VACUUMed, so it is compact and
the same store gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from exports.formats.base import FormatWriter, text_value
from exports.schema import Table

DATABASE_NAME = "policywatch.sqlite"
SQL_TYPES = {
    "int": int,
    "float": float,
    "str": str,
    "bool": int,
    "datetime": str,
    "date": str,
    "json": str,
    "list": str,
}
#: (table, column) -> (parent table, parent column), shown as links by Datasette
FOREIGN_KEYS = {
    "themes": [("version_id", "documents", "version_id")],
    "statements": [("version_id", "documents", "version_id")],
    "coherence": [("version_id", "documents", "version_id")],
    "signal_links": [("signal_id", "signals", "signal_id")],
}
INDEXES = {
    "documents": [["document_id"], ["publisher"], ["first_published_at"]],
    "themes": [["theme"], ["document_id"]],
    "statements": [["document_id"], ["actor"], ["target"]],
    "signal_links": [["document_id"], ["version_id"]],
    "signals": [["kind"]],
}
FTS_COLUMNS = ["title", "description", "text"]


def _sql_value(value: Any, type_: str) -> Any:
    if type_ == "bool" and value is not None:
        return int(bool(value))
    return text_value(value, type_)


class SqliteWriter(FormatWriter):
    how_to_load = (
        "`datasette policywatch.sqlite -m metadata.json` (full-text search on documents), "
        "`sqlite3`, or `pandas.read_sql('select * from documents', sqlite3.connect(...))`."
    )

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.path = folder / DATABASE_NAME
        self.path.unlink(missing_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        for table in self.tables:
            self.db[table.name].create(  # type: ignore[union-attr]
                {c.name: SQL_TYPES[c.type] for c in table.columns},
                pk=table.key[0] if len(table.key) == 1 else None,
                not_null={c.name for c in table.columns if not c.nullable},
                foreign_keys=FOREIGN_KEYS.get(table.name, []),
            )

    def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = [(c.name, c.type) for c in table.columns]
        self.db[table.name].insert_all(  # type: ignore[union-attr]
            ({name: _sql_value(row[name], type_) for name, type_ in columns} for row in rows),
            batch_size=1000,
        )

    def finish(self) -> list[Path]:
        for name, indexes in INDEXES.items():
            for columns in indexes:
                self.db[name].create_index(columns)  # type: ignore[union-attr]
        self.db["documents"].enable_fts(  # type: ignore[union-attr]
            FTS_COLUMNS, fts_version="FTS5", tokenize="porter", create_triggers=False
        )
        self.db.execute("ANALYZE")
        self.db.vacuum()
        self.db.close()
        return [self.path]
