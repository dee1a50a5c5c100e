"""`policywatch export` writes the files and reports them; bad input is one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policywatch.cli import app, main


def test_export_command_writes_the_filtered_corpus(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", f"sqlite:///{demo_db}")
    out = tmp_path / "kinship"
    result = CliRunner().invoke(
        app,
        [
            "export",
            "--format",
            "parquet",
            "--out",
            str(out),
            "--theme",
            "kinship_care",
            "--since",
            "2020-01-01",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["filters"]["themes"] == ["kinship_care"]
    assert manifest["filters"]["since"] == "2020-01-01"
    assert 0 < manifest["row_counts"]["documents"] < 143
    assert f"Exported {manifest['row_counts']['documents']} documents" in result.output
    assert "documents.parquet" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--theme", "kinship"], "unknown theme 'kinship'"),
        (["--format", "xlsx"], "unknown export format 'xlsx'"),
        (["--since", "2024-01-01", "--until", "2023-01-01"], "is after until"),
        (["--since", "last week"], "bad filter since"),
        (["--signal-kind", "scandal"], "unknown signal kind 'scandal'"),
    ],
)
def test_bad_input_is_one_clear_line(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["export", "--out", str(tmp_path / "x"), *args])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
