"""The last step of every evaluate command: pin floors on purpose, or gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from policywatch.cli.app import gate_or_update_baseline
from policywatch.errors import PolicyWatchError


def run(
    tmp_path: Path,
    *,
    update: bool,
    allow_lower: bool = False,
    lowered: list[str] = (),
    problems: list[str] = (),
) -> Path:
    baseline = tmp_path / "baseline.json"
    gate_or_update_baseline(
        update=update,
        allow_lower=allow_lower,
        baseline_file=baseline,
        updated=lambda: ({"figures": {"f1": 0.5}}, list(lowered)),
        problems=lambda: list(problems),
    )
    return baseline


def test_pinning_writes_the_new_baseline(tmp_path: Path) -> None:
    written = run(tmp_path, update=True)
    assert json.loads(written.read_text()) == {"figures": {"f1": 0.5}}


def test_lowering_a_floor_needs_allow_lower(tmp_path: Path) -> None:
    with pytest.raises(PolicyWatchError, match="refusing to lower"):
        run(tmp_path, update=True, lowered=["f1: 0.6 -> 0.5"])
    assert not (tmp_path / "baseline.json").exists()
    assert run(tmp_path, update=True, allow_lower=True, lowered=["f1: 0.6 -> 0.5"]).exists()


def test_the_gate_exits_1_on_a_problem_and_passes_without(tmp_path: Path) -> None:
    with pytest.raises(typer.Exit) as failed:
        run(tmp_path, update=False, problems=["f1 0.4 is below its floor 0.5"])
    assert failed.value.exit_code == 1
    run(tmp_path, update=False)  # no problem: returns normally
