"""The web side of alerts: JSON API, subscription form, confirm, manage, unsubscribe, Atom feed.

A FastAPI ``APIRouter`` (``router``) that the dashboard app mounts with
``app.include_router(alerts.web.router)``; it needs nothing from the app. The
store comes from the :func:`get_engine` dependency (override it in
``app.dependency_overrides`` to share the dashboard's engine) and settings from
:func:`get_alert_settings`.

Every private page is reached through a secret token in its URL, so those
responses carry ``Cache-Control: no-store`` and ``Referrer-Policy:
no-referrer`` (a link followed from the page must not leak the token). The
subscription form is protected from cross-site posts by a double-submit
token: a random value in a ``SameSite=Strict`` cookie that must equal the
form's hidden field. Confirm and unsubscribe act only on POST, so a mail
scanner that fetches links cannot confirm or unsubscribe anyone; the
unsubscribe POST is RFC 8058's one-click ``List-Unsubscribe=One-Click``.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from alerts.channels.base import ChannelError
from alerts.feed import atom_feed
from alerts.filters import SIGNAL_KINDS, Filters, known_themes
from alerts.matching import preview
from alerts.notices import send_confirmation
from alerts.render import environment
from alerts.subscriptions import (
    by_token,
    confirm,
    create_subscription,
    public_view,
    unsubscribe,
    update_subscription,
)
from policywatch.config import Settings, get_settings
from policywatch.errors import PolicyWatchError
from policywatch.store import connect, session_scope
from policywatch.store.tables import Delivery, Subscription
from policywatch.store.types import utcnow

router = APIRouter(tags=["alerts"])

CSRF_COOKIE = "pw_alerts_csrf"
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def get_alert_settings() -> Settings:
    return get_settings()


@cache
def _engine_for(url: str) -> Engine:
    return connect(Settings(database_url=url))


def get_engine(settings: Annotated[Settings, Depends(get_alert_settings)]) -> Engine:
    """The store, one engine per database URL (the dashboard may override this)."""
    try:
        return _engine_for(settings.resolved_database_url)
    except PolicyWatchError as exc:
        raise HTTPException(503, str(exc)) from exc


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_alert_settings)]


# -- JSON API -------------------------------------------------------------------


class SubscriptionIn(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    channel: Literal["email", "webhook", "atom", "apprise"]
    address: str = Field(default="", max_length=1000)
    filters: Filters = Field(default_factory=Filters)
    cadence: Literal["immediate", "daily", "weekly"] = "immediate"
    send_hour: int = Field(default=8, ge=0, le=23)
    send_weekday: int = Field(default=0, ge=0, le=6)
    timezone: str = "UTC"
    daily_cap: int | None = Field(default=None, ge=1)
    subscriber_name: str = Field(default="", max_length=300)
    owner_email: str | None = None


class SubscriptionPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    filters: Filters | None = None
    cadence: Literal["immediate", "daily", "weekly"] | None = None
    send_hour: int | None = Field(default=None, ge=0, le=23)
    send_weekday: int | None = Field(default=None, ge=0, le=6)
    timezone: str | None = None
    daily_cap: int | None = Field(default=None, ge=1)
    subscriber_name: str | None = None
    owner_email: str | None = None


class PreviewIn(BaseModel):
    filters: Filters = Field(default_factory=Filters)
    days: int = Field(default=30, ge=1, le=366)
    cadence: Literal["immediate", "daily", "weekly"] = "immediate"
    daily_cap: int | None = Field(default=None, ge=1)
    timezone: str = "UTC"


def _bad_request(exc: PolicyWatchError) -> HTTPException:
    return HTTPException(422, str(exc))


#: One unconfirmed email subscription per address in this interval, so the public form
#: cannot be used to flood someone's inbox with confirmation requests.
CONFIRMATION_INTERVAL = timedelta(minutes=15)


def _recently_asked(session: Session, address: str) -> bool:
    since = utcnow() - CONFIRMATION_INTERVAL
    return (
        session.exec(
            select(Subscription.id).where(
                func.lower(Subscription.address) == address.lower(),
                col(Subscription.channel) == "email",
                col(Subscription.confirmed_at).is_(None),
                col(Subscription.created_at) >= since,
            )
        ).first()
        is not None
    )


def _create(
    engine: Engine, settings: Settings, data: SubscriptionIn
) -> tuple[dict[str, Any], str | None]:
    """Save a subscription and, for email, send the confirmation; returns (view, mail error)."""
    try:
        with session_scope(engine) as session:
            if data.channel == "email" and _recently_asked(session, data.address.strip()):
                raise HTTPException(
                    429,
                    "a confirmation link was sent to this address in the last "
                    f"{CONFIRMATION_INTERVAL.seconds // 60} minutes: follow it, or try again later",
                )
            subscription = create_subscription(
                session,
                settings=settings,
                **data.model_dump(exclude={"filters"}),
                filters=data.filters,
            )
    except PolicyWatchError as exc:
        raise _bad_request(exc) from exc
    problem = None
    if subscription.channel == "email":
        try:
            send_confirmation(subscription, settings)
        except ChannelError as exc:
            problem = str(exc)
    return public_view(subscription, settings), problem


@router.post("/api/subscriptions", status_code=201)
def api_create(
    data: SubscriptionIn, engine: EngineDep, settings: SettingsDep, response: Response
) -> dict[str, Any]:
    """Create a subscription. Email ones must be confirmed from the emailed link first."""
    view, problem = _create(engine, settings, data)
    response.headers.update(PRIVATE_HEADERS)
    view["confirmation"] = (
        None if data.channel != "email" else {"sent": problem is None, "error": problem}
    )
    return view


@router.post("/api/subscriptions/preview")
def api_preview(data: PreviewIn, engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """What these filters would have sent over the last ``days`` days; nothing is saved."""
    report = preview(
        engine,
        settings,
        filters=data.filters,
        cadence=data.cadence,
        daily_cap=data.daily_cap,
        timezone=data.timezone,
        days=data.days,
    )
    return {
        "days": report.days,
        "total": len(report.rows),
        "immediate": report.immediate,
        "rolled_into_digest": report.rolled_into_digest,
        "per_day": report.per_day(),
        "items": [row.__dict__ for row in report.rows],
    }


def _by_management_token(engine: Engine, token: str) -> Subscription:
    with session_scope(engine) as session:
        subscription = by_token(session, column="token", token=token)
    if subscription is None:
        raise HTTPException(404, "no such subscription")
    return subscription


@router.get("/api/subscriptions/{token}")
def api_get(
    token: str, engine: EngineDep, settings: SettingsDep, response: Response
) -> dict[str, Any]:
    """A subscription by its secret management token."""
    response.headers.update(PRIVATE_HEADERS)
    return public_view(_by_management_token(engine, token), settings)


@router.patch("/api/subscriptions/{token}")
def api_update(
    token: str,
    data: SubscriptionPatch,
    engine: EngineDep,
    settings: SettingsDep,
    response: Response,
) -> dict[str, Any]:
    """Change filters, cadence, schedule, cap or names (channel and address are fixed)."""
    response.headers.update(PRIVATE_HEADERS)
    changes = data.model_dump(exclude_unset=True)
    try:
        with session_scope(engine) as session:
            subscription = by_token(session, column="token", token=token)
            if subscription is None:
                raise HTTPException(404, "no such subscription")
            update_subscription(
                session, subscription=subscription, settings=settings, changes=changes
            )
    except PolicyWatchError as exc:
        raise _bad_request(exc) from exc
    return public_view(subscription, settings)


@router.delete("/api/subscriptions/{token}")
def api_delete(token: str, engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """Unsubscribe (the record stays, inactive, so its history is kept)."""
    with session_scope(engine) as session:
        subscription = by_token(session, column="token", token=token)
        if subscription is None:
            raise HTTPException(404, "no such subscription")
        unsubscribe(session, subscription=subscription)
    return public_view(subscription, settings)


@router.get("/api/subscriptions/{token}/deliveries")
def api_deliveries(
    token: str, engine: EngineDep, response: Response, limit: int = 50
) -> list[dict[str, Any]]:
    """The subscription's latest deliveries and their state."""
    response.headers.update(PRIVATE_HEADERS)
    subscription = _by_management_token(engine, token)
    return [_delivery_view(d) for d in _recent(engine, subscription, min(max(limit, 1), 500))]


