"""Signals as detectors produce them, before they meet the store.

A :class:`SignalDraft` carries everything a reader needs (kind, score,
one-sentence explanation, the documents with their evidence sentences) and a
``key`` built only from stable things (kind, scope, document ids), so the same
finding always has the same key and recomputing never duplicates it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from timeline.facts import DocFact, StatementFact


@dataclass(frozen=True)
class EvidenceDraft:
    document_id: int
    version_id: int
    role: str
    start_char: int
    end_char: int
    text: str
    actor: str
    direction: str
    money_gbp: int | None
    published_at: datetime

    @classmethod
    def of_statement(cls, statement: StatementFact, role: str) -> EvidenceDraft:
        return cls(
            document_id=statement.doc.document_id,
            version_id=statement.doc.version_id,
            role=role,
            start_char=statement.start_char,
            end_char=statement.end_char,
            text=statement.sentence.strip(),
            actor=statement.actor,
            direction=statement.direction,
            money_gbp=statement.money_gbp,
            published_at=statement.doc.date,
        )

    @classmethod
    def of_document(
        cls, doc: DocFact, role: str, span: tuple[int, int] | None, text: str
    ) -> EvidenceDraft:
        start, end = span if span else (0, len(doc.title))
        return cls(
            document_id=doc.document_id,
            version_id=doc.version_id,
            role=role,
            start_char=start,
            end_char=end,
            text=text.strip(),
            actor=doc.publisher,
            direction="",
            money_gbp=None,
            published_at=doc.date,
        )


@dataclass
class SignalDraft:
    key: str
    kind: str
    scope: str
    score: float
    explanation: str
    evidence: list[EvidenceDraft]
    theme: str | None = None
    target: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def first_date(self) -> datetime:
        return min(e.published_at for e in self.evidence)

    @property
    def last_date(self) -> datetime:
        return max(e.published_at for e in self.evidence)

    def digest(self) -> str:
        """A hash of the evidence: what a reader checks. A change marks the signal changed."""
        payload = [
            [e.document_id, e.version_id, e.role, e.start_char, e.end_char, e.text]
            for e in self.evidence
        ]
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def day(value: datetime) -> str:
    return value.strftime("%-d %B %Y")


def pounds(amount: int | None) -> str:
    if amount is None:
        return "an unstated sum"
    if amount >= 1_000_000_000:
        return f"£{amount / 1_000_000_000:g} billion"
    if amount >= 1_000_000:
        return f"£{amount / 1_000_000:g} million"
    return f"£{amount:,}"
