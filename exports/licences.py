"""Whose content each exported document is, under which terms, and whether its text may go.

GOV.UK content is under the Open Government Licence v3.0 and Parliament's
under the Open Parliament Licence v3.0; both require an attribution
statement. Sector content stays under its publisher's terms, so the export
names the publisher and the URL and can leave out the full text of any source
or publisher marked ``redistribute = false`` in ``sources.toml`` or
``publishers.toml``. A document reached through several sources keeps its
text only if every one of them, and every publisher, allows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policywatch.registry import (
    PUBLISHERS_FILE,
    SITE_PLACEHOLDER,
    load_publishers,
    load_sources,
)

OGL = "OGL-UK-3.0"
OPL = "Open-Parliament-Licence-3.0"
PUBLISHER_TERMS = "publisher-terms"

LICENCES = {
    OGL: {
        "name": "Open Government Licence v3.0",
        "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "attribution": "Contains public sector information licensed under the "
        "Open Government Licence v3.0.",
    },
    OPL: {
        "name": "Open Parliament Licence v3.0",
        "url": "https://www.parliament.uk/site-information/copyright-parliament/open-parliament-licence/",
        "attribution": "Contains Parliamentary information licensed under the "
        "Open Parliament Licence v3.0.",
    },
    PUBLISHER_TERMS: {
        "name": "The publisher's own terms",
        "url": "",
        "attribution": "Copyright of the publisher named in each row; reuse under its terms.",
    },
}

#: source kinds whose content comes with an open licence
SOURCE_KIND_LICENCES = {"govuk_search": OGL, "parliament_statements": OPL}


@dataclass(frozen=True)
class Terms:
    licence: str
    attribution: str
    redistribute: bool


@dataclass(frozen=True)
class LicencePolicy:
    """The redistribution flags read from the configuration files, by key."""

    closed_sources: frozenset[str]
    closed_publishers: frozenset[str]

    @classmethod
    def from_files(
        cls, sources_files: list[Path], publishers_file: Path = PUBLISHERS_FILE
    ) -> LicencePolicy:
        """Flags from sources files (keys are unique across them) and the publishers file."""
        sources = [
            source
            for path in dict.fromkeys(sources_files)
            if path.exists()
            for source in load_sources(path, site_url=SITE_PLACEHOLDER)
        ]
        publishers = load_publishers(publishers_file)
        return cls(
            closed_sources=frozenset(s.key for s in sources if not s.redistribute),
            closed_publishers=frozenset(
                slug for slug, p in publishers.items() if not p.redistribute
            ),
        )

    def terms(
        self,
        *,
        source_kind: str | None,
        source_keys: list[str],
        publisher_slugs: list[str],
        publisher_title: str | None,
    ) -> Terms:
        """The licence, attribution and redistribution of one document."""
        redistribute = not (
            self.closed_sources.intersection(source_keys)
            or self.closed_publishers.intersection(publisher_slugs)
        )
        licence = SOURCE_KIND_LICENCES.get(source_kind or "", PUBLISHER_TERMS)
        if licence == PUBLISHER_TERMS:
            owner = publisher_title or "the publisher"
            attribution = f"© {owner}. Used under {owner}'s terms; check them before reuse."
        else:
            attribution = str(LICENCES[licence]["attribution"])
        return Terms(licence=licence, attribution=attribution, redistribute=redistribute)
