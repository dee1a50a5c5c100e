"""The error every channel raises when a message could not be delivered."""

from __future__ import annotations


class ChannelError(Exception):
    """A send failed; the message says why (the sender records it and retries)."""
