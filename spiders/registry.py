"""Source kind (the ``kind`` of a sources.toml entry) -> the spider that reads it.

Classes are named by import path so that reading the registry (the CLI does,
to validate sources files) does not import Scrapy.
"""

from __future__ import annotations

from importlib import import_module

SPIDER_CLASSES: dict[str, str] = {
    "govuk_search": "spiders.govuk.GovukSearchSpider",
    "parliament_statements": "spiders.parliament.ParliamentStatementsSpider",
    "feed": "spiders.feed.FeedSpider",
    "wordpress": "spiders.wordpress.WordpressSpider",
    "sitemap": "spiders.sitemap.SitemapSpider",
    "html_listing": "spiders.html_listing.HtmlListingSpider",
}


def spider_class(kind: str) -> type:
    """The spider class for a source kind; KeyError names the unknown kind."""
    module_name, _, class_name = SPIDER_CLASSES[kind].rpartition(".")
    return getattr(import_module(module_name), class_name)
