"""Theme ruler: tags children's social care themes from a taxonomy kept as data.

The taxonomy (``nlp/data/themes.toml``) is configuration, not code, so a new
policy area is a new data file. Each theme lists four kinds of terms:

- ``phrases``: fixed wordings (programme names, acts) matched on lower case,
  exactly as written ("Supporting Families", "National Transfer Scheme");
- ``lemmas``: terms written in lemma form ("foster carer", "children's
  home"), matched whatever their inflection: on the token lemmas when the
  pipeline has a lemmatizer (trained or lookup tables), and on lower-case
  inflected forms generated from the term in every case. The second route is
  what keeps results the same across pipelines, since lemmatizers disagree
  (the lookup tables are case-sensitive and read "'s" as "have"; the trained
  one tags "fostering" as a verb) and a blank pipeline has no lemmas at all;
- ``weak``: like ``lemmas``, for generic words many documents use in
  passing ("council", "provider", "school"); they count half in the scores;
- ``patterns``: spaCy ``Matcher`` token patterns for what wordlists cannot
  say (case-sensitive "Act" and "Bill", the "£" sign);

plus ``exclude``: wordings that cancel a theme match they overlap ("adoption
of" is not adoption).

Output (see :mod:`nlp.extensions`): ``doc.spans["themes"]`` with the theme as
label and the matched term as ``span.id_``, and ``doc._.themes``, whose
``phrases`` are keyed by the taxonomy term ("kinship carer"), not the
surface text, so counts add up across spellings. The document-level
decision is :func:`theme_scores` and :func:`doc_themes`; they read the title
length from ``doc.user_data["title_chars"]`` when the caller sets it.

``TermMatcher`` (terms, inflections, exclusions in one pass) is shared with
the coherence markers.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

from nlp import extensions
from nlp.components.serialization import JsonDataSerializer

extensions.register()

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULT_THEMES_PATH = DATA_DIR / "themes.toml"

#: Default cut-off for :func:`doc_themes`: the best micro F1 on the demo
#: corpus labels (143 documents, 361 labels: precision 0.861, recall 0.792,
#: F1 0.825 with taxonomy 1.0.0, on every pipeline; 0.45 and 0.55 give 0.81).
#: Those are training figures: the terms were tuned on the same documents.
DEFAULT_THRESHOLD = 0.5
#: How much a ``weak`` term counts towards a theme, unless the data says otherwise.
WEAK_WEIGHT = 0.5

# Possessive and apostrophe spellings are interchangeable in the source text.
_POSSESSIVES = ("'s", "\u2019s", "'", "\u2019")
_IRREGULAR = {
    "child": ("children",),
    "person": ("people", "persons"),
    "man": ("men",),
    "woman": ("women",),
    "leave": ("left", "leaves", "leaving"),
    "take": ("took", "taken", "takes", "taking"),
    "give": ("gave", "given", "gives", "giving"),
    "make": ("made", "makes", "making"),
    "keep": ("kept", "keeps", "keeping"),
    "call": ("called", "calls", "calling"),
    "move": ("moved", "moves", "moving"),
    "show": ("showed", "shown", "shows", "showing"),
    "set": ("sets", "setting"),
    "put": ("puts", "putting"),
    "run": ("ran", "running", "runs"),
    "lead": ("led", "leading", "leads"),
    "build": ("built", "building", "builds"),
    "meet": ("met", "meeting", "meets"),
    "hold": ("held", "holding", "holds"),
    "bring": ("brought", "bringing", "brings"),
    "seek": ("sought", "seeking", "seeks"),
    "spend": ("spent", "spending", "spends"),
    "plan": ("plans", "planned", "planning"),
    "commit": ("commits", "committed", "committing"),
    "fund": ("funds", "funded", "funding"),
}
_VOWELS = set("aeiou")


def inflections(word: str) -> set[str]:
    """Lower-case surface forms of a lemma: itself, plural/3rd person, -ed, -ing.

    Deliberately over-generates ("homing", "cares"): a form that never occurs
    costs nothing, while a missed one loses a match.
    """
    w = word.lower()
    if w in _POSSESSIVES:
        return set(_POSSESSIVES[:2]) if w.endswith("s") else set(_POSSESSIVES[2:])
    if w in _IRREGULAR:
        return {w, *_IRREGULAR[w]}
    forms = {w}
    if not w.isalpha() or len(w) < 3 or w in STOP_WORDS:
        return forms
    if w.endswith(("s", "x", "z", "ch", "sh")):
        forms.add(w + "es")
    elif w.endswith("y") and w[-2] not in _VOWELS:
        forms.add(w[:-1] + "ies")
    else:
        forms.add(w + "s")
    if w.endswith("e"):
        forms.update({w + "d", w[:-1] + "ing"})
    elif w.endswith("y") and w[-2] not in _VOWELS:
        forms.update({w[:-1] + "ied", w + "ing"})
    else:
        forms.update({w + "ed", w + "ing"})
    return forms


class TermMatcher:
    """Phrases, lemma terms and token patterns for a set of labels, in one pass.

    Shared by the theme ruler and the coherence markers. A match is
    ``(label, term, start, end)``; within one label, overlapping matches keep
    the longest, and a match overlapping one of the label's ``exclude``
    wordings is dropped.
    """

    def __init__(self, vocab: Vocab, make_doc: Callable[[str], Doc]) -> None:
        self.vocab = vocab
        self.make_doc = make_doc
        self.exact = PhraseMatcher(vocab, attr="LOWER")
        self.lemma = PhraseMatcher(vocab, attr="LEMMA")
        self.tokens = Matcher(vocab)
        self.excludes = PhraseMatcher(vocab, attr="LOWER")
        self._keys: dict[int, tuple[str, str]] = {}
        #: weight of (label, term) when it is not 1.0 (weak terms)
        self.weights: dict[tuple[str, str], float] = {}

    def _key(self, label: str, term: str) -> str:
        key = f"{label}\x1f{term}"
        self._keys[self.vocab.strings.add(key)] = (label, term)
        return key

    def add(
        self,
        label: str,
        *,
        phrases: Iterable[str] = (),
        lemmas: Iterable[str] = (),
        patterns: Iterable[dict[str, Any]] = (),
        exclude: Iterable[str] = (),
        weight: float = 1.0,
    ) -> None:
        """Add one label's terms (see the module docstring for the kinds);
        ``weight`` is recorded for every term added in this call."""
        phrases, lemmas, patterns = tuple(phrases), tuple(lemmas), tuple(patterns)
        if weight != 1.0:
            for term in itertools.chain(phrases, lemmas, (p["id"] for p in patterns)):
                self.weights[(label, term)] = weight
        for phrase in phrases:
            self.exact.add(self._key(label, phrase), [self.make_doc(phrase)])
        for term in lemmas:
            words = [t.text for t in self.make_doc(term)]
            variants = [
                Doc(self.vocab, words=list(combo))
                for combo in itertools.product(*(sorted(inflections(w)) for w in words))
            ]
            key = self._key(label, term)
            self.exact.add(key, variants)
            lemma_words = [w.lower() for w in words]
            self.lemma.add(key, [Doc(self.vocab, words=words, lemmas=lemma_words)])
        for pattern in patterns:
            self.tokens.add(self._key(label, pattern["id"]), [pattern["pattern"]])
        for phrase in exclude:
            self.excludes.add(self._key(label, "\x1fexclude"), [self.make_doc(phrase)])

    def __call__(self, doc: Doc) -> list[tuple[str, str, int, int]]:
        found: dict[tuple[str, str, int, int], None] = {}
        # (an empty Matcher warns when called, so only the filled ones run)
        matches = list(self.exact(doc)) if len(self.exact) else []
        if len(self.tokens):
            matches += self.tokens(doc)
        if len(self.lemma) and doc.has_annotation("LEMMA"):
            matches += self.lemma(doc)
        for match_id, start, end in matches:
            label, term = self._keys[match_id]
            found[(label, term, start, end)] = None
        blocked: dict[str, list[tuple[int, int]]] = {}
        for match_id, start, end in self.excludes(doc) if len(self.excludes) else ():
            blocked.setdefault(self._keys[match_id][0], []).append((start, end))
        by_label: dict[str, list[Span]] = {}
        # ties between terms matching the same tokens go to the term spelled
        # like the text, then alphabetically: the same answer on every pipeline
        for label, term, start, end in sorted(
            found, key=lambda m: (m[2], m[3], doc[m[2] : m[3]].text.lower() != m[1].lower(), m[1])
        ):
            if any(s < end and start < e for s, e in blocked.get(label, ())):
                continue
            by_label.setdefault(label, []).append(Span(doc, start, end, label, span_id=term))
        out = [
            (label, span.id_, span.start, span.end)
            for label, spans in by_label.items()
            for span in filter_spans(spans)
        ]
        out.sort(key=lambda m: (m[2], m[3], m[0]))
        return out


def load_data(path: str | Path | None = None) -> dict[str, Any]:
    """Read a TOML data file (``themes.toml`` by default) into a plain dict."""
    with open(path or DEFAULT_THEMES_PATH, "rb") as f:
        return tomllib.load(f)


def sentence_starts(doc: Doc) -> list[int]:
    """Token offsets where sentences begin; the whole doc is one sentence when
    the pipeline sets no boundaries (a blank pipeline without a sentencizer)."""
    if doc.has_annotation("SENT_START"):
        return [sent.start for sent in doc.sents]
    return [0]


def sentence_index(starts: Sequence[int], token_i: int) -> int:
    return max(bisect_right(starts, token_i) - 1, 0)


class ThemeRuler(JsonDataSerializer):
    """Writes ``doc.spans[spans_key]`` and ``doc._.themes`` from the taxonomy."""

    data_file = "themes.json"

    def __init__(
        self, nlp: Language, name: str = "policywatch_theme_ruler", *, spans_key: str = "themes"
    ) -> None:
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.data: dict[str, Any] = {}
        self.matcher: TermMatcher | None = None

    @property
    def data_version(self) -> str | None:
        """Version string of the loaded taxonomy (recorded with annotations)."""
        return self.data.get("version")

    version = data_version

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.data.get("themes", {}))

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        data: dict[str, Any] | None = None,
        data_path: str | None = None,
    ) -> None:
        """Load the taxonomy: ``data`` as a dict, else ``data_path``, else the
        packaged ``themes.toml``."""
        self.set_data(data if data is not None else load_data(data_path))

    def set_data(self, data: dict[str, Any]) -> None:
        matcher = TermMatcher(self.nlp.vocab, self.nlp.make_doc)
        for theme, spec in data.get("themes", {}).items():
            matcher.add(
                theme,
                phrases=spec.get("phrases", ()),
                lemmas=spec.get("lemmas", ()),
                patterns=spec.get("patterns", ()),
                exclude=spec.get("exclude", ()),
            )
            matcher.add(
                theme,
                lemmas=spec.get("weak", ()),
                weight=float(data.get("weak_weight", WEAK_WEIGHT)),
            )
        self.data = data
        self.matcher = matcher

    def __call__(self, doc: Doc) -> Doc:
        if self.matcher is None:  # added to a pipeline without initialize()
            self.initialize()
        assert self.matcher is not None
        starts = sentence_starts(doc)
        spans = []
        themes: dict[str, dict[str, Any]] = {}
        weights: dict[str, dict[str, float]] = {}
        for label, term, start, end in self.matcher(doc):
            spans.append(Span(doc, start, end, label, span_id=term))
            weight = self.matcher.weights.get((label, term))
            if weight is not None:
                weights.setdefault(label, {})[term] = weight
            entry = themes.setdefault(label, {"count": 0, "phrases": {}, "sentences": []})
            entry["count"] += 1
            entry["phrases"][term] = entry["phrases"].get(term, 0) + 1
            sent = sentence_index(starts, start)
            if not entry["sentences"] or entry["sentences"][-1] != sent:  # matches come in order
                entry["sentences"].append(sent)
        doc.spans[self.spans_key] = spans
        # for theme_scores(): the version read, and the weights of weak terms
        doc.spans[self.spans_key].attrs.update({"version": self.version, "weights": weights})
        doc._.themes = themes
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in stream:
            yield self(doc)


@Language.factory(
    "policywatch_theme_ruler",
    assigns=["doc.spans", "doc._.themes"],
    default_config={"spans_key": "themes"},
)
def make_theme_ruler(nlp: Language, name: str, spans_key: str) -> ThemeRuler:
    """Factory for the theme ruler (entry point ``policywatch_theme_ruler``)."""
    return ThemeRuler(nlp, name, spans_key=spans_key)


# -- document-level decision ------------------------------------------------

#: Weights of the evidence behind a theme (see :func:`theme_scores`).
SCORE_WEIGHTS = {"count": 1.0, "distinct": 0.5, "title": 1.0}
#: Evidence at which the score reaches 1 - 1/e (about 0.63); the default
#: threshold 0.5 needs about 3.5 units of evidence.
SCORE_SCALE = 5.0


def theme_evidence(doc: Doc) -> dict[str, float]:
    """The evidence behind each matched theme, before squashing into [0, 1].

    ``count + 0.5 * (distinct terms - 1) + title hits``, where ``count`` and
    ``distinct terms`` weigh a weak term at half (the taxonomy's ``weak``
    lists) and a title hit is a match starting inside the title prefix
    (``doc.user_data["title_chars"]`` characters of ``doc.text``).
    """
    themes = doc._.themes or {}
    group = doc.spans.get("themes")
    attrs = group.attrs if group is not None else {}
    weights: dict[str, dict[str, float]] = attrs.get("weights", {})

    title_chars = doc.user_data.get("title_chars") or 0
    title_hits: dict[str, int] = {}
    if title_chars and group is not None:
        for span in group:
            if span.start_char < title_chars:
                title_hits[span.label_] = title_hits.get(span.label_, 0) + 1
    evidence = {}
    for theme, entry in themes.items():
        w = weights.get(theme, {})
        count = sum(n * w.get(term, 1.0) for term, n in entry["phrases"].items())
        distinct = sum(w.get(term, 1.0) for term in entry["phrases"])
        evidence[theme] = (
            SCORE_WEIGHTS["count"] * count
            + SCORE_WEIGHTS["distinct"] * max(distinct - 1.0, 0.0)
            + SCORE_WEIGHTS["title"] * title_hits.get(theme, 0)
        )
    return evidence


def theme_scores(doc: Doc) -> dict[str, float]:
    """Score each matched theme in [0, 1]: ``1 - exp(-evidence / 5)``.

    Evidence (:func:`theme_evidence`) rewards how much a document talks
    about a theme (counts), breadth over one repeated word (distinct terms)
    and a mention in the title, which marks what the document is about. The
    squashing keeps scores comparable across themes and saturating: the
    fifth mention adds less than the second. Themes that never match are
    absent (score 0). Long documents collect incidental mentions, so the
    threshold is a floor on evidence, not a share.
    """
    return {
        theme: round(1.0 - math.exp(-e / SCORE_SCALE), 4)
        for theme, e in theme_evidence(doc).items()
    }


def doc_themes(doc: Doc, threshold: float = DEFAULT_THRESHOLD) -> list[str]:
    """Themes scoring at least ``threshold``, best first."""
    scores = theme_scores(doc)
    return sorted((t for t, s in scores.items() if s >= threshold), key=lambda t: (-scores[t], t))
