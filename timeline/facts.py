"""What the detectors read: documents and statements as plain, immutable facts.

The detectors are pure functions of these facts, so they are tested without a
database and a full or incremental recompute only differs in which facts are
loaded. One document contributes its latest annotated version (a withdrawn
document contributes nothing, so its signals are marked withdrawn).

Themes come from ``current_themes`` and the reactive probability from
``reactive_scores``; when no reactive model has scored a version, the
probability falls back to the coherence profile the language layer stored
(reactive cues present, few planning markers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from nlp.annotate import version_text
from policywatch.registry import load_publishers
from policywatch.store.queries import reactive_scores, reactive_threshold
from policywatch.store.tables import (
    Annotation,
    Document,
    DocumentVersion,
    Publisher,
    Statement,
)
from timeline.config import DetectorConfig
from timeline.mentions import (
    MENTION_WEIGHT,
    MIN_MONEY,
    refined_direction,
    sentence_positions,
    sentences,
)
from timeline.targets import fold_target, own_keys, sentence_targets, target_data
from timeline.themes import themes_of

#: publisher kinds whose statements are government positions
GOVERNMENT_KINDS = frozenset({"government", "parliament"})


@dataclass(frozen=True)
class DocFact:
    document_id: int
    version_id: int
    title: str
    url: str
    publisher: str
    publisher_kind: str
    date: datetime
    themes: frozenset[str]
    reactive: float
    #: the first sentence with a reactive cue: its offsets and text (None without cues)
    cue_span: tuple[int, int] | None
    cue_text: str
    planning: float
    #: the document itself says the money it names is not new
    no_new_money: bool

    @property
    def is_government(self) -> bool:
        return self.publisher_kind in GOVERNMENT_KINDS


@dataclass(frozen=True)
class StatementFact:
    id: int
    doc: DocFact
    actor: str
    direction: str
    target: str
    own_key: str
    keys: tuple[str, ...]
    money_gbp: int | None
    sentence: str
    start_char: int
    end_char: int
    #: 1.0 for a statement the language layer extracted, less for a sentence-level mention
    weight: float = 1.0
    #: whether the actor is a government body (a quoted charity's view is not a position)
    official: bool = True


@dataclass(frozen=True)
class MoneyFact:
    """A sterling amount in a document, with the canonical targets of its sentence."""

    doc: DocFact
    gbp: int
    sentence: str
    start_char: int
    end_char: int
    keys: tuple[str, ...]
    #: a target key from an extracted statement in the same sentence, if any
    own_key: str | None


@dataclass
class Facts:
    documents: dict[int, DocFact]
    statements: list[StatementFact]
    money: list[MoneyFact] = field(default_factory=list)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def on_timeline_scale(probability: float, threshold: float, gate: float) -> float:
    """The classifier's probability mapped so its own decision threshold lands on ``gate``.

    The reactive classifier chooses its threshold on validation data (often well
    below 0.5 for a rare class); the detector gates on one number for both the
    classifier and the coherence fallback. A piecewise-linear, order-keeping map
    (0 -> 0, threshold -> gate, 1 -> 1) lets the gate mean "the classifier says
    reactive" without changing the classifier's ranking.
    """
    if not 0.0 < threshold < 1.0:
        return probability
    if probability < threshold:
        return round(gate * probability / threshold, 4)
    return round(gate + (1.0 - gate) * (probability - threshold) / (1.0 - threshold), 4)


def fallback_reactive(profile: dict[str, bool], planning: float) -> float:
    """A reactive probability from the coherence profile alone (no classifier yet).

    Reactive cues carry most of the weight; planning markers (timeline, money,
    owner, evaluation, strategy link) pull it down.
    """
    cue = 0.6 if profile.get("reactive_cue") else 0.0
    return round(cue + 0.4 * (1.0 - max(0.0, min(1.0, planning))), 4)


@dataclass(frozen=True)
class _Row:
    """The columns the detectors need from one document's newest annotated version."""

    document_id: int
    url: str
    document_title: str
    first_published_at: datetime | None
    version_id: int
    title: str
    body_text: str
    published_at: datetime | None
    fetched_at: datetime
    publisher: str | None
    kind: str | None
    annotation_id: int
    data: dict  # type: ignore[type-arg]


