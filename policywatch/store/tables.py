"""SQLModel tables: the whole schema, including what later stages fill.

The crawl side (publishers, sources, crawl runs, documents, versions, ingest
errors) is used now. The tables for annotations, statements, themes, events,
signals, subscriptions, deliveries and stage progress are declared here too, so
later stages extend one schema through Alembic rather than rewriting it.

Following the full-stack FastAPI template, tables that the API exposes have a
``*Base`` with the shared fields, the ``table=True`` class, and a ``*Public``
read model; writes go through the keyword-only functions in ``writes.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from policywatch.store.types import UTCDateTime, utcnow

# -- who publishes ---------------------------------------------------------


class PublisherBase(SQLModel):
    slug: str = Field(index=True, unique=True, max_length=200)
    title: str = Field(default="", max_length=300)
    acronym: str | None = Field(default=None, max_length=50)
    #: government | sector | parliament | unknown (seen in a crawl, not in config)
    kind: str = Field(default="unknown", max_length=20)
    content_id: str | None = Field(default=None, max_length=64)


class Publisher(PublisherBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class PublisherPublic(PublisherBase):
    id: int


# -- where we read ---------------------------------------------------------


class Source(SQLModel, table=True):
    """One place we read, as configured in sources.toml (mirrored for joins and reports)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=200)
    kind: str = Field(max_length=50)
    title: str = Field(default="", max_length=500)
    base_url: str = Field(default="", max_length=1000)
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CrawlRun(SQLModel, table=True):
    """One crawl of one source: its raw JSONL file and what ingesting it did."""

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(index=True, max_length=200)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: running | succeeded | partial (some items rejected) | failed
    status: str = Field(default="running", max_length=20)
    since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    raw_path: str = Field(default="", max_length=1000)
    items_seen: int = 0
    items_new: int = 0
    items_new_version: int = 0
    items_unchanged: int = 0
    items_rejected: int = 0
    items_warned: int = 0
    #: reason -> count, e.g. {"no_publication_date": 1, "unknown_organisation": 2}
    error_summary: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


# -- what was published ----------------------------------------------------


class DocumentBase(SQLModel):
    canonical_url: str = Field(index=True, unique=True, max_length=1000)
    source_key: str = Field(index=True, max_length=200)
    #: the publisher's own stable id (GOV.UK content_id, WordPress post id), when it has one
    external_id: str | None = Field(default=None, index=True, max_length=200)
    document_type: str = Field(default="", max_length=100)
    title: str = Field(default="", max_length=1000)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    first_published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    public_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    latest_version: int = 1


