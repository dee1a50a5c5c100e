"""Actors: departments, agencies, inspectorates, ministers, councils as canonical ids.

``policywatch_actors`` writes ``doc.spans["actors"]`` (see :mod:`nlp.extensions`):
one span per mention, labelled with the actor's canonical id
(``department-for-education``, ``la:E08000025``), with ``span._.actor`` set to
``{"id", "name", "kind", "ons_code"}``. Later stages compare actors by id, so
every name an actor has had must land on one id: DCLG, MHCLG and DLUHC are one
ministry, "the Education Secretary" speaks for the Department for Education,
and "Poole" is Bournemouth, Christchurch and Poole since 2019.

The gazetteer is data (``nlp/data/actors.toml``, described in its header).
Matching is two :class:`~spacy.matcher.PhraseMatcher`: one on ``LOWER`` for
names and titles, one on ``ORTH`` for acronyms and for place names that are
also ordinary words ("DfE", "MoJ", "Reading", "Bury"). Neither uses lemmas or
sentence boundaries, so a blank English pipeline and the trained one give the
same spans (their tokenizers are the same). Then:

- Context rules drop a candidate before the overlap decision: a minister's
  title after "shadow" or "deputy", a council after "University of" or before
  "Police", a name that is also a word at the start of a sentence before
  "the", "this", "through"... ("Reading the report", not "Reading was rated").
- Generic phrases depend on the document: "the department" and "the Secretary
  of State" are the publisher (``doc.user_data["publisher"]``, a publisher
  slug) when it is a department, and are dropped otherwise; "the government"
  and "ministers" are the actor ``government``.
- Longest match wins, then the earliest; blockers ("New York", "Greater
  Manchester") take part and then vanish, so they hide the shorter name inside.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import SimpleFrozenList, ensure_path

from nlp import extensions

extensions.register()

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULT_GAZETTEER_PATH = DATA_DIR / "actors.toml"
KINDS = (
    "department",
    "agency",
    "inspectorate",
    "minister_office",
    "local_authority",
    "sector_body",
    "parliament",
    "court",
    "government",
)
GOVERNMENT_ID = "government"
ONS_CODE = re.compile(r"^E(06|08|09|10)\d{6}$")

# What a match key stands for (the first field of the key string).
_ALIAS, _TITLE, _WORD, _GENERIC, _BLOCK = "A", "T", "W", "G", "B"
# A token before a name that is also a word means the name may start a sentence.
_SENTENCE_BREAK = frozenset({".", "!", "?", ":", ";", "\u2022", "*", "-", "\u2013", "\u2014"})


# -- the gazetteer ------------------------------------------------------------


def load_gazetteer(path: str | Path | None = None) -> dict[str, Any]:
    """The gazetteer as a plain dict (``path`` defaults to the packaged TOML)."""
    with open(path or DEFAULT_GAZETTEER_PATH, "rb") as handle:
        return tomllib.load(handle)


def actor_record(actor: dict[str, Any]) -> dict[str, Any]:
    """The four fields the output contract puts on ``span._.actor``."""
    return {
        "id": actor["id"],
        "name": actor["name"],
        "kind": actor["kind"],
        "ons_code": actor.get("ons_code"),
    }


def variants(phrase: str) -> set[str]:
    """Spellings of a phrase that the source text uses interchangeably.

    "and" and "&" swap both ways; straight and curly apostrophes both match.
    """
    forms = {phrase}
    if " and " in phrase:
        forms.add(phrase.replace(" and ", " & "))
    if " & " in phrase:
        forms.add(phrase.replace(" & ", " and "))
    for form in list(forms):
        if "'" in form:
            forms.add(form.replace("'", "\u2019"))
        if "\u2019" in form:
            forms.add(form.replace("\u2019", "'"))
    return forms


def validate_gazetteer(data: dict[str, Any]) -> None:
    """Raise ValueError when the gazetteer is inconsistent.

    Checked: unique ids, known kinds, local authorities' ids and codes, that
    every referenced id exists, and that no wording (compared in lower case)
    belongs to two actors, or to an actor and a blocker or generic phrase,
    because then which one a text means would depend on the matcher's order.
    """
    problems: list[str] = []
    actors = data.get("actor", [])
    ids = [a.get("id") for a in actors]
    seen_ids: set[str] = set()
    for actor_id in ids:
        if not actor_id:
            problems.append("an actor has no id")
        elif actor_id in seen_ids:
            problems.append(f"duplicate id {actor_id}")
        seen_ids.add(actor_id)
    current_codes: dict[str, str] = {}
    for actor in actors:
        actor_id = actor.get("id", "?")
        if not actor.get("name"):
            problems.append(f"{actor_id}: no name")
        if actor.get("kind") not in KINDS:
            problems.append(f"{actor_id}: unknown kind {actor.get('kind')!r}")
        code = actor.get("ons_code")
        if actor.get("kind") == "local_authority":
            if not code or not ONS_CODE.match(code) or actor_id != f"la:{code}":
                problems.append(f"{actor_id}: a local authority needs id 'la:<ONS code>'")
            elif not actor.get("ended"):
                current_codes[code] = actor_id
        elif code:
            problems.append(f"{actor_id}: only local authorities have an ONS code")
        for ref in (*actor.get("successors", ()), actor.get("parent")):
            if ref and ref not in seen_ids:
                problems.append(f"{actor_id}: refers to unknown actor {ref}")
        if not any(actor.get(f) for f in ("aliases", "case_sensitive", "titles", "common_words")):
            problems.append(f"{actor_id}: no wording to match")
    for actor in actors:
        for code in actor.get("former_codes", ()):
            if code in current_codes:
                problems.append(
                    f"{actor['id']}: former code {code} is current for {current_codes[code]}"
                )
    owners: dict[str, set[str]] = {}
    for actor in actors:
        for attr in ("aliases", "case_sensitive", "titles", "common_words"):
            for phrase in actor.get(attr, ()):
                for form in variants(phrase):
                    owners.setdefault(form.lower(), set()).add(actor["id"])
    rules = data.get("rules", {})
    for phrase in rules.get("blockers", ()):
        for form in variants(phrase):
            owners.setdefault(form.lower(), set()).add("<blocker>")
    for index, generic in enumerate(data.get("generic", ())):
        for phrase in generic.get("phrases", ()):
            for form in variants(phrase):
                owners.setdefault(form.lower(), set()).add(f"<generic {index}>")
        if generic.get("resolve") not in ("publisher", GOVERNMENT_ID):
            problems.append(f"generic {index}: resolve must be 'publisher' or 'government'")
    if GOVERNMENT_ID not in seen_ids:
        problems.append("no 'government' actor")
    for phrase, who in sorted(owners.items()):
        if len(who) > 1:
            problems.append(f"{phrase!r} belongs to {sorted(who)}")
    if problems:
        raise ValueError("invalid actors gazetteer:\n- " + "\n- ".join(problems))


def publisher_actor_id(slug: str | None, data: dict[str, Any] | None = None) -> str | None:
    """The actor id a publisher slug stands for (DLUHC's slug is the housing ministry)."""
    if not slug:
        return None
    index = _publisher_index(data) if data is not None else _default_publisher_index()
    return index.get(slug)


def _publisher_index(data: dict[str, Any]) -> dict[str, str]:
    index: dict[str, str] = {}
    for actor in data.get("actor", ()):
        index[actor["id"]] = actor["id"]
        for slug in actor.get("publishers", ()):
            index[slug] = actor["id"]
    return index


@lru_cache(maxsize=1)
def _default_publisher_index() -> dict[str, str]:
    return _publisher_index(load_gazetteer())


# -- matching -----------------------------------------------------------------


# lower-cased word sequences indexed by the word next to the match
_Options = dict[str, tuple[tuple[str, ...], ...]]


@dataclass(frozen=True)
class _Key:
    """What one match key means."""

    what: str  # _ALIAS, _TITLE, _WORD, _GENERIC or _BLOCK
    actor_id: str = ""  # the actor, or for a generic the fixed target ("government")
    local_authority: bool = False
    publisher_kinds: frozenset[str] = frozenset()
    not_before: _Options = field(default_factory=dict)
    not_after: _Options = field(default_factory=dict)


def _options(phrases: Iterable[str], *, last: bool) -> _Options:
    """Lower-cased word sequences, indexed by the word that touches the match
    (the last word of what may come before it, the first of what may follow),
    so a check reads one neighbouring token in the common case."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(phrase.lower().split())
        if words:
            index.setdefault(words[-1] if last else words[0], []).append(words)
    return {word: tuple(seqs) for word, seqs in index.items()}


def _followed_by(doc: Doc, end: int, options: _Options) -> bool:
    if not options or end >= len(doc):
        return False
    for words in options.get(doc[end].lower_, ()):
        stop = end + len(words)
        if stop <= len(doc) and all(doc[end + i].lower_ == w for i, w in enumerate(words)):
            return True
    return False


def _preceded_by(doc: Doc, start: int, options: _Options) -> bool:
    if not options or start == 0:
        return False
    for words in options.get(doc[start - 1].lower_, ()):
        begin = start - len(words)
        if begin >= 0 and all(doc[begin + i].lower_ == w for i, w in enumerate(words)):
            return True
    return False


def _starts_sentence(doc: Doc, start: int) -> bool:
    """True when the token at ``start`` may begin a sentence (no parser needed)."""
    if start == 0:
        return True
    prev = doc[start - 1]
    return (
        prev.is_space
        or prev.is_quote
        or prev.is_bracket
        or prev.text in _SENTENCE_BREAK
        or prev.text.endswith(".")
    )


class ActorRecognizer:
    """Writes ``doc.spans[spans_key]`` with canonical actors (see module docstring)."""

    def __init__(
        self,
        nlp: Language,
        name: str = "policywatch_actors",
        *,
        spans_key: str = "actors",
        publisher_key: str = "publisher",
        overwrite: bool = True,
    ) -> None:
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.publisher_key = publisher_key
        self.overwrite = overwrite
        self.data: dict[str, Any] = {}
        self.actors: dict[str, dict[str, Any]] = {}
        self._records: dict[str, dict[str, Any]] = {}
        self._publishers: dict[str, str] = {}
        self._keys: dict[int, _Key] = {}
        self._lower: PhraseMatcher | None = None
        self._exact: PhraseMatcher | None = None
        self._title_not_after: _Options = {}
        self._la_not_after: _Options = {}
        self._la_not_before: _Options = {}
        self._word_not_before: _Options = {}

    # -- data -------------------------------------------------------------------
    @property
    def version(self) -> str | None:
        """Version string of the loaded gazetteer (recorded with annotations)."""
        return self.data.get("version")

    @property
    def data_version(self) -> str | None:
        """Same as :attr:`version` (the name the pipeline builder reads)."""
        return self.version

    @property
    def labels(self) -> tuple[str, ...]:
        """Every actor id the component can emit."""
        return tuple(self.actors)

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        data: dict[str, Any] | None = None,
        data_path: str | None = None,
    ) -> None:
        """Load the gazetteer: ``data`` as a dict, else ``data_path``, else the
        packaged ``actors.toml``."""
        self.set_data(data if data is not None else load_gazetteer(data_path))

    def set_data(self, data: dict[str, Any]) -> None:
        """Validate the gazetteer and build the matchers from it."""
        validate_gazetteer(data)
        vocab = self.nlp.vocab
        lower = PhraseMatcher(vocab, attr="LOWER")
        exact = PhraseMatcher(vocab, attr="ORTH")
        keys: dict[int, _Key] = {}
        by_key: dict[tuple[str, bool], set[str]] = {}  # (key string, exact case) -> phrases

        def add(key_name: str, key: _Key, phrases: Iterable[str], exact_case: bool) -> None:
            keys[vocab.strings.add(key_name)] = key
            bucket = by_key.setdefault((key_name, exact_case), set())
            for phrase in phrases:
                bucket |= variants(phrase)

        for actor in data["actor"]:
            actor_id = actor["id"]
            is_la = actor["kind"] == "local_authority"
            plain = _Key(_ALIAS, actor_id, local_authority=is_la)
            add(f"A|{actor_id}", plain, actor.get("aliases", ()), False)
            add(f"A|{actor_id}", plain, actor.get("case_sensitive", ()), True)
            add(f"T|{actor_id}", _Key(_TITLE, actor_id), actor.get("titles", ()), False)
            word = _Key(_WORD, actor_id, local_authority=is_la)
            add(f"W|{actor_id}", word, actor.get("common_words", ()), True)
        for index, generic in enumerate(data.get("generic", ())):
            key = _Key(
                _GENERIC,
                GOVERNMENT_ID if generic["resolve"] == GOVERNMENT_ID else "",
                publisher_kinds=frozenset(generic.get("publisher_kinds", ())),
                not_before=_options(generic.get("not_before", ()), last=False),
                not_after=_options(generic.get("not_after", ()), last=True),
            )
            add(f"G|{index}", key, generic["phrases"], False)
        rules = data.get("rules", {})
        add("B|", _Key(_BLOCK), rules.get("blockers", ()), False)

        for (key_name, exact_case), phrases in by_key.items():
            if phrases:
                matcher = exact if exact_case else lower
                matcher.add(key_name, [self.nlp.make_doc(p) for p in sorted(phrases)])

        self.data = data
        self.actors = {a["id"]: a for a in data["actor"]}
        self._records = {a["id"]: actor_record(a) for a in data["actor"]}
        self._publishers = _publisher_index(data)
        self._keys = keys
        self._lower, self._exact = lower, exact
        self._title_not_after = _options(rules.get("title_not_after", ()), last=True)
        self._la_not_after = _options(rules.get("la_not_after", ()), last=True)
        self._la_not_before = _options(rules.get("la_not_before", ()), last=False)
        self._word_not_before = _options(rules.get("common_word_not_before", ()), last=False)

    def publisher_actor(self, doc: Doc) -> dict[str, Any] | None:
        """The actor the document's publisher slug stands for, if any."""
        slug = doc.user_data.get(self.publisher_key)
        actor_id = self._publishers.get(slug) if isinstance(slug, str) else None
        return self.actors.get(actor_id) if actor_id else None

    # -- processing -------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        if self._lower is None:  # added to a pipeline without initialize()
            self.initialize()
        assert self._lower is not None and self._exact is not None
        candidates: list[tuple[int, int, str]] = []  # (start, end, actor id or "" = blocker)
        publisher: dict[str, Any] | None = None
        publisher_known = False  # looked up on first need
        for match_id, start, end in (*self._lower(doc), *self._exact(doc)):
            key = self._keys[match_id]
            if key.what == _BLOCK:
                candidates.append((start, end, ""))
                continue
            if key.what == _GENERIC:
                if _followed_by(doc, end, key.not_before) or _preceded_by(
                    doc, start, key.not_after
                ):
                    continue
                actor_id = key.actor_id
                if not actor_id:
                    if not publisher_known:
                        publisher, publisher_known = self.publisher_actor(doc), True
                    if not publisher or publisher["kind"] not in key.publisher_kinds:
                        continue
                    actor_id = publisher["id"]
                candidates.append((start, end, actor_id))
                continue
            if key.what == _TITLE and _preceded_by(doc, start, self._title_not_after):
                continue
            if key.local_authority and (
                _preceded_by(doc, start, self._la_not_after)
                or _followed_by(doc, end, self._la_not_before)
            ):
                continue
            if (
                key.what == _WORD
                and _starts_sentence(doc, start)
                and _followed_by(doc, end, self._word_not_before)
            ):
                continue
            candidates.append((start, end, key.actor_id))

        # longest first, then earliest; a token belongs to one candidate at most
        candidates.sort(key=lambda c: (c[0] - c[1], c[0]))
        taken: set[int] = set()
        chosen: list[tuple[int, int, str]] = []
        for start, end, actor_id in candidates:
            if any(i in taken for i in range(start, end)):
                continue
            taken.update(range(start, end))
            if actor_id:
                chosen.append((start, end, actor_id))
        spans = []
        for start, end, actor_id in sorted(chosen):
            span = Span(doc, start, end, label=actor_id)
            span._.actor = dict(self._records[actor_id])
            spans.append(span)
        if self.overwrite or self.spans_key not in doc.spans:
            doc.spans[self.spans_key] = spans
        else:
            doc.spans[self.spans_key].extend(spans)
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for doc in stream:
            yield self(doc)

    # -- serialisation ----------------------------------------------------------
    def _ensure(self) -> dict[str, Any]:
        if not self.data:
            self.initialize()
        return self.data

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        return srsly.msgpack_dumps(self._ensure())

    def from_bytes(
        self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()
    ) -> ActorRecognizer:
        self.set_data(srsly.msgpack_loads(bytes_data))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "gazetteer.json", self._ensure())

    def from_disk(
        self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()
    ) -> ActorRecognizer:
        self.set_data(srsly.read_json(ensure_path(path) / "gazetteer.json"))
        return self


@Language.factory(
    "policywatch_actors",
    assigns=["doc.spans", "span._.actor"],
    default_config={"spans_key": "actors", "publisher_key": "publisher", "overwrite": True},
)
def make_actors(
    nlp: Language, name: str, spans_key: str, publisher_key: str, overwrite: bool
) -> ActorRecognizer:
    """Factory for the actors component (entry point ``policywatch_actors``)."""
    return ActorRecognizer(
        nlp, name, spans_key=spans_key, publisher_key=publisher_key, overwrite=overwrite
    )


__all__ = [
    "DEFAULT_GAZETTEER_PATH",
    "KINDS",
    "ActorRecognizer",
    "actor_record",
    "load_gazetteer",
    "make_actors",
    "publisher_actor_id",
    "validate_gazetteer",
    "variants",
]
