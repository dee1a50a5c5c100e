"""Document reads: filtered pages, the timeline, and one document with versions and highlights."""

from __future__ import annotations

import difflib
import itertools
from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from dashboards import schemas
from dashboards.filters import Filters
from dashboards.queries.common import (
    TIMELINE_SIGNALS,
    document_themes,
    latest_version_join,
    tagged_versions,
    target_variants,
    text_matches,
)
from dashboards.queries.signals import signal_page
from nlp.annotate import version_text
from policywatch.store import queries as store_queries
from policywatch.store.tables import (
    Annotation,
    Document,
    DocumentPublisher,
    DocumentTheme,
    DocumentVersion,
    Publisher,
    Signal,
    SignalEvidence,
    Statement,
)


def _signal_documents(session: Session, filters: Filters) -> Select:  # type: ignore[type-arg]
    """Document ids taking part in signals of the picked kinds and minimum score."""
    query = (
        select(DocumentVersion.document_id)
        .join(SignalEvidence, col(SignalEvidence.version_id) == col(DocumentVersion.id))
        .join(Signal, col(Signal.id) == col(SignalEvidence.signal_id))
    )
    if filters.kinds:
        query = query.where(col(Signal.kind).in_([k.value for k in filters.kinds]))
    if filters.min_score is not None:
        query = query.where(col(Signal.score) >= filters.min_score)
    return query


def document_conditions(
    session: Session, filters: Filters, *, correlated: bool = False
) -> list[Any]:
    """WHERE conditions on Document (joined to its latest version) for ``filters``.

    ``correlated`` writes the theme, actor and target tests as EXISTS per row: a
    page read newest first then walks the date index and stops after ``limit``
    matches (12 ms instead of 56 ms for a common theme over 100,000 documents),
    while a count, which must see every match, is faster with IN lists.
    """
    where: list[Any] = []

    def version_in(query: Any) -> Any:
        column = query.selected_columns[0]
        if correlated:
            return query.where(column == col(DocumentVersion.id)).exists()
        return col(DocumentVersion.id).in_(query)

    if filters.publishers:
        co_published = (
            select(DocumentPublisher.document_id)
            .join(Publisher, col(DocumentPublisher.publisher_id) == col(Publisher.id))
            .where(col(Publisher.slug).in_(filters.publishers))
        )
        where.append(col(Document.id).in_(co_published))
    if filters.start:
        where.append(col(Document.first_published_at) >= filters.start)
    if filters.end:
        where.append(col(Document.first_published_at) < filters.end)
    if filters.themes:
        tagged = tagged_versions(session, filters.themes)
        where.append(version_in(tagged.with_only_columns(DocumentTheme.version_id)))
    if filters.actors:
        where.append(
            version_in(select(Statement.version_id).where(col(Statement.actor).in_(filters.actors)))
        )
    if filters.targets:
        where.append(
            version_in(
                select(Statement.version_id).where(
                    col(Statement.target).in_(target_variants(filters.targets))
                )
            )
        )
    if filters.restricts_to_signals:
        where.append(col(Document.id).in_(_signal_documents(session, filters)))
    if filters.q:
        where.append(col(Document.id).in_(text_matches(session, filters.q)))
    return where


def _themes_and_actors(
    session: Session, version_ids: list[int]
) -> tuple[dict[int, dict[str, float]], dict[int, list[str]]]:
    themes = document_themes(session, version_ids)
    actors: dict[int, list[str]] = defaultdict(list)
    if version_ids:
        rows = session.exec(
            select(Statement.version_id, Statement.actor)
            .where(col(Statement.version_id).in_(version_ids), Statement.actor != "")
            .distinct()
            .order_by(Statement.version_id, Statement.actor)
        ).all()
        for version_id, actor in rows:
            actors[version_id].append(actor)
    return themes, actors


def _points(session: Session, rows: list[Any]) -> list[schemas.DocumentPoint]:
    version_ids = [row.version_id for row in rows]
    themes, actors = _themes_and_actors(session, version_ids)
    return [
        schemas.DocumentPoint(
            id=row.id,
            title=row.title,
            url=row.canonical_url,
            publisher=row.slug,
            publisher_title=row.publisher_title,
            document_type=row.document_type,
            published_at=row.first_published_at,
            version_id=row.version_id,
            themes=dict(sorted(themes.get(row.version_id, {}).items())),
            actors=actors.get(row.version_id, []),
        )
        for row in rows
    ]


