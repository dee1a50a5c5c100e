"""CSV and JSON downloads of exactly the rows a list shows.

Crawled text is untrusted, and spreadsheets execute cells that start with
``=``, ``+``, ``-`` or ``@``; such cells are prefixed with a quote (the OWASP
advice for CSV injection). JSON downloads are the API's own model, so a
download and an API call agree.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from enum import StrEnum

from fastapi.responses import Response
from pydantic import BaseModel


class Format(StrEnum):
    html = "html"
    csv = "csv"
    json = "json"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        text = ""
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, default=str)
    elif isinstance(value, list):
        text = "; ".join(str(v) for v in value)
    else:
        text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_response(rows: Sequence[BaseModel], *, filename: str) -> Response:
    """A CSV attachment with one column per model field."""
    buffer = io.StringIO()
    fields = list(type(rows[0]).model_fields) if rows else []
    writer = csv.writer(buffer)
    writer.writerow(fields)
    for row in rows:
        data = row.model_dump(mode="json")
        writer.writerow([_cell(data[field]) for field in fields])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def json_response(model: BaseModel, *, filename: str) -> Response:
    """The same JSON the API returns, as an attachment."""
    return Response(
        model.model_dump_json(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}.json"'},
    )
