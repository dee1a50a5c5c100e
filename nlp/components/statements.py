"""Policy statements: who commits to which direction for what, with money and a date.

``policywatch_statements`` writes ``doc._.statements`` (see
:mod:`nlp.extensions`), one dict per statement. It reads the ``actors`` and
``money`` span groups that earlier components set, and works in two modes:

- with a dependency parse, a :class:`~spacy.matcher.DependencyMatcher` finds a
  direction verb (or a direction noun such as "a review of") and its object,
  passive subject, phrasal-verb object or, for verbs like "rise" and
  "continue", its subject; the actor comes from the clause's subject;
- without one (``spacy.blank("en")`` with a sentencizer and a lookup
  lemmatizer), token heuristics find a modal or auxiliary, a direction verb
  and the noun phrase after it (or before it, for a passive).

Rules that decide what is a statement (this docstring is their record):

- Negation never flips a direction by itself. A negated increase, decrease,
  create or abolish that is an explicit commitment ("we will not close any
  homes", "we are not introducing", "decided not to") becomes ``maintain``
  (the speaker commits to the status quo) with ``negated=True``; a negated
  ``maintain`` commitment ("will not continue") becomes ``abolish``. Any
  other negated direction (a negated review, "should not", "cannot", a past
  "did not") is dropped.
- Hedges ("may", "might", "could", "consider", "explore", "look to",
  "whether") keep their direction with ``hedged=True``; the timeline never
  builds a contradiction or reversal on a hedge alone. "Aim to", "intend to",
  "plan to" and "commit to" are commitments, not hedges.
- Questions, directions under a reporting verb whose subject is not the
  speaker ("critics say the government will cut") and simple-past acts of
  someone other than the speaker are not statements.
- A statement's actor is the clause's subject when it is an actor span; the
  publisher when the subject is the speaker ("we", "the government", "the
  department", a minister); else the nearest actor span in the sentence that
  is a subject or an agent; else the publisher (``doc.user_data["publisher"]``),
  because an announcement speaks for whoever published it; else ``None``.
- A sum of money as the object of a neutral verb ("provide £10m for X",
  "the programme will receive £695m") is an ``increase`` of what it is for
  (or of the receiving subject); "a new X will ..." creates X.
- Unknown targets come back with their head noun in the singular, so
  "foster carers" and "foster carer" compare equal.
- Creating something that measures capacity (``[capacity]`` in the data,
  e.g. "open new children's homes") is an ``increase`` of that capacity.

Data (direction lexicon, hedges, synonyms folding targets onto canonical
phrases) lives in ``nlp/data/statements.toml``; :func:`canonical_target` is
the same folding for callers such as the timeline.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.matcher import DependencyMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import ensure_path

from nlp import extensions

extensions.register()

DATA_PATH = Path(__file__).resolve().parent.parent / "data" / "statements.toml"
DIRECTIONS = extensions.DIRECTIONS

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2013": "-", "\u2014": "-"})
_MONEY_RE = re.compile(r"£\s?[\d.,]+\s*(?:million|billion|bn|m|k|thousand)?\b", re.I)
_NUMBER_RE = re.compile(r"(?<![\w-])[\d.,%]+(?![\w-])")
_SPACE_RE = re.compile(r"\s+")
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|spring|summer|autumn|winter)"
)
_YEAR = r"(?:\d{4}(?:\s?[-/\u2013]\s?\d{2,4})?)"
_NUMWORD = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|eighteen)"
_TIMEFRAME_RE = re.compile(
    r"\b(?:(?:by|from|until|till|before|after|in|during|over|through|to|up to)\s+)?"
    r"(?:(?:the\s+)?(?:end|start|beginning|middle)\s+of\s+)?"
    rf"(?:(?:\d{{1,2}}\s+)?{_MONTH}\s+)?{_YEAR}\b"
    rf"|\b(?:over|within|in|for|after)\s+the\s+next\s+{_NUMWORD}\s+(?:years?|months?|weeks?)\b"
    rf"|\b(?:over|within|after|for)\s+{_NUMWORD}\s+(?:years?|months?|weeks?)\b"
    rf"|\b(?:by|from|until|before|in)\s+(?:the\s+end\s+of\s+)?{_MONTH}\b"
    r"|\b(?:by|from|until|before|in)\s+(?:next|this)\s+(?:year|month|spring|summer|autumn|winter)\b"
    r"|\bnext\s+(?:year|month)\b|\bthis\s+(?:year|parliament)\b"
    r"|\bover\s+(?:the|this)\s+(?:spending\s+review\s+period|parliament)\b",
    re.I,
)
_BAD_DATES = {"today", "now", "this month", "this week", "tomorrow", "yesterday"}

_TARGET_LEFT_DEPS = {"compound", "amod", "poss", "nmod", "npadvmod", "quantmod", "case", "nummod"}
_TARGET_PREPS = {"of", "in", "for", "into", "on", "from", "between"}
_NOT_TARGET_ENTS = {"DATE", "TIME", "CARDINAL", "PERCENT", "MONEY", "ORDINAL", "QUANTITY"}
_MODALS = {"will", "shall", "would", "must", "should", "can", "could", "may", "might", "'ll", "wo"}
_COMMIT_AUX = {"will", "shall", "wo", "'ll"}
_COMMIT_VERBS = {"decide", "commit", "intend", "plan", "confirm", "agree", "announce"}
_CUE_WORDS = {
    "will", "shall", "would", "must", "should", "can", "could", "may", "might", "to",
    "'ll", "be", "been", "being", "is", "are", "was", "were", "has", "have", "had",
    "wo", "do", "does", "did", "we", "i", "they", "it", "'s", "'re", "'ve",
}  # fmt: skip
_BLANK_SKIP = {"not", "n't", "also", "then", "further", "now", "never", "no", "longer", "quickly"}
_NP_STOP = {
    "and", "or", "but", "to", "by", "from", "which", "that", "who", "so", "when", "with",
    "as", "through", "until", "before", "after", "while", "because", "if", "than", "at",
    "across", "within", "over", "under", "where", "instead", "rather", "will", "would",
    "should", "must", "can", "could", "may", "might", "is", "are", "was", "were", "be",
    "has", "have", "had", "since", "up", "during", "including", "without", "not",
}  # fmt: skip
_NOT_ADVERBS = {
    "family",
    "supply",
    "assembly",
    "july",
    "italy",
    "rally",
    "ally",
    "reply",
    "anomaly",
}
_SAME_PARTICIPLE = {"set", "cut", "put", "shut", "spread", "let", "run", "split", "bid"}
_CLAUSE_STOP = {
    "and",
    "but",
    "or",
    "that",
    "which",
    "who",
    "so",
    "when",
    "while",
    "because",
    "if",
    "where",
}


def _norm(text: str) -> str:
    return _SPACE_RE.sub(" ", text.translate(_APOSTROPHES).lower()).strip()


def _singular(word: str) -> str:
    """A crude singular, used only to compare phrases, never shown."""
    if word.endswith("'s") or len(word) <= 3 or word.endswith(("ss", "us", "is", "'")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return word


def _key(text: str) -> str:
    return " ".join(_singular(w) for w in text.split())


class StatementsData:
    """The compiled lexicon: lookups built once from the TOML/JSON data."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.raw = data
        self.version = str(data.get("version", "0"))
        self.verbs: dict[str, str] = {}
        self.phrasal: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for direction in DIRECTIONS:
            for entry in data.get("directions", {}).get(direction, []):
                words = entry.lower().split()
                if len(words) == 1:
                    self.verbs.setdefault(words[0], direction)
                else:
                    self.phrasal.setdefault(words[0], []).append((tuple(words[1:]), direction))
        for entries in self.phrasal.values():
            entries.sort(key=lambda item: -len(item[0]))
        self.ergative = set(data.get("ergative", {}).get("verbs", []))
        self.nouns = {
            noun: direction
            for direction in DIRECTIONS
            for noun in data.get("nouns", {}).get(direction, [])
        }
        neutral = data.get("neutral", {})
        self.neutral = set(neutral.get("verbs", []))
        self.money_verbs = set(neutral.get("money", []))
        self.receive_verbs = set(neutral.get("receive", []))
        self.quantifiers = {w: "increase" for w in neutral.get("more", [])}
        self.quantifiers |= {w: "decrease" for w in neutral.get("fewer", [])}
        self.quantifiers |= {w: "create" for w in neutral.get("new", [])}
        hedges = data.get("hedges", {})
        self.hedge_modals = set(hedges.get("modals", []))
        self.hedge_verbs = {v.split()[0] for v in hedges.get("verbs", [])}
        self.hedge_words = set(hedges.get("words", []))
        self.reporting = set(data.get("reporting", {}).get("verbs", []))
        speaker = data.get("speaker", {})
        self.speaker = {_norm(w) for w in speaker.get("words", [])}
        self.pass_through = set(speaker.get("pass_through", []))
        self.speaker_actors = set(speaker.get("actor_ids", []))
        self.stop_targets = {_key(_norm(w)) for w in data.get("stop_targets", {}).get("words", [])}
        strip = data.get("strip", {})
        self.leading = set(strip.get("leading", []))
        self.prefixes = sorted(
            (tuple(p.split()) for p in strip.get("prefixes", [])), key=lambda p: -len(p)
        )
        self.prefix_heads = {p[0] for p in self.prefixes} | {_singular(p[0]) for p in self.prefixes}
        self.capacity = {_key(t) for t in data.get("capacity", {}).get("targets", [])}
        variants: list[tuple[str, str]] = []
        for canonical, forms in data.get("synonyms", {}).items():
            for form in [canonical, *forms]:
                variants.append((f" {_key(_norm(form))} ", canonical))
        # longest first, so "secure children's home" beats "children's home"
        self.variants = sorted(set(variants), key=lambda item: (-len(item[0]), item[1]))
        self.all_verbs = set(self.verbs) | set(self.phrasal)
        self.canonicals = set(data.get("synonyms", {}))

    def canonical(self, text: str) -> str:
        """Fold a target phrase onto its canonical form (see :func:`canonical_target`)."""
        return _canonical_cached(self, text)

    def is_stop(self, canonical: str) -> bool:
        return (
            not canonical
            or _key(canonical) in self.stop_targets
            or canonical in self.speaker
            or not re.search(r"[a-z]{3}", canonical)
        )


