"""The exports open in the tools researchers use: Datasette, pandas, polars, Hugging Face."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from exports.manifest import Manifest


def test_datasette_opens_the_sqlite_export_with_full_text_search(
    demo_exports: dict[str, tuple[Path, Manifest]],
) -> None:
    from datasette.app import Datasette

    folder, manifest = demo_exports["sqlite"]
    database = folder / "policywatch.sqlite"
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))

    async def browse() -> tuple[list[dict], str, dict, list[dict]]:
        datasette = Datasette([str(database)], metadata=metadata)
        await datasette.invoke_startup()
        hits = await datasette.client.get(
            "/policywatch/documents.json?_search=adoption&_shape=array&_size=max"
        )
        page = await datasette.client.get("/policywatch/documents")
        shown = await datasette.client.get("/-/metadata.json")
        linked = await datasette.client.get(
            "/policywatch/statements.json?_shape=array&_size=5&_labels=on"
        )
        assert hits.status_code == page.status_code == linked.status_code == 200, hits.text
        return hits.json(), page.text, shown.json(), linked.json()

    hits, page, shown, linked = asyncio.run(browse())
    assert 'name="_search"' in page  # Datasette found the FTS index and shows a search box
    assert hits, "an FTS search for a demo theme finds documents"
    for hit in hits:
        words = f"{hit['title']} {hit['description']} {hit['text'] or ''}".lower()
        assert "adopt" in words  # porter stemming: adoption, adopters, adopted
    with sqlite3.connect(database) as connection:
        (total,) = connection.execute(
            "SELECT count(*) FROM documents WHERE lower(title || ' ' || coalesce(description, '')"
            " || ' ' || coalesce(text, '')) LIKE '%adoption%'"
        ).fetchone()
        types = {row[1]: row[2] for row in connection.execute("PRAGMA table_info(documents)")}
    assert len(hits) >= total  # every document mentioning the word is found (and inflections)
    assert types["version_id"] == "INTEGER" and types["title"] == "TEXT"
    assert types["words"] == "INTEGER"
    assert "Open Government Licence" in shown["license"]
    assert linked[0]["version_id"]["label"]  # the foreign key is a link to the document
    assert manifest.row_counts["documents"] > len(hits) > 0

    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "datasette policywatch.sqlite -m metadata.json" in readme
    assert "full-text index" in readme
    with sqlite3.connect(database) as connection:  # the README's own search example
        found = connection.execute(
            "SELECT count(*) FROM documents WHERE rowid IN (SELECT rowid FROM documents_fts"
            " WHERE documents_fts MATCH 'adoption')"
        ).fetchone()[0]
    assert found == len(hits)


def test_pandas_and_polars_load_parquet_with_date_types(
    demo_exports: dict[str, tuple[Path, Manifest]],
) -> None:
    folder, manifest = demo_exports["parquet"]
    frame = pd.read_parquet(folder / "documents.parquet")
    assert len(frame) == manifest.row_counts["documents"]
    assert isinstance(frame["first_published_at"].dtype, pd.DatetimeTZDtype)
    assert str(frame["first_published_at"].dt.tz) == "UTC"
    assert isinstance(frame["first_published_date"].dropna().iloc[0], date)
    assert frame["version_id"].dtype == "int64" and frame["is_latest"].dtype == bool

    polars = pl.read_parquet(folder / "documents.parquet")
    assert polars.schema["first_published_at"] == pl.Datetime("us", "UTC")
    assert polars.schema["first_published_date"] == pl.Date
    assert polars.schema["themes"] == pl.List(pl.String)
    per_year = polars.group_by(pl.col("first_published_date").dt.year()).len()
    assert per_year["len"].sum() == manifest.row_counts["documents"]
    themes = pl.read_parquet(folder / "themes.parquet")
    assert themes.height == manifest.row_counts["themes"]
    assert themes.schema["score"] == pl.Float64


HF_SCRIPT = """
import json, sys
from datasets import load_dataset
out = {}
for name in sys.argv[2:]:
    ds = load_dataset(sys.argv[1], name, split="train")
    out[name] = {"rows": ds.num_rows, "features": {k: str(v) for k, v in ds.features.items()},
                 "first": {k: str(v) for k, v in ds[0].items()}}
print(json.dumps(out))
"""


@pytest.mark.slow
def test_hugging_face_datasets_loads_the_jsonl_export_with_its_declared_types(
    demo_exports: dict[str, tuple[Path, Manifest]], tmp_path: Path
) -> None:
    folder, manifest = demo_exports["jsonl"]
    env = {
        **os.environ,
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "HF_DATASETS_CACHE": str(tmp_path / "hf" / "datasets"),
    }
    tables = ["documents", "themes", "statements", "signals"]
    result = subprocess.run(
        [sys.executable, "-c", HF_SCRIPT, str(folder), *tables],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    for table in tables:
        assert loaded[table]["rows"] == manifest.row_counts[table]
    features = loaded["documents"]["features"]
    assert features["themes"] == "List(Value('string'))"
    assert features["first_published_date"] == "Value('date32')"
    # empty in every demo row, so typed only because the card declares it
    assert features["withdrawn_at"] == "Value('timestamp[us, tz=UTC]')"
    assert loaded["documents"]["first"]["first_published_at"].endswith("+00:00")
    assert loaded["signals"]["features"]["data"] == "Value('string')"