def _document_select() -> Select:  # type: ignore[type-arg]
    return (
        select(
            col(Document.id),
            col(Document.title),
            col(Document.canonical_url),
            col(Document.document_type),
            col(Document.first_published_at),
            col(Publisher.slug),
            col(Publisher.title).label("publisher_title"),
            col(DocumentVersion.id).label("version_id"),
        )
        .join(DocumentVersion, latest_version_join())
        .join(Publisher, col(Document.publisher_id) == col(Publisher.id), isouter=True)
    )


def _newest_first(session: Session) -> list[Any]:
    """Newest documents first, undated last, in a form each backend's date index serves.

    SQLite already sorts NULL last in DESC, and spelling out NULLS LAST there
    turns the indexed scan into a sort of every match; PostgreSQL needs it.
    """
    published = col(Document.first_published_at).desc()
    if session.get_bind().dialect.name != "sqlite":
        published = published.nulls_last()
    return [published, col(Document.id).desc()]


def list_documents(session: Session, filters: Filters) -> schemas.DocumentPage:
    """Documents matching ``filters``, newest first, one page (``/api/documents``)."""
    where = document_conditions(session, filters)
    page_where = document_conditions(session, filters, correlated=True)
    total = session.exec(
        select(func.count())
        .select_from(Document)
        .join(DocumentVersion, latest_version_join())
        .where(*where)
    ).one()
    rows = session.exec(
        _document_select()
        .where(*page_where)
        .order_by(*_newest_first(session))
        .offset(filters.offset)
        .limit(filters.limit)
    ).all()
    return schemas.DocumentPage(
        total=int(total), limit=filters.limit, offset=filters.offset, items=_points(session, rows)
    )


def _groups(page: schemas.DocumentPage, filters: Filters) -> dict[str, list[int]]:
    """Chart rows: which documents sit on which theme, publisher or actor line."""
    groups: dict[str, list[int]] = defaultdict(list)
    for point in page.items:
        if filters.group.value == "publisher":
            names = [point.publisher or "unknown"]
        elif filters.group.value == "actor":
            names = point.actors or [point.publisher or "unknown"]
        else:
            names = list(point.themes) or ["untagged"]
        for name in names:
            if filters.group.value == "theme" and filters.themes and name not in filters.themes:
                continue
            groups[name].append(point.id)
    return dict(sorted(groups.items()))


def timeline(session: Session, filters: Filters) -> schemas.TimelineResult:
    """The timeline page: documents over time and the signals joining them (``/api/timeline``)."""
    page = list_documents(session, filters)
    shown = [point.version_id for point in page.items]
    signals: list[schemas.SignalSummary] = []
    if shown:
        joining = select(SignalEvidence.signal_id).where(col(SignalEvidence.version_id).in_(shown))
        signal_filters = filters.model_copy(
            update={"offset": 0, "limit": TIMELINE_SIGNALS, "date_from": None, "date_to": None}
        )
        signals = signal_page(session, signal_filters, only_ids=joining).items
    return schemas.TimelineResult(documents=page, signals=signals, groups=_groups(page, filters))


def _segments(text: str, spans: list[tuple[int, int, str]]) -> list[schemas.Segment]:
    """Cut ``text`` at every span edge so each piece knows which highlights cover it."""
    edges = {0, len(text)}
    for start, end, _ in spans:
        edges.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    cuts = sorted(edges)
    segments = []
    for start, end in itertools.pairwise(cuts):
        if start == end:
            continue
        marks = sorted({label for s, e, label in spans if s <= start and end <= e})
        segments.append(schemas.Segment(text=text[start:end], marks=marks))
    return segments


