"""What an alert says about one item, frozen into the delivery at match time.

A document alert carries its title, publisher, date, matching themes and the
sentence that matched (the keyword's sentence, else the statement about the
wanted target or actor, else a sentence naming a matched theme); a signal
alert carries its explanation and its evidence quotes with links. Freezing
this when the delivery is queued means a retry next week sends what the
first attempt would have, and the sender never needs the NLP tables.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from alerts.filters import CompiledFilter, MatchItem, normalise
from alerts.keywords import Text, words

MAX_SENTENCE = 400
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def _sentences(item: MatchItem) -> list[tuple[str, Text]]:
    """The item's sentences (title left out), each prepared for word checks; cached on the item
    because every subscription group that matches it asks again."""
    cached = item.context.get("_sentences")
    if cached is None:
        text: str = item.context.get("text", "")
        spans = item.context.get("sentences") or []
        found = [text[start:end] for start, end in spans] if spans else _SPLIT.split(text)
        title = (item.context.get("title") or "").strip()
        cached = [(s, Text(s)) for s in (x.strip() for x in found) if s and s != title]
        item.context["_sentences"] = cached
    return cached


def _short(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= MAX_SENTENCE else sentence[: MAX_SENTENCE - 1] + "…"


def matched_sentence(item: MatchItem, compiled: CompiledFilter) -> str:
    """The sentence that best shows why the document matched."""
    sentences = _sentences(item)
    for hit in compiled.keyword_hits(item):
        phrase = tuple(words(hit))
        for sentence, prepared in sentences:
            if prepared.has_phrase(phrase):
                return _short(sentence)
    wanted = [" ".join(p) for p in (*compiled.targets, *compiled.actors)]
    for statement in item.context.get("statements", []):
        about = f" {normalise(statement['target'])} {normalise(statement['actor'])} "
        if any(f" {w} " in about for w in wanted) and statement["sentence"]:
            return _short(statement["sentence"])
    themes = compiled.themes & item.themes if compiled.themes else item.themes
    phrases = [
        p.lower()
        for theme in sorted(themes)
        for p in item.context.get("theme_phrases", {}).get(theme, [])
        if p
    ]
    for sentence, _ in sentences:
        lowered = sentence.lower()
        if any(p in lowered for p in phrases):
            return _short(sentence)
    description = (item.context.get("description") or "").strip()
    return _short(description or (sentences[0][0] if sentences else ""))


def document_payload(item: MatchItem, compiled: CompiledFilter) -> dict[str, Any]:
    context = item.context
    return {
        "kind": "document",
        "id": item.id,
        "version_id": item.version_id,
        "title": context.get("title", ""),
        "url": context.get("url"),
        "publisher": context.get("publisher"),
        "published_at": context.get("published_at"),
        "document_type": context.get("document_type"),
        "themes": context.get("themes", []),
        "matched_themes": sorted(compiled.themes & item.themes),
        "sentence": matched_sentence(item, compiled),
        "updated": (context.get("version_no") or 1) > 1,
        "change_note": context.get("change_note"),
    }


def signal_payload(item: MatchItem, base_url: str) -> dict[str, Any]:
    context = item.context
    key = quote(str(context.get("key") or item.id), safe="")
    return {
        "kind": "signal",
        "id": item.id,
        "signal_kind": context.get("signal_kind"),
        "title": f"{(context.get('signal_kind') or 'signal').capitalize()}: "
        f"{context.get('target') or context.get('theme') or 'policy signal'}",
        # the dashboard's signal page is keyed by the signal's stable key
        "url": f"{base_url.rstrip('/')}/signals/{key}",
        "theme": context.get("theme"),
        "themes": [context["theme"]] if context.get("theme") else [],
        "target": context.get("target"),
        "score": context.get("score"),
        "explanation": context.get("explanation", ""),
        "evidence": context.get("evidence", []),
        "published_at": context.get("first_seen_at"),
    }


def build_payload(item: MatchItem, compiled: CompiledFilter, base_url: str) -> dict[str, Any]:
    if item.kind == "signal":
        return signal_payload(item, base_url)
    return document_payload(item, compiled)
