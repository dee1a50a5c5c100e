"""Crawl speed: PolicyWatch's spiders against the fixture site, beside `scrapy bench`.

Run: ``.venv/bin/python -m benchmarks.crawl [--repeats 5]``

Both figures are measured here, in this invocation, on this machine:

- **PolicyWatch**: every demo source (GOV.UK Search + Content API, Parliament,
  WordPress, RSS, sitemap, HTML listing) crawled in full from the local fixture
  site with politeness off (no delays, no AutoThrottle, 16 concurrent
  requests). Pages/s is Scrapy's own count of responses divided by its own
  elapsed time, so interpreter start-up and ingest are excluded.
- **Baseline**: ``scrapy bench``, Scrapy's built-in benchmark (a spider that
  follows links on a local server and does no parsing), run for 10 s.

The ratio says how much of raw Scrapy throughput the real spiders keep after
parsing JSON, HTML and PDFs, writing raw JSONL and sharing one local server.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from policywatch.cli import DEMO_SOURCES
from policywatch.config import Settings
from policywatch.crawl import crawl_source, select_sources
from policywatch.fixture_site.server import FixtureSite
from policywatch.store import migrate
from policywatch.store.db import make_engine

BENCH_LINE = re.compile(r"Crawled (\d+) pages \(at (\d+) pages/min\)")


def policywatch_pages_per_second(
    repeats: int,
) -> tuple[float, list[float], int, dict[str, list[float]]]:
    """Median pages/s over ``repeats`` full crawls of every demo source, and per source."""
    rates: list[float] = []
    per_source: dict[str, list[float]] = {}
    pages = 0
    with FixtureSite() as site, tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        engine = make_engine(settings.resolved_database_url)
        migrate.upgrade(engine)
        sources = select_sources(settings, sources_file=DEMO_SOURCES, site_url=site.base_url)
        for _ in range(repeats):
            responses, seconds = 0, 0.0
            for source in sources:
                summary = crawl_source(
                    settings, engine, source, full=True, extra_args=["--no-politeness"]
                )
                source_pages = int(summary.stats.get("downloader/response_count", 0))
                source_seconds = float(summary.stats.get("elapsed_time_seconds", 0.0))
                per_source.setdefault(source.key, []).append(source_pages / source_seconds)
                responses += source_pages
                seconds += source_seconds
            pages = responses
            rates.append(responses / seconds)
    return statistics.median(rates), rates, pages, per_source


def scrapy_bench_pages_per_second() -> float:
    """Pages/s of `scrapy bench`: the mean of the per-minute rates it logs after warm-up."""
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "bench", "-s", "CLOSESPIDER_TIMEOUT=10"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tempfile.gettempdir(),  # outside the project, so only Scrapy's defaults apply
    )
    rates = [int(m.group(2)) / 60 for m in BENCH_LINE.finditer(result.stderr)]
    if not rates:
        raise SystemExit(f"scrapy bench printed no rates:\n{result.stderr[-2000:]}")
    steady = [r for r in rates if r > 0][1:] or rates  # the first line is start-up
    return statistics.mean(steady)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    baseline = scrapy_bench_pages_per_second()
    median, rates, pages, per_source = policywatch_pages_per_second(args.repeats)
    print(f"scrapy bench (baseline):         {baseline:8.1f} pages/s")
    print(
        f"PolicyWatch demo sources:        {median:8.1f} pages/s  "
        f"(median of {len(rates)} full crawls of {pages} pages: "
        f"{', '.join(f'{r:.0f}' for r in rates)})"
    )
    print(f"ratio PolicyWatch / scrapy bench: {median / baseline:8.2f}")
    print("per source (median pages/s; small sources are dominated by start-up and robots.txt):")
    for key, source_rates in per_source.items():
        print(f"  {key:30s} {statistics.median(source_rates):8.1f}")


if __name__ == "__main__":
    main()
