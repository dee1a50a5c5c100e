"""The dashboard's reads: one function per route, shared by the page and the API.

Each public function here backs exactly one page and its ``/api/`` twin, so
what a journalist sees and what a script downloads are the same rows.
Themes shown on a document always come from
:func:`policywatch.store.queries.current_themes`; filtering and counting
by theme over a large store use :func:`tagged_versions`, an SQL mirror of
the same rule (combined tags of the active themes model, else rule tags at
the rule threshold), which the tests check against ``current_themes``.

| route | function |
|---|---|
| ``/``, ``/api/overview`` | :func:`overview` |
| ``/timeline``, ``/api/timeline`` | :func:`timeline` |
| ``/api/documents`` | :func:`list_documents` |
| ``/documents/{id}``, ``/api/documents/{id}`` | :func:`document_detail` |
| ``/search``, ``/api/search`` | :func:`search` |
| ``/signals``, ``/api/signals`` | :func:`list_signals` |
| ``/signals/{key}``, ``/api/signals/{key}`` | :func:`signal_detail` |
| ``/api/themes``, ``/api/actors`` | :func:`theme_counts`, :func:`actor_counts` |
| ``/api/publishers``, ``/api/money`` | :func:`publisher_counts`, :func:`money` |
| ``/api/feedback`` | :func:`list_feedback` |
"""

from dashboards.queries.common import SEARCH_CAP, document_themes, tagged_versions
from dashboards.queries.documents import document_detail, list_documents, timeline
from dashboards.queries.overview import (
    actor_counts,
    money,
    overview,
    publisher_counts,
    theme_counts,
    theme_years,
)
from dashboards.queries.search import search
from dashboards.queries.signals import find_signal, list_feedback, list_signals, signal_detail

__all__ = [
    "SEARCH_CAP",
    "actor_counts",
    "document_detail",
    "document_themes",
    "find_signal",
    "list_documents",
    "list_feedback",
    "list_signals",
    "money",
    "overview",
    "publisher_counts",
    "search",
    "signal_detail",
    "tagged_versions",
    "theme_counts",
    "theme_years",
    "timeline",
]
