"""The timeline's commands, run as a user runs them, against a copy of the demo store."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from policywatch.cli import app, main
from policywatch.store import session_scope
from policywatch.store.tables import Event, Signal, SignalReview
from timeline.evaluate import confirmed_precision
from timeline.queries import timeline_signals

runner = CliRunner()


@pytest.fixture
def store_env(demo_copy: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", demo_copy.url.render_as_string())
    monkeypatch.setenv("COLUMNS", "250")
    return demo_copy


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_timeline_prints_signals_with_both_quotes(store_env: Engine) -> None:
    output = run("timeline", "--theme", "residential_care", "--since", "2021-01-01")
    assert "CONTRADICTION" in output and "REACTIVE" in output
    assert "secure children's homes" in output
    assert "fewer beds in secure children's homes" in output  # the opposing quote
    assert "of" in output.splitlines()[-1] and "signals" in output.splitlines()[-1]


def test_timeline_json_lines_carry_the_evidence(store_env: Engine) -> None:
    lines = run("timeline", "--kind", "burst", "--json").splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows and all(r["kind"] == "burst" for r in rows)
    assert all(len(r["evidence"]) >= 4 and "Poisson" in r["explanation"] for r in rows)


def test_signals_show_prints_one_signal_with_both_quotes(store_env: Engine) -> None:
    with session_scope(store_env) as session:
        (signal,) = timeline_signals(
            session, kinds=["contradiction"], targets=["secure children's homes places"]
        )
    output = run("signals", "show", str(signal.id))
    assert signal.explanation.split(",")[0] in output.replace("\n", " ")
    for evidence in signal.evidence:
        assert evidence.quote[:40] in output.replace("\n", " ")
    assert "chars" in output
    shown = json.loads(run("signals", "show", signal.key, "--json"))
    assert shown["signal"]["key"] == signal.key and len(shown["chain"]) == len(signal.evidence)


def test_events_add_is_idempotent_and_listed(store_env: Engine) -> None:
    for _ in range(2):
        run(
            "events", "add", "test-inquiry", "--date", "2024-02-01", "--kind", "inquiry",
            "--theme", "child_protection", "--title", "An inquiry reports",
        )  # fmt: skip
    with session_scope(store_env) as session:
        events = session.exec(select(Event).where(Event.key == "test-inquiry")).all()
    assert len(events) == 1
    assert "test-inquiry" in run("events", "list", "--theme", "child_protection")


def test_bad_input_is_one_clear_line(store_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["events", "add", "x-1", "--date", "2024-13-01", "--title", "t"])
    assert code == 1
    assert "not a date" in capsys.readouterr().err
    assert (
        main(["events", "add", "x-2", "--date", "2024-01-01", "--kind", "rumour", "--title", "t"])
        == 1
    )
    assert "event kind" in capsys.readouterr().err
    assert main(["signals", "show", "no-such-signal"]) == 1
    assert "no signal" in capsys.readouterr().err


def test_a_reviewer_confirms_or_dismisses_and_dismissal_survives_recompute(
    store_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    from dashboards.users import add_user

    with session_scope(store_env) as session:
        add_user(session, username="alice", password="a long enough password")
        (signal,) = timeline_signals(session, kinds=["reversal"], limit=1)
    run(
        "signals",
        "review",
        str(signal.id),
        "--confirm",
        "--reviewer",
        "alice",
        "--note",
        "both quotes checked",
    )
    run("signals", "review", signal.key, "--dismiss", "--reviewer", "alice")
    run(
        "events", "add", "new-event", "--date", "2024-01-01", "--theme", "workforce", "--title", "x"
    )
    output = run("signals", "recompute")
    assert "incremental" in output
    run("signals", "recompute", "--full")
    with session_scope(store_env) as session:
        stored = session.get(Signal, signal.id)
        reviews = session.exec(
            select(SignalReview).where(SignalReview.signal_id == signal.id)
        ).all()
    assert stored is not None and stored.status == "dismissed"
    assert [r.action for r in reviews] == ["confirm", "dismiss"]
    assert reviews[0].note == "both quotes checked" and reviews[0].created_at is not None
    assert confirmed_precision(store_env) == 0.0  # its newest review is a dismissal
    assert main(["signals", "review", str(signal.id), "--confirm", "--reviewer", "nobody"]) == 1
    assert "no active reviewer" in capsys.readouterr().err
