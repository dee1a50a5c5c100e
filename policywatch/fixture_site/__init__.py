"""A local stand-in for GOV.UK and sector sites, serving the demo corpus.

Tests and the offline demo crawl this instead of the real web, so crawls are
fast, repeatable and can be replayed at any point in time (``as_of``).

Names are imported lazily so ``python -m policywatch.fixture_site.corpus``
does not import its own module twice.
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from policywatch.fixture_site.corpus import (
        Corpus,
        CorpusDocument,
        check_corpus,
        load_corpus,
        render_body_html,
    )
    from policywatch.fixture_site.server import FixtureSite

_EXPORTS = {
    "Corpus": "corpus",
    "CorpusDocument": "corpus",
    "check_corpus": "corpus",
    "load_corpus": "corpus",
    "render_body_html": "corpus",
    "FixtureSite": "server",
}
__all__ = [
    "Corpus",
    "CorpusDocument",
    "FixtureSite",
    "check_corpus",
    "load_corpus",
    "render_body_html",
]


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(name)
    return getattr(import_module(f"policywatch.fixture_site.{_EXPORTS[name]}"), name)
