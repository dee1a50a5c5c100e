"""The dashboard's reads: one function per route, shared by the page and the API.

Each public function here backs exactly one page and its ``/api/`` twin, so
what a journalist sees and what a script downloads are the same rows.
Themes shown on a document always come from
:func:`policywatch.store.queries.current_themes`; filtering and counting
by theme over a large store use :func:`tagged_versions`, an SQL mirror of
the same rule (combined tags of the active themes model, else rule tags at
the rule threshold), which the tests check against ``current_themes``.
"""

from __future__ import annotations

import difflib
import itertools
from collections import defaultdict
from typing import Any
from urllib.parse import quote

from sqlalchemy import Text, and_, cast, extract, func, or_
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from dashboards import schemas
from dashboards.filters import SHOWN_STATUSES, Filters
from nlp.annotate import version_text
from policywatch.store import queries as store_queries
from policywatch.store.tables import (
    Annotation,
    Document,
    DocumentPublisher,
    DocumentTheme,
    DocumentVersion,
    Publisher,
    ReviewerUser,
    Signal,
    SignalEvidence,
    SignalReview,
    Statement,
)

#: search reads at most this many ranked hits before filtering and paging
SEARCH_CAP = 1000
#: at most this many signals are drawn on one timeline page
TIMELINE_SIGNALS = 300


# -- building blocks ---------------------------------------------------------


def tagged_versions(session: Session, themes: list[str] | None = None) -> Select:  # type: ignore[type-arg]
    """``(version_id, theme)`` pairs tagged as :func:`current_themes` would tag them.

    A version the active themes model has scored keeps its ``combined`` tags;
    any other version keeps its rule tags at the rule threshold.
    """
    model = store_queries.active_model(session, name="themes")
    rule = and_(
        DocumentTheme.method == "rule",
        col(DocumentTheme.score) >= store_queries.RULE_TAG_THRESHOLD,
    )
    if model is None:
        condition = rule
    else:
        seen = select(DocumentTheme.version_id).where(
            DocumentTheme.method == "model", DocumentTheme.model_version == model.version
        )
        combined = and_(
            DocumentTheme.method == "combined", DocumentTheme.model_version == model.version
        )
        condition = or_(combined, and_(rule, col(DocumentTheme.version_id).not_in(seen)))
    query = select(DocumentTheme.version_id, DocumentTheme.theme).where(condition)
    if themes:
        query = query.where(col(DocumentTheme.theme).in_(themes))
    return query


def document_themes(session: Session, version_ids: list[int]) -> dict[int, dict[str, float]]:
    """Theme tags per version, through :func:`current_themes`.

    ``current_themes`` as committed raises ``KeyError`` for a version that
    only has rule tags (its fallback loop reads ``tags[version_id]`` before
    creating it). Until that is fixed in the store, the same rule is read
    through :func:`tagged_versions`, which gives identical tags.
    """
    try:
        return store_queries.current_themes(session, version_ids=version_ids)
    except KeyError:
        tagged = tagged_versions(session).where(col(DocumentTheme.version_id).in_(version_ids))
        tagged = tagged.add_columns(DocumentTheme.score)
        tags: dict[int, dict[str, float]] = {}
        for version_id, theme, score in session.exec(tagged).all():
            versions = tags.setdefault(version_id, {})
            versions[theme] = max(score, versions.get(theme, 0.0))
        return tags


def _latest_version_join() -> Any:
    return and_(
        col(DocumentVersion.document_id) == col(Document.id),
        col(DocumentVersion.version_no) == col(Document.latest_version),
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


def _text_matches(session: Session, q: str) -> list[int]:
    hits = store_queries.search_documents(session, query=q, limit=SEARCH_CAP)
    return [hit.document_id for hit in hits]


def _variants(values: list[str]) -> list[str]:
    """Each value as written and lower-cased: targets are stored canonical (lower case),
    and an exact IN uses the index where lower(column) would scan every row."""
    return sorted({v for value in values for v in (value, value.lower())})


def _document_conditions(
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
                    col(Statement.target).in_(_variants(filters.targets))
                )
            )
        )
    if filters.restricts_to_signals:
        where.append(col(Document.id).in_(_signal_documents(session, filters)))
    if filters.q:
        where.append(col(Document.id).in_(_text_matches(session, filters.q)))
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
        .join(DocumentVersion, _latest_version_join())
        .join(Publisher, col(Document.publisher_id) == col(Publisher.id), isouter=True)
    )