#: the parts of the annotation record the timeline reads; only these are decoded
_DATA_PARTS = {
    "planning_score": ("planning_score",),
    "reactive_profile": ("coherence_profile", "reactive_cue"),
    "reactive_cue": ("coherence", "reactive_cue"),
    "sentences": ("sentences",),
    "money": ("money",),
}


def _latest_annotated(session: Session, document_ids: Iterable[int] | None) -> list[_Row]:
    """Each document's newest annotated version, as plain columns (no ORM objects, and
    only the parts of the annotation JSON the detectors read)."""
    newest = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.id).label("vid"))
        .join(Annotation, col(Annotation.version_id) == col(DocumentVersion.id))
        .group_by(col(DocumentVersion.document_id))
    )
    if document_ids is not None:
        newest = newest.where(col(DocumentVersion.document_id).in_(list(document_ids)))
    sub = newest.subquery()
    parts = [Annotation.data[path].label(name) for name, path in _DATA_PARTS.items()]  # type: ignore[index]
    query = (
        select(
            Document.id,
            Document.canonical_url,
            Document.title,
            Document.first_published_at,
            DocumentVersion.id,
            DocumentVersion.title,
            DocumentVersion.body_text,
            DocumentVersion.published_at,
            DocumentVersion.fetched_at,
            Publisher.slug,
            Publisher.kind,
            Annotation.id,
            *parts,
        )
        .join(sub, col(sub.c.document_id) == col(Document.id))
        .join(DocumentVersion, col(DocumentVersion.id) == sub.c.vid)
        .join(Annotation, col(Annotation.version_id) == col(DocumentVersion.id))
        .join(Publisher, col(Publisher.id) == col(Document.publisher_id), isouter=True)
        .where(col(Document.withdrawn_at).is_(None))
        .order_by(col(Document.id), col(Annotation.id).desc())
    )
    seen: set[int] = set()
    unique = []
    for row in session.execute(query):
        if row[0] in seen:  # several pipeline versions: the newest annotation wins
            continue
        seen.add(row[0])
        planning, profile_cue, cues, sentences, money = row[12:]
        data = {
            "planning_score": planning,
            "coherence_profile": {"reactive_cue": bool(profile_cue)},
            "coherence": {"reactive_cue": cues or []},
            "sentences": sentences or [],
            "money": money or [],
        }
        unique.append(_Row(*row[:12], data=data))  # type: ignore[arg-type]
    return unique


_NO_NEW_MONEY = re.compile(r"no new (?:money|funding)|not new money|no additional funding", re.I)


def _cue_sentence(data: dict) -> tuple[int, int] | None:  # type: ignore[type-arg]
    """The sentence around the first reactive cue the language layer marked."""
    cues = (data.get("coherence") or {}).get("reactive_cue") or []
    if not cues:
        return None
    start = cues[0][0]
    for s_start, s_end in data.get("sentences") or []:
        if s_start <= start < s_end:
            return (s_start, s_end)
    return (cues[0][0], cues[0][1])