@lru_cache(maxsize=20000)
def _canonical_cached(data: StatementsData, text: str) -> str:
    cleaned = _MONEY_RE.sub(" ", _norm(text))
    cleaned = _NUMBER_RE.sub(" ", cleaned)
    cleaned = re.sub(r"[^\w'\- ]", " ", cleaned)
    words = cleaned.split()
    key = f" {_key(' '.join(words))} "
    for variant, canonical in data.variants:
        if variant in key:
            return canonical
    changed = True
    while words and changed:
        changed = False
        while words and (words[0] in data.leading or words[0].strip("-'") == ""):
            words = words[1:]
            changed = True
        for prefix in data.prefixes:
            if tuple(words[: len(prefix)]) == prefix and len(words) > len(prefix):
                words = words[len(prefix) :]
                changed = True
                break
    while words and words[-1] in data.leading | {"'s", "-"}:
        words = words[:-1]
    if words:
        # fold the head noun's number so "foster carer" and "foster carers" meet
        words[-1] = _head_singular(words[-1])
    return " ".join(words)


_PLURAL_ONLY = {
    "series", "species", "news", "means", "premises", "headquarters", "whereabouts",
    "arrangements", "needs", "savings", "earnings", "outskirts", "proceeds", "surroundings",
    "goods", "works", "affairs", "thanks", "damages", "terms", "lives", "data",
}  # fmt: skip


