"""Parquet (pyarrow): one ``<table>.parquet`` per table with an explicit schema.

Datetimes are UTC timestamps and dates are ``date32``, so pandas and polars
read them as dates without being told. Rows are buffered into row groups of
:data:`ROW_GROUP_ROWS` at most, which bounds memory whatever the corpus size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from exports.formats.base import FormatWriter
from exports.schema import Table

ROW_GROUP_ROWS = 5_000

ARROW_TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "json": pa.string(),
    "list": pa.list_(pa.string()),
}


def arrow_schema(table: Table) -> pa.Schema:
    """The Parquet schema of a table, with each column's description as field metadata."""
    return pa.schema(
        [
            pa.field(
                c.name,
                ARROW_TYPES[c.type],
                nullable=c.nullable,
                metadata={"description": c.description},
            )
            for c in table.columns
        ]
    )


class ParquetWriter(FormatWriter):
    how_to_load = (
        "`pandas.read_parquet('documents.parquet')`, `polars.read_parquet(...)`, "
        "`pyarrow.parquet.read_table(...)` or DuckDB; dates arrive as dates."
    )

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.schemas = {table.name: arrow_schema(table) for table in self.tables}
        self.writers = {
            table.name: pq.ParquetWriter(
                folder / f"{table.name}.parquet", self.schemas[table.name], compression="zstd"
            )
            for table in self.tables
        }
        self.buffers: dict[str, list[dict[str, Any]]] = {t.name: [] for t in self.tables}

    def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        buffer = self.buffers[table.name]
        buffer.extend(rows)
        if len(buffer) >= ROW_GROUP_ROWS:
            self._flush(table.name)

    def _flush(self, name: str) -> None:
        buffer = self.buffers[name]
        if buffer:
            batch = pa.Table.from_pylist(buffer, schema=self.schemas[name])
            self.writers[name].write_table(batch, row_group_size=ROW_GROUP_ROWS)
            buffer.clear()

    def finish(self) -> list[Path]:
        for name, writer in self.writers.items():
            self._flush(name)
            writer.close()
        return [self.folder / f"{table.name}.parquet" for table in self.tables]
