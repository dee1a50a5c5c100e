"""Target matching and sentence-level directions."""

from __future__ import annotations

import pytest

from timeline.mentions import refined_direction, sentence_positions
from timeline.targets import fold_target, own_keys, sentence_targets, target_keys


def test_different_wordings_of_one_target_meet() -> None:
    wordings = [
        "residential capacity",
        "places in children's homes",
        "children's home places",
    ]
    assert {fold_target(w) for w in wordings} == {"children's homes places"}


def test_a_near_spelling_folds_onto_the_canonical_target() -> None:
    # not in any synonym table: folded by lemma-level similarity
    assert fold_target("childrens home place") == "children's homes places"


def test_the_sentence_names_targets_the_statement_missed() -> None:
    sentence = "The Youth Custody Service will buy fewer beds in secure children's homes."
    assert "secure children's homes places" in sentence_targets(sentence)
    # the longer name is found, not also the shorter one inside it
    assert "children's homes places" not in sentence_targets(sentence)
    assert "secure children's homes places" in target_keys("bed", sentence)


def test_vague_and_broad_targets_are_not_matched_on() -> None:
    assert own_keys("placement") == ()
    assert own_keys("children's social care system") == ()
    assert own_keys("regional care co-operatives") == ("regional care co-operatives",)


@pytest.mark.parametrize(
    ("sentence", "target", "direction"),
    [
        ("The service will buy fewer beds in secure children's homes.",
         "secure children's homes places", "decrease"),
        ("We will open more children's homes in the areas that need them.",
         "children's homes places", "increase"),
        ("The Home Office will end the use of hotels for unaccompanied children.",
         "hotels for unaccompanied asylum-seeking children", "abolish"),
        ("We will not introduce a universal allowance for kinship carers.",
         "kinship allowance", "refuse"),
        ("Inspections will continue to award an overall effectiveness grade.",
         "overall effectiveness grades in social care inspections", "maintain"),
    ],
)  # fmt: skip
def test_directions_are_read_from_cues_near_the_target(
    sentence: str, target: str, direction: str
) -> None:
    assert (target, direction) in sentence_positions(sentence)


def test_a_quantity_after_the_target_is_about_something_else() -> None:
    positions = dict(sentence_positions("Family hubs mean that fewer children reach crisis."))
    assert positions.get("family hubs") != "decrease"


def test_a_statement_that_turns_something_down_is_a_refusal() -> None:
    sentence = "The department has decided not to set a national price cap."
    assert refined_direction("maintain", sentence) == "refuse"
    assert refined_direction("maintain", "Councils will keep their duties.") == "maintain"