def _head_singular(word: str) -> str:
    """The head noun of an unknown target in the singular, for comparing and showing."""
    if word in _PLURAL_ONLY or (not word.isalpha() and "-" not in word):
        return word
    word = word.rstrip("'")
    if word.endswith(("sses", "shes", "ches", "xes", "zes")) and len(word) > 4:
        return word[:-2]
    return _singular(word)


@lru_cache(maxsize=1)
def default_data() -> StatementsData:
    """The packaged lexicon (``nlp/data/statements.toml``)."""
    return StatementsData(load_data(DATA_PATH))


def load_data(path: str | Path) -> dict[str, Any]:
    """Read a statements data file (TOML as shipped, or JSON as saved by ``to_disk``)."""
    path = Path(path)
    if path.suffix == ".json":
        return srsly.read_json(path)
    with path.open("rb") as handle:
        return tomllib.load(handle)


def canonical_target(text: str) -> str:
    """The canonical phrase for a target as written, for comparing statements.

    Lower-cases, drops money, numbers, determiners and words like "new" or
    "more", then folds known variants ("residential capacity", "places in
    children's homes") onto one canonical phrase ("children's homes places").
    Unknown phrases come back cleaned, with the head noun in the singular
    ("foster carers" -> "foster carer"), so two spellings of an unknown target
    meet when they differ only in number.
    """
    return default_data().canonical(text)


def _timeframe(sent: Span) -> str | None:
    match = _TIMEFRAME_RE.search(sent.text.translate(_APOSTROPHES))
    if match:
        return match.group(0).strip()
    for ent in sent.ents:
        if ent.label_ == "DATE" and ent.text.lower() not in _BAD_DATES:
            return ent.text
    return None


