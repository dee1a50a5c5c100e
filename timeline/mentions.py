"""Sentence-level positions and money mentions, to back up the language layer.

The language layer's statement extractor is precise but misses many positions
(its own gold-set recall is low), and it attaches money only to statements it
found. The timeline therefore also reads each sentence that names a canonical
target (``targets.sentence_targets``) and takes its direction from a small
lexicon of cues (``timeline/data/directions.toml``): "no longer", "will stop"
-> abolish; "fewer", "reduce" -> decrease; "more", "additional" -> increase.
These *mentions* count less than extracted statements (``MENTION_WEIGHT``) and
never replace one in the same sentence.

Money mentions are every sterling amount the language layer found (its money
spans), with the canonical targets of the sentence around it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from timeline.targets import singular_words, target_mentions

DATA_PATH = Path(__file__).with_name("data") / "directions.toml"

#: how much a sentence-level mention counts next to an extracted statement
MENTION_WEIGHT = 0.8
#: amounts below this are too common to link announcements by (grants per child, rates)
MIN_MONEY = 1_000_000


@dataclass(frozen=True)
class DirectionCues:
    ordered: tuple[tuple[str, re.Pattern[str]], ...]


@lru_cache(maxsize=1)
def direction_cues() -> DirectionCues:
    with DATA_PATH.open("rb") as handle:
        raw = tomllib.load(handle)
    ordered = []
    for direction in raw["order"]:
        words = raw["cues"][direction]
        pattern = r"\b(?:" + "|".join(words) + r")"
        ordered.append((direction, re.compile(pattern, re.IGNORECASE)))
    return DirectionCues(ordered=tuple(ordered))


_SWAP = re.compile(r"\breplac|\binstead of\b|\brather than\b")

#: a direction cue counts for a target named at most this many words away
CUE_DISTANCE = 5


@lru_cache(maxsize=100000)
def sentence_positions(sentence: str) -> tuple[tuple[str, str], ...]:
    """(canonical target, direction) pairs a sentence states by its cues.

    A target takes the nearest cue within ``CUE_DISTANCE`` words of where it is
    named (a refusal such as "will not introduce" always wins), so one sentence
    can state different directions for different targets.
    """
    text = singular_words(sentence)
    words_before = [0]
    for char in text:
        words_before.append(words_before[-1] + (char == " "))
    cues: list[tuple[str, list[int]]] = [
        (direction, [words_before[m.start()] for m in pattern.finditer(text)])
        for direction, pattern in direction_cues().ordered
    ]
    mentions = target_mentions(sentence)
    # one target named twice in different words ("replace early help with family
    # help") is a sentence about changing its form: no direction can be read off
    names = [canonical for canonical, _ in mentions]
    swaps = bool(_SWAP.search(text))
    found = []
    for canonical, at in mentions:
        if swaps and names.count(canonical) > 1:
            continue
        near = [
            (abs(place - at), rank, direction)
            for rank, (direction, places) in enumerate(cues)
            for place in places
            if abs(place - at) <= CUE_DISTANCE
        ]
        if not near:
            continue
        refusal = [item for item in near if item[2].endswith("_refusal")]
        _, _, direction = min(refusal or near)  # a refusal wins, else the nearest cue
        found.append((canonical, direction.removesuffix("_refusal")))
    return tuple(found)


def sentences(text: str, spans: list[list[int]]) -> list[tuple[int, int, str]]:
    """The annotated sentences of a version as (start, end, text), blank ones dropped."""
    found = []
    for start, end in spans:
        sentence = text[start:end]
        if sentence.strip():
            found.append((start, end, sentence))
    return found