def _recent(engine: Engine, subscription: Subscription, limit: int) -> list[Delivery]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(Delivery)
                .where(Delivery.subscription_id == subscription.id)
                .order_by(col(Delivery.id).desc())
                .limit(limit)
            ).all()
        )


def _delivery_view(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "item_kind": delivery.item_kind,
        "item_id": delivery.item_id,
        "title": delivery.payload.get("title", ""),
        "url": delivery.payload.get("url"),
        "why": delivery.why,
        "status": delivery.status,
        "mode": delivery.mode,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "created_at": _iso(delivery.created_at),
        "sent_at": _iso(delivery.sent_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# -- pages ----------------------------------------------------------------------


def _page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=dict(PRIVATE_HEADERS))


def _unknown_link() -> HTMLResponse:
    """What every secret link answers when its token matches no subscription."""
    return _page("notice.html", 404, title="Unknown link", text="This link is not valid.")


def _form_context(csrf: str, values: dict[str, Any], error: str | None = None) -> dict[str, Any]:
    return {
        "csrf": csrf,
        "values": values,
        "error": error,
        "themes": sorted(known_themes()),
        "signal_kinds": SIGNAL_KINDS,
    }


@router.get("/alerts/new", response_class=HTMLResponse)
def form_page(request: Request) -> HTMLResponse:
    """The subscription form, with a fresh double-submit CSRF token."""
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = _page("form.html", **_form_context(csrf, {}))
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/alerts")
    return response


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]


