"""Item pipelines: every item is appended to the crawl run's raw JSONL file.

The file is the crawl's immutable record: written as ``<name>.jsonl.part``,
one flushed line per item, and renamed to ``<name>.jsonl`` only when the
spider closes. A crash leaves a ``.part`` file whose complete lines can still
be ingested, and the store can always be rebuilt by replaying raw files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler


def part_path(path: Path) -> Path:
    """Where a raw file is written while its crawl is still running."""
    return path.with_name(path.name + ".part")


class RawJsonlPipeline:
    """Append items to the raw JSONL file named by the ``POLICYWATCH_RAW_PATH`` setting."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RawJsonlPipeline:
        path = crawler.settings.get("POLICYWATCH_RAW_PATH")
        if not path:
            raise ValueError("POLICYWATCH_RAW_PATH is not set: where should items go?")
        return cls(Path(path))

    def open_spider(self, spider: Spider | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = part_path(self.path).open("a", encoding="utf-8")

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        line = json.dumps(ItemAdapter(item).asdict(), ensure_ascii=False, sort_keys=True)
        self.handle.write(line + "\n")
        self.handle.flush()
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.handle is None:
            return
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(part_path(self.path), self.path)
