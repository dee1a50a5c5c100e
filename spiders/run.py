"""Run one spider for one source in this process: ``python -m spiders.run``.

PolicyWatch starts this module as a subprocess per crawl because Scrapy's
Twisted reactor cannot be restarted inside one Python process. It writes the
items to the raw JSONL path it is given and a small JSON file of Scrapy's
stats beside it, which the parent reads for its run summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from spiders import settings as default_settings
from spiders.registry import SPIDER_CLASSES, spider_class

#: exit code when Scrapy stopped before the crawl finished (Ctrl-C, SIGTERM)
EXIT_INTERRUPTED = 3

#: settings for benchmarking against a local site: as fast as Scrapy goes
NO_POLITENESS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


def stats_path(raw_path: Path) -> Path:
    """Where the stats of the crawl writing ``raw_path`` go."""
    return raw_path.with_name(raw_path.name + ".stats.json")


def build_settings(
    *,
    raw_path: Path,
    user_agent: str,
    requests_per_second: float,
    jobdir: Path | None = None,
    http_cache_dir: Path | None = None,
) -> Settings:
    """Scrapy settings for one crawl: the project defaults plus this run's choices."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.set("POLICYWATCH_RAW_PATH", str(raw_path), priority="cmdline")
    if jobdir is not None:  # lets an interrupted crawl resume where it stopped
        settings.set("JOBDIR", str(jobdir), priority="cmdline")
    if http_cache_dir is not None:
        settings.set("HTTPCACHE_ENABLED", True, priority="cmdline")
        settings.set("HTTPCACHE_DIR", str(http_cache_dir), priority="cmdline")
    settings.set("USER_AGENT", user_agent, priority="cmdline")
    delay = 1.0 / requests_per_second
    settings.set("DOWNLOAD_DELAY", delay, priority="cmdline")
    settings.set("AUTOTHROTTLE_START_DELAY", delay, priority="cmdline")
    return settings


def spider_arguments(
    source: dict[str, Any], *, base_url: str, since: str | None, known_path: Path | None = None
) -> dict[str, Any]:
    """The keyword arguments a source's spider takes, from its sources.toml entry."""
    skip = {"kind", "title", "key", "base_url", "verified", "schedule"}
    arguments = {k: v for k, v in source.items() if k not in skip}
    arguments.update(source_key=source["key"], base_url=base_url)
    if since:
        arguments["since"] = since
    if known_path is not None:
        arguments["known_path"] = str(known_path)
    return arguments


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-json", required=True, help="the sources.toml entry as JSON")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--output", required=True, type=Path, help="raw JSONL path")
    parser.add_argument("--since", default=None, help="ISO date for incremental crawls")
    parser.add_argument("--user-agent", default="PolicyWatch/0.1")
    parser.add_argument("--requests-per-second", type=float, default=2.0)
    parser.add_argument("--known", type=Path, default=None, help="known-documents JSON file")
    parser.add_argument("--jobdir", type=Path, default=None, help="Scrapy JOBDIR to resume")
    parser.add_argument("--http-cache-dir", type=Path, default=None, help="development cache")
    parser.add_argument(
        "--no-politeness",
        action="store_true",
        help="benchmarks only: no delays, no AutoThrottle, more concurrency (local sites only)",
    )
    parser.add_argument(
        "--setting",
        "-s",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one Scrapy setting, as `scrapy crawl -s` does (repeatable)",
    )
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)

    source = json.loads(args.source_json)
    if source["kind"] not in SPIDER_CLASSES:
        sys.stderr.write(f"no spider for source kind {source['kind']!r}\n")
        return 2
    spider_cls = spider_class(source["kind"])
    settings = build_settings(
        raw_path=args.output,
        user_agent=args.user_agent,
        requests_per_second=args.requests_per_second,
        jobdir=args.jobdir,
        http_cache_dir=args.http_cache_dir,
    )
    settings.set("LOG_LEVEL", args.log_level, priority="cmdline")
    if args.no_politeness:
        for name, value in NO_POLITENESS.items():
            settings.set(name, value, priority="cmdline")
    for assignment in args.setting:
        name, _, value = assignment.partition("=")
        settings.set(name.strip(), value.strip(), priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_cls)
    arguments = spider_arguments(
        source, base_url=args.base_url, since=args.since, known_path=args.known
    )
    process.crawl(crawler, **arguments)
    process.start()
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, int | float | str)}
    stats_path(args.output).write_text(json.dumps(stats, indent=2, default=str), encoding="utf-8")
    return 0 if stats.get("finish_reason") == "finished" else EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