def _number(form: dict[str, Any], name: str) -> int | None:
    raw = str(form.get(name) or "").strip()
    return int(raw) if raw.isdigit() else None


def _form_settings(form: dict[str, Any], lists: dict[str, list[str]]) -> dict[str, Any]:
    """Filters, schedule and names from the fields both forms share."""
    min_score = str(form.get("min_score") or "").strip()
    hour = _number(form, "send_hour")
    return {
        "name": str(form.get("name") or "").strip(),
        "subscriber_name": str(form.get("subscriber_name") or "").strip(),
        "filters": Filters(
            themes=lists.get("themes", []),
            signal_kinds=lists.get("signal_kinds", []),
            publishers=_split(str(form.get("publishers") or "")),
            targets=_split(str(form.get("targets") or "")),
            keywords=str(form.get("keywords") or ""),
            min_score=float(min_score) if min_score else None,
        ),
        "cadence": str(form.get("cadence") or "immediate"),
        "send_hour": 8 if hour is None else hour,
        "send_weekday": _number(form, "send_weekday") or 0,
        "timezone": str(form.get("timezone") or "UTC").strip(),
        "daily_cap": _number(form, "daily_cap"),
    }


def _form_to_subscription(form: dict[str, Any], lists: dict[str, list[str]]) -> SubscriptionIn:
    return SubscriptionIn(
        channel=str(form.get("channel") or "email"),  # type: ignore[arg-type]
        address=str(form.get("address") or "").strip(),
        **_form_settings(form, lists),
    )


def _csrf_ok(request: Request, sent: object) -> str | None:
    """The cookie's token when the form carried the same one (double submit), else None."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if cookie and hmac.compare_digest(cookie, str(sent or "")):
        return cookie
    return None


def _expired() -> HTMLResponse:
    return _page(
        "notice.html",
        403,
        title="Form expired",
        text="The form has expired or did not come from this site. Open it again and resubmit.",
    )


@router.post("/alerts/new", response_class=HTMLResponse)
async def form_submit(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """Create a subscription from the form (CSRF-checked); shows the private links."""
    form = await request.form()
    cookie = _csrf_ok(request, form.get("csrf"))
    if cookie is None:
        return _expired()
    values = {k: form.get(k) for k in form}
    lists = {k: [str(v) for v in form.getlist(k)] for k in ("themes", "signal_kinds")}
    try:
        data = _form_to_subscription(values, lists)
        view, problem = _create(engine, settings, data)
    except (ValueError, HTTPException) as exc:
        detail = exc.detail if isinstance(exc, HTTPException) else _first_error(exc)
        return _page("form.html", 422, **_form_context(cookie, {**values, **lists}, str(detail)))
    return _page("created.html", 201, view=view, problem=problem)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


@router.get("/alerts/confirm/{confirm_token}", response_class=HTMLResponse)
def confirm_page(confirm_token: str, engine: EngineDep) -> HTMLResponse:
    with session_scope(engine) as session:
        subscription = by_token(session, column="confirm_token", token=confirm_token)
    if subscription is None:
        return _unknown_link()
    return _page("confirm.html", subscription=subscription, token=confirm_token)


@router.post("/alerts/confirm/{confirm_token}", response_class=HTMLResponse)
def confirm_submit(confirm_token: str, engine: EngineDep) -> HTMLResponse:
    """Double opt-in: the address's reader confirms; alerts start with the next match."""
    with session_scope(engine) as session:
        subscription = by_token(session, column="confirm_token", token=confirm_token)
        if subscription is None:
            return _unknown_link()
        if not subscription.active:
            return _page(
                "notice.html",
                410,
                title="Unsubscribed",
                text="This subscription was ended; create a new one to receive alerts.",
            )
        confirm(session, subscription=subscription)
    return _page(
        "notice.html",
        title="Subscription confirmed",
        text=f"Alerts for “{subscription.name}” will now be sent to {subscription.address}.",
    )


def _settings_values(subscription: Subscription) -> dict[str, Any]:
    """The manage form's fields as the subscription stands."""
    filters = subscription.filters or {}
    return {
        "name": subscription.name,
        "subscriber_name": subscription.subscriber_name,
        "themes": filters.get("themes", []),
        "signal_kinds": filters.get("signal_kinds", []),
        "keywords": filters.get("keywords", ""),
        "publishers": ", ".join(filters.get("publishers", [])),
        "targets": ", ".join(filters.get("targets", [])),
        "min_score": filters.get("min_score"),
        "cadence": subscription.cadence,
        "send_hour": subscription.send_hour,
        "send_weekday": subscription.send_weekday,
        "timezone": subscription.timezone,
        "daily_cap": subscription.daily_cap,
    }


