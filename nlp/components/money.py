"""Sterling amounts in announcements, normalised to whole pounds.

Announcements state money in a dozen spellings ("£2bn", "£1.5 billion",
"two billion pounds", "£20-30 million", "up to £10m a year over three
years"), and the English tokenizer splits them inconsistently ("£259m" is
``£ 259 m``, "£2bn" is ``£ 2bn``, "£20m-£30m" is ``£ 20m-£30 m``), so token
patterns would have to re-read token text with regular expressions anyway.
The grammar is therefore one set of regular expressions over the text,
started only at the few places that can begin or end an amount (a "£", "GBP",
"pounds", "sterling"), and each match is mapped to tokens with
``doc.char_span(..., alignment_mode="expand")``. That keeps the component at
C speed between anchors, makes it independent of the tagger and parser (so a
blank pipeline and the trained one give the same spans), and lets
:func:`parse_money` give callers exactly what the component writes.

A span covers the whole expression that decides the number: a qualifier
before it ("up to", "more than": kept, as OntoNotes' MONEY entities keep
them), "between" of a range, and a rate or period after it ("a year", "over
three years"). The words live in ``nlp/data/money.toml``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import SimpleFrozenList, ensure_path

from nlp import extensions

extensions.register()

DEFAULT_DATA_PATH = Path(__file__).resolve().parents[1] / "data" / "money.toml"
LABEL = "GBP"
DATA_FILE = "money.json"

_WS = r"[ \t\u00a0]"  # horizontal space
_GAP = rf"(?:{_WS}*\n{_WS}*|{_WS}+)"  # some space, at most one line break
_CUR = r"(?:[£\uffe1]|(?<![a-z])gbp(?![a-z]))"
# Atomic, so "£100,000s" cannot shrink to "£100" and "£1,00" to "£1".
# Thousands are grouped with commas or a no-break/thin space, never a plain
# space: "£150 200" in a flattened table row is two cells, not £150,200.
_NUM = r"(?>\d{1,3}(?:[,\u00a0\u2009\u202f]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_END = r"(?![\w£\uffe1]|[.,]\d)"  # an amount ends at a word boundary
_ANCHOR = re.compile(r"[£\uffe1]|(?<![a-z])(?:gbp|pounds?|sterling)(?![a-z])", re.IGNORECASE)
_ARTICLE = re.compile(r"an?[\s-]+(?!hundred)", re.IGNORECASE)
_LOOKBACK = 80  # characters searched back from "pounds" for its number


def _alt(words: Iterable[str], sep: str = r"\s+") -> str:
    """One alternation, longest first, inner spaces matched by ``sep``."""
    parts = sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True)
    return "(?:" + "|".join(sep.join(map(re.escape, p.split())) for p in parts) + ")"


def _round(value: Decimal | Fraction) -> int:
    """Whole pounds, halves rounded up (pence are not what announcements are about)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class MoneyMatch:
    """One amount found in a text: its character offsets and its value."""

    start: int
    end: int
    value: dict[str, Any]

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]


