"""Reviewer accounts and their decisions: the only writes the dashboard makes.

Passwords are hashed with pwdlib's recommended hasher (argon2id), so the
store never holds a password and the hash parameters can be raised later
(``verify_and_update`` re-hashes on the next login). Writes are keyword-only,
in the store's style.
"""

from __future__ import annotations

import re

from pwdlib import PasswordHash
from sqlmodel import Session, col, select

from policywatch.errors import PolicyWatchError
from policywatch.store.tables import ReviewerUser, Signal, SignalReview
from policywatch.store.types import utcnow

_hasher = PasswordHash.recommended()
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 10
#: what a review does to the signal's status
ACTIONS = {"confirm": "confirmed", "dismiss": "dismissed", "reopen": "open"}


def add_user(session: Session, *, username: str, password: str) -> ReviewerUser:
    """Create a reviewer, or reset an existing reviewer's password (and re-activate them)."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise PolicyWatchError(
            f"bad username {username!r}: use 2-63 lower-case letters, digits, '.', '_' or '-'"
        )
    if len(password) < MIN_PASSWORD:
        raise PolicyWatchError(f"password too short: use at least {MIN_PASSWORD} characters")
    user = session.exec(select(ReviewerUser).where(ReviewerUser.username == username)).first()
    if user is None:
        user = ReviewerUser(username=username, password_hash="")
    user.password_hash = _hasher.hash(password)
    user.active = True
    session.add(user)
    session.flush()
    return user


def deactivate_user(session: Session, *, username: str) -> ReviewerUser:
    """Stop a reviewer signing in, keeping their past decisions attributed."""
    user = session.exec(select(ReviewerUser).where(ReviewerUser.username == username)).first()
    if user is None:
        raise PolicyWatchError(f"no reviewer called {username!r}")
    user.active = False
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[ReviewerUser]:
    """Every reviewer, by name."""
    return list(session.exec(select(ReviewerUser).order_by(col(ReviewerUser.username))).all())


def authenticate(session: Session, *, username: str, password: str) -> ReviewerUser | None:
    """The active reviewer with these credentials, or None (never says which part was wrong)."""
    user = session.exec(
        select(ReviewerUser).where(ReviewerUser.username == username.strip().lower())
    ).first()
    if user is None or not user.active:
        _hasher.hash(password)  # spend the same time as a real check
        return None
    valid, new_hash = _hasher.verify_and_update(password, user.password_hash)
    if not valid:
        return None
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = utcnow()
    session.add(user)
    session.flush()
    return user


def record_review(
    session: Session, *, signal_id: int, user_id: int, action: str, note: str = ""
) -> SignalReview:
    """Keep one reviewer decision and set the signal's status from it."""
    if action not in ACTIONS:
        raise PolicyWatchError(f"unknown review action {action!r}: use {', '.join(ACTIONS)}")
    signal = session.get(Signal, signal_id)
    if signal is None:
        raise PolicyWatchError(f"no signal {signal_id}")
    review = SignalReview(signal_id=signal_id, user_id=user_id, action=action, note=note[:2000])
    signal.status = ACTIONS[action]
    signal.updated_at = utcnow()
    session.add(review)
    session.add(signal)
    session.flush()
    return review