# -- documents and the timeline ----------------------------------------------


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
    where = _document_conditions(session, filters)
    page_where = _document_conditions(session, filters, correlated=True)
    total = session.exec(
        select(func.count())
        .select_from(Document)
        .join(DocumentVersion, _latest_version_join())
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
        signals = _signal_page(session, signal_filters, only_ids=joining).items
    return schemas.TimelineResult(documents=page, signals=signals, groups=_groups(page, filters))


# -- signals -------------------------------------------------------------------


def _evidence_date(aggregate: Any) -> Any:
    """min/max publication date of a signal's evidence documents, correlated to Signal."""
    return (
        select(aggregate(Document.first_published_at))
        .join(DocumentVersion, col(DocumentVersion.document_id) == col(Document.id))
        .join(SignalEvidence, col(SignalEvidence.version_id) == col(DocumentVersion.id))
        .where(col(SignalEvidence.signal_id) == col(Signal.id))
        .correlate(Signal)
        .scalar_subquery()
    )


def _first_date() -> Any:
    """The timeline's own first date when recompute set it, else the evidence documents'.

    COALESCE evaluates the correlated subquery only for signals without a date, so
    signals the timeline wrote cost nothing extra.
    """
    return func.coalesce(Signal.first_date, _evidence_date(func.min))


def _last_date() -> Any:
    return func.coalesce(Signal.last_date, _evidence_date(func.max))


def _signal_conditions(session: Session, filters: Filters) -> list[Any]:
    where: list[Any] = []
    if filters.kinds:
        where.append(col(Signal.kind).in_([k.value for k in filters.kinds]))
    if filters.min_score is not None:
        where.append(col(Signal.score) >= filters.min_score)
    if filters.status:
        where.append(Signal.status == filters.status.value)
    else:
        where.append(col(Signal.status).in_(SHOWN_STATUSES))
    if filters.themes:
        # the timeline keeps the themes of the documents a signal cites in data["themes"]
        data_text = cast(Signal.data, Text)
        where.append(
            or_(
                col(Signal.theme).in_(filters.themes),
                *[data_text.like(f'%"{theme}"%') for theme in filters.themes],
            )
        )
    if filters.targets:
        where.append(col(Signal.target).in_(_variants(filters.targets)))
    if filters.start:
        where.append(_last_date() >= filters.start)
    if filters.end:
        where.append(_first_date() < filters.end)
    evidence_docs = (
        select(SignalEvidence.signal_id)
        .join(DocumentVersion, col(DocumentVersion.id) == col(SignalEvidence.version_id))
        .join(Document, col(Document.id) == col(DocumentVersion.document_id))
    )
    if filters.publishers:
        where.append(
            col(Signal.id).in_(
                evidence_docs.join(
                    DocumentPublisher, col(DocumentPublisher.document_id) == col(Document.id)
                )
                .join(Publisher, col(Publisher.id) == col(DocumentPublisher.publisher_id))
                .where(col(Publisher.slug).in_(filters.publishers))
            )
        )
    if filters.actors:
        stated = (
            select(SignalEvidence.signal_id)
            .join(Statement, col(Statement.version_id) == col(SignalEvidence.version_id))
            .where(col(Statement.actor).in_(filters.actors))
        )
        named = select(SignalEvidence.signal_id).where(
            col(SignalEvidence.actor).in_(filters.actors)
        )
        where.append(or_(col(Signal.id).in_(stated), col(Signal.id).in_(named)))
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        where.append(
            or_(
                func.lower(Signal.explanation).like(pattern),
                func.lower(func.coalesce(Signal.target, "")).like(pattern),
            )
        )
    return where


def _summaries(session: Session, rows: list[Any]) -> list[schemas.SignalSummary]:
    ids = [row[0].id for row in rows]
    documents: dict[int, list[int]] = defaultdict(list)
    if ids:
        for signal_id, document_id in session.exec(
            select(SignalEvidence.signal_id, DocumentVersion.document_id)
            .join(DocumentVersion, col(DocumentVersion.id) == col(SignalEvidence.version_id))
            .where(col(SignalEvidence.signal_id).in_(ids))
            .order_by(col(SignalEvidence.id))
        ).all():
            if document_id not in documents[signal_id]:
                documents[signal_id].append(document_id)
    return [
        schemas.SignalSummary(
            id=signal.id,
            key=signal.key,
            kind=signal.kind,
            theme=signal.theme,
            target=signal.target,
            score=signal.score,
            status=signal.status,
            explanation=signal.explanation,
            first_date=first_date,
            last_date=last_date,
            document_ids=documents.get(signal.id, []),
        )
        for signal, first_date, last_date in rows
    ]


def _signal_page(session: Session, filters: Filters, *, only_ids: Any = None) -> schemas.SignalPage:
    where = _signal_conditions(session, filters)
    if only_ids is not None:
        where.append(col(Signal.id).in_(only_ids))
    total = session.exec(select(func.count()).select_from(Signal).where(*where)).one()
    last = _last_date().label("evidence_last_date")
    rows = session.exec(
        select(Signal, _first_date(), last)
        .where(*where)
        .order_by(last.desc().nulls_last(), col(Signal.id).desc())
        .offset(filters.offset)
        .limit(filters.limit)
    ).all()
    return schemas.SignalPage(
        total=int(total),
        limit=filters.limit,
        offset=filters.offset,
        items=_summaries(session, list(rows)),
    )


def list_signals(session: Session, filters: Filters) -> schemas.SignalPage:
    """Signals matching ``filters``, newest evidence first (``/signals``, ``/api/signals``)."""
    return _signal_page(session, filters)


def find_signal(session: Session, key_or_id: str) -> Signal | None:
    """A signal by its stable key (what permalinks use) or its numeric id."""
    signal = session.exec(select(Signal).where(Signal.key == key_or_id)).first()
    if signal is None and key_or_id.isdigit() and len(key_or_id) < 12:
        signal = session.get(Signal, int(key_or_id))
    return signal


def _evidence(session: Session, signal_id: int) -> list[schemas.Evidence]:
    rows = session.exec(
        select(SignalEvidence, DocumentVersion, Document, Publisher)
        .join(DocumentVersion, col(DocumentVersion.id) == col(SignalEvidence.version_id))
        .join(Document, col(Document.id) == col(DocumentVersion.document_id))
        .join(Publisher, col(Publisher.id) == col(Document.publisher_id), isouter=True)
        .where(SignalEvidence.signal_id == signal_id)
    ).all()
    items = []
    for evidence, version, document, publisher in rows:
        quote = evidence.text
        if not quote and evidence.end_char > evidence.start_char:
            text = version_text(version.title, version.body_text)
            quote = text[evidence.start_char : evidence.end_char]
        items.append(
            schemas.Evidence(
                document_id=document.id,
                version_id=version.id,
                role=evidence.role,
                quote=quote,
                title=document.title,
                url=document.canonical_url,
                publisher=publisher.slug if publisher else None,
                publisher_title=publisher.title if publisher else None,
                published_at=version.published_at or document.first_published_at,
            )
        )
    return sorted(items, key=lambda e: (e.published_at is None, e.published_at, e.document_id))


def _chain(
    session: Session, signal: Signal, evidence: list[schemas.Evidence]
) -> list[schemas.ChainStatement]:
    """Earlier statements on the signal's target: the positions that came before."""
    if not signal.target:
        return []
    last = max((e.published_at for e in evidence if e.published_at), default=None)
    query = (
        select(Statement, Document, Publisher.slug)
        .join(DocumentVersion, col(DocumentVersion.id) == col(Statement.version_id))
        .join(Document, _latest_version_join())
        .join(Publisher, col(Publisher.id) == col(Document.publisher_id), isouter=True)
        .where(col(Statement.target).in_(_variants([signal.target])))
    )
    if last is not None:
        query = query.where(col(Document.first_published_at) <= last)
    rows = session.exec(
        query.order_by(col(Document.first_published_at).desc(), col(Statement.id)).limit(20)
    ).all()
    return [
        schemas.ChainStatement(
            document_id=document.id,
            title=document.title,
            publisher=slug,
            published_at=document.first_published_at,
            actor=statement.actor,
            direction=statement.direction,
            money_gbp=statement.money_gbp,
            sentence=statement.sentence,
        )
        for statement, document, slug in reversed(rows)
    ]


def _citations(summary: schemas.SignalSummary, permalink: str) -> tuple[str, str]:
    year = summary.last_date.year if summary.last_date else ""
    title = f"{summary.kind.capitalize()}: {summary.target or summary.theme or summary.key}"
    text = f'PolicyWatch ({year}). "{title}". Signal {summary.key}. {permalink}'
    safe_key = "".join(ch if ch.isalnum() else "_" for ch in summary.key)[:60]
    bibtex = (
        f"@misc{{policywatch_{safe_key},\n"
        f"  author = {{{{PolicyWatch}}}},\n"
        f"  title = {{{title}}},\n"
        f"  year = {{{year}}},\n"
        f"  howpublished = {{\\url{{{permalink}}}}},\n"
        f"  note = {{Signal {summary.key}, score {summary.score:.2f}}}\n"
        "}"
    )
    return text, bibtex


def signal_detail(
    session: Session, key_or_id: str, *, base_url: str = "/"
) -> schemas.SignalDetail | None:
    """One signal with its quotes side by side, chain, reviews and citations.

    ``base_url`` is the site's address, so the citation's permalink is absolute.
    """
    signal = find_signal(session, key_or_id)
    if signal is None:
        return None
    row = session.exec(
        select(Signal, _first_date(), _last_date()).where(Signal.id == signal.id)
    ).one()
    summary = _summaries(session, [row])[0]
    evidence = _evidence(session, signal.id)  # type: ignore[arg-type]
    permalink = f"{base_url.rstrip('/')}/signals/{quote(signal.key, safe='')}"
    cite_text, cite_bibtex = _citations(summary, permalink)
    return schemas.SignalDetail(
        signal=summary,
        data=dict(signal.data or {}),
        evidence=evidence,
        chain=_chain(session, signal, evidence),
        reviews=list_feedback(session, signal_id=signal.id),
        cite_text=cite_text,
        cite_bibtex=cite_bibtex,
    )


# -- one document -----------------------------------------------------------------


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
    current = document_themes(session, [version_id]).get(version_id, {})
    rows = session.exec(
        select(DocumentTheme)
        .where(DocumentTheme.version_id == version_id)
        .order_by(col(DocumentTheme.score).desc())
    ).all()
    tags: dict[str, schemas.ThemeTag] = {}
    for theme, score in current.items():
        tags[theme] = schemas.ThemeTag(
            theme=theme, score=score, current=True, method="current", evidence=[]
        )
    for row in rows:
        if row.theme in tags and not tags[row.theme].evidence and row.evidence:
            tags[row.theme].evidence = list(row.evidence)
            tags[row.theme].method = row.method
        elif row.theme not in tags:
            tags[row.theme] = schemas.ThemeTag(
                theme=row.theme,
                score=row.score,
                current=False,
                method=row.method,
                evidence=list(row.evidence or []),
            )
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
    signals = _signal_page(session, Filters(limit=200), only_ids=joining).items

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


# -- search ---------------------------------------------------------------------


def search(session: Session, filters: Filters) -> schemas.SearchPage:
    """Full-text search with the list filters applied to the ranked hits (``/search``)."""
    if not filters.q:
        return schemas.SearchPage(
            total=0, capped=False, limit=filters.limit, offset=filters.offset, items=[]
        )
    narrowed = filters.model_copy(update={"q": None})
    narrowing = bool(_document_conditions(session, narrowed))
    # without other filters, read only up to one hit past this page: FTS5 builds a
    # snippet for every row it returns, so asking for 1,000 costs 3x asking for 20
    wanted = SEARCH_CAP if narrowing else min(SEARCH_CAP, filters.offset + filters.limit + 1)
    hits = store_queries.search_documents(session, query=filters.q, limit=wanted)
    capped = len(hits) >= wanted
    ids = [hit.document_id for hit in hits]
    allowed: set[int] | None = None
    if ids and narrowing:
        allowed = set(
            session.exec(
                select(Document.id)
                .join(DocumentVersion, _latest_version_join())
                .where(col(Document.id).in_(ids), *_document_conditions(session, narrowed))
            ).all()
        )
    kept = [hit for hit in hits if allowed is None or hit.document_id in allowed]
    page = kept[filters.offset : filters.offset + filters.limit]
    versions = dict(
        session.exec(
            select(Document.id, DocumentVersion.id)
            .join(DocumentVersion, _latest_version_join())
            .where(col(Document.id).in_([hit.document_id for hit in page]))
        ).all()
    )
    themes = document_themes(session, list(versions.values()))
    items = [
        schemas.SearchRow(
            document_id=hit.document_id,
            title=hit.title,
            publisher=hit.publisher,
            published_at=hit.first_published_at,
            score=hit.score,
            snippet=hit.snippet,
            themes=themes.get(versions.get(hit.document_id, -1), {}),
        )
        for hit in page
    ]
    return schemas.SearchPage(
        total=len(kept), capped=capped, limit=filters.limit, offset=filters.offset, items=items
    )


# -- overview, themes, actors, money ------------------------------------------------


def theme_years(session: Session, filters: Filters) -> list[schemas.ThemeYear]:
    """Documents per theme and year of first publication (latest versions only)."""
    tagged = tagged_versions(session, filters.themes or None).subquery()
    year = extract("year", Document.first_published_at)
    rows = session.exec(
        select(tagged.c.theme, year, func.count(func.distinct(Document.id)))
        .select_from(tagged)
        .join(DocumentVersion, col(DocumentVersion.id) == tagged.c.version_id)
        .join(Document, _latest_version_join())
        .where(col(Document.first_published_at).is_not(None))
        .group_by(tagged.c.theme, year)
        .order_by(tagged.c.theme, year)
    ).all()
    return [schemas.ThemeYear(theme=t, year=int(y), count=int(n)) for t, y, n in rows]


def _reannounced(session: Session, filters: Filters) -> dict[int, tuple[int, int]]:
    """Per year: money presented again (sum) and how many repeats, from reannouncement signals."""
    signals = session.exec(select(Signal).where(Signal.kind == "reannouncement")).all()
    if filters.themes:
        wanted = set(filters.themes)
        signals = [
            s
            for s in signals
            if s.theme in wanted or wanted & set((s.data or {}).get("themes", []))
        ]
    per_year: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for signal in signals:
        evidence = _evidence(session, signal.id)  # type: ignore[arg-type]
        amount = (signal.data or {}).get("money_gbp")
        for item in evidence[1:]:  # the first is the original announcement
            gbp = amount
            if gbp is None:
                gbp = session.exec(
                    select(func.max(Statement.money_gbp)).where(
                        Statement.version_id == item.version_id
                    )
                ).one()
            if item.published_at is not None:
                per_year[item.published_at.year][0] += int(gbp or 0)
                per_year[item.published_at.year][1] += 1
    return {year: (total, n) for year, (total, n) in per_year.items()}


def money(session: Session, filters: Filters) -> list[schemas.MoneyRow]:
    """Money announced in statements against money re-announced, per year (``/api/money``)."""
    year = extract("year", Document.first_published_at)
    query = (
        select(year, func.coalesce(func.sum(Statement.money_gbp), 0), func.count(Statement.id))
        .join(DocumentVersion, col(DocumentVersion.id) == col(Statement.version_id))
        .join(Document, _latest_version_join())
        .where(col(Statement.money_gbp).is_not(None), col(Document.first_published_at).is_not(None))
    )
    if filters.themes:
        tagged = tagged_versions(session, filters.themes).subquery()
        query = query.where(col(DocumentVersion.id).in_(select(tagged.c.version_id)))
    if filters.start:
        query = query.where(col(Document.first_published_at) >= filters.start)
    if filters.end:
        query = query.where(col(Document.first_published_at) < filters.end)
    announced = {int(y): (int(total), int(n)) for y, total, n in session.exec(query.group_by(year))}
    again = _reannounced(session, filters)
    years = sorted(set(announced) | set(again))
    if filters.start:
        years = [y for y in years if y >= filters.start.year]
    if filters.end:
        years = [y for y in years if y <= filters.end.year]
    return [
        schemas.MoneyRow(
            year=y,
            announced_gbp=announced.get(y, (0, 0))[0],
            reannounced_gbp=again.get(y, (0, 0))[0],
            statements=announced.get(y, (0, 0))[1],
            reannouncements=again.get(y, (0, 0))[1],
        )
        for y in years
    ]


def overview(session: Session, filters: Filters) -> schemas.Overview:
    """The front page: theme counts over time, newest signals, money (``/``, ``/api/overview``)."""
    return schemas.Overview(
        theme_years=theme_years(session, filters),
        newest_signals=list_signals(session, filters.model_copy(update={"limit": 10})).items,
        money=money(session, filters),
        documents=int(session.exec(select(func.count()).select_from(Document)).one()),
        signals=int(session.exec(select(func.count()).select_from(Signal)).one()),
    )


def theme_counts(session: Session, filters: Filters) -> list[schemas.CountRow]:
    """Every theme with its number of tagged documents (``/api/themes``)."""
    tagged = tagged_versions(session).subquery()
    rows = session.exec(
        select(tagged.c.theme, func.count(func.distinct(Document.id)))
        .select_from(tagged)
        .join(DocumentVersion, col(DocumentVersion.id) == tagged.c.version_id)
        .join(Document, _latest_version_join())
        .group_by(tagged.c.theme)
        .order_by(func.count(func.distinct(Document.id)).desc(), tagged.c.theme)
    ).all()
    return [schemas.CountRow(name=theme, count=int(n)) for theme, n in rows]


def actor_counts(session: Session, filters: Filters) -> list[schemas.CountRow]:
    """Actors named in policy statements, with how many documents (``/api/actors``)."""
    count = func.count(func.distinct(DocumentVersion.document_id))
    query = (
        select(Statement.actor, count)
        .join(DocumentVersion, col(DocumentVersion.id) == col(Statement.version_id))
        .join(Document, _latest_version_join())
        .where(Statement.actor != "")
    )
    if filters.q:
        query = query.where(func.lower(Statement.actor).like(f"%{filters.q.lower()}%"))
    rows = session.exec(
        query.group_by(Statement.actor)
        .order_by(count.desc(), Statement.actor)
        .offset(filters.offset)
        .limit(filters.limit)
    ).all()
    return [schemas.CountRow(name=actor, count=int(n)) for actor, n in rows]


def publisher_counts(session: Session) -> list[schemas.CountRow]:
    """Publishers with documents, for the filter pickers."""
    return [
        schemas.CountRow(name=slug, count=n)
        for slug, n in store_queries.documents_per_publisher(session)
    ]


# -- reviewer feedback --------------------------------------------------------------


def list_feedback(
    session: Session, *, signal_id: int | None = None, limit: int = 100, offset: int = 0
) -> list[schemas.Review]:
    """Reviewer decisions, newest first (``/api/feedback`` and the signal page)."""
    query = (
        select(SignalReview, ReviewerUser.username, Signal.key)
        .join(ReviewerUser, col(ReviewerUser.id) == col(SignalReview.user_id))
        .join(Signal, col(Signal.id) == col(SignalReview.signal_id))
    )
    if signal_id is not None:
        query = query.where(SignalReview.signal_id == signal_id)
    rows = session.exec(
        query.order_by(col(SignalReview.id).desc()).offset(offset).limit(limit)
    ).all()
    return [
        schemas.Review(
            id=review.id,
            signal_id=review.signal_id,
            signal_key=key,
            reviewer=username,
            action=review.action,
            note=review.note,
            created_at=review.created_at,
        )
        for review, username, key in rows
    ]


__all__ = [
    "actor_counts",
    "document_detail",
    "find_signal",
    "list_documents",
    "list_feedback",
    "list_signals",
    "money",
    "overview",
    "publisher_counts",
    "search",
    "signal_detail",
    "tagged_versions",
    "theme_counts",
    "theme_years",
    "timeline",
]
