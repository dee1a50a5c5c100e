"""Labelled data: near-duplicates stay on one side, splits are stable, hashes track labels."""

from __future__ import annotations

from models.dataset import (
    Example,
    data_hash,
    group_near_duplicates,
    labelled_examples,
    split_groups,
)

TEXT = (
    "The Department for Education will fund {n} new places in secure children's homes, "
    "with a capital programme for councils in the north west and the midlands."
)


def example(key: str, text: str, *, reactive: bool = False, origin: str = "gold") -> Example:
    return Example(
        key=key, text=text, origin=origin, themes=frozenset({"residential_care"}), reactive=reactive
    )


def test_near_duplicates_share_a_group_and_land_on_one_side() -> None:
    examples = [example(f"gold:{i}", TEXT.format(n=100 + i)) for i in range(3)]
    examples += [
        example(
            f"gold:other{i}",
            f"Unrelated text number {i} about kinship carers "
            f"and allowances paid in year {2000 + i}.",
        )
        for i in range(40)
    ]
    group_near_duplicates(examples)

    assert len({e.group for e in examples[:3]}) == 1
    assert len({e.group for e in examples[3:]}) == 40
    _train, test = split_groups(examples, seed=7)
    sides = {("test" if e in test else "train") for e in examples[:3]}
    assert len(sides) == 1


def test_the_split_is_stable_stratified_and_never_tests_distant_labels() -> None:
    examples = [example(f"gold:{i}", f"text {i}", reactive=i % 5 == 0) for i in range(100)]
    examples += [example(f"taxon:{i}", f"taxon text {i}", origin="taxon") for i in range(20)]
    for e in examples:
        e.group = e.key
    train, test = split_groups(examples, seed=3)
    _again_train, again_test = split_groups(list(reversed(examples)), seed=3)

    assert {e.key for e in test} == {e.key for e in again_test}
    assert not any(e.origin == "taxon" for e in test)
    assert sum(bool(e.reactive) for e in test) == 5  # a quarter of the 20 reactive groups
    assert len(test) == 25
    assert {e.key for e in train} | {e.key for e in test} == {e.key for e in examples}


def test_the_data_hash_changes_with_labels_not_with_order() -> None:
    a, b = example("gold:a", "one"), example("gold:b", "two")
    relabelled = Example("gold:a", "one", "gold", frozenset({"fostering"}))

    assert data_hash([a, b], task="themes") == data_hash([b, a], task="themes")
    assert data_hash([a, b], task="themes") != data_hash([relabelled, b], task="themes")


def test_the_repository_labelled_data_covers_every_theme() -> None:
    from models.features import taxonomy

    examples = labelled_examples()
    _, themes = taxonomy()
    seen = {t for e in examples for t in e.themes}

    assert {e.origin for e in examples} == {"corpus", "gold"}
    assert seen == set(themes)
    assert all(e.text.strip() for e in examples)
