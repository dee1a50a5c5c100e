"""The request a view receives, and the error it raises on a bad parameter.

``FixtureSite.handle`` parses each GET into a ``Request`` once, capturing
``as_of`` so one request sees one consistent moment. Views raise
``ParamError`` for a parameter the real API would reject; the view turns it
into that API's error (422 for GOV.UK search, 400 for WordPress).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class ParamError(ValueError):
    """A request parameter GOV.UK would reject with 422."""


@dataclass(frozen=True)
class Request:
    """One GET, with the site's ``as_of`` captured once so a request is consistent."""

    path: str
    params: list[tuple[str, str]]
    as_of: datetime | None
    base_url: str

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.params if k == name]

    def first(self, name: str, default: str | None = None) -> str | None:
        values = self.values(name)
        return values[0] if values else default

    def url(self, path: str) -> str:
        return self.base_url + path
