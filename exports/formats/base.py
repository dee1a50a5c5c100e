"""What every format writer does, and the value conversions text formats share."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from datetime import date, datetime
from pathlib import Path
from typing import Any

from exports.schema import TABLES, Table


class FormatWriter(ABC):
    """Appends batches of rows per table into files under ``folder``."""

    #: how to load these files, for the datasheet
    how_to_load: str = ""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tables = TABLES

    @abstractmethod
    def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Append rows (dicts keyed by column name) to ``table``."""

    @abstractmethod
    def finish(self) -> list[Path]:
        """Close every file and return the paths written."""


def text_value(value: Any, type_: str) -> Any:
    """A value for a text format: ISO dates, JSON arrays for lists, None kept as None."""
    if value is None:
        return None
    if type_ in {"datetime", "date"} and isinstance(value, date | datetime):
        return value.isoformat()
    if type_ == "list":
        return json.dumps(list(value), ensure_ascii=False)
    return value
