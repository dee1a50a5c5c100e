"""Crawling: one Scrapy spider per source kind, the item definition and the pipelines.

Spiders turn responses into announcement items with pure callbacks; the
pipelines validate them and append them to an immutable raw JSONL file per
crawl run. Scrapy runs in its own process (``python -m spiders.run``) because
its Twisted reactor cannot be restarted inside one Python process; the store
is filled afterwards by ``policywatch.ingest`` from the JSONL file.
"""
