"""Scrapy settings shared by every PolicyWatch spider: polite, patient, replayable.

GOV.UK documents a limit of 10 requests per second per client; we default to
2 per second per site with AutoThrottle on top, obey robots.txt (Scrapy's
default parser, Protego, understands the wildcards GOV.UK's file uses) and
retry 429 and 5xx responses with Scrapy's retry middleware.
"""

BOT_NAME = "policywatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
RANDOMIZE_DOWNLOAD_DELAY = True
DOWNLOAD_TIMEOUT = 30
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# spiders.middlewares.BackoffRetryMiddleware: wait before retrying
RETRY_BACKOFF_BASE = 0.5  # seconds; doubled per attempt, with full jitter
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 120.0  # never wait longer than this for a Retry-After header
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.BackoffRetryMiddleware": 550,
    # responses pass middlewares from high numbers to low: 650 sees a redirect
    # before RedirectMiddleware (600) follows it
    "spiders.middlewares.RedirectLoopMiddleware": 650,
}
REDIRECT_MAX_TIMES = 10

# Pages and PDFs above this size are not downloaded (recorded as over_size_cap).
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024

# Development cache: `policywatch crawl --http-cache` turns it on (HTTPCACHE_DIR set per run).
# DummyPolicy keeps every response and replays it without asking the site again,
# which is what a developer iterating on a spider wants; never for production runs.
HTTPCACHE_ENABLED = False
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.DummyPolicy"
# Let the spider see 4xx/5xx that survived the retries, to record them as errors.
HTTPERROR_ALLOW_ALL = True

ITEM_PIPELINES = {
    "spiders.pipelines.RawJsonlPipeline": 800,
}

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

# Resumable crawls keep their queue in JOBDIR, but not the seen-requests file
# (see spiders/dupefilter.py for why).
DUPEFILTER_CLASS = "spiders.dupefilter.RunScopedDupeFilter"
