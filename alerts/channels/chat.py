"""Chat and everything else through Apprise URLs (Slack, Teams, Matrix, Telegram, ...).

Apprise already speaks some hundred services, so PolicyWatch writes no client
of its own: a subscription's address is an Apprise URL. For the generic
``json://``, ``form://`` and ``xml://`` kinds (and their ``s`` variants) the
idempotency key goes in an ``Idempotency-Key`` header (Apprise's ``+header``
URL syntax) and their host passes the same address check as webhooks; for
every kind the key is also the last line of the body. Short connect and read
time-outs (``cto``/``rto``) keep a dead service from stalling the sender.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

import apprise

from alerts.channels.base import ChannelError
from alerts.safety import check_target_url
from policywatch.config import Settings
from policywatch.errors import PolicyWatchError

GENERIC_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls"}


def validate_url(url: str, *, settings: Settings) -> str:
    """Raise a PolicyWatchError unless Apprise understands ``url`` (checked on subscribe)."""
    if not apprise.Apprise().add(url):
        raise PolicyWatchError("not an Apprise URL Apprise can use (see its wiki for the forms)")
    scheme = urlsplit(url).scheme.lower()
    if scheme in GENERIC_SCHEMES:
        http_url = (
            "https" + url[len(scheme) :] if scheme.endswith("s") else "http" + url[len(scheme) :]
        )
        check_target_url(http_url, allow=settings.webhook_allow)
    return url


def _with_options(url: str, key: str, settings: Settings) -> str:
    scheme = urlsplit(url).scheme.lower()
    timeout = f"{settings.alerts_timeout_seconds:g}"
    options = {"cto": timeout, "rto": timeout}
    if scheme in GENERIC_SCHEMES:
        options["+Idempotency-Key"] = key
    return f"{url}{'&' if '?' in url else '?'}{urlencode(options)}"


def send_apprise(url: str, *, title: str, body: str, key: str, settings: Settings) -> None:
    """Notify through Apprise; its log lines become the error when it reports failure."""
    try:
        validate_url(url, settings=settings)
    except PolicyWatchError as exc:
        raise ChannelError(str(exc)) from exc
    notifier = apprise.Apprise()
    notifier.add(_with_options(url, key, settings))
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = notifier.notify(title=title, body=f"{body}\n\nRef: {key}")
        log = captured.getvalue().strip()
    if not ok:
        reason = log.splitlines()[-1] if log else "no detail"
        raise ChannelError(f"Apprise could not deliver: {reason}")
