"""``policywatch alerts ...``: subscriptions, preview, matching, sending and the outbox's state.

A thin layer over ``alerts.subscriptions``, ``alerts.matching``,
``alerts.sender``, ``alerts.digests`` and ``alerts.status``; the Prefect flows
call the same functions (``match_new``, ``drain_outbox``, ``send_due_digests``).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from alerts.channels.base import ChannelError
from alerts.digests import send_due_digests
from alerts.filters import Filters, parse_filters
from alerts.matching import match_new, preview
from alerts.notices import send_confirmation
from alerts.sender import SendReport, drain_outbox
from alerts.status import outbox_status, requeue_dead
from alerts.subscriptions import (
    confirm,
    create_subscription,
    get_subscription,
    list_subscriptions,
    public_view,
    unsubscribe,
)
from policywatch.cli.app import app, console, print_json_lines
from policywatch.config import get_settings
from policywatch.store import connect, session_scope

alerts_app = typer.Typer(
    help="Subscriptions and alerts: subscribe, preview, match, send, status.\n\n"
    "Example: policywatch alerts subscribe --name 'Kinship watch' --channel email "
    "--address me@example.org --theme kinship_care"
)
app.add_typer(alerts_app, name="alerts", no_args_is_help=True)

ThemeOpt = Annotated[list[str] | None, typer.Option("--theme", help="Theme id (repeatable).")]
TargetOpt = Annotated[list[str] | None, typer.Option("--target", help="Statement target.")]
ActorOpt = Annotated[list[str] | None, typer.Option("--actor", help="Actor id, e.g. dfe.")]
PublisherOpt = Annotated[list[str] | None, typer.Option("--publisher", help="Publisher slug.")]
TypeOpt = Annotated[list[str] | None, typer.Option("--type", help="Document type.")]
KeywordsOpt = Annotated[
    str, typer.Option("--keywords", help='e.g. kinship AND ("special guardianship" OR SGO)')
]
KindOpt = Annotated[list[str] | None, typer.Option("--signal-kind", help="Signal kind.")]
ScoreOpt = Annotated[float | None, typer.Option("--min-score", help="Minimum signal score.")]
ItemsOpt = Annotated[
    str,
    typer.Option(
        "--items", help="auto (signals only if a signal filter is set), all, documents, signals."
    ),
]
CadenceOpt = Annotated[str, typer.Option("--cadence", help="immediate, daily or weekly.")]
CapOpt = Annotated[int | None, typer.Option("--cap", help="Most immediate alerts per day.")]
ZoneOpt = Annotated[str, typer.Option("--timezone", help="Time zone, e.g. Europe/London.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON lines instead.")]


def _filters(
    theme: list[str] | None,
    target: list[str] | None,
    actor: list[str] | None,
    publisher: list[str] | None,
    doc_type: list[str] | None,
    keywords: str,
    signal_kind: list[str] | None,
    min_score: float | None,
    items: str,
) -> Filters:
    return parse_filters(
        {
            "themes": theme or [],
            "targets": target or [],
            "actors": actor or [],
            "publishers": publisher or [],
            "document_types": doc_type or [],
            "keywords": keywords,
            "signal_kinds": signal_kind or [],
            "min_score": min_score,
            "items": items,
        }
    )


@alerts_app.command("subscribe")
def alerts_subscribe(
    name: Annotated[str, typer.Option("--name", help="What to call the subscription.")],
    channel: Annotated[str, typer.Option("--channel", help="email, webhook, atom or apprise.")],
    address: Annotated[str, typer.Option("--address", help="Email, URL or Apprise URL.")] = "",
    theme: ThemeOpt = None,
    target: TargetOpt = None,
    actor: ActorOpt = None,
    publisher: PublisherOpt = None,
    doc_type: TypeOpt = None,
    keywords: KeywordsOpt = "",
    signal_kind: KindOpt = None,
    min_score: ScoreOpt = None,
    items: ItemsOpt = "auto",
    cadence: CadenceOpt = "immediate",
    hour: Annotated[int, typer.Option("--hour", help="Digest hour, 0-23.")] = 8,
    weekday: Annotated[int, typer.Option("--weekday", help="Weekly digest day, 0=Monday.")] = 0,
    timezone: ZoneOpt = "UTC",
    cap: CapOpt = None,
    subscriber_name: Annotated[str, typer.Option(help="Name that greets the reader.")] = "",
    owner_email: Annotated[str | None, typer.Option(help="Who hears about failures.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Save a subscription; an email one gets a confirmation link first (double opt-in).

    Example: policywatch alerts subscribe --name Kinship --channel atom --theme kinship_care
    """
    settings = get_settings()
    filters = _filters(
        theme, target, actor, publisher, doc_type, keywords, signal_kind, min_score, items
    )
    engine = connect(settings)
    with session_scope(engine) as session:
        subscription = create_subscription(
            session,
            settings=settings,
            name=name,
            channel=channel,
            address=address,
            filters=filters,
            cadence=cadence,
            send_hour=hour,
            send_weekday=weekday,
            timezone=timezone,
            daily_cap=cap,
            subscriber_name=subscriber_name,
            owner_email=owner_email,
        )
    problem = None
    if subscription.channel == "email":
        try:
            send_confirmation(subscription, settings)
        except ChannelError as exc:
            problem = str(exc)
    view = public_view(subscription, settings)
    if as_json:
        print_json_lines([{**view, "confirmation_error": problem}])
        return
    typer.echo(f"subscription {subscription.id} saved: {subscription.name}")
    typer.echo(f"  manage: {view['manage_url']}")
    if view["feed_url"]:
        typer.echo(f"  feed: {view['feed_url']}")
    if view["webhook_secret"]:
        typer.echo(f"  webhook secret: {view['webhook_secret']}")
    if subscription.channel == "email":
        if problem:
            typer.echo(f"  confirmation email NOT sent ({problem}); it stays unconfirmed")
        else:
            typer.echo(f"  confirmation link sent to {subscription.address}")


