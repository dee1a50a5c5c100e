"""A duplicate filter that forgets between runs, even when JOBDIR is set.

With ``JOBDIR``, Scrapy persists both its request queue and the fingerprints
of requests already seen. After an interruption, responses that were in flight
are lost but their fingerprints are saved, so a resumed crawl would never fetch
them again: documents would go missing. PolicyWatch keeps the persisted queue
(a resumed crawl continues where it stopped) but not the fingerprints: the
resumed crawl re-issues its start requests, and the known-documents file (what
the store already holds) is what stops it re-fetching finished work.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter


class RunScopedDupeFilter(RFPDupeFilter):
    """RFPDupeFilter that never reads or writes ``requests.seen``."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunScopedDupeFilter:
        return cls(
            None,
            crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
        )
