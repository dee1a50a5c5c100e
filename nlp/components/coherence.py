"""Coherence markers: which parts of a theory of change a document states.

A plan says what is wrong (problem), what will be done (intervention), what
it is for (outcome), with what money (resources), by when (timeline), by
whom (owner), how success will be known (evaluation) and which wider plan it
belongs to (strategy_link). A reaction to an event says "in response to",
"following the death of", "urgent review" and often little else. The markers
are data (``nlp/data/coherence.toml``), matched per sentence with the theme
ruler's :class:`~nlp.components.theme_ruler.TermMatcher`, so inflections and
lemmatizer differences are handled the same way.

Two filters keep markers honest: a marker in a question ("How will this be
evaluated?") does not count, and neither does one shortly after a negator or
a demand ("there is no timetable", "we need a timetable"), except for
problems and reactive cues, which are often stated as absences.

Output (see :mod:`nlp.extensions`): ``doc.spans["coherence"]`` holds the
markers (label = part, ``span.id_`` = the marker term) and
``doc._.coherence`` maps every part and ``reactive_cue`` to the
``[start_char, end_char]`` of the sentences that show it (empty when absent).
Sentences come from ``doc.sents``: a blank pipeline needs a ``sentencizer``
(without one, the whole document counts as one sentence).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp import extensions
from nlp.components.serialization import JsonDataSerializer
from nlp.components.theme_ruler import DATA_DIR, TermMatcher

extensions.register()

DEFAULT_COHERENCE_PATH = DATA_DIR / "coherence.toml"
PARTS = extensions.COHERENCE_PARTS
REACTIVE_CUE = extensions.REACTIVE_CUE
LABELS = (*PARTS, REACTIVE_CUE)


def load_data(path: str | Path | None = None) -> dict[str, Any]:
    """Read the markers file (``coherence.toml`` by default) into a plain dict."""
    with open(path or DEFAULT_COHERENCE_PATH, "rb") as f:
        return tomllib.load(f)


class Coherence(JsonDataSerializer):
    """Writes ``doc.spans[spans_key]`` and ``doc._.coherence`` from the markers."""

    data_file = "coherence.json"

    def __init__(
        self,
        nlp: Language,
        name: str = "policywatch_coherence",
        *,
        spans_key: str = "coherence",
        money_key: str = "money",
    ) -> None:
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.money_key = money_key
        self.data: dict[str, Any] = {}
        self.matcher: TermMatcher | None = None
        self.ignore_questions = True
        self.negation_window = 0
        self.negators: tuple[tuple[str, ...], ...] = ()
        self.hedges: frozenset[str] = frozenset()
        self.not_negated: frozenset[str] = frozenset()

    @property
    def data_version(self) -> str | None:
        """Version string of the loaded markers (recorded with annotations)."""
        return self.data.get("version")

    version = data_version

    @property
    def labels(self) -> tuple[str, ...]:
        return LABELS

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        data: dict[str, Any] | None = None,
        data_path: str | None = None,
    ) -> None:
        """Load the markers: ``data`` as a dict, else ``data_path``, else the
        packaged ``coherence.toml``."""
        self.set_data(data if data is not None else load_data(data_path))

    def set_data(self, data: dict[str, Any]) -> None:
        parts = data.get("parts", {})
        unknown = set(parts) - set(LABELS)
        if unknown:
            raise ValueError(f"unknown coherence parts {sorted(unknown)}; expected {LABELS}")
        matcher = TermMatcher(self.nlp.vocab, self.nlp.make_doc)
        for part, spec in parts.items():
            matcher.add(
                part,
                phrases=spec.get("phrases", ()),
                lemmas=spec.get("lemmas", ()),
                patterns=spec.get("patterns", ()),
                exclude=spec.get("exclude", ()),
            )
        settings = data.get("settings", {})
        self.ignore_questions = bool(settings.get("ignore_questions", True))
        self.negation_window = int(settings.get("negation_window", 0))
        self.negators = tuple(tuple(w.lower().split()) for w in settings.get("negators", ()))
        self.hedges = frozenset(w.lower() for w in settings.get("hedges", ()))
        self.not_negated = frozenset(settings.get("not_negated", ()))
        self.data = data
        self.matcher = matcher

    def _sentences(self, doc: Doc) -> list[Span]:
        if doc.has_annotation("SENT_START"):
            return list(doc.sents)
        return [doc[:]]

    def _negated(self, doc: Doc, sent: Span, start: int) -> bool:
        first = max(sent.start, start - self.negation_window)
        window = [doc[i].lower_ for i in range(first, start)]
        for negator in self.negators:
            n = len(negator)
            if any(tuple(window[i : i + n]) == negator for i in range(len(window) - n + 1)):
                return True
        return bool(self.hedges) and any(
            doc[i].lower_ in self.hedges for i in range(sent.start, start)
        )

    def __call__(self, doc: Doc) -> Doc:
        if self.matcher is None:  # added to a pipeline without initialize()
            self.initialize()
        assert self.matcher is not None
        money = list(doc.spans.get(self.money_key, [])) if self.money_key else []
        in_money = {i for span in money for i in range(span.start, span.end)}
        markers = [
            (label, term, start, end)
            for label, term, start, end in self.matcher(doc)
            # a money span replaces the "£"/"million" markers inside it
            if not (label == "resources" and in_money.intersection(range(start, end)))
        ]
        markers += [("resources", "money", span.start, span.end) for span in money]
        sentences = self._sentences(doc)
        sent_of = {}
        for index, sent in enumerate(sentences):
            for i in range(sent.start, sent.end):
                sent_of[i] = index
        questions = {
            index
            for index, sent in enumerate(sentences)
            if self.ignore_questions and _is_question(sent)
        }
        spans: list[Span] = []
        shown: dict[str, list[int]] = {label: [] for label in LABELS}
        for label, term, start, end in sorted(markers, key=lambda m: (m[2], m[3], m[0])):
            index = sent_of.get(start, 0)
            if index in questions:
                continue
            if label not in self.not_negated and self._negated(doc, sentences[index], start):
                continue
            spans.append(Span(doc, start, end, label, span_id=term))
            if index not in shown[label]:
                shown[label].append(index)
        doc.spans[self.spans_key] = spans
        doc.spans[self.spans_key].attrs["version"] = self.version
        doc._.coherence = {
            label: [[sentences[i].start_char, sentences[i].end_char] for i in sorted(indices)]
            for label, indices in shown.items()
        }
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in stream:
            yield self(doc)


def _is_question(sent: Span) -> bool:
    for token in reversed(sent):
        if not (token.is_space or token.is_quote or token.text in {")", "]"}):
            return token.text == "?"
    return False


@Language.factory(
    "policywatch_coherence",
    assigns=["doc.spans", "doc._.coherence"],
    default_config={"spans_key": "coherence", "money_key": "money"},
)
def make_coherence(nlp: Language, name: str, spans_key: str, money_key: str) -> Coherence:
    """Factory for the coherence markers (entry point ``policywatch_coherence``)."""
    return Coherence(nlp, name, spans_key=spans_key, money_key=money_key)


def coherence_profile(doc: Doc) -> dict[str, bool]:
    """Which of the eight parts, and whether any reactive cue, the document shows."""
    shown = doc._.coherence or {}
    return {label: bool(shown.get(label)) for label in LABELS}


def planning_score(doc: Doc) -> float:
    """Share of the eight theory-of-change parts present, in [0, 1].

    Reactive cues do not count either way: a plan can answer an event, and
    the timeline's reactive signal combines cues, timing and this score.
    """
    profile = coherence_profile(doc)
    return sum(profile[part] for part in PARTS) / len(PARTS)
