"""Webhooks: a JSON body signed with HMAC-SHA256 over the timestamp and the body.

Headers (documented in docs/alerts.md, with a receiver's verification code):

- ``X-PolicyWatch-Timestamp``: Unix seconds when the request was signed;
- ``X-PolicyWatch-Signature``: ``sha256=`` + hex HMAC-SHA256 of
  ``"<timestamp>." + body`` with the subscription's secret;
- ``Idempotency-Key``: the same for every attempt at the same message.

Signing the timestamp with the body lets a receiver reject replays older than
a few minutes. Redirects are not followed and the time-out is short: a slow
or moved receiver is a failed attempt, retried later, never a hang.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from alerts.channels.base import ChannelError
from alerts.safety import check_target_url
from policywatch.config import Settings
from policywatch.errors import PolicyWatchError

SIGNATURE_HEADER = "X-PolicyWatch-Signature"
TIMESTAMP_HEADER = "X-PolicyWatch-Timestamp"
KEY_HEADER = "Idempotency-Key"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def send_webhook(
    url: str, data: dict[str, Any], *, secret: str, key: str, settings: Settings
) -> None:
    """POST the signed JSON body; any non-2xx answer (a redirect included) is a failure."""
    try:
        check_target_url(url, allow=settings.webhook_allow)
    except PolicyWatchError as exc:
        raise ChannelError(str(exc)) from exc
    body = encode(data)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": settings.user_agent,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        KEY_HEADER: key,
    }
    try:
        response = httpx.post(
            url,
            content=body,
            headers=headers,
            follow_redirects=False,
            timeout=settings.alerts_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        raise ChannelError(f"webhook failed: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise ChannelError(
            f"webhook answered HTTP {response.status_code} (redirects are not followed)"
        )
