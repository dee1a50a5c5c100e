"""Send one rendered message through the subscription's channel."""

from __future__ import annotations

from alerts.channels.base import ChannelError
from alerts.channels.chat import send_apprise
from alerts.channels.email import build_email, send_email
from alerts.channels.webhook import send_webhook
from alerts.render import Message
from policywatch.config import Settings
from policywatch.store.tables import Subscription


def send_message(subscription: Subscription, message: Message, *, settings: Settings) -> None:
    """Deliver ``message``; the Atom channel needs no sending (readers pull the feed)."""
    if subscription.channel == "email":
        send_email(
            build_email(
                settings=settings,
                to_address=subscription.address,
                to_name=subscription.subscriber_name or subscription.name,
                subject=message.subject,
                text=message.text,
                html=message.html,
                key=message.key,
                unsubscribe_url=message.links["unsubscribe"],
            ),
            settings=settings,
        )
    elif subscription.channel == "webhook":
        send_webhook(
            subscription.address,
            message.data,
            secret=subscription.secret,
            key=message.key,
            settings=settings,
        )
    elif subscription.channel == "apprise":
        send_apprise(
            subscription.address,
            title=message.subject,
            body=message.text,
            key=message.key,
            settings=settings,
        )
    elif subscription.channel != "atom":
        raise ChannelError(f"unknown channel {subscription.channel!r}")