@alerts_app.command("list")
def alerts_list(
    include_all: Annotated[bool, typer.Option("--all", help="Include ended ones.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List subscriptions.

    Example: policywatch alerts list --all
    """
    settings = get_settings()
    with session_scope(connect(settings)) as session:
        rows = list_subscriptions(session, include_inactive=include_all)
    if as_json:
        print_json_lines(public_view(s, settings) for s in rows)
        return
    table = Table(title=f"{len(rows)} subscriptions")
    for column in ("id", "name", "channel", "address", "cadence", "state", "filters"):
        table.add_column(column)
    for s in rows:
        state = "ended" if not s.active else "active" if s.confirmed_at else "unconfirmed"
        shown = "; ".join(
            f"{k}={v}" for k, v in s.filters.items() if v not in (None, "", [], "all", "auto")
        )
        table.add_row(
            str(s.id), s.name, s.channel, s.address, s.cadence, state, shown or "everything"
        )
    console.print(table)


@alerts_app.command("preview")
def alerts_preview(
    days: Annotated[int, typer.Option("--days", min=1, help="How far back to look.")] = 30,
    theme: ThemeOpt = None,
    target: TargetOpt = None,
    actor: ActorOpt = None,
    publisher: PublisherOpt = None,
    doc_type: TypeOpt = None,
    keywords: KeywordsOpt = "",
    signal_kind: KindOpt = None,
    min_score: ScoreOpt = None,
    items: ItemsOpt = "auto",
    cadence: CadenceOpt = "immediate",
    cap: CapOpt = None,
    timezone: ZoneOpt = "UTC",
    as_json: JsonOpt = False,
) -> None:
    """Show what a subscription would have sent over the last N days, without saving it.

    Example: policywatch alerts preview --days 90 --keywords 'kinship -adoption'
    """
    settings = get_settings()
    filters = _filters(
        theme, target, actor, publisher, doc_type, keywords, signal_kind, min_score, items
    )
    report = preview(
        connect(settings),
        settings,
        filters=filters,
        cadence=cadence,
        daily_cap=cap,
        timezone=timezone,
        days=days,
    )
    if as_json:
        print_json_lines(row.__dict__ for row in report.rows)
        return
    table = Table(title=f"{len(report.rows)} alerts in the last {days} days")
    for column in ("day", "kind", "id", "title", "sent as", "why"):
        table.add_column(column)
    for row in report.rows:
        table.add_row(row.day, row.kind, str(row.item_id), row.title, row.delivery, row.why)
    console.print(table)
    typer.echo(
        f"{report.immediate} at once, {report.rolled_into_digest} in digests; "
        f"busiest day: {max(report.per_day().values(), default=0)} alerts"
    )


@alerts_app.command("confirm")
def alerts_confirm(
    ref: Annotated[str, typer.Argument(help="Subscription id or management token.")],
) -> None:
    """Confirm a subscription by hand (when the owner confirmed out of band).

    Example: policywatch alerts confirm 3
    """
    with session_scope(connect(get_settings())) as session:
        subscription = get_subscription(session, ref=ref)
        changed = confirm(session, subscription=subscription)
    typer.echo(f"subscription {subscription.id} {'confirmed' if changed else 'already confirmed'}")


@alerts_app.command("unsubscribe")
def alerts_unsubscribe(
    ref: Annotated[str, typer.Argument(help="Subscription id or management token.")],
) -> None:
    """End a subscription and cancel what it still had waiting.

    Example: policywatch alerts unsubscribe 3
    """
    with session_scope(connect(get_settings())) as session:
        subscription = get_subscription(session, ref=ref)
        changed = unsubscribe(session, subscription=subscription)
    typer.echo(f"subscription {subscription.id} {'ended' if changed else 'had already ended'}")


@alerts_app.command("match")
def alerts_match() -> None:
    """Match new documents and signals to subscriptions and queue their deliveries.

    Example: policywatch alerts match
    """
    settings = get_settings()
    report = match_new(connect(settings), settings)
    typer.echo(
        f"matched {report.versions} versions and {report.signals} signals against "
        f"{report.subscriptions} subscriptions: {report.deliveries} deliveries "
        f"({report.queued} queued, {report.held_for_digest} for digests, "
        f"{report.overflow} over the daily cap), {report.too_old} too old to alert"
    )


def _echo_send(label: str, report: SendReport) -> None:
    typer.echo(
        f"{label}: {report.messages_sent} messages ({report.deliveries_sent} alerts) sent, "
        f"{report.retries_scheduled} to retry, {report.dead} dead, "
        f"{report.notices_sent} owner notices"
    )
    for error in report.errors:
        typer.echo(f"  {error}", err=True)


@alerts_app.command("send")
def alerts_send(
    digests: Annotated[bool, typer.Option(help="Also send digests that are due.")] = True,
) -> None:
    """Send queued alerts (retrying failed ones when due) and digests that are due.

    Example: policywatch alerts send
    """
    settings = get_settings()
    engine = connect(settings)
    _echo_send("immediate", drain_outbox(engine, settings))
    if digests:
        _echo_send("digests", send_due_digests(engine, settings))


@alerts_app.command("status")
def alerts_status(
    limit: Annotated[int, typer.Option(min=1, help="Dead letters to list.")] = 20,
) -> None:
    """The outbox: deliveries by state, dead letters and owner notices.

    Example: policywatch alerts status
    """
    with session_scope(connect(get_settings())) as session:
        status = outbox_status(session, limit=limit)
    subs = ", ".join(f"{n} {k}" for k, n in sorted(status.subscriptions.items())) or "none"
    typer.echo(f"subscriptions: {subs}")
    counts = ", ".join(f"{n} {k}" for k, n in sorted(status.deliveries.items())) or "none"
    typer.echo(f"deliveries: {counts}")
    if status.dead_letters:
        table = Table(title=f"dead letters ({len(status.dead_letters)} shown)")
        for column in ("delivery", "subscription", "channel", "item", "attempts", "last error"):
            table.add_column(column)
        for d in status.dead_letters:
            table.add_row(
                str(d.delivery_id),
                f"{d.subscription_id} {d.subscription}",
                d.channel,
                d.item,
                str(d.attempts),
                d.error,
            )
        console.print(table)
    for notice in status.notices:
        state = "sent" if notice.sent_at else f"not sent: {notice.error or 'pending'}"
        typer.echo(f"owner notice {notice.id} for subscription {notice.subscription_id}: {state}")


@alerts_app.command("requeue")
def alerts_requeue(
    subscription: Annotated[int | None, typer.Option(help="Only this subscription.")] = None,
) -> None:
    """Give dead letters a fresh set of attempts (after the receiver is fixed).

    Example: policywatch alerts requeue --subscription 3
    """
    with session_scope(connect(get_settings())) as session:
        count = requeue_dead(session, subscription_id=subscription)
    typer.echo(f"{count} dead letters queued again")
