"""The configured sources and known publishers, read from TOML files.

Sources and publishers are configuration so that another policy area is a new
file, not new code: ``sources.toml`` (or ``POLICYWATCH_SOURCES_FILE``) and
``publishers.toml`` beside this module.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policywatch.errors import PolicyWatchError
from spiders.registry import SPIDER_CLASSES

PUBLISHERS_FILE = Path(__file__).with_name("publishers.toml")
KNOWN_SOURCE_KINDS = set(SPIDER_CLASSES)
#: in a sources file, ``{site}`` stands for a site URL given at run time (the fixture site)
SITE_PLACEHOLDER = "{site}"


@dataclass(frozen=True)
class SourceConfig:
    """One ``[[source]]`` entry: the spider kind and its arguments."""

    key: str
    kind: str
    title: str = ""
    base_url: str | None = None
    #: False for sources whose URL could not be checked when the file was written
    verified: bool = True
    #: False when the source's terms do not let us redistribute full text (exports omit it)
    redistribute: bool = True
    #: cron expression (5 fields, UTC) on which `policywatch serve` crawls this source
    schedule: str = "0 * * * *"
    options: dict[str, Any] = field(default_factory=dict)

    def as_spider_source(self) -> dict[str, Any]:
        """The dict handed to ``spiders.run`` as ``--source-json``."""
        return {"key": self.key, "kind": self.kind, "title": self.title, **self.options}


@dataclass(frozen=True)
class PublisherConfig:
    slug: str
    title: str
    kind: str
    acronym: str | None = None
    #: False when the publisher's terms do not let us redistribute full text
    redistribute: bool = True


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyWatchError(f"configuration file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyWatchError(f"{path} is not valid TOML: {exc}") from exc


def load_sources(path: Path, *, site_url: str | None = None) -> list[SourceConfig]:
    """Read and check the sources file; an error names the entry that is wrong.

    ``{site}`` in a base URL is replaced by ``site_url``: the demo's sources
    file points every source at the local fixture site that way.
    """
    entries = _read_toml(path).get("source", [])
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        key, kind = entry.get("key"), entry.get("kind")
        if not key or not kind:
            raise PolicyWatchError(f"{path}: source #{index} needs both `key` and `kind`")
        if kind not in KNOWN_SOURCE_KINDS:
            known = ", ".join(sorted(KNOWN_SOURCE_KINDS))
            raise PolicyWatchError(f"{path}: source {key!r} has unknown kind {kind!r} ({known})")
        if key in seen:
            raise PolicyWatchError(f"{path}: source key {key!r} appears twice")
        seen.add(key)
        base_url = entry.get("base_url")
        if base_url and SITE_PLACEHOLDER in base_url:
            if not site_url:
                raise PolicyWatchError(
                    f"{path}: source {key!r} needs a site URL for {SITE_PLACEHOLDER} "
                    "(use `policywatch demo`, or `crawl --site-url`)"
                )
            base_url = base_url.replace(SITE_PLACEHOLDER, site_url.rstrip("/"))
        reserved = {"key", "kind", "title", "base_url", "verified", "redistribute", "schedule"}
        schedule = entry.get("schedule", SourceConfig.schedule)
        if not isinstance(schedule, str) or len(schedule.split()) != 5:
            raise PolicyWatchError(
                f"{path}: source {key!r} has schedule {schedule!r}; "
                "use a 5-field cron expression such as '0 * * * *'"
            )
        sources.append(
            SourceConfig(
                key=key,
                kind=kind,
                title=entry.get("title", ""),
                base_url=base_url,
                verified=bool(entry.get("verified", True)),
                redistribute=bool(entry.get("redistribute", True)),
                schedule=schedule,
                options={k: v for k, v in entry.items() if k not in reserved},
            )
        )
    return sources


def load_publishers(path: Path = PUBLISHERS_FILE) -> dict[str, PublisherConfig]:
    """Known publishers by slug."""
    return {
        entry["slug"]: PublisherConfig(
            slug=entry["slug"],
            title=entry.get("title", entry["slug"]),
            kind=entry.get("kind", "unknown"),
            acronym=entry.get("acronym"),
            redistribute=bool(entry.get("redistribute", True)),
        )
        for entry in _read_toml(path).get("publisher", [])
    }
