"""Security for a dashboard that serves untrusted crawled text on the public internet.

Three layers: every response carries strict headers (a CSP that allows no
inline script and nothing from other origins, no MIME sniffing, no referrer
leaks, no framing); reviewer actions need a signed-in session (a signed
cookie from Starlette's SessionMiddleware, itsdangerous underneath); and
every state-changing request must echo the session's CSRF token, compared in
constant time. Public routes are GET-only, so they change nothing.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from pathlib import Path

from fastapi import HTTPException, Request
from sqlmodel import Session
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from policywatch.config import Settings
from policywatch.store.tables import ReviewerUser

#: No inline script anywhere: charts and buttons are wired from /static files.
#: Styles are 'self' only: plotly draws through the CSSOM, which CSP does not block.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SecurityHeadersMiddleware(BaseHTTPMiddleware):
    """Adds :data:`SECURITY_HEADERS` to every response, errors included."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def secret_key(settings: Settings) -> str:
    """The configured secret, or one generated once and kept beside the data (mode 600)."""
    if settings.dashboard_secret_key:
        return settings.dashboard_secret_key
    path = Path(settings.data_dir) / "dashboard.secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a state-changing request whose token does not match the session's."""
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(str(expected), submitted):
        raise HTTPException(status_code=403, detail="missing or invalid CSRF token")


def current_user(request: Request, session: Session) -> ReviewerUser | None:
    """The signed-in, still active reviewer, if any."""
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = session.get(ReviewerUser, user_id)
    return user if user is not None and user.active else None


def safe_next(target: str | None) -> str:
    """A local path to return to after signing in (never another site)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


class LoginThrottle:
    """Refuse sign-in for a username after repeated failures, for a while.

    Kept in memory per process: enough to stop one process being used to guess a
    reviewer's password online (each guess already costs an argon2 hash), and
    forgotten on restart, which only ever re-allows a legitimate reviewer.
    """

    def __init__(self, *, attempts: int = 5, window_seconds: float = 900) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, username: str, now: float) -> list[float]:
        recent = [t for t in self._failures.get(username, []) if now - t < self.window]
        self._failures[username] = recent
        return recent

    def blocked(self, username: str) -> bool:
        with self._lock:
            return len(self._recent(username.lower(), time.monotonic())) >= self.attempts

    def failed(self, username: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent(username.lower(), now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username.lower(), None)