class MoneyGrammar:
    """The compiled grammar for one vocabulary (the contents of money.toml)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        scales = {**data["scales"]["attached"], **data["scales"]["spaced"]}
        self.scales = {k.lower(): int(v) for k, v in scales.items()}
        self.number_words = {k.lower(): Fraction(str(v)) for k, v in data["number_words"].items()}
        self.fractions = {
            " ".join(k.lower().replace("-", " ").split()): Fraction(str(v))
            for k, v in data["fractions"].items()
        }
        dur = data["duration"]
        self.dur_numbers = {k.lower(): Fraction(str(v)) for k, v in dur["numbers"].items()}
        self.dur_units = {k.lower(): Fraction(str(v)) for k, v in dur["units"].items()}
        self.dur_bare = {k.lower(): Fraction(str(v)) for k, v in dur["bare_units"].items()}

        attached = _alt([*data["scales"]["attached"], *data["scales"]["spaced"]], "")
        spaced = _alt(data["scales"]["spaced"], "")
        letters = _alt(data["scales"]["attached"], "")  # "£5 m" only before a non-word

        def amount(p: str) -> str:
            return (
                rf"(?P<{p}n>{_NUM})"
                rf"(?:(?P<{p}pa>\+)?(?P<{p}sa>{attached})(?![a-z])"
                rf"|(?:{_GAP}|-)(?P<{p}ss>{spaced})(?![a-z])"
                rf"|{_WS}+(?P<{p}sl>{letters})(?![\w'\u2019-]))?"
                rf"(?P<{p}pl>\+(?!\d)|-plus(?![\w-]))?{_END}"
            )

        conn = rf"(?P<conn>{_WS}*[-\u2013\u2014]{_WS}*|{_WS}+(?:to|and){_WS}+)"
        tail = (
            rf"(?:{_WS}+(?:pounds?{_WS}+)?sterling(?![\w-])"
            rf"|{_WS}+pounds?(?![\w-])|{_WS}+gbp(?![\w-]))?"
        )
        first = rf"(?P<c1>{_CUR}){_WS}?{amount('a')}"
        second = rf"{conn}(?P<c2>{_CUR}{_WS}?)?{amount('b')}"
        flags = re.IGNORECASE
        self.fwd_range = re.compile(first + second + tail, flags)
        self.fwd_single = re.compile(first + tail, flags)

        word = _alt(self.number_words)
        words = rf"{word}(?:(?:[\s-]+(?:and\s+)?){word})*(?:\s+and\s+a\s+half)?"
        fractions = _alt(self.fractions, r"[\s-]+")
        before_unit = rf"(?:{_GAP}|-)\Z"
        self.back_words = re.compile(
            rf"(?<![\w-])(?:(?P<wf>{fractions})|(?P<wn>{words}))[\s-]+(?P<ws>{spaced})(?![a-z])"
            + before_unit,
            flags,
        )
        digits = rf"(?<![\w.,£\uffe1-]){amount('a')}"
        self.back_range = re.compile(digits + second + before_unit, flags)
        self.back_single = re.compile(digits + before_unit, flags)
        self.sterling_tail = re.compile(rf"{_WS}+sterling(?![\w-])", flags)

        quals = data["qualifiers"]
        self.qualifier = re.compile(rf"(?<![\w-]){_alt(quals['approximate'])}{_GAP}\Z", flags)
        self.between_from = re.compile(
            rf"(?<![\w-])(?:(?P<r>rang(?:e|es|ed|ing)|var(?:y|ies|ied|ying))\s+)?"
            rf"(?P<w>between|from){_GAP}\Z",
            flags,
        )

        per = data["per"]
        approx_after = [w for w in quals["approximate_after"] if not w.startswith("-")]
        approx_hyph = [w for w in quals["approximate_after"] if w.startswith("-")]
        not_before = _alt(per["per_not_before"])
        units = r"(?:year|annum|month|week)"
        suffix_approx = (
            rf"(?P<ax>(?:{_WS}+{_alt(approx_after)}"
            + (rf"|{_alt(approx_hyph, '')}" if approx_hyph else "")
            + r")(?![\w-]))?"
        )
        hyph = r"[\s-]+"
        per_year, per_month, per_week = (_alt(per[k], hyph) for k in ("year", "month", "week"))
        suffix_per = (
            rf"(?:(?P<pu>{_WS}+per{_WS}+(?!{units}\b)[a-z]+)?"
            rf"(?:{_WS}*(?=/)|{_WS}+|-)"
            rf"(?:(?P<py>{per_year})|(?P<pm>{per_month})|(?P<pw>{per_week}))"
            rf"(?![\w-])(?!{_WS}+{not_before}\b))?"
        )
        dur_nums = _alt(self.dur_numbers)
        suffix_dur = (
            rf"(?P<dur>{_WS}+{_alt(dur['prepositions'])}\s+(?:(?P<dd>{_alt(dur['determiners'])})\s+)?"
            rf"(?:(?P<dn>{dur_nums}|\d+(?:\.\d+)?)[\s-]+(?:{_alt(dur['qualifiers'])}\s+)?"
            rf"(?P<du>{_alt(self.dur_units, '')})"
            rf"|(?(dd)(?P<db>{_alt(self.dur_bare, '')})|(?!)))"
            rf"(?:\s+{_alt(dur['tails'])})?(?![\w-])(?!\s+olds?\b|\s+\d))?"
        )
        self.suffix = re.compile(suffix_approx + suffix_per + suffix_dur, flags)

    # -- reading numbers -------------------------------------------------

    def _amount(self, m: re.Match[str], p: str) -> tuple[Decimal, int | None, bool]:
        """(number, scale or None, approximate) of amount ``p`` in a match."""
        num = Decimal(re.sub(r"[^\d.]", "", m[f"{p}n"]))
        unit = m[f"{p}sa"] or m[f"{p}ss"] or m[f"{p}sl"]
        scale = self.scales[unit.lower()] if unit else None
        return num, scale, bool(m[f"{p}pa"] or m[f"{p}pl"])

    def _words(self, phrase: str) -> Fraction:
        """The value of a number written in words ("twenty-five", "two and a half")."""
        tokens = re.split(r"[\s-]+", phrase.lower())
        half = tokens[-3:] == ["and", "a", "half"]
        if half:
            tokens = tokens[:-3]
        tokens = [t for t in tokens if t != "and"]
        if len(tokens) > 1 and tokens[0] in ("a", "an") and tokens[1] != "hundred":
            tokens = tokens[1:]
        total = Fraction(0)
        for token in tokens:
            if token == "hundred":
                total = (total or 1) * 100
            else:
                total += self.number_words[token]
        return total + (Fraction(1, 2) if half else 0)

    def _range(self, m: re.Match[str], before: str | None) -> tuple[int, int, bool] | None:
        """(low, high, approximate) when a range match really is a range."""
        conn = m["conn"].strip().lower()
        a_num, a_scale, a_approx = self._amount(m, "a")
        b_num, b_scale, b_approx = self._amount(m, "b")
        b_marked = bool(m["c2"]) or b_scale is not None
        if conn == "and" and before != "between":
            return None
        if conn in ("to", "and") and not b_marked:
            return None  # "£5m to 100 councils"
        if conn == "to" and before == "from":
            return None  # "rises from £20m to £30m" is a change, not a range
        high = _round(b_num * (b_scale or 1))
        lows = []
        if a_scale is None and b_scale is not None and (not m["c2"] or a_num < 1000):
            lows.append(_round(a_num * b_scale))  # "£20-30 million", "£20 to £30 million"
        lows.append(_round(a_num * (a_scale or 1)))
        for low in lows:
            if low < high:
                return low, high, a_approx or b_approx
        return None

    # -- finding ---------------------------------------------------------

    def _context(self, text: str, start: int, floor: int) -> tuple[str | None, int]:
        """("between" or "from" or None, where it starts) just before ``start``.

        "between" belongs to a range's span (its "and" needs it); "from" marks
        a change ("rises from £20m to £30m"), not a range, unless the verb says
        range ("ranging from £20m to £30m").
        """
        m = self.between_from.search(text, max(floor, start - 24), start)
        if not m or (m["r"] and m["w"].lower() == "from"):
            return None, start
        return m["w"].lower(), m.start("w")

    def _qualify(self, text: str, start: int, floor: int) -> tuple[int, bool]:
        """(start, approximate), extended over a qualifier such as "up to"."""
        q = self.qualifier.search(text, max(floor, start - 30), start)
        return (q.start(), True) if q else (start, False)

    def _finish(
        self,
        text: str,
        start: int,
        end: int,
        gbp: int,
        low: int | None,
        high: int | None,
        approx: bool,
    ) -> MoneyMatch:
        m = self.suffix.match(text, end)
        per = None
        years = None
        if m:
            end = m.end()
            approx = approx or bool(m["ax"])
            per = "year" if m["py"] else "month" if m["pm"] else "week" if m["pw"] else None
            if m["dur"]:
                if m["du"]:
                    raw = m["dn"].lower()
                    n = self.dur_numbers[raw] if raw in self.dur_numbers else Fraction(raw)
                    years = n / self.dur_units[m["du"].lower()]
                else:
                    years = self.dur_bare[m["db"].lower()]
        value = {
            "gbp": gbp,
            "low": low,
            "high": high,
            "per": per,
            "years": None if years is None else round(float(years), 4),
            "approximate": approx,
        }
        return MoneyMatch(start, end, value)

    def _forward(self, text: str, pos: int, floor: int) -> MoneyMatch | None:
        """An amount that starts with a currency mark at ``pos``."""
        before, before_start = self._context(text, pos, floor)
        m = self.fwd_range.match(text, pos)
        rng = self._range(m, before) if m else None
        if m and rng:
            low, high, r_approx = rng
            start = before_start if before == "between" else pos
            start, approx = self._qualify(text, start, floor)
            return self._finish(text, start, m.end(), high, low, high, approx or r_approx)
        m = self.fwd_single.match(text, pos)
        if not m:
            return None
        num, scale, a_approx = self._amount(m, "a")
        start, approx = self._qualify(text, pos, floor)
        gbp = _round(num * (scale or 1))
        return self._finish(text, start, m.end(), gbp, None, None, approx or a_approx)

    def _backward(self, text: str, anchor: re.Match[str], floor: int) -> MoneyMatch | None:
        """An amount that ends with "pounds", "sterling" or "GBP" at ``anchor``."""
        a, end = anchor.span()
        lo = max(floor, a - _LOOKBACK)
        t = self.sterling_tail.match(text, end)
        if t and anchor[0].lower().startswith("pound"):
            end = t.end()
        m = self.back_words.search(text, lo, a)
        if m:
            unit = self.scales[m["ws"].lower()]
            if m["wf"]:
                n = self.fractions[" ".join(m["wf"].lower().replace("-", " ").split())]
                first = m.start()
            else:
                n = self._words(m["wn"])
                # "a two-billion-pound fund": the article is not part of the number
                lead = _ARTICLE.match(m["wn"])
                first = m.start() + (lead.end() if lead else 0)
            start, approx = self._qualify(text, first, floor)
            return self._finish(text, start, end, _round(n * unit), None, None, approx)
        m = self.back_range.search(text, lo, a)
        if m:
            before, before_start = self._context(text, m.start(), floor)
            rng = self._range(m, before)
            if rng:
                low, high, r_approx = rng
                start = before_start if before == "between" else m.start()
                start, approx = self._qualify(text, start, floor)
                return self._finish(text, start, end, high, low, high, approx or r_approx)
        m = self.back_single.search(text, lo, a)
        if m:
            num, scale, a_approx = self._amount(m, "a")
            start, approx = self._qualify(text, m.start(), floor)
            gbp = _round(num * (scale or 1))
            return self._finish(text, start, end, gbp, None, None, approx or a_approx)
        return None

    def finditer(self, text: str) -> Iterator[MoneyMatch]:
        """Every amount in ``text``, in order, never overlapping."""
        floor = 0
        for anchor in _ANCHOR.finditer(text):
            if anchor.start() < floor:
                continue
            if anchor[0] in "£\uffe1":
                found = self._forward(text, anchor.start(), floor)
            else:
                found = None
                if anchor[0].lower() == "gbp":
                    found = self._forward(text, anchor.start(), floor)
                if found is None:
                    found = self._backward(text, anchor, floor)
            if found is not None:
                floor = found.end
                yield found


def load_data(path: str | Path = DEFAULT_DATA_PATH) -> dict[str, Any]:
    """The vocabulary from a TOML (or, as saved by ``to_disk``, JSON) file."""
    path = Path(path)
    if path.suffix == ".json":
        return srsly.read_json(path)
    with path.open("rb") as fh:
        return tomllib.load(fh)


@lru_cache(maxsize=1)
def default_grammar() -> MoneyGrammar:
    """The grammar of the packaged vocabulary, compiled once per process."""
    return MoneyGrammar(load_data())


def find_money(text: str) -> list[MoneyMatch]:
    """Every sterling amount in ``text``, with character offsets."""
    return list(default_grammar().finditer(text))


def parse_money(text: str) -> dict[str, Any] | None:
    """The first sterling amount in ``text`` as the ``span._.money`` dict, else None.

    ``parse_money("up to £10m a year")`` gives ``{"gbp": 10000000, "low": None,
    "high": None, "per": "year", "years": None, "approximate": True}``.
    """
    for found in default_grammar().finditer(text):
        return dict(found.value)
    return None


class MoneyFinder(Pipe):
    """Writes sterling amounts to ``doc.spans[spans_key]`` with ``span._.money``."""

    def __init__(
        self, nlp: Language, name: str = "policywatch_money", *, spans_key: str = "money"
    ) -> None:
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self._grammar: MoneyGrammar | None = None

    @property
    def grammar(self) -> MoneyGrammar:
        # Usable straight after add_pipe: calling nlp.initialize() on a trained
        # pipeline would reset its trained components, so the packaged
        # vocabulary is the default until initialize or from_disk sets one.
        if self._grammar is None:
            self._grammar = default_grammar()
        return self._grammar

    @property
    def data(self) -> dict[str, Any]:
        return self.grammar.data

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        data: dict[str, Any] | None = None,
        data_path: str | None = None,
    ) -> None:
        """Load the vocabulary: ``data`` itself, the file ``data_path``, or money.toml."""
        if data is not None:
            self._grammar = MoneyGrammar(data)
        elif data_path is not None:
            self._grammar = MoneyGrammar(load_data(data_path))
        else:
            self._grammar = default_grammar()

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for found in self.grammar.finditer(doc.text):
            span = doc.char_span(found.start, found.end, label=LABEL, alignment_mode="expand")
            if span is None:
                continue
            span._.money = dict(found.value)
            spans.append(span)
        doc.spans[self.spans_key] = spans
        return doc

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        return srsly.msgpack_dumps({"data": self.data})

    def from_bytes(
        self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()
    ) -> MoneyFinder:
        self._grammar = MoneyGrammar(srsly.msgpack_loads(bytes_data)["data"])
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / DATA_FILE, self.data)

    def from_disk(
        self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()
    ) -> MoneyFinder:
        self._grammar = MoneyGrammar(load_data(ensure_path(path) / DATA_FILE))
        return self


@Language.factory(
    "policywatch_money",
    assigns=["doc.spans"],
    default_config={"spans_key": "money"},
)
def make_money(nlp: Language, name: str, spans_key: str) -> MoneyFinder:
    """Sterling amounts as whole pounds, in ``doc.spans[spans_key]``."""
    return MoneyFinder(nlp, name, spans_key=spans_key)
