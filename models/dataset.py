"""Labelled examples for the classifiers, each with where its labels came from.

Three kinds of label, kept apart by ``origin`` so a model card can say what a
model learnt from and an evaluation can leave the weak ones out:

- ``corpus`` and ``gold``: written by hand (the demo corpus ground truth and
  the language layer's gold documents; their READMEs say how);
- ``taxon``: distant labels, GOV.UK editors' ``links.taxons`` on crawled pages
  mapped to our themes by a mapping file (:mod:`models.taxon_mapping`);
- ``weak``: the theme ruler's own tags, only when the user asks for them.

Near-duplicates (a press release and the speech that repeats it, one text in
both labelled sets) must not sit on both sides of a split, or the held-out
figures flatter the model. :func:`group_near_duplicates` joins them into one
group, and :func:`split_groups` assigns whole groups to a side by a seeded
hash, so adding data never reshuffles the documents already placed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from nlp.annotate import version_text
from nlp.evaluate import GOLD_DIR, read_jsonl

#: Two texts at or above this TF-IDF cosine similarity are one group.
NEAR_DUPLICATE_COSINE = 0.8
#: Shares of groups held out (test) and used to choose thresholds (validation).
TEST_SHARE = 0.25
DEFAULT_SEED = 20261123
HAND_LABELLED = ("corpus", "gold")


@dataclass
class Example:
    """One document's text and labels, with its provenance."""

    key: str
    text: str
    origin: str
    themes: frozenset[str] = frozenset()
    reactive: bool | None = None
    group: str = ""
    #: filled by :func:`models.features.add_rule_features`: the NLP layer's view of the text
    rule_scores: dict[str, float] = field(default_factory=dict)
    profile: dict[str, float] = field(default_factory=dict)


# -- hand-labelled sources ----------------------------------------------------


def corpus_examples(corpus_dir: Path | None = None) -> list[Example]:
    """The demo corpus documents (latest body), rendered to text as the store holds it."""
    from policywatch.fixture_site.corpus import load_corpus, render_body_html
    from spiders.text import html_to_text

    corpus = load_corpus(corpus_dir)
    return [
        Example(
            key=f"corpus:{doc.id}",
            text=version_text(doc.title, html_to_text(render_body_html(doc.body))),
            origin="corpus",
            themes=frozenset(doc.labels.themes),
            reactive=doc.labels.reactive,
        )
        for doc in corpus.documents
    ]


def gold_examples(gold_dir: Path = GOLD_DIR) -> list[Example]:
    """The language layer's gold documents (written apart from the corpus and the rules)."""
    return [
        Example(
            key=f"gold:{row['id']}",
            text=version_text(row["title"], row["text"]),
            origin="gold",
            themes=frozenset(row["themes"]),
            reactive=bool(row["reactive"]),
        )
        for row in read_jsonl(gold_dir / "documents.jsonl")
    ]


def labelled_examples() -> list[Example]:
    """Every hand-labelled example in the repository: the shipped models' training data."""
    return corpus_examples() + gold_examples()


# -- fingerprints ----------------------------------------------------------------


def data_hash(examples: Iterable[Example], *, task: str) -> str:
    """SHA-256 over keys, texts and the labels ``task`` uses, in a stable order."""
    digest = hashlib.sha256()
    for example in sorted(examples, key=lambda e: e.key):
        labels: Any = sorted(example.themes) if task == "themes" else example.reactive
        digest.update(json.dumps([example.key, example.text, labels]).encode())
    return digest.hexdigest()


def provenance(examples: Sequence[Example], *, task: str) -> dict[str, Any]:
    """Per origin: how many examples and the hash of exactly those, for the model card."""
    origins = sorted({e.origin for e in examples})
    return {
        origin: {
            "examples": sum(1 for e in examples if e.origin == origin),
            "sha256": data_hash((e for e in examples if e.origin == origin), task=task),
        }
        for origin in origins
    }


# -- grouping and splitting ---------------------------------------------------------


def group_near_duplicates(
    examples: Sequence[Example], *, threshold: float = NEAR_DUPLICATE_COSINE
) -> None:
    """Set ``group`` on every example: connected components of near-duplicate texts.

    A TF-IDF cosine over word 1-2 grams is enough to catch reissued and lightly
    edited texts; a group is named after its smallest key so it is stable.
    """
    if not examples:
        return
    matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(
        [e.text for e in examples]
    )
    similar = cosine_similarity(matrix, dense_output=False) >= threshold
    parent = list(range(len(examples)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows, cols = similar.nonzero()
    for i, j in zip(rows, cols, strict=True):
        a, b = find(int(i)), find(int(j))
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[int, list[str]] = {}
    for i, example in enumerate(examples):
        members.setdefault(find(i), []).append(example.key)
    for i, example in enumerate(examples):
        example.group = min(members[find(i)])


def _rank(group: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{group}".encode()).hexdigest()


def split_groups(
    examples: Sequence[Example], *, seed: int = DEFAULT_SEED, test_share: float = TEST_SHARE
) -> tuple[list[Example], list[Example]]:
    """(train, test): whole near-duplicate groups on one side; only hand labels are tested.

    Groups are stratified by the rarer label (reactive or not) so both sides
    get their share of the few reactive documents; within a stratum, groups
    are ordered by a seeded hash of their name and the first ``test_share``
    are held out, so the same data and seed always give the same split.
    Distant and weak examples always train (their labels are not the truth a
    held-out figure should be measured against), and a group holding one of
    them is never held out.
    """
    groups: dict[str, list[Example]] = {}
    for example in examples:
        groups.setdefault(example.group or example.key, []).append(example)
    strata: dict[bool, list[str]] = {True: [], False: []}
    for name, members in groups.items():
        if all(e.origin in HAND_LABELLED for e in members):
            strata[any(bool(e.reactive) for e in members)].append(name)
    held_out: set[str] = set()
    for names in strata.values():
        names.sort(key=lambda name: _rank(name, seed))
        held_out.update(names[: round(len(names) * test_share)])
    train = [e for e in examples if (e.group or e.key) not in held_out]
    test = [e for e in examples if (e.group or e.key) in held_out]
    return train, test