def load_facts(
    session: Session,
    *,
    document_ids: Iterable[int] | None = None,
    gate: float = DetectorConfig.reactive_threshold,
) -> Facts:
    """Documents (all, or the given ones) and their statements, ready for the detectors."""
    rows = _latest_annotated(session, document_ids)
    version_ids = [row.version_id for row in rows]
    themes: dict[int, dict[str, float]] = {}
    scores: dict[int, float] = {}
    threshold = reactive_threshold(session)
    for start in range(0, len(version_ids), 5000):
        chunk = version_ids[start : start + 5000]
        themes.update(themes_of(session, chunk))
        found = reactive_scores(session, version_ids=chunk)
        if threshold is not None:
            found = {v: on_timeline_scale(p, threshold, gate) for v, p in found.items()}
        scores.update(found)
    documents: dict[int, DocFact] = {}
    by_version: dict[int, DocFact] = {}
    texts: dict[int, tuple[str, list[list[int]], list[dict]]] = {}  # type: ignore[type-arg]
    for row in rows:
        data = row.data
        planning = float(data.get("planning_score") or 0.0)
        profile = data.get("coherence_profile") or {}
        text = version_text(row.title, row.body_text)
        cue_span = _cue_sentence(data)
        date = aware(row.first_published_at or row.published_at or row.fetched_at)
        fact = DocFact(
            document_id=row.document_id,
            version_id=row.version_id,
            title=row.title or row.document_title,
            url=row.url,
            publisher=row.publisher or "",
            publisher_kind=row.kind or "unknown",
            date=date,
            themes=frozenset(themes.get(row.version_id, {})),
            reactive=scores.get(row.version_id, fallback_reactive(profile, planning)),
            cue_span=cue_span,
            cue_text=text[cue_span[0] : cue_span[1]] if cue_span else "",
            planning=planning,
            no_new_money=bool(_NO_NEW_MONEY.search(text)),
        )
        documents[row.document_id] = fact
        by_version[row.version_id] = fact
        if fact.is_government:
            texts[row.version_id] = (text, data["sentences"], data["money"])
    official = set(
        session.exec(select(Publisher.slug).where(col(Publisher.kind).in_(GOVERNMENT_KINDS))).all()
    ) | {slug for slug, p in load_publishers().items() if p.kind in GOVERNMENT_KINDS}
    statements: list[StatementFact] = []
    for start in range(0, len(version_ids), 5000):
        chunk = version_ids[start : start + 5000]
        for row in session.execute(
            select(
                Statement.id,
                Statement.version_id,
                Statement.direction,
                Statement.target,
                Statement.money_gbp,
                Statement.sentence,
                Statement.start_char,
                Statement.end_char,
            )
            .where(col(Statement.version_id).in_(chunk))
            .order_by(Statement.id)
        ):
            doc = by_version[row.version_id]
            statements.append(
                StatementFact(
                    id=row.id,
                    doc=doc,
                    # the department that published it speaks: the extracted actor is
                    # often an agency or a quoted body, and sides are departments
                    actor=doc.publisher,
                    direction=refined_direction(row.direction, row.sentence),
                    target=row.target,
                    own_key=fold_target(row.target),
                    keys=own_keys(row.target),
                    money_gbp=row.money_gbp,
                    sentence=row.sentence,
                    start_char=row.start_char,
                    end_char=row.end_char,
                    official=doc.publisher in official,
                )
            )
    mentions, money = _mentions(by_version, texts, statements)
    return Facts(documents=documents, statements=statements + mentions, money=money)


def _mentions(
    by_version: dict[int, DocFact],
    texts: dict[int, tuple[str, list[list[int]], list[dict]]],  # type: ignore[type-arg]
    statements: list[StatementFact],
) -> tuple[list[StatementFact], list[MoneyFact]]:
    """Sentence-level positions (where no statement was extracted) and money mentions."""
    too_broad = target_data().too_broad
    covered: dict[int, list[StatementFact]] = {}
    for statement in statements:
        covered.setdefault(statement.doc.version_id, []).append(statement)
    mentions: list[StatementFact] = []
    money: list[MoneyFact] = []
    next_id = -1
    for version_id, (text, spans, amounts) in texts.items():
        doc = by_version[version_id]
        extracted = covered.get(version_id, [])
        for start, end, sentence in sentences(text, spans):
            in_sentence = [s for s in extracted if start <= s.start_char < end]
            for amount in amounts:
                gbp = amount.get("gbp") or amount.get("low")
                if gbp and gbp >= MIN_MONEY and start <= amount.get("start", -1) < end:
                    keys = tuple(k for k in sentence_targets(sentence) if k not in too_broad)
                    own = next((s.own_key for s in in_sentence if s.own_key in keys), None)
                    money.append(MoneyFact(doc, int(gbp), sentence, start, end, keys, own))
            taken = {st.own_key for st in in_sentence}
            positions = [
                (k, d)
                for k, d in sentence_positions(sentence)
                if k not in too_broad and k not in taken
            ]
            for key, direction in positions:
                mentions.append(
                    StatementFact(
                        id=next_id,
                        doc=doc,
                        actor=doc.publisher,
                        direction=direction,
                        target=key,
                        own_key=key,
                        keys=(key,),
                        money_gbp=None,
                        sentence=sentence,
                        start_char=start,
                        end_char=end,
                        weight=MENTION_WEIGHT,
                    )
                )
                next_id -= 1
    return mentions, money
