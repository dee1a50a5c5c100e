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

#: cue classes that only bear on a target named after them ("buy fewer beds":
#: fewer is about beds, not about the buyer named before it)
BEFORE_ONLY = frozenset({"quantity_up", "quantity_down"})


def _oriented(direction: str, before_target: bool) -> str:
    """Direction classes named for their grammar, mapped to a direction.

    "replace X" abolishes X, while "X replaces Y" creates X (the cue reads on
    singularised words, so only its side of the target tells them apart).
    """
    if direction == "replace":
        return "abolish" if before_target else "create"
    return {"quantity_up": "increase", "quantity_down": "decrease", "keep": "maintain"}.get(
        direction, direction
    )


#: a direction cue counts for a target named at most this many words away
CUE_DISTANCE = 5


@lru_cache(maxsize=100000)
def sentence_positions(sentence: str) -> tuple[tuple[str, str], ...]:
    """(canonical target, direction) pairs a sentence states by its cues.

    A target takes the nearest cue within ``CUE_DISTANCE`` words of where it is
    named (a refusal such as "will not introduce", direction "refuse", or an
    outright "will keep" wins), so one sentence can state different directions
    for different targets; a target named with no cue near is a bare
    ``mention``, kept only to complete chains.
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
            (abs(place - at), rank, _oriented(direction, place < at))
            for rank, (direction, places) in enumerate(cues)
            for place in places
            if abs(place - at) <= CUE_DISTANCE and (place < at or direction not in BEFORE_ONLY)
        ]
        if not near:
            found.append((canonical, "mention"))  # named without a direction: kept for chains
            continue
        outright = [item for item in near if item[2] in {"refuse", "maintain"} and item[1] < 2]
        _, _, direction = min(outright or near)  # a refusal or "will keep" wins, else the nearest
        found.append((canonical, direction))
    return tuple(found)


_REFUSAL = re.compile(
    r"\b(?:has |have )?decided not to|\bwill not (?:introduce|set|create|bring in|proceed)|"
    r"\bno (?:longer )?plans? to|\bnot to (?:set|introduce|proceed)",
    re.IGNORECASE,
)


def refined_direction(direction: str, sentence: str) -> str:
    """A statement's direction, with "maintain" read as "refuse" when the sentence
    turns something down ("has decided not to set a national cap")."""
    if direction == "maintain" and _REFUSAL.search(sentence.replace("\u2019", "'")):
        return "refuse"
    return direction


def sentences(text: str, spans: list[list[int]]) -> list[tuple[int, int, str]]:
    """The annotated sentences of a version as (start, end, text), blank ones dropped."""
    found = []
    for start, end in spans:
        sentence = text[start:end]
        if sentence.strip():
            found.append((start, end, sentence))
    return found
