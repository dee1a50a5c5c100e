"""The export's tables and columns, declared once for every format and the datasheet.

Each format maps the same logical types to its own (Parquet timestamps and
dates, SQLite INTEGER/REAL/TEXT, JSON strings in CSV), and the datasheet
prints the same descriptions, so the four formats and their documentation can
never drift apart. Nested values whose shape varies from row to row (theme
evidence, signal data) are JSON text in every format: a column must have one
type for Parquet, pandas and the Hugging Face loader.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the logical column types and what each format makes of them
TYPES = {
    "int": "integer",
    "float": "floating-point number",
    "str": "text",
    "bool": "true/false",
    "datetime": "UTC date and time (ISO 8601 in JSONL, CSV and SQLite; timestamp in Parquet)",
    "date": "calendar date (YYYY-MM-DD in JSONL, CSV and SQLite; date in Parquet)",
    "json": "JSON text (nested data whose shape varies by row)",
    "list": "list of text (a JSON array in CSV and SQLite)",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    #: the column(s) that identify a row (SQLite primary key, datasheet)
    key: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]


def _c(name: str, type_: str, description: str, nullable: bool = True) -> Column:
    assert type_ in TYPES, type_
    return Column(name, type_, description, nullable)


DOCUMENTS = Table(
    "documents",
    "One row per document version: the latest version of each document by default, "
    "every version with --all-versions.",
    (
        _c("version_id", "int", "Store id of this version (unique in the export).", False),
        _c("document_id", "int", "Store id of the document; stable across exports.", False),
        _c("version_no", "int", "1 for the first version seen, counting up.", False),
        _c("is_latest", "bool", "Whether this is the document's latest version.", False),
        _c("canonical_url", "str", "The document's canonical URL.", False),
        _c("external_id", "str", "The publisher's own id (GOV.UK content_id, WordPress id)."),
        _c("source_key", "str", "The source (sources.toml key) it was first found through.", False),
        _c("source_kind", "str", "That source's kind (govuk_search, feed, wordpress...)."),
        _c("document_type", "str", "Publisher's type: press_release, speech, news_story..."),
        _c("title", "str", "Title of this version.", False),
        _c("description", "str", "The publisher's summary, if any."),
        _c("publisher", "str", "Primary publisher's slug."),
        _c("publisher_title", "str", "Primary publisher's name."),
        _c("publisher_kind", "str", "government | sector | parliament | unknown."),
        _c("publishers", "list", "Slugs of every publisher of the document, sorted.", False),
        _c("first_published_at", "datetime", "When the document was first published."),
        _c("first_published_date", "date", "first_published_at as a calendar date (UTC)."),
        _c("public_updated_at", "datetime", "The publisher's latest update time."),
        _c("withdrawn_at", "datetime", "When the publisher withdrew the document, if it did."),
        _c("version_published_at", "datetime", "When the publisher says this version appeared."),
        _c("change_note", "str", "The publisher's change note for this version."),
        _c("body_known", "bool", "False for a version known only from a change history.", False),
        _c("content_hash", "str", "SHA-256 of title, text and change note.", False),
        _c("words", "int", "Words in title and text (from the annotation)."),
        _c(
            "text",
            "str",
            "Plain text of the body; empty (null) when the source or publisher is not "
            "redistributable (see text_withheld).",
        ),
        _c("text_withheld", "bool", "True when the full text was left out for licence.", False),
        _c("licence", "str", "Licence the content is under (see the datasheet).", False),
        _c("attribution", "str", "The attribution statement the licence requires.", False),
        _c("themes", "list", "Current theme tags of this version, sorted.", False),
    ),
    ("version_id",),
)

THEMES = Table(
    "themes",
    "Every stored theme row for the exported versions: rule scores, model probabilities "
    "and combined tags, each with its method and model version.",
    (
        _c("version_id", "int", "The tagged version (documents.version_id).", False),
        _c("document_id", "int", "Its document.", False),
        _c("theme", "str", "Taxonomy theme name.", False),
        _c("score", "float", "Rule score, model probability or combined score in [0, 1].", False),
        _c("method", "str", "rule | model | combined.", False),
        _c("model_version", "str", "Pipeline version (rules) or classifier version (model)."),
        _c("is_tag", "bool", "Whether the theme is one of the version's current tags.", False),
        _c("evidence", "json", "Rule phrases with counts, or the model's evidence.", False),
    ),
    ("version_id", "theme", "method", "model_version"),
)

STATEMENTS = Table(
    "statements",
    "Policy statements read from single sentences: who, which way, about what, how much.",
    (
        _c("statement_id", "int", "Store id of the statement.", False),
        _c("version_id", "int", "The version it was read from.", False),
        _c("document_id", "int", "Its document.", False),
        _c("actor", "str", "Canonical actor id (nlp/data/actors.toml).", False),
        _c(
            "direction", "str", "increase | decrease | maintain | create | abolish | review.", False
        ),
        _c("target", "str", "Canonical phrase for what the statement is about.", False),
        _c("money_gbp", "int", "Money in pounds sterling, when the sentence states it."),
        _c("timeframe", "str", "When, as the sentence states it."),
        _c("sentence", "str", "The sentence, quoted as evidence.", False),
        _c("start_char", "int", "Offset of the sentence in 'title, blank line, text'.", False),
        _c("end_char", "int", "End offset of the sentence.", False),
    ),
    ("statement_id",),
)

COHERENCE = Table(
    "coherence",
    "The coherence profile of each exported version: which parts of a theory of change "
    "it states, whether it carries reactive cues, and the reactive classifier's score.",
    (
        _c("version_id", "int", "The version.", False),
        _c("document_id", "int", "Its document.", False),
        _c("pipeline_version", "str", "Language pipeline version of the annotation.", False),
        _c("problem", "bool", "States the problem it addresses."),
        _c("intervention", "bool", "States what will be done."),
        _c("outcome", "bool", "States an intended outcome."),
        _c("resources", "bool", "States money or other resources."),
        _c("timeline", "bool", "States a timeline or milestones."),
        _c("owner", "bool", "Names an accountable owner."),
        _c("evaluation", "bool", "Says how it will be evaluated."),
        _c("strategy_link", "bool", "Links to an existing strategy."),
        _c("reactive_cue", "bool", "Carries reactive cues ('in response to', 'urgent review')."),
        _c("planning_score", "float", "Share of the eight parts present, in [0, 1]."),
        _c("reactive_score", "float", "Reactive classifier probability (null: not scored)."),
        _c("reactive_model_version", "str", "The reactive classifier's version, if scored."),
    ),
    ("version_id",),
)

SIGNALS = Table(
    "signals",
    "Timeline signals linked to at least one exported document.",
    (
        _c("signal_id", "int", "Store id of the signal.", False),
        _c("key", "str", "Stable key: the same signal keeps it across recomputations.", False),
        _c("kind", "str", "contradiction | reversal | reannouncement | reactive | burst.", False),
        _c("theme", "str", "Theme the signal concerns, if one."),
        _c("target", "str", "Statement target the signal concerns, if one."),
        _c("score", "float", "Strength of the signal.", False),
        _c("explanation", "str", "Why it was flagged, in words.", False),
        _c("status", "str", "open | confirmed | dismissed (after review).", False),
        _c("first_seen_at", "datetime", "When PolicyWatch first flagged it.", False),
        _c("updated_at", "datetime", "When it was last recomputed.", False),
        _c("data", "json", "Detector-specific details.", False),
    ),
    ("signal_id",),
)

SIGNAL_LINKS = Table(
    "signal_links",
    "Which documents each signal links, with the evidence sentence.",
    (
        _c("evidence_id", "int", "Store id of the link.", False),
        _c("signal_id", "int", "The signal (signals.signal_id).", False),
        _c("version_id", "int", "The version holding the evidence (any version).", False),
        _c("document_id", "int", "Its document (documents.document_id).", False),
        _c("role", "str", "The document's part in the signal (first, repeat, trigger...).", False),
        _c("start_char", "int", "Offset of the evidence in 'title, blank line, text'.", False),
        _c("end_char", "int", "End offset of the evidence.", False),
        _c("text", "str", "The evidence sentence.", False),
    ),
    ("evidence_id",),
)

#: every table, in the order files are written and documented
TABLES: tuple[Table, ...] = (DOCUMENTS, THEMES, STATEMENTS, COHERENCE, SIGNALS, SIGNAL_LINKS)
TABLES_BY_NAME = {table.name: table for table in TABLES}
