"""`policywatch alerts ...` end to end on the default SQLite store."""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from policywatch.cli import app, main
from policywatch.config import get_settings
from policywatch.store import connect, session_scope
from policywatch.store.types import utcnow
from tests.alerts.conftest import add_version

runner = CliRunner()


def test_subscribe_list_preview_match_send_status_unsubscribe(capsys) -> None:
    assert main(["db", "upgrade"]) == 0
    with session_scope(connect(get_settings())) as session:
        for n in range(3):
            add_version(
                session,
                url=f"https://example.org/{n}",
                title=f"Kinship news {n}",
                body="Kinship carers will get an allowance.",
                themes={"kinship_care": 0.9},
                published=utcnow() - timedelta(days=n + 1),
            )

    preview = runner.invoke(
        app, ["alerts", "preview", "--days", "30", "--keywords", "kinship", "--cap", "2", "--json"]
    )
    assert preview.exit_code == 0, preview.output
    rows = [json.loads(line) for line in preview.output.splitlines()]
    assert len(rows) == 3 and {r["delivery"] for r in rows} == {"immediate"}  # one a day

    made = runner.invoke(
        app,
        [
            "alerts",
            "subscribe",
            "--name",
            "Kinship feed",
            "--channel",
            "atom",
            "--theme",
            "kinship_care",
            "--keywords",
            "kinship -adoption",
        ],
    )
    assert made.exit_code == 0, made.output
    assert "subscription 1 saved: Kinship feed" in made.output
    assert "feed: http://127.0.0.1:8000/alerts/feed/" in made.output

    listed = runner.invoke(app, ["alerts", "list"], env={"COLUMNS": "250"})
    assert "Kinship feed" in listed.output and "active" in listed.output

    matched = runner.invoke(app, ["alerts", "match"])
    assert "3 deliveries (3 queued" in matched.output, matched.output
    sent = runner.invoke(app, ["alerts", "send"])
    assert "immediate: 3 messages (3 alerts) sent" in sent.output, sent.output
    status = runner.invoke(app, ["alerts", "status"])
    assert "deliveries: 3 sent" in status.output
    assert "subscriptions: 1 active" in status.output

    ended = runner.invoke(app, ["alerts", "unsubscribe", "1"])
    assert "subscription 1 ended" in ended.output


def test_bad_subscriptions_are_one_line_errors(capsys) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    code = main(["alerts", "subscribe", "--name", "x", "--channel", "email", "--address", "nope"])
    assert code == 1
    err = capsys.readouterr().err
    assert "not an email address: 'nope'" in err and "Traceback" not in err
    assert main(["alerts", "preview", "--theme", "kinship"]) == 1
    assert "unknown theme 'kinship'" in capsys.readouterr().err
    assert main(["alerts", "unsubscribe", "42"]) == 1
    assert "no subscription '42'" in capsys.readouterr().err
