"""GOV.UK document metadata shared by the Search API, Content API, pages and feeds.

Mimics the document-type groupings (``govuk_document_types``), the
political/government flags Whitehall records and the organisations a document
is tagged to, so every view describes a document the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from policywatch.fixture_site.corpus import SPEECH_TYPES, CorpusDocument, Publisher

if TYPE_CHECKING:
    from policywatch.fixture_site.server import FixtureSite


LABOUR_FROM = datetime(2024, 7, 5, tzinfo=UTC)


# govuk_document_types supertypes.yml, reduced to the types the corpus uses.
SUPERGROUPS: dict[str, frozenset[str]] = {
    "news_and_communications": frozenset(
        {
            "news_story",
            "press_release",
            "world_news_story",
            "fatality_notice",
            "case_study",
            "oral_statement",
            "written_statement",
            "authored_article",
            "correspondence",
            "speech",
            "government_response",
        }
    ),
    "policy_and_engagement": frozenset(
        {
            "impact_assessment",
            "policy_paper",
            "open_consultation",
            "closed_consultation",
            "consultation_outcome",
            "consultation",
            "call_for_evidence",
            "open_call_for_evidence",
            "closed_call_for_evidence",
            "call_for_evidence_outcome",
        }
    ),
    "guidance_and_regulation": frozenset(
        {"guidance", "statutory_guidance", "detailed_guide", "manual", "regulation"}
    ),
    "research_and_statistics": frozenset(
        {
            "research",
            "independent_report",
            "official_statistics",
            "national_statistics",
            "statistical_data_set",
            "statistics",
        }
    ),
    "transparency": frozenset({"transparency", "corporate_report", "foi_release"}),
}
SUBGROUPS: dict[str, frozenset[str]] = {
    "news": frozenset({"news_story", "press_release", "world_news_story", "fatality_notice"}),
    "speeches_and_statements": frozenset(
        {
            "speech",
            "oral_statement",
            "written_statement",
            "authored_article",
            "government_response",
            "correspondence",
        }
    ),
    "policy": frozenset({"policy_paper", "impact_assessment"}),
    "consultations": frozenset(
        {"open_consultation", "closed_consultation", "consultation_outcome", "consultation"}
    ),
}
ANNOUNCEMENTS = frozenset(
    {
        "authored_article",
        "fatality_notice",
        "government_response",
        "news_story",
        "oral_statement",
        "press_release",
        "speech",
        "world_news_story",
        "written_statement",
    }
)


def display_type(document_type: str) -> str:
    return document_type.replace("_", " ").capitalize()


def group_of(document_type: str, groups: dict[str, frozenset[str]]) -> str:
    return next((name for name, types in groups.items() if document_type in types), "other")


def is_political(doc: CorpusDocument) -> bool:
    """Speeches and statements are political, and so is anything quoting a minister."""
    return doc.document_type in SPEECH_TYPES or bool(doc.people)


def government(first_published: datetime, as_of: datetime | None) -> dict[str, Any]:
    """The government a document was published under, as Whitehall records it."""
    now = as_of or datetime.now(UTC)
    if first_published >= LABOUR_FROM:
        return {
            "title": "2024 Labour government",
            "slug": "2024-labour-government",
            "current": now >= LABOUR_FROM,
        }
    return {
        "title": "2015 Conservative government",
        "slug": "2015-conservative-government",
        "current": now < LABOUR_FROM,
    }


def doc_organisations(site: FixtureSite, doc: CorpusDocument) -> list[Publisher]:
    slugs = [doc.publisher, *doc.other_publishers]
    return [site.corpus.publishers[s] for s in slugs if s in site.corpus.publishers]
