"""Reviewer feedback from the command line, through the dashboard's review records.

Decisions live in one place (``SignalReview``, written by
``dashboards.users.record_review``) whether they come from the web or the
CLI, so "who and when" is kept alike. Recomputing never overrides a
dismissal (``recompute.STICKY``).
"""

from __future__ import annotations

from sqlmodel import Session, select

from policywatch.errors import PolicyWatchError
from policywatch.store.tables import ReviewerUser, Signal


def review_signal(
    session: Session, *, key_or_id: str | int, reviewer: str, action: str, note: str = ""
) -> str:
    """Record ``confirm`` or ``dismiss`` on a signal by a known reviewer; returns its status."""
    from dashboards.users import record_review

    user = session.exec(
        select(ReviewerUser).where(ReviewerUser.username == reviewer.strip().lower())
    ).first()
    if user is None or not user.active:
        raise PolicyWatchError(
            f"no active reviewer called {reviewer!r}: create one with the dashboard's user command"
        )
    signal = None
    if isinstance(key_or_id, int) or str(key_or_id).isdigit():
        signal = session.get(Signal, int(key_or_id))
    if signal is None:
        signal = session.exec(select(Signal).where(Signal.key == str(key_or_id))).first()
    if signal is None:
        raise PolicyWatchError(f"no signal {key_or_id!r}")
    record_review(session, signal_id=signal.id, user_id=user.id, action=action, note=note)  # type: ignore[arg-type]
    return signal.status
