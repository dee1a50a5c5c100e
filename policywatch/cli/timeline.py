"""The timeline's commands: ``timeline``, ``signals show|recompute|review``, ``events add|list``
and ``evaluate timeline`` (also reachable as ``evaluate signals``).

Each is a thin layer over ``timeline.queries``, ``timeline.recompute``,
``timeline.events`` and ``timeline.evaluate``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from policywatch.cli.app import (
    app,
    console,
    evaluate_app,
    gate_or_update_baseline,
    parse_date,
    print_json_lines,
    progress_bar,
)
from policywatch.config import get_settings
from policywatch.errors import PolicyWatchError
from policywatch.store import connect, session_scope

signals_app = typer.Typer(
    help="Show, recompute and review timeline signals.\n\nExample: policywatch signals show 12"
)
events_app = typer.Typer(
    help="Trigger events for reactive signals (inquiries, deaths, reviews, reports, rulings)."
    "\n\nExample: policywatch events list"
)
app.add_typer(signals_app, name="signals", no_args_is_help=True)
app.add_typer(events_app, name="events", no_args_is_help=True)

Strings = list[str] | None
ThemeOption = Annotated[Strings, typer.Option("--theme", help="Theme (repeatable).")]
DateOption = str | None
KindOption = Annotated[
    list[str] | None,
    typer.Option(
        "--kind", help="contradiction, reversal, reannouncement, reactive or burst (repeatable)."
    ),
]


def _money(amount: int | None) -> str:
    from timeline.drafts import pounds

    return pounds(amount) if amount else ""


@app.command("timeline")
def timeline_command(
    theme: ThemeOption = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", help="Target (repeatable).")
    ] = None,
    actor: Annotated[
        list[str] | None, typer.Option("--actor", help="Actor slug (repeatable).")
    ] = None,
    publisher: Annotated[
        list[str] | None, typer.Option("--publisher", help="Publisher slug (repeatable).")
    ] = None,
    kind: KindOption = None,
    min_score: Annotated[float | None, typer.Option("--min-score", help="Lowest score.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date (YYYY-MM-DD).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this date.")] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Words in explanation or quotes.")
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status", help="open, changed, confirmed, dismissed, withdrawn (repeatable)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many signals.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many (paging).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of text.")] = False,
) -> None:
    """The timeline: flagged signals in date order, each with its evidence quotes.

    Example: policywatch timeline --theme residential_care --since 2021-01-01
    """
    from timeline.queries import SHOWN, count_signals, timeline_signals

    filters = {
        "themes": theme,
        "targets": target,
        "actors": actor,
        "publishers": publisher,
        "kinds": kind,
        "min_score": min_score,
        "since": _aware(parse_date(since)),
        "until": _aware(parse_date(until)),
        "text": text,
        "statuses": status or SHOWN,
    }
    engine = connect(get_settings())
    with session_scope(engine) as session:
        total = count_signals(session, **filters)
        rows = timeline_signals(session, limit=limit, offset=offset, **filters)
    if as_json:
        print_json_lines(asdict(row) for row in rows)
        return
    if not rows:
        console.print("No signals match. (Run `policywatch signals recompute` after processing.)")
        return
    for row in rows:
        when = row.last_date.date().isoformat() if row.last_date else "?"
        console.print(
            f"\n[bold]{when}  {row.kind.upper()}[/]  #{row.id}  score {row.score:.2f}  "
            f"[dim]{row.status}[/]  {row.target or row.theme or ''}",
            highlight=False,
        )
        console.print(f"  {row.explanation}", highlight=False)
        for evidence in row.evidence[:4]:
            date = evidence.date.date().isoformat() if evidence.date else "?"
            console.print(
                f"   [cyan]{evidence.role}[/] {date} {evidence.publisher or ''}: "
                f"[italic]“{_short(evidence.quote)}”[/]",
                highlight=False,
            )
        if len(row.evidence) > 4:
            console.print(f"   … and {len(row.evidence) - 4} more documents", highlight=False)
    console.print(f"\n{offset + 1}-{offset + len(rows)} of {total} signals.")


def _short(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _aware(value):  # type: ignore[no-untyped-def]
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@signals_app.command("show")
def signals_show(
    ref: Annotated[str, typer.Argument(help="Signal id or key.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """One signal with its explanation and every evidence quote, side by side in date order.

    Example: policywatch signals show 12
    """
    from timeline.queries import get_signal

    engine = connect(get_settings())
    with session_scope(engine) as session:
        detail = get_signal(session, key_or_id=ref)
    if detail is None:
        raise PolicyWatchError(f"no signal {ref!r}")
    if as_json:
        typer.echo(json.dumps(asdict(detail), default=str, ensure_ascii=False))
        return
    signal = detail.signal
    console.print(
        f"[bold]{signal.kind.upper()}[/] #{signal.id} ({signal.key}) score {signal.score:.2f}, "
        f"{signal.status}",
        highlight=False,
    )
    console.print(signal.explanation, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, show_lines=True)
    for column in ("date", "role", "publisher", "document", "evidence (offsets)"):
        table.add_column(column)
    for item in detail.chain:
        table.add_row(
            item.date.date().isoformat() if item.date else "?",
            item.role + (f"\n{_money(item.money_gbp)}" if item.money_gbp else ""),
            item.publisher or "",
            f"{item.title}\n{item.url}",
            f"“{item.quote}”\n[dim]version {item.version_id}, "
            f"chars {item.start_char}-{item.end_char}[/]",
        )
    console.print(table)
    for review in detail.reviews:
        console.print(
            f"Reviewed: {review.action} by user {review.user_id} on {review.created_at:%Y-%m-%d} "
            f"{review.note}",
            highlight=False,
        )


@signals_app.command("recompute")
def signals_recompute(
    full: Annotated[bool, typer.Option("--full", help="Recompute every theme and target.")] = False,
) -> None:
    """Bring signals up to date with the store (only affected themes and targets by default).

    Example: policywatch signals recompute
    """
    from timeline.recompute import recompute_signals

    engine = connect(get_settings())
    with progress_bar() as progress:
        task = progress.add_task("timeline", total=3)
        report = recompute_signals(
            engine, full=full, on_progress=lambda done, total: progress.update(task, completed=done)
        )
    console.print(
        f"Recomputed {report.themes_recomputed} themes and {report.targets_recomputed} targets "
        f"({'full' if report.full else 'incremental'}, {report.new_versions} new versions): "
        f"{report.created} created, {report.updated} updated, {report.withdrawn} withdrawn, "
        f"{report.unchanged} unchanged, in {report.seconds:.1f} s."
    )


@signals_app.command("review")
def signals_review(
    ref: Annotated[str, typer.Argument(help="Signal id or key.")],
    reviewer: Annotated[
        str, typer.Option("--reviewer", help="Reviewer username (a dashboard user).")
    ],
    confirm: Annotated[bool, typer.Option("--confirm", help="The signal is right.")] = False,
    dismiss: Annotated[bool, typer.Option("--dismiss", help="The signal is wrong.")] = False,
    note: Annotated[str, typer.Option("--note", help="Why.")] = "",
) -> None:
    """Confirm or dismiss a signal, recorded with who and when; a dismissed signal stays dismissed.

    Example: policywatch signals review 12 --confirm --reviewer alice --note "checked both quotes"
    """
    from timeline.review import review_signal

    if confirm == dismiss:
        raise PolicyWatchError("give exactly one of --confirm or --dismiss")
    engine = connect(get_settings())
    with session_scope(engine) as session:
        status = review_signal(
            session,
            key_or_id=ref,
            reviewer=reviewer,
            action="confirm" if confirm else "dismiss",
            note=note,
        )
    console.print(f"Signal {ref} is now {status}.")


@events_app.command("add")
def events_add(
    key: Annotated[str | None, typer.Argument(help="Stable key, e.g. casey-audit-2025.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD.")] = None,
    kind: Annotated[
        str,
        typer.Option(help="inquiry, death, serious_case_review, critical_report, court_ruling."),
    ] = "critical_report",
    theme: Annotated[str | None, typer.Option(help="The theme it concerns.")] = None,
    title: Annotated[str, typer.Option(help="What happened.")] = "",
    url: Annotated[str | None, typer.Option(help="Where it was published.")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--file", help="Register every event in a YAML list.")
    ] = None,
) -> None:
    """Register a trigger event (idempotent on its key: the same key again updates it).

    Example: policywatch events add casey-2025 --date 2025-06-16 --title "Casey audit published"
    """
    from timeline.events import add_event, add_events_file

    engine = connect(get_settings())
    with session_scope(engine) as session:
        if from_file is not None:
            events = add_events_file(session, path=from_file)
            console.print(f"Registered {len(events)} events from {from_file}.")
            return
        if key is None or date is None:
            raise PolicyWatchError("give a KEY and --date (or --file)")
        event = add_event(session, key=key, date=date, kind=kind, theme=theme, title=title, url=url)
        console.print(f"Event {event.key} on {event.date:%Y-%m-%d} registered.")


@events_app.command("list")
def events_list(
    theme: Annotated[str | None, typer.Option(help="Only this theme.")] = None,
) -> None:
    """Registered trigger events, oldest first.

    Example: policywatch events list --theme child_protection
    """
    from timeline.events import list_events

    engine = connect(get_settings())
    with session_scope(engine) as session:
        events = list_events(session, theme=theme)
    if not events:
        console.print("No events registered.")
        return
    for event in events:
        console.print(
            f"{event.date:%Y-%m-%d}  {event.key}  [{event.kind}] {event.theme or '-'}: "
            f"{event.title}",
            highlight=False,
        )


def evaluate_timeline(
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Pin these figures as the new floors.")
    ] = False,
    allow_lower: Annotated[
        bool, typer.Option("--allow-lower", help="With --update-baseline: accept lower floors.")
    ] = False,
) -> None:
    """Precision and recall per signal kind on the demo corpus and the held-out set, gated.

    Builds two throwaway stores (the demo corpus; the demo corpus plus the held-out
    documents), annotates them, recomputes signals and scores them against the
    planted signals and controls. Exits 1 when a figure falls below its floor.

    Example: policywatch evaluate timeline
    """
    from timeline import evaluate as tl_eval

    with console.status("building and annotating the evaluation stores"):
        scores = tl_eval.evaluate()
    for result in scores:
        table = Table(title=f"signals: {result.name} set", box=box.SIMPLE_HEAD)
        for column in ("kind", "precision", "recall", "planted", "predicted", "controls flagged"):
            table.add_column(column, justify="left" if column == "kind" else "right")
        for kind, figures in result.figures().items():
            table.add_row(
                kind,
                _figure(figures["precision"]),
                _figure(figures["recall"]),
                str(figures["planted"]),
                str(figures["predicted"]),
                f"{figures['controls_flagged']}",
            )
        console.print(table)
    _print_reviewed_precision()
    data_hash = tl_eval.labels_hash(tl_eval.CORPUS_DIR, tl_eval.HELDOUT_DIR)
    baseline = tl_eval.load_baseline()
    gate_or_update_baseline(
        update=update_baseline,
        allow_lower=allow_lower,
        baseline_file=tl_eval.BASELINE_FILE,
        updated=lambda: tl_eval.updated_baseline(
            scores, baseline, data_hash=data_hash, allow_lower=allow_lower
        ),
        problems=lambda: tl_eval.gate(scores, baseline, data_hash=data_hash),
    )


def _print_reviewed_precision() -> None:
    """Precision on reviewed signals in the configured store (reviewer feedback), if any."""
    from timeline.evaluate import confirmed_precision

    try:
        engine = connect(get_settings())
    except PolicyWatchError:
        return
    precision = confirmed_precision(engine)
    if precision is None:
        console.print("Reviewed signals in the store: none yet (no precision on confirmed).")
    else:
        console.print(
            f"Reviewed signals in the store: {precision:.3f} confirmed of those reviewed."
        )


def _figure(value: float | int | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


evaluate_app.command("timeline")(evaluate_timeline)
evaluate_app.command("signals")(evaluate_timeline)