class Document(DocumentBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    publisher_id: int | None = Field(default=None, foreign_key="publisher.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DocumentPublic(DocumentBase):
    id: int
    publisher_slug: str | None = None


class DocumentPublisher(SQLModel, table=True):
    """Every organisation a document is published by (GOV.UK items often have several)."""

    document_id: int = Field(foreign_key="document.id", primary_key=True)
    publisher_id: int = Field(foreign_key="publisher.id", primary_key=True)


class DocumentSource(SQLModel, table=True):
    """Every source a document was found through: one document, several sources."""

    document_id: int = Field(foreign_key="document.id", primary_key=True)
    source_key: str = Field(primary_key=True, max_length=200)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DocumentVersionBase(SQLModel):
    version_no: int
    content_hash: str = Field(max_length=64)
    #: False for a version known only from a GOV.UK change-history entry (its note and
    #: date), whose body we never saw; later stages annotate only versions with a body
    body_known: bool = True
    title: str = Field(default="", max_length=1000)
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    change_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: when the publisher says this version appeared (GOV.UK public_updated_at)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DocumentVersion(DocumentVersionBase, table=True):
    """A body as it stood at one time; a change makes a new row, never an overwrite."""

    __table_args__ = (
        UniqueConstraint("document_id", "content_hash", name="uq_version_document_hash"),
        UniqueConstraint("document_id", "version_no", name="uq_version_document_no"),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    crawl_run_id: int | None = Field(default=None, foreign_key="crawlrun.id")
    #: organisations, taxons, attachments, change history, government, political, warnings
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DocumentVersionPublic(DocumentVersionBase):
    id: int
    document_id: int


class IngestError(SQLModel, table=True):
    """An item that could not be stored as a document, kept whole so nothing is lost."""

    id: int | None = Field(default=None, primary_key=True)
    crawl_run_id: int | None = Field(default=None, foreign_key="crawlrun.id", index=True)
    source_key: str = Field(default="", max_length=200)
    raw_path: str = Field(default="", max_length=1000)
    line_no: int | None = None
    reason: str = Field(max_length=100)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    payload: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# -- what the language layer and classifiers add (filled by later stages) --


class Annotation(SQLModel, table=True):
    """The NLP output for one version from one pipeline version (sentences, entities, markers)."""

    __table_args__ = (
        UniqueConstraint("version_id", "pipeline_version", name="uq_annotation_version_pipeline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="documentversion.id", index=True)
    pipeline_name: str = Field(max_length=200)
    pipeline_version: str = Field(max_length=100)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Statement(SQLModel, table=True):
    """A policy signal read from one sentence: who, which way, about what, with how much."""

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="documentversion.id", index=True)
    actor: str = Field(max_length=200, index=True)
    #: increase | decrease | maintain | create | abolish | review
    direction: str = Field(max_length=20)
    target: str = Field(max_length=300, index=True)
    money_gbp: int | None = Field(default=None, sa_type=BigInteger)
    timeframe: str | None = Field(default=None, max_length=100)
    sentence: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    start_char: int = 0
    end_char: int = 0


class DocumentTheme(SQLModel, table=True):
    """A theme tag on a version, from rules, a model, or their combination, with evidence."""

    # One row per (version, theme, method, model version): retagging with a new
    # model adds rows beside the old ones, so earlier tags stay queryable by version.
    __table_args__ = (
        UniqueConstraint(
            "version_id", "theme", "method", "model_version", name="uq_theme_version_method_model"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="documentversion.id", index=True)
    theme: str = Field(max_length=100, index=True)
    score: float = 0.0
    #: rule | model | combined
    method: str = Field(max_length=20)
    model_version: str | None = Field(default=None, max_length=100)
    evidence: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class DocumentScore(SQLModel, table=True):
    """A per-document score from a classifier other than themes (``reactive`` so far)."""

    __table_args__ = (
        UniqueConstraint("version_id", "name", "model_version", name="uq_score_version_name_model"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="documentversion.id", index=True)
    name: str = Field(max_length=50, index=True)
    score: float = 0.0
    model_version: str = Field(max_length=100)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ModelRecord(SQLModel, table=True):
    """A trained classifier known to the store: its card, file and whether it is in use.

    At most one record per ``name`` (themes, reactive) is active; tagging uses it,
    and its ``version`` is written beside every tag it makes.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, index=True)
    version: str = Field(max_length=100, unique=True, index=True)
    path: str = Field(default="", max_length=1000)
    card: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# -- the timeline ----------------------------------------------------------


class Event(SQLModel, table=True):
    """A registered trigger (an inquiry, a death, a critical report) for reactive signals."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=200)
    date: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=50)
    theme: str | None = Field(default=None, max_length=100)
    title: str = Field(default="", max_length=1000)
    url: str | None = Field(default=None, max_length=1000)
    #: when it was registered: an event added after a recompute makes its theme "affected"
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Signal(SQLModel, table=True):
    """A flag on the timeline; ``key`` is stable over re-runs so recomputing never duplicates."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=200)
    #: contradiction | reversal | reannouncement | reactive | burst
    kind: str = Field(max_length=30, index=True)
    theme: str | None = Field(default=None, max_length=100)
    target: str | None = Field(default=None, max_length=300)
    score: float = 0.0
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: open | changed (evidence changed since first shown) | withdrawn (evidence no longer
    #: supports it) | confirmed | dismissed (reviewer decisions, kept across recomputes)
    status: str = Field(default="open", max_length=20, index=True)
    #: what recompute compares: target:<canonical target> or theme:<theme>
    scope: str = Field(default="", max_length=320, index=True)
    #: hash of the evidence (documents, offsets, quotes): a change marks the signal "changed"
    digest: str = Field(default="", max_length=64)
    #: dates of the earliest and latest document involved, for sorting and date filters
    first_date: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    last_date: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SignalEvidence(SQLModel, table=True):
    """One document's part in a signal, with the evidence sentence's offsets in its version."""

    id: int | None = Field(default=None, primary_key=True)
    signal_id: int = Field(foreign_key="signal.id", index=True)
    version_id: int = Field(foreign_key="documentversion.id", index=True)
    role: str = Field(default="", max_length=50)
    start_char: int = 0
    end_char: int = 0
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: the document (stable across versions) and what it said, so filters need no joins
    #: through statements: actor, direction, money and the publication date
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    position: int = 0
    actor: str = Field(default="", max_length=200, index=True)
    direction: str = Field(default="", max_length=20)
    money_gbp: int | None = Field(default=None, sa_type=BigInteger)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# -- alerts ----------------------------------------------------------------


class Subscription(SQLModel, table=True):
    """Saved filters + a channel + a cadence, for a sector body or a journalist.

    Four secrets, each for one purpose, so a leaked unsubscribe link or feed
    URL cannot be used to change the subscription: ``token`` (the management
    link), ``confirm_token`` (double opt-in), ``unsubscribe_token`` (one-click
    unsubscribe) and ``feed_token`` (the private Atom feed). ``secret`` signs
    webhook bodies.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=300)
    #: email | webhook | atom | apprise
    channel: str = Field(max_length=20)
    address: str = Field(default="", max_length=1000)
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: immediate | daily | weekly
    cadence: str = Field(default="immediate", max_length=20)
    token: str = Field(index=True, unique=True, max_length=100)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: who the messages greet ("Kinship Care Alliance"); defaults to the subscription name
    subscriber_name: str = Field(default="", max_length=300)
    #: where dead-letter notices go (defaults to the address of an email subscription)
    owner_email: str | None = Field(default=None, max_length=300)
    confirm_token: str = Field(default="", index=True, max_length=100)
    unsubscribe_token: str = Field(default="", index=True, max_length=100)
    feed_token: str = Field(default="", index=True, max_length=100)
    secret: str = Field(default="", max_length=100)
    #: None until the confirmation link is followed (email); set at creation for other channels
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unsubscribed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: digests (and an immediate subscription's overflow) go out at this local hour
    send_hour: int = 8
    #: weekly digests go out on this weekday (0 = Monday)
    send_weekday: int = 0
    timezone: str = Field(default="UTC", max_length=64)
    #: most immediate messages per local day; the rest roll into the next digest
    daily_cap: int | None = None
    last_digest_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: set when the owner was told about a dead letter; cleared by the next success
    owner_notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """One alert for one subscription; the unique key is what makes sending idempotent.

    Deliveries are the outbox: matching inserts them in the transaction that
    records what it matched, and the sender drains them. Several deliveries
    can go out in one message (a digest); ``message_key`` groups them and is
    the idempotency key the receiver sees.
    """

    __table_args__ = (
        UniqueConstraint("subscription_id", "item_kind", "item_id", name="uq_delivery_item"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    #: document | signal
    item_kind: str = Field(max_length=20)
    item_id: int
    #: held (waits for a digest) | queued | sending | sent | dead | cancelled (unsubscribed)
    status: str = Field(default="queued", max_length=20)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: the message this delivery goes out in; the receiver sees it as the idempotency key
    message_key: str = Field(default="", index=True, max_length=200)
    #: immediate | digest | overflow (over the daily cap, rolled into the next digest)
    mode: str = Field(default="immediate", max_length=20)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: the "why you got this" line
    why: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: what the alert says, frozen at match time (title, themes, sentence, quotes, links)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# -- progress --------------------------------------------------------------


class StageMark(SQLModel, table=True):
    """That a pipeline stage finished for a version, so a re-run skips it."""

    __table_args__ = (UniqueConstraint("stage", "version_id", name="uq_stagemark_stage_version"),)

    id: int | None = Field(default=None, primary_key=True)
    stage: str = Field(max_length=50)
    version_id: int = Field(foreign_key="documentversion.id", index=True)
    completed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# -- dashboard: reviewer accounts and their decisions on signals ----------


class ReviewerUser(SQLModel, table=True):
    """A reviewer who may confirm or dismiss signals; created by an admin from the CLI."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=100)
    #: pwdlib (argon2) hash; the password itself is never stored
    password_hash: str = Field(max_length=300)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignalReview(SQLModel, table=True):
    """One reviewer decision on a signal; the newest one sets the signal's status."""

    id: int | None = Field(default=None, primary_key=True)
    signal_id: int = Field(foreign_key="signal.id", index=True)
    user_id: int = Field(foreign_key="revieweruser.id", index=True)
    #: confirm | dismiss | reopen
    action: str = Field(max_length=20)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# -- alerts: matching progress and owner notices ---------------------------


class AlertMatch(SQLModel, table=True):
    """That a document version or a signal has been matched, so a re-run skips it."""

    #: version | signal
    item_kind: str = Field(primary_key=True, max_length=20)
    item_id: int = Field(primary_key=True)
    matched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deliveries: int = 0


class AlertNotice(SQLModel, table=True):
    """A message to a subscription's owner (a dead letter), sent once per failure episode."""

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    kind: str = Field(max_length=30)
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# -- timeline ----------------------------------------------------------------
# NOTE from the lead: reviewer decisions on signals live in the dashboard's
# SignalReview table above (action confirm|dismiss|reopen, user_id ->
# revieweruser, created_at; the newest row sets Signal.status). The timeline
# reads it from there; do not define a second table of that name.


class TimelineRun(SQLModel, table=True):
    """One recompute of the timeline: its scope and what it changed."""

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    full: bool = False
    scopes: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    unchanged: int = 0


# -- flows (issue 7) -------------------------------------------------------


class StageRun(SQLModel, table=True):
    """One stage of one orchestrated run: what went in and out, how long, what failed.

    ``policywatch status`` reads these rows, so a failure shows up in the store and
    not only in Prefect's own database (which an unattended run may not keep).
    """

    __table_args__ = (UniqueConstraint("run_key", "stage", name="uq_stagerun_run_stage"),)

    id: int | None = Field(default=None, primary_key=True)
    #: the Prefect flow run id (or a fresh uuid outside Prefect), shared by a run's stages
    run_key: str = Field(max_length=64, index=True)
    flow_name: str = Field(default="", max_length=100)
    stage: str = Field(max_length=50)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    items_in: int = 0
    items_out: int = 0
    items_failed: int = 0
    seconds: float = 0.0
    #: succeeded | failed | partial (some items failed, the stage went on)
    status: str = Field(default="succeeded", max_length=20)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# -- exports (issue 10) ----------------------------------------------------


class ExportJob(SQLModel, table=True):
    """An export started from the dashboard or the API, run in the background.

    Kept in the store (not in memory) so any worker can report its status and
    serve the download, and a restart does not lose finished exports.
    """

    id: int | None = Field(default=None, primary_key=True)
    #: unguessable id used in URLs, so one user cannot enumerate another's exports
    token: str = Field(index=True, unique=True, max_length=64)
    #: jsonl | csv | parquet | sqlite
    format: str = Field(max_length=20)
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: queued | running | succeeded | failed
    status: str = Field(default="queued", max_length=20)
    rows: int = 0
    path: str = Field(default="", max_length=1000)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