def _highlights(session: Session, version: DocumentVersion) -> tuple[list, dict[str, bool]]:
    spans: list[tuple[int, int, str]] = []
    for statement in session.exec(
        select(Statement).where(Statement.version_id == version.id)
    ).all():
        spans.append((statement.start_char, statement.end_char, "statement"))
    annotation = session.exec(
        select(Annotation)
        .where(Annotation.version_id == version.id)
        .order_by(col(Annotation.id).desc())
    ).first()
    profile: dict[str, bool] = {}
    if annotation is not None:
        data = annotation.data or {}
        for money in data.get("money", []):
            spans.append((int(money["start"]), int(money["end"]), "money"))
        for part, ranges in (data.get("coherence") or {}).items():
            for start, end in ranges:
                spans.append((int(start), int(end), f"coherence-{part}"))
        profile = dict(data.get("coherence_profile") or {})
    return spans, profile


def _diff(older: DocumentVersion | None, newer: DocumentVersion) -> list[schemas.DiffLine]:
    if older is None:
        return []
    before = version_text(older.title, older.body_text).splitlines()
    after = version_text(newer.title, newer.body_text).splitlines()
    lines = []
    for line in difflib.unified_diff(before, after, lineterm="", n=1):
        if line.startswith(("---", "+++")):
            continue
        op = "@" if line.startswith("@@") else line[:1]
        lines.append(schemas.DiffLine(op=op, text=line if op == "@" else line[1:]))
    return lines


def _theme_tags(session: Session, version_id: int) -> list[schemas.ThemeTag]:
    """Current tags first (from ``current_themes``), then candidates that scored."""
    current = document_themes(session, [version_id]).get(version_id, {})
    rows = session.exec(
        select(DocumentTheme)
        .where(DocumentTheme.version_id == version_id)
        .order_by(col(DocumentTheme.score).desc())
    ).all()
    tags: dict[str, schemas.ThemeTag] = {
        theme: schemas.ThemeTag(theme=theme, score=score, current=True, methods=[], phrases=[])
        for theme, score in current.items()
    }
    for row in rows:
        tag = tags.setdefault(
            row.theme,
            schemas.ThemeTag(
                theme=row.theme, score=row.score, current=False, methods=[], phrases=[]
            ),
        )
        if row.method not in tag.methods:
            tag.methods.append(row.method)
        for item in row.evidence or []:
            phrase = item.get("phrase") if isinstance(item, dict) else None
            if phrase and phrase not in tag.phrases:
                tag.phrases.append(str(phrase))
    return sorted(tags.values(), key=lambda t: (not t.current, -t.score, t.theme))


def document_detail(
    session: Session, document_id: int, *, version_no: int | None = None
) -> schemas.DocumentDetail | None:
    """One document: versions and a diff, highlighted text, themes and its signals."""
    document = session.get(Document, document_id)
    if document is None:
        return None
    versions = store_queries.document_versions(session, document_id=document_id)
    if not versions:
        return None
    with_body = [v for v in versions if v.body_known] or versions
    chosen = next((v for v in versions if v.version_no == version_no), None) or with_body[-1]
    earlier = [v for v in with_body if v.version_no < chosen.version_no]
    point = _points(
        session,
        session.exec(_document_select().where(col(Document.id) == document_id)).all(),
    )[0]
    spans, profile = _highlights(session, chosen)
    text = version_text(chosen.title, chosen.body_text)
    joining = (
        select(SignalEvidence.signal_id)
        .join(DocumentVersion, col(DocumentVersion.id) == col(SignalEvidence.version_id))
        .where(DocumentVersion.document_id == document_id)
    )
    signals = signal_page(session, Filters(limit=200), only_ids=joining).items

    def info(v: DocumentVersion) -> schemas.VersionInfo:
        return schemas.VersionInfo(
            id=v.id,  # type: ignore[arg-type]
            version_no=v.version_no,
            published_at=v.published_at,
            fetched_at=v.fetched_at,
            change_note=v.change_note,
            body_known=v.body_known,
        )

    return schemas.DocumentDetail(
        document=point,
        description=document.description,
        publishers=[
            p.slug for p in store_queries.document_publishers(session, document_id=document_id)
        ],
        versions=[info(v) for v in versions],
        version=info(chosen),
        segments=_segments(text, spans),
        diff=_diff(earlier[-1] if earlier else None, chosen),
        diff_from=earlier[-1].version_no if earlier else None,
        theme_tags=_theme_tags(session, chosen.id),  # type: ignore[arg-type]
        coherence=profile,
        signals=signals,
    )
