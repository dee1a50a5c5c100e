"""Email over SMTP: plain text and HTML, List-Unsubscribe with RFC 8058 one-click.

The standard library's ``smtplib`` is all this needs (plain, STARTTLS or TLS,
optional login). The Message-ID is made from the idempotency key, so a resend
after a crash carries the same Message-ID, which mail systems use to drop
duplicates; the key is also in ``X-PolicyWatch-Idempotency-Key``.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from alerts.channels.base import ChannelError
from policywatch.config import Settings


def _domain(settings: Settings) -> str:
    address = parseaddr(settings.alerts_from)[1]
    return address.rpartition("@")[2] or "policywatch.invalid"


def build_email(
    *,
    settings: Settings,
    to_address: str,
    to_name: str,
    subject: str,
    text: str,
    html: str | None,
    key: str,
    unsubscribe_url: str | None,
) -> EmailMessage:
    """The MIME message: multipart/alternative text + HTML, with list headers."""
    message = EmailMessage()
    message["From"] = settings.alerts_from
    message["To"] = formataddr((to_name, to_address)) if to_name else to_address
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{key}@{_domain(settings)}>"
    message["X-PolicyWatch-Idempotency-Key"] = key
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send_email(message: EmailMessage, *, settings: Settings) -> None:
    """Hand one message to the SMTP server, or raise ChannelError with the server's reason."""
    try:
        if settings.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.alerts_timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.alerts_timeout_seconds
            )
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        reasons = "; ".join(
            f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for rcpt, (code, msg) in exc.recipients.items()
        )
        raise ChannelError(f"SMTP refused the recipient ({reasons})") from exc
    except smtplib.SMTPResponseException as exc:
        detail = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        raise ChannelError(f"SMTP error {exc.smtp_code}: {detail}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise ChannelError(f"SMTP failed: {type(exc).__name__}: {exc}") from exc