def _manage_response(
    request: Request,
    engine: Engine,
    settings: Settings,
    subscription: Subscription,
    *,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    saved: bool = False,
    error: str | None = None,
) -> HTMLResponse:
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = _page(
        "manage.html",
        status_code,
        view=public_view(subscription, settings),
        manage_path=f"/alerts/manage/{subscription.token}",
        unsubscribe_path=f"/alerts/unsubscribe/{subscription.unsubscribe_token}",
        deliveries=[_delivery_view(d) for d in _recent(engine, subscription, 20)],
        csrf=csrf,
        values=values or _settings_values(subscription),
        saved=saved,
        error=error,
        themes=sorted(known_themes()),
        signal_kinds=SIGNAL_KINDS,
    )
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/alerts")
    return response


@router.get("/alerts/manage/{token}", response_class=HTMLResponse)
def manage_page(
    token: str, request: Request, engine: EngineDep, settings: SettingsDep
) -> HTMLResponse:
    """The subscription's private page: its settings (editable), latest deliveries and links."""
    with session_scope(engine) as session:
        subscription = by_token(session, column="token", token=token)
    if subscription is None:
        return _unknown_link()
    return _manage_response(request, engine, settings, subscription)


@router.post("/alerts/manage/{token}", response_class=HTMLResponse)
async def manage_submit(
    token: str, request: Request, engine: EngineDep, settings: SettingsDep
) -> HTMLResponse:
    """Save the manage form (CSRF-checked); errors re-show the form with what was typed."""
    form = await request.form()
    if _csrf_ok(request, form.get("csrf")) is None:
        return _expired()
    values = {k: form.get(k) for k in form}
    lists = {k: [str(v) for v in form.getlist(k)] for k in ("themes", "signal_kinds")}
    try:
        changes = _form_settings(values, lists)
        changes["filters"] = changes["filters"].model_dump()
        with session_scope(engine) as session:
            subscription = by_token(session, column="token", token=token)
            if subscription is None:
                return _page(
                    "notice.html", 404, title="Unknown link", text="This link is not valid."
                )
            update_subscription(
                session, subscription=subscription, settings=settings, changes=changes
            )
    except (ValueError, PolicyWatchError) as exc:
        with session_scope(engine) as session:
            subscription = by_token(session, column="token", token=token)
        if subscription is None:
            return _unknown_link()
        detail = str(exc) if isinstance(exc, PolicyWatchError) else _first_error(exc)
        return _manage_response(
            request,
            engine,
            settings,
            subscription,
            status_code=422,
            values={**values, **lists},
            error=detail,
        )
    return _manage_response(request, engine, settings, subscription, saved=True)


@router.get("/alerts/unsubscribe/{unsubscribe_token}", response_class=HTMLResponse)
def unsubscribe_page(unsubscribe_token: str, engine: EngineDep) -> HTMLResponse:
    with session_scope(engine) as session:
        subscription = by_token(session, column="unsubscribe_token", token=unsubscribe_token)
    if subscription is None:
        return _unknown_link()
    return _page("unsubscribe.html", subscription=subscription, token=unsubscribe_token)


@router.post("/alerts/unsubscribe/{unsubscribe_token}", response_class=HTMLResponse)
def unsubscribe_submit(unsubscribe_token: str, engine: EngineDep) -> HTMLResponse:
    """One-click unsubscribe (RFC 8058: mail clients POST List-Unsubscribe=One-Click here)."""
    with session_scope(engine) as session:
        subscription = by_token(session, column="unsubscribe_token", token=unsubscribe_token)
        if subscription is None:
            return _unknown_link()
        unsubscribe(session, subscription=subscription)
    return _page(
        "notice.html",
        title="Unsubscribed",
        text=f"You will get no more alerts for “{subscription.name}”.",
    )


STYLESHEET = Path(__file__).with_name("static") / "alerts.css"


@router.get("/alerts/static/alerts.css", include_in_schema=False)
def stylesheet() -> FileResponse:
    """The pages' styles as a file, so a strict Content-Security-Policy (no inline styles) holds."""
    return FileResponse(
        STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/alerts/feed/{feed_token}")
def feed(feed_token: str, engine: EngineDep, settings: SettingsDep) -> Response:
    """The subscription's private Atom feed."""
    with session_scope(engine) as session:
        subscription = by_token(session, column="feed_token", token=feed_token)
        if subscription is None or not subscription.active:
            raise HTTPException(404, "no such feed")
        body = atom_feed(session, subscription=subscription, settings=settings)
    return Response(
        body,
        media_type="application/atom+xml; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"},
    )
