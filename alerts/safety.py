"""Webhook target checks: no private, loopback or link-local addresses unless allowed.

A subscription's webhook URL is chosen by whoever subscribes, so without this
check the sender could be pointed at the machine's own admin ports or a cloud
metadata address (server-side request forgery). Every address the host name
resolves to must be public, unless the host or a network containing the
address is in the ``POLICYWATCH_WEBHOOK_ALLOW`` setting. The check runs when a
subscription is saved and again before every send (DNS may have changed).
Redirects are never followed, so a public URL cannot bounce the sender inward.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from policywatch.errors import PolicyWatchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _blocked(address: IPAddress) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _allowed(host: str, address: IPAddress, allow: list[str]) -> bool:
    for entry in allow:
        entry = entry.strip()
        if not entry:
            continue
        if entry.lower() == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise PolicyWatchError(f"webhook host {host!r} does not resolve: {exc.strerror}") from exc
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_target_url(url: str, *, allow: list[str]) -> str:
    """Return ``url`` if it is an http(s) URL to a public address or an allowed one."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise PolicyWatchError(f"webhook URL must be http:// or https:// with a host: {url!r}")
    if parts.username or parts.password:
        raise PolicyWatchError("webhook URL must not carry a user name or password")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in resolve(parts.hostname, port):
        if _blocked(address) and not _allowed(parts.hostname, address, allow):
            raise PolicyWatchError(
                f"webhook URL {url!r} points at a private, loopback or link-local address "
                f"({address}); allow it with POLICYWATCH_WEBHOOK_ALLOW if that is intended"
            )
    return url