class StatementExtractor:
    """Extracts policy statements into ``doc._.statements``.

    Data is loaded by :meth:`initialize` (or, for convenience, from the
    packaged file on first use), and saved with :meth:`to_disk`.
    """

    def __init__(
        self,
        nlp: Language,
        name: str = "policywatch_statements",
        *,
        data_path: str | None = None,
        use_parser: bool | None = None,
        max_target_tokens: int = 10,
    ) -> None:
        self.nlp = nlp
        self.name = name
        self.data_path = data_path
        self.use_parser = use_parser
        self.max_target_tokens = max_target_tokens
        self.data: StatementsData | None = None
        self.matcher: DependencyMatcher | None = None

    # -- data --------------------------------------------------------------
    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        data_path: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Load the lexicon: ``data`` if given, else ``data_path``, else the packaged file."""
        if data is None:
            path = data_path or self.data_path
            data = load_data(path) if path else default_data().raw
        self._set_data(StatementsData(data))

    def _set_data(self, data: StatementsData) -> None:
        self.data = data
        self.matcher = self._build_matcher(data)

    def _ensure(self) -> StatementsData:
        if self.data is None:
            self.initialize()
        assert self.data is not None
        return self.data

    @property
    def data_version(self) -> str:
        """The lexicon's ``version``, recorded with every annotation."""
        return self._ensure().version

    def _build_matcher(self, data: StatementsData) -> DependencyMatcher:
        matcher = DependencyMatcher(self.nlp.vocab)
        verbs = sorted(data.all_verbs | data.ergative)
        verb = {"RIGHT_ID": "verb", "RIGHT_ATTRS": {"LEMMA": {"IN": verbs}, "POS": "VERB"}}

        def child(dep: str | list[str], name: str = "arg", left: str = "verb") -> dict[str, Any]:
            deps = [dep] if isinstance(dep, str) else dep
            return {
                "LEFT_ID": left,
                "REL_OP": ">",
                "RIGHT_ID": name,
                "RIGHT_ATTRS": {"DEP": {"IN": deps}},
            }

        matcher.add("DOBJ", [[verb, child("dobj")]])
        matcher.add("PASS", [[verb, child(["nsubjpass", "csubjpass"])]])
        matcher.add("PREP", [[verb, child(["prep", "prt"], "prep"), child("pobj", "arg", "prep")]])
        matcher.add("VERB", [[verb]])
        noun = {
            "RIGHT_ID": "verb",
            "RIGHT_ATTRS": {"LEMMA": {"IN": sorted(data.nouns)}, "POS": "NOUN"},
        }
        prep = {
            "LEFT_ID": "verb",
            "REL_OP": ">",
            "RIGHT_ID": "prep",
            "RIGHT_ATTRS": {"DEP": "prep", "LOWER": {"IN": ["of", "in", "into", "to", "on"]}},
        }
        matcher.add("NOUN", [[noun, prep, child("pobj", "arg", "prep")]])
        neutral = {
            "RIGHT_ID": "verb",
            "RIGHT_ATTRS": {"LEMMA": {"IN": sorted(data.neutral)}, "POS": {"IN": ["VERB", "AUX"]}},
        }
        matcher.add("NEUTRAL", [[neutral, child("dobj")]])
        return matcher

    # -- serialisation -----------------------------------------------------
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "statements.json", self._ensure().raw)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> StatementExtractor:
        self.initialize(data=srsly.read_json(ensure_path(path) / "statements.json"))
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps(self._ensure().raw)

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> StatementExtractor:
        self.initialize(data=srsly.msgpack_loads(data))
        return self

    # -- processing --------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        data = self._ensure()
        parsed = doc.has_annotation("DEP") if self.use_parser is None else self.use_parser
        actors = list(doc.spans["actors"]) if "actors" in doc.spans else []
        money = list(doc.spans["money"]) if "money" in doc.spans else []
        publisher = _publisher_actor(doc.user_data.get("publisher"))
        found = self._parsed(doc, data) if parsed else self._blank(doc, data)
        statements: list[dict[str, Any]] = []
        seen: set[tuple[int, str, str]] = set()
        for cand in found:
            sent: Span = cand["sent"]
            target = data.canonical(cand["target_text"])
            if target not in data.canonicals and cand.get("context_text"):
                wider = data.canonical(cand["context_text"])
                if wider in data.canonicals:
                    target = wider
            if data.is_stop(target):
                continue
            direction = cand["direction"]
            if direction == "create" and _key(target) in data.capacity:
                direction = "increase"
            key = (sent.start, direction, target)
            if key in seen:
                continue
            seen.add(key)
            actor = self._actor(cand, actors, publisher, data.speaker_actors)
            if cand.get("past") and cand.get("actor") and publisher and actor != publisher:
                continue  # another actor's past act, described
            statements.append(
                {
                    "actor": actor,
                    "direction": direction,
                    "target": target,
                    "money_gbp": _nearest_money(money, sent, cand["anchor"]),
                    "timeframe": _timeframe(sent),
                    "sentence": sent.text,
                    "start_char": sent.start_char,
                    "end_char": sent.end_char,
                    "negated": cand["negated"],
                    "hedged": cand["hedged"],
                }
            )
        doc._.statements = statements
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterable[Doc]:
        for doc in stream:
            yield self(doc)

    @staticmethod
    def _actor(
        cand: dict[str, Any],
        actors: list[Span],
        publisher: str | None,
        speaker_actors: set[str] | frozenset[str] = frozenset(),
    ) -> str | None:
        if cand.get("actor"):
            return cand["actor"]
        if cand.get("speaker"):
            return publisher
        sent: Span = cand["sent"]
        lo, hi = cand.get("target_range", (-1, -1))
        allowed = cand.get("actor_tokens")
        best: tuple[int, str] | None = None
        for span in actors:
            if span.start < sent.start or span.end > sent.end:
                continue
            if lo <= span.start < hi:
                continue
            if allowed is not None and not any(t.i in allowed for t in span):
                continue
            distance = min(abs(span.start - cand["anchor"]), abs(span.end - 1 - cand["anchor"]))
            if best is None or distance < best[0]:
                best = (distance, span.label_)
        if best and best[1] in speaker_actors:
            return publisher or best[1]
        return best[1] if best else publisher

    # -- with a parser -----------------------------------------------------
    def _parsed(self, doc: Doc, data: StatementsData) -> list[dict[str, Any]]:
        assert self.matcher is not None
        rels: dict[int, dict[str, tuple[int, ...]]] = {}
        for match_id, token_ids in self.matcher(doc):
            label = self.nlp.vocab.strings[match_id]
            slot = rels.setdefault(token_ids[0], {})
            if label == "PREP":
                slot.setdefault("PREP", ())
                slot["PREP"] = (*slot["PREP"], token_ids[1], token_ids[2])
            else:
                slot.setdefault(label, tuple(token_ids[1:]))
        actor_by_token: dict[int, str] = {}
        for span in doc.spans.get("actors", []):
            for tok in span:
                actor_by_token[tok.i] = span.label_
        subject_tokens = {
            t.i
            for t in doc
            if t.dep_ in ("nsubj", "nsubjpass") or (t.dep_ == "pobj" and t.head.dep_ == "agent")
        }
        for verb in doc:
            # "a new What Works Centre will build ...": the new thing is created
            subj = _new_subject(verb)
            if subj is not None and verb.i not in rels:
                rels[verb.i] = {"NEW": (subj.i,)}
        out: list[dict[str, Any]] = []
        for anchor in sorted(rels):
            found = self._parsed_one(doc, data, doc[anchor], rels[anchor])
            if found is None:
                continue
            direction, head = found
            cand = self._parsed_context(doc, data, doc[anchor], direction, head, actor_by_token)
            if cand is not None:
                cand["actor_tokens"] = subject_tokens
                out.append(cand)
        return out

    def _parsed_one(
        self, doc: Doc, data: StatementsData, verb: Token, rel: dict[str, tuple[int, ...]]
    ) -> tuple[str, Token] | None:
        lemma = verb.lemma_.lower()
        if "NEW" in rel:
            return "create", doc[rel["NEW"][0]]
        if "NOUN" in rel:
            return data.nouns[lemma], doc[rel["NOUN"][-1]]
        if "NEUTRAL" in rel and lemma not in data.all_verbs:
            obj = doc[rel["NEUTRAL"][0]]
            for t in obj.subtree:
                if t.i < obj.i and t.lower_ in data.quantifiers:
                    return data.quantifiers[t.lower_], obj
            if lemma in data.money_verbs and _is_money(obj):
                # "provide £10m for X", "councils will receive £250m": money is more
                return "increase", obj
            return None
        particles = [c for c in verb.children if c.dep_ in ("prt", "prep", "advmod")]
        if (
            lemma == "keep"
            and "DOBJ" in rel
            and any(
                c.lower_ == "under" and any(g.lower_ == "review" for g in c.children)
                for c in particles
            )
        ):
            return "review", doc[rel["DOBJ"][0]]
        if lemma == "keep" and any(c.dep_ == "xcomp" for c in verb.children):
            return None
        words = [c.lower_ for c in particles]
        direction = None
        phrasal_prep = None
        for rest, phr_dir in data.phrasal.get(lemma, []):
            if all(w in words for w in rest):
                direction = phr_dir
                phrasal_prep = rest[-1]
                break
        if direction is None:
            direction = data.verbs.get(lemma)
        if direction is None and lemma in data.ergative:
            direction = _ergative_direction(lemma)
        if direction is None:
            return None
        if "DOBJ" in rel:
            return direction, doc[rel["DOBJ"][0]]
        preps = rel.get("PREP", ())
        if "PASS" in rel and phrasal_prep in _PREPOSITIONS:
            # "be entitled to support": the prepositional object, not the subject
            for prep_i, pobj_i in zip(preps[::2], preps[1::2], strict=True):
                if doc[prep_i].lower_ == phrasal_prep:
                    return direction, doc[pobj_i]
        if "PASS" in rel:
            return direction, doc[rel["PASS"][0]]
        for prep_i, pobj_i in zip(preps[::2], preps[1::2], strict=True):
            word = doc[prep_i].lower_
            if word == phrasal_prep or (lemma in ("invest", "reinvest") and word in ("in", "into")):
                return direction, doc[pobj_i]
        if lemma in data.ergative or direction == "maintain":
            subject = _subject(verb)
            if subject is not None:
                return _ergative_direction(lemma) or direction, subject
        return None

    def _parsed_context(
        self,
        doc: Doc,
        data: StatementsData,
        verb: Token,
        direction: str,
        head: Token,
        actor_by_token: dict[int, str],
    ) -> dict[str, Any] | None:
        sent = verb.sent
        if sent.text.rstrip().endswith("?") or sent.text.count("|") >= 2:
            return None
        if head.lower_ in ("which", "that", "who") and verb.dep_ == "relcl":
            head = verb.head

        if (
            head.i in actor_by_token
            and head.dep_ in ("nsubj", "nsubjpass")
            and (direction != "maintain")
        ):
            return None  # "the department will continue": the actor, not a target
        # a money object: the target is what the money is for
        if _is_money(head):
            purpose = _money_purpose(verb, head)
            if purpose is None and verb.lemma_.lower() in data.receive_verbs:
                purpose = _subject(verb)  # "the programme will receive £695m"
            if purpose is None:
                return None
            head = purpose
        if head.ent_type_ in _NOT_TARGET_ENTS:
            return None
        tokens = _np_tokens(head, self.max_target_tokens)
        tokens = _extend_hyphens(tokens + _misattached_prep(verb, head, tokens, data))
        target_text = _join(tokens)
        wider = [c for c in head.children if c.dep_ == "conj"]
        context_text = _join(sorted({*tokens, *(t for c in wider for t in c.subtree)}, key=_ti))
        # climb the clause chain: negation, hedges, reporting verbs and the subject
        chain = [verb]
        node = verb
        while node.dep_ in ("xcomp", "ccomp", "advcl", "conj", "acomp", "pcomp") and len(chain) < 6:
            if node.dep_ == "conj" and any(c.dep_.startswith("nsubj") for c in node.children):
                break
            node = node.head
            chain.append(node)
            if node.pos_ not in ("VERB", "AUX", "ADJ"):
                break
        if verb.pos_ == "NOUN":
            # "carry out a review of X": the governing verb's clause
            node = verb.head
            while node.dep_ in ("prep", "pobj", "dobj", "nsubj", "attr", "conj", "appos") and (
                node.head is not node
            ):
                if node.pos_ in ("VERB", "AUX"):
                    break
                node = node.head
            chain = [verb, node]
            node2 = node
            while node2.dep_ in ("xcomp", "ccomp", "advcl") and len(chain) < 6:
                node2 = node2.head
                chain.append(node2)
        negated = False
        hedged = False
        commitment = False
        actor = None
        speaker = False
        subject_found = False
        past_other = False
        other_subject = False
        modal = False
        for depth, v in enumerate(chain):
            kids = list(v.children)
            for c in kids:
                low = c.lower_
                if c.dep_ in ("aux", "auxpass") and low in _MODALS:
                    modal = True
                if c.dep_ == "neg" or (low == "never" and c.dep_ == "neg"):
                    negated = True
                if (
                    c.dep_ == "advmod"
                    and low == "longer"
                    and any(g.lower_ == "no" for g in c.children)
                ):
                    negated = True
                if c.dep_ in ("aux", "auxpass"):
                    if low in data.hedge_modals:
                        hedged = True
                    if low in _COMMIT_AUX:
                        commitment = True
                    if low in ("is", "are", "am") and v.tag_ == "VBG":
                        commitment = True
            if depth > 0:
                lemma = v.lemma_.lower()
                if lemma in data.hedge_verbs:
                    hedged = True
                if lemma in _COMMIT_VERBS:
                    commitment = True
            if not subject_found:
                subj = _own_subject(v)
                if subj is not None:
                    label = _actor_of(subj, actor_by_token)
                    text = _norm(_subject_text(subj))
                    if label in data.speaker_actors:
                        speaker, subject_found = True, True
                    elif label:
                        actor, subject_found = label, True
                    elif text in data.speaker or subj.lower_ in data.speaker:
                        speaker, subject_found = True, True
                    elif subj.lower_ not in data.pass_through:
                        subject_found = True
                        other_subject = subj.i != head.i
                        if depth == 0 and v.tag_ == "VBD" and direction != "maintain":
                            past_other = True
                    if subject_found and depth == 0 and v.tag_ == "VBD" and not speaker:
                        past_other = past_other or actor is not None
            if depth > 0 and v.lemma_.lower() in data.reporting:
                subj = _own_subject(v)
                if subj is None or not (
                    _norm(_subject_text(subj)) in data.speaker or subj.lower_ in data.speaker
                ):
                    return None
        if head.dep_ in ("nsubj", "nsubjpass") and any(
            c.lower_ == "no" and c.dep_ == "det" for c in head.children
        ):
            negated = True
        for t in sent:
            if t.i >= verb.i:
                break
            if t.lower_ in data.hedge_words:
                hedged = True
        if past_other:
            return None
        # a description, not a commitment: "demand continues to rise", "partnerships
        # have raised entry requirements", "the change follows a review of ..."
        ergative = head.dep_ == "nsubj"
        if not modal and (other_subject or ergative):
            return None
        perfect_or_past = verb.tag_ == "VBD" or any(
            c.dep_ == "aux" and c.lower_ in ("has", "have", "had") for c in verb.children
        )
        if negated:
            if not commitment or direction == "review":
                return None
            direction = "abolish" if direction == "maintain" else "maintain"
        lo = min(t.i for t in tokens)
        hi = max(t.i for t in tokens) + 1
        return {
            "sent": sent,
            "anchor": verb.i,
            "direction": direction,
            "target_text": target_text,
            "context_text": context_text,
            "target_range": (lo, hi),
            "negated": negated,
            "hedged": hedged,
            "actor": actor,
            "speaker": speaker,
            "past": perfect_or_past,
        }

    # -- without a parser --------------------------------------------------
    def _blank(self, doc: Doc, data: StatementsData) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        money_starts = {s.start: s.end for s in doc.spans["money"]} if "money" in doc.spans else {}
        for sent in doc.sents:
            if sent.text.rstrip().endswith("?"):
                continue
            toks = list(sent)
            lows = [t.lower_.translate(_APOSTROPHES) for t in toks]
            lemmas = [(t.lemma_ or t.text).lower() for t in toks]
            for k in range(len(toks)):
                cand = self._blank_one(doc, data, sent, toks, lows, lemmas, k, money_starts)
                if cand is not None:
                    out.append(cand)
            cand = self._blank_new_subject(sent, toks, lows, money_starts)
            if cand is not None:
                out.append(cand)
        return out

    def _blank_new_subject(
        self, sent: Span, toks: list[Token], lows: list[str], money_starts: dict[int, int]
    ) -> dict[str, Any] | None:
        """A new thing as the subject of "will" ("a new centre will ...") is created."""
        m = 0
        while m < len(toks) and lows[m] in ("a", "an", "the", "two", "three", "first"):
            m += 1
        if m >= len(toks) or lows[m] != "new":
            return None
        span_tokens = _blank_np_after(toks, lows, m + 1, money_starts, self.max_target_tokens)
        end = m + 1 + len(span_tokens)
        if not span_tokens or toks[m + 1].i in money_starts or end >= len(toks):
            return None
        if lows[end] not in _COMMIT_AUX or span_tokens[-1].i - toks[0].i + 1 != end:
            return None
        return {
            "context_text": _join(span_tokens),
            "sent": sent,
            "anchor": toks[end].i,
            "direction": "create",
            "target_text": _join(span_tokens),
            "target_range": (span_tokens[0].i, span_tokens[-1].i + 1),
            "negated": False,
            "hedged": False,
            "actor": None,
            "speaker": False,
        }

    def _blank_one(
        self,
        doc: Doc,
        data: StatementsData,
        sent: Span,
        toks: list[Token],
        lows: list[str],
        lemmas: list[str],
        k: int,
        money_starts: dict[int, int],
    ) -> dict[str, Any] | None:
        lemma = lemmas[k]
        if lemma not in data.all_verbs and lemma not in data.nouns and lemma not in data.neutral:
            return None
        # what comes before: modal/aux cues, negation, hedges
        back = []
        j = k - 1
        while j >= 0 and len(back) < 4:
            if lows[j] in _BLANK_SKIP or _adverb(lows[j]):
                back.append(lows[j])
                j -= 1
                continue
            if lows[j] in _CUE_WORDS or lemmas[j] in data.hedge_verbs:
                back.append(lows[j])
                j -= 1
                continue
            break
        cues = [w for w in back if w in _CUE_WORDS]
        is_noun = False
        direction = None
        after = k + 1
        prep_phrasal = False
        if cues and lemma in data.all_verbs:
            for rest, phr_dir in data.phrasal.get(lemma, []):
                if tuple(lows[k + 1 : k + 1 + len(rest)]) == rest:
                    direction, after = phr_dir, k + 1 + len(rest)
                    prep_phrasal = rest[-1] in _PREPOSITIONS
                    break
            if direction is None:
                direction = data.verbs.get(lemma)
        if (
            direction is None
            and lemma in data.nouns
            and k + 1 < len(toks)
            and lows[k + 1] in ("of", "in", "into", "to", "on")
            and k > 0
            and lows[k - 1] in ("a", "an", "the", "urgent", "independent", "national")
        ):
            direction, after, is_noun = data.nouns[lemma], k + 2, True
        if direction is None and lemma in data.neutral and cues:
            m = k + 1
            while m < len(toks) and lows[m] in ("a", "an", "the"):
                m += 1
            if m < len(toks) and lows[m] in data.quantifiers:
                direction, after = data.quantifiers[lows[m]], m
            elif m < len(toks) and toks[m].i in money_starts and lemma in data.money_verbs:
                direction, after = "increase", m
        if direction is None:
            return None
        if (lows[k] == "to" or "to" in cues) and any(lemmas[i] in data.reporting for i in range(k)):
            return None
        for r in range(max(0, k - 8), k):
            if lemmas[r] in data.reporting and not (
                {lows[r - 1] if r else "", lows[r - 2] if r > 1 else ""} & data.speaker
            ):
                return None
        passive = (
            not is_noun
            and not prep_phrasal
            and any(w in ("be", "been", "being") for w in cues)
            and (lows[k] != lemma or lows[k].endswith(("ed", "en")) or lemma in _SAME_PARTICIPLE)
        )
        if (
            lemma in data.ergative
            and not any(w in _MODALS or w == "to" for w in cues)
            and not _blank_np_after(toks, lows, after, money_starts, self.max_target_tokens)
        ):
            return None
        negated = any(w in ("not", "n't", "never") for w in back) or (
            "longer" in back and "no" in back
        )
        hedged = (
            any(w in data.hedge_modals for w in back)
            or any(lemmas[i] in data.hedge_verbs for i in range(max(0, k - 4), k))
            or any(lows[i] in data.hedge_words for i in range(k))
        )
        commitment = (
            any(w in _COMMIT_AUX for w in back)
            or (lows[k].endswith("ing") and any(w in ("are", "is", "am") for w in back))
            or any(lemmas[i] in _COMMIT_VERBS for i in range(max(0, k - 4), k))
        )
        start_aux = k - len(back)
        limit = self.max_target_tokens
        start = after
        if passive or (
            lemma in data.ergative and not _blank_np_after(toks, lows, after, money_starts, limit)
        ):
            start = _blank_clause_start(toks, lows, start_aux)
            if start >= start_aux:
                return None
        span_tokens = _blank_np_after(toks, lows, start, money_starts, limit)
        context = _blank_np_after(toks, lows, start, money_starts, limit + 6, conj=True)
        if not span_tokens:
            return None
        subj_before = lows[max(0, start_aux - 3) : start_aux]
        speaker = any(w in ("we", "i") for w in lows[:k]) or (
            "government" in subj_before or "department" in subj_before
        )
        if negated:
            if not commitment or direction == "review":
                return None
            direction = "abolish" if direction == "maintain" else "maintain"
        target_text = _join(span_tokens)
        return {
            "context_text": _join(context),
            "sent": sent,
            "anchor": toks[k].i,
            "direction": direction,
            "target_text": target_text,
            "target_range": (span_tokens[0].i, span_tokens[-1].i + 1),
            "negated": negated,
            "hedged": hedged,
            "actor": None,
            "speaker": speaker,
        }


