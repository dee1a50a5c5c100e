"""Delivery channels: email (SMTP), webhook (signed JSON), Apprise URLs, and the Atom feed.

Each channel's ``send`` takes a rendered :class:`~alerts.render.Message` and
either returns or raises :class:`ChannelError`; the sender owns retries. Every
channel shows the receiver the message's idempotency key, which is what makes
a resend after a crash recognisable as the same alert.
"""

from __future__ import annotations

from alerts.channels.base import ChannelError
from alerts.channels.dispatch import send_message

__all__ = ["ChannelError", "send_message"]
