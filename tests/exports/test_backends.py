"""Every format from either backend: complete, byte-identical on a re-run, safe to interrupt."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from exports.manifest import MANIFEST_NAME, verify
from exports.writer import export_corpus
from tests.exports.conftest import FORMATS
from tests.exports.readback import read_export
from tests.exports.test_filters import seed


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_backend_exports_every_format_reproducibly(
    fmt: str, engine: Engine, tmp_path: Path
) -> None:
    seed(engine)
    first = export_corpus(engine, out_dir=tmp_path / "a", fmt=fmt)
    second = export_corpus(engine, out_dir=tmp_path / "b", fmt=fmt)
    assert first.files == second.files
    assert first.store_backend == engine.dialect.name
    tables = read_export(fmt, tmp_path / "a")
    assert [r["title"] for r in tables["documents"]] == [
        "Children's homes capital (updated)",
        "Kinship allowance speech",
        "Kinship carers need support",
    ]
    assert [r["theme"] for r in tables["themes"]] == [
        "residential_care",
        "kinship_care",
        "kinship_care",
    ]
    assert first.row_counts["signal_links"] == 1 and first.row_counts["signals"] == 1


def test_an_interrupted_export_leaves_the_previous_one_intact(
    engine: Engine, tmp_path: Path
) -> None:
    seed(engine)
    export_corpus(engine, out_dir=tmp_path, fmt="parquet")
    before = sorted(p.name for p in tmp_path.iterdir())

    def interrupt(rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_corpus(engine, out_dir=tmp_path, fmt="parquet", on_progress=interrupt)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no partial folder left
    assert MANIFEST_NAME in before and verify(tmp_path) == []