def _publisher_actor(slug: Any) -> str | None:
    """The publisher slug as an actor id (the actors gazetteer knows renamed departments)."""
    if not isinstance(slug, str) or not slug:
        return None
    try:
        from nlp.components.actors import publisher_actor_id
    except ImportError:  # pragma: no cover - the actors component is optional here
        return slug
    return _cached_publisher(slug, publisher_actor_id)


@lru_cache(maxsize=256)
def _cached_publisher(slug: str, lookup: Callable[[str], str | None]) -> str:
    return lookup(slug) or slug


def _adverb(word: str) -> bool:
    """A guess without a tagger: "urgently", "quickly", but not "family" or "supply"."""
    return word.endswith("ly") and len(word) > 4 and word not in _NOT_ADVERBS


def _ergative_direction(lemma: str) -> str | None:
    return {
        "rise": "increase",
        "grow": "increase",
        "increase": "increase",
        "expand": "increase",
        "double": "increase",
        "fall": "decrease",
        "decrease": "decrease",
        "shrink": "decrease",
        "drop": "decrease",
        "continue": "maintain",
        "remain": "maintain",
        "end": "abolish",
        "close": "abolish",
        "stop": "abolish",
        "cease": "abolish",
        "open": "create",
    }.get(lemma)


_PREPOSITIONS = {"to", "for", "in", "into", "on", "at", "of", "with"}


