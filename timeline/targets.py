"""Target matching: which statements talk about the same thing.

Statements reach the timeline with a target already folded by the language
layer (``nlp.components.statements.canonical_target``: lower case, singular
head, the synonym table in ``nlp/data/statements.toml``). Two things remain:

* a target the language layer did not know may still be a near-spelling of a
  known one ("children's home place" vs "children's homes places"), so it is
  folded onto the closest canonical target by lemma-level similarity
  (rapidfuzz, a well-kept library, over the singularised words);
* the statement's own target is sometimes the wrong noun phrase of its
  sentence ("buy fewer *beds* in secure children's homes"), so every canonical
  target named anywhere in the evidence sentence is a secondary key, plus the
  extra variants in ``timeline/data/targets.toml``.

Keys depend on one statement alone, never on which other statements exist, so
incremental recomputes can find "the statements about target X" by key and
always agree with a full recompute.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from nlp.components.statements import canonical_target, default_data

DATA_PATH = Path(__file__).with_name("data") / "targets.toml"

#: similarity (0-100, rapidfuzz token_sort_ratio over singular words) above which an
#: unknown target folds onto a canonical one
FOLD_SIMILARITY = 90.0

_WORD = re.compile(r"[a-z][a-z'\-]+")


@dataclass(frozen=True)
class TargetData:
    """Canonical targets, the variants that name them in a sentence, and targets too
    broad to match on (they would pair every statement about "the care system")."""

    canonicals: tuple[str, ...]
    variants: tuple[tuple[str, str], ...]
    too_broad: frozenset[str]


def _singular_words(text: str) -> str:
    words = []
    for word in _WORD.findall(text.lower().replace("\u2019", "'")):
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("s") and not word.endswith(("ss", "'s", "us", "is")) and len(word) > 3:
            word = word[:-1]
        words.append(word)
    return " ".join(words)


@lru_cache(maxsize=1)
def target_data() -> TargetData:
    """The language layer's synonym table merged with the timeline's own extra variants."""
    nlp_data = default_data()
    with DATA_PATH.open("rb") as handle:
        extra = tomllib.load(handle)
    variants: dict[str, str] = {}
    for canonical in nlp_data.canonicals:
        variants[_singular_words(canonical)] = canonical
    for padded, canonical in nlp_data.variants:
        variants.setdefault(padded.strip(), canonical)
    for canonical, forms in extra.get("synonyms", {}).items():
        for form in [canonical, *forms]:
            variants[_singular_words(form)] = canonical
    ordered = sorted(variants.items(), key=lambda item: (-len(item[0]), item[0]))
    canonicals = tuple(sorted(set(nlp_data.canonicals) | set(extra.get("synonyms", {}))))
    return TargetData(
        canonicals=canonicals,
        variants=tuple((f" {form} ", canonical) for form, canonical in ordered if form),
        too_broad=frozenset(extra.get("too_broad", {}).get("targets", [])),
    )


@lru_cache(maxsize=50000)
def fold_target(target: str) -> str:
    """The canonical key of a statement's own target (exact, synonym, or near spelling)."""
    data = target_data()
    canonical = canonical_target(target) if target else ""
    if not canonical or canonical in data.canonicals:
        return canonical
    padded = f" {_singular_words(canonical)} "
    for variant, name in data.variants:
        if variant in padded:
            return name
    match = process.extractOne(
        _singular_words(canonical),
        [_singular_words(c) for c in data.canonicals],
        scorer=fuzz.token_sort_ratio,
        score_cutoff=FOLD_SIMILARITY,
    )
    if match is not None:
        return data.canonicals[match[2]]
    return canonical


@lru_cache(maxsize=50000)
def sentence_targets(sentence: str) -> tuple[str, ...]:
    """Canonical targets named in a sentence, longest mention first, each once.

    A shorter variant inside a longer one already found ("children's home" in
    "secure children's home") does not count again.
    """
    padded = f" {_singular_words(sentence)} "
    found: list[str] = []
    covered: list[str] = []
    for variant, canonical in _candidates(padded):
        if variant in padded and not any(variant in longer for longer in covered):
            covered.append(variant)
            if canonical not in found:
                found.append(canonical)
    return tuple(found)


@lru_cache(maxsize=1)
def _by_first_word() -> dict[str, list[tuple[int, str, str]]]:
    """Variants indexed by their first word, with their rank in longest-first order."""
    index: dict[str, list[tuple[int, str, str]]] = {}
    for rank, (variant, canonical) in enumerate(target_data().variants):
        index.setdefault(variant.split()[0], []).append((rank, variant, canonical))
    return index


def _candidates(padded: str) -> list[tuple[str, str]]:
    """The variants whose first word occurs in the text, longest first: a text is only
    checked against the few variants that could match it."""
    index = _by_first_word()
    found = [item for word in set(padded.split()) for item in index.get(word, [])]
    return [(variant, canonical) for _, variant, canonical in sorted(found)]


def singular_words(text: str) -> str:
    """The lower-cased, singularised words of a text, space-joined (what variants match)."""
    return _singular_words(text)


@lru_cache(maxsize=50000)
def target_mentions(sentence: str) -> tuple[tuple[str, int], ...]:
    """(canonical target, word index) for each target named in a sentence."""
    padded = f" {_singular_words(sentence)} "
    found: list[tuple[str, int]] = []
    covered: list[str] = []
    for variant, canonical in _candidates(padded):
        at = padded.find(variant)
        if at >= 0 and not any(variant in longer for longer in covered):
            covered.append(variant)
            found.append((canonical, padded[:at].count(" ")))
    return tuple(found)


def target_keys(target: str, sentence: str) -> tuple[str, ...]:
    """Every key a statement can be matched on: its own target first, then the
    canonical targets its sentence names. Too-broad targets, and unknown
    one-word targets, are left out."""
    data = target_data()
    keys: list[str] = []
    primary = fold_target(target)
    # an unknown one-word target ("placement", "fund") says too little to match on
    specific = primary in data.canonicals or " " in primary
    if primary and specific and primary not in data.too_broad:
        keys.append(primary)
    for canonical in sentence_targets(sentence):
        if canonical not in keys and canonical not in data.too_broad:
            keys.append(canonical)
    return tuple(keys)


def own_keys(target: str) -> tuple[str, ...]:
    """The key of a statement's own target alone (empty when too broad or too vague).

    Other targets its sentence names become sentence-level mentions with their
    own direction (see ``mentions``), since the statement's direction is about
    its own target, not about everything else in the sentence.
    """
    data = target_data()
    primary = fold_target(target)
    specific = primary in data.canonicals or " " in primary
    return (primary,) if primary and specific and primary not in data.too_broad else ()


def key_strength(own_a: bool, own_b: bool) -> float:
    """How sure a match on one key is: both statements' own targets 1.0, one 0.85,
    neither (both only named in the sentence) 0.7."""
    return {2: 1.0, 1: 0.85, 0: 0.7}[int(own_a) + int(own_b)]