def _is_money(token: Token) -> bool:
    """A money amount as a phrase head: "£45m", "£45 million", "45 million"."""
    return (
        token.like_num
        or token.lower_ in ("£", "million", "billion", "bn", "m")
        or token.text.startswith("£")
    )


def _new_subject(verb: Token) -> Token | None:
    """The subject of a "will" clause when it is "a new X" (not a new amount of money)."""
    if verb.pos_ not in ("VERB", "AUX") or not any(
        c.dep_ in ("aux", "auxpass") and c.lower_ in _COMMIT_AUX for c in verb.children
    ):
        return None
    for c in verb.children:
        if (
            c.dep_ in ("nsubj", "nsubjpass")
            and c.pos_ in ("NOUN", "PROPN")
            and any(g.lower_ == "new" and g.i < c.i for g in c.children)
            and not _is_money(c)
        ):
            return c
    return None


def _own_subject(verb: Token) -> Token | None:
    for c in verb.children:
        if c.dep_ in ("nsubj", "csubj", "expl"):
            return c
        if c.dep_ == "agent":
            for g in c.children:
                if g.dep_ == "pobj":
                    return g
    return None


def _subject(verb: Token) -> Token | None:
    """The verb's subject, looking up through "continue to grow"-style chains."""
    node = verb
    for _ in range(4):
        for c in node.children:
            if c.dep_ in ("nsubj", "nsubjpass"):
                return c
        if node.dep_ in ("xcomp", "conj") and node.head is not node:
            node = node.head
        else:
            return None
    return None


def _subject_text(subj: Token) -> str:
    words = [t for t in subj.subtree if t.dep_ not in ("det", "punct") and t.i <= subj.i]
    return " ".join(t.lower_ for t in words) or subj.lower_


def _actor_of(subj: Token, actor_by_token: dict[int, str]) -> str | None:
    if subj.i in actor_by_token:
        return actor_by_token[subj.i]
    for t in subj.subtree:
        if t.i in actor_by_token and t.head.i == subj.i and t.dep_ in ("compound", "poss"):
            return actor_by_token[t.i]
    return None


def _money_purpose(verb: Token, head: Token) -> Token | None:
    """For "invest £45m in X" / "£302m of new funding for X": the X."""
    for node in (head, verb):
        for c in node.children:
            if c.dep_ == "prep" and c.lower_ in ("in", "into", "for", "on", "of"):
                for g in c.children:
                    if g.dep_ == "pobj" and not (g.like_num or g.text.startswith("£")):
                        if g.lemma_ in ("funding", "money", "investment") or g.lower_ == "capital":
                            deeper = _money_purpose(g, g)
                            return deeper or g
                        return g
    return None


def _np_tokens(head: Token, limit: int, depth: int = 0) -> list[Token]:
    keep = {head.i: head}
    for c in head.lefts:
        if c.dep_ in _TARGET_LEFT_DEPS:
            for t in c.subtree:
                keep[t.i] = t
    if depth < 2:
        for c in head.rights:
            if c.dep_ == "prep" and c.lower_ in _TARGET_PREPS:
                pobj = [g for g in c.children if g.dep_ == "pobj"]
                if pobj:
                    keep[c.i] = c
                    for t in _np_tokens(pobj[0], limit, depth + 1):
                        keep[t.i] = t
            elif c.dep_ in ("compound", "case"):
                keep[c.i] = c
    tokens = [keep[i] for i in sorted(keep)]
    if len(tokens) > limit:
        tokens = [t for t in tokens if abs(t.i - head.i) <= limit // 2 or t.i <= head.i]
        tokens = tokens[-limit:]
    return tokens


def _blank_np_after(
    toks: list[Token],
    lows: list[str],
    start: int,
    money_starts: dict[int, int],
    limit: int,
    *,
    conj: bool = False,
) -> list[Token]:
    m = start
    # skip "£45 million in/of/for" and quantifiers before the phrase
    base = toks[0].i
    for _ in range(3):
        if m < len(toks) and (toks[m].i in money_starts):
            m = money_starts[toks[m].i] - base
            if m < len(toks) and lows[m] in ("in", "into", "for", "of", "on", "to"):
                m += 1
        while m < len(toks) and (lows[m] in ("the", "a", "an", "its", "their", "our", "up")):
            m += 1
    while m < len(toks) and _adverb(lows[m]):
        m += 1
    if m < len(toks) and lows[m] in ("in", "of", "for", "on", "into"):
        return []
    out: list[Token] = []
    while m < len(toks) and len(out) < limit:
        low = lows[m]
        tok = toks[m]
        if tok.is_punct and low not in ("-", "'", "'s"):
            break
        if low in _NP_STOP:
            if low in ("and", "or") and out and (conj or lows[m - 1].endswith("-")):
                out.append(tok)
                m += 1
                continue
            break
        if low in ("of", "in", "for", "on") and (
            m + 1 >= len(toks) or (toks[m + 1].is_punct and lows[m + 1] != "-")
        ):
            break
        out.append(tok)
        m += 1
    while out and lows[out[-1].i - base] in ("of", "in", "for", "on", "'s", "-"):
        out.pop()
    return out


def _blank_clause_start(toks: list[Token], lows: list[str], end: int) -> int:
    """Where the subject before a passive or intransitive verb starts."""
    m = end - 1
    while m >= 0 and end - m <= 14:
        tok = toks[m]
        if (tok.is_punct and lows[m] not in ("-", "'", "'s")) or lows[m] in _CLAUSE_STOP:
            return m + 1
        m -= 1
    return m + 1


def _misattached_prep(
    verb: Token, head: Token, tokens: list[Token], data: StatementsData
) -> list[Token]:
    """For "cut reliance on X" and "scrap the cap on X": the parse hangs "on X" on the verb."""
    if head.head.i != verb.i or head.dep_ != "dobj":
        return []
    end = max(t.i for t in tokens) + 1
    for c in verb.rights:
        if c.i != end or c.dep_ != "prep":
            continue
        low = c.lower_
        relational = head.lemma_.lower() in data.prefix_heads
        if low in ("of", "on") or (low in ("for", "in", "into") and relational):
            pobj = [g for g in c.children if g.dep_ == "pobj"]
            if pobj:
                return [c, *_np_tokens(pobj[0], 8, 1)]
    return []


def _ti(token: Token) -> int:
    return token.i


def _join(tokens: list[Token]) -> str:
    """Tokens as text, with a space wherever tokens were skipped."""
    parts: list[str] = []
    for n, tok in enumerate(tokens):
        parts.append(tok.text)
        if n + 1 < len(tokens) and (tok.whitespace_ or tokens[n + 1].i != tok.i + 1):
            parts.append(" ")
    return "".join(parts).strip()


def _extend_hyphens(tokens: list[Token]) -> list[Token]:
    """Keep "co-operatives" whole when the parse split it into "co", "-", "operatives"."""
    if not tokens:
        return tokens
    doc = tokens[0].doc
    last = tokens[-1]
    extra: list[Token] = []
    while (
        not last.whitespace_
        and last.i + 1 < len(doc)
        and (last.text == "-" or doc[last.i + 1].text == "-")
    ):
        last = doc[last.i + 1]
        extra.append(last)
    return tokens + extra


def _nearest_money(money: list[Span], sent: Span, anchor: int) -> int | None:
    best: tuple[int, int] | None = None
    for span in money:
        if span.start < sent.start or span.end > sent.end:
            continue
        info = span._.money or {}
        gbp = info.get("gbp")
        if gbp is None:
            continue
        distance = min(abs(span.start - anchor), abs(span.end - 1 - anchor))
        if best is None or distance < best[0]:
            best = (distance, int(gbp))
    return best[1] if best else None


@Language.factory(
    "policywatch_statements",
    assigns=["doc._.statements"],
    requires=["doc.sents", "token.lemma"],
    default_config={"data_path": None, "use_parser": None, "max_target_tokens": 10},
)
def make_statements(
    nlp: Language,
    name: str,
    data_path: str | None,
    use_parser: bool | None,
    max_target_tokens: int,
) -> StatementExtractor:
    """Build the statements component (``use_parser=None`` decides per Doc)."""
    return StatementExtractor(
        nlp,
        name,
        data_path=data_path,
        use_parser=use_parser,
        max_target_tokens=max_target_tokens,
    )
