"""Keyword filters: the search box syntax and boolean queries, matched on whole words."""

from __future__ import annotations

import pytest

from alerts.keywords import Text, parse_keywords
from policywatch.errors import PolicyWatchError

TEXT = Text(
    "Kinship carers will get a new allowance. Special guardianship orders rise; "
    "the adoption support fund is unchanged."
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kinship", True),
        ("kinship -adoption", False),  # the search box syntax: -word excludes
        ('"special guardianship"', True),
        ('"guardianship special"', False),  # a phrase is words in order
        ("kinship allowance", True),  # adjacent terms: AND
        ("kinship fostering", False),
        ("kinship OR fostering", True),
        ("kinship AND NOT adoption", False),
        ("fostering OR (kinship AND allowance)", True),
        ('kinship AND ("special guardianship" OR SGO) NOT adoption', False),
        ('kinship AND ("special guardianship" OR SGO)', True),
        ("NOT fostering", True),
        ("KINSHIP", True),  # case-insensitive words; operators are upper-case words only
        ("kin", False),  # whole words, not prefixes
        ("(fostering OR adoption) -kinship", False),
    ],
)
def test_queries_match_as_documented(query: str, expected: bool) -> None:
    expr = parse_keywords(query)
    assert expr is not None
    assert expr.matches(TEXT) is expected


def test_anchors_are_words_a_match_must_contain() -> None:
    assert parse_keywords("kinship -adoption").anchors() == {"kinship"}
    assert parse_keywords("kinship OR fostering").anchors() == {"kinship", "fostering"}
    # a phrase anchors on a pair of its words, which the index looks up among the text's pairs
    assert parse_keywords('"special guardianship" AND sgo').anchors() in (
        {"special guardianship"},
        {"sgo"},
    )
    assert "special guardianship" in TEXT.index_keys
    assert "guardianship special" not in TEXT.index_keys
    assert parse_keywords("NOT adoption").anchors() is None
    assert parse_keywords("kinship OR NOT adoption").anchors() is None


def test_hits_and_description_name_what_matched() -> None:
    expr = parse_keywords('kinship AND ("special guardianship" OR SGO) -fostering')
    assert expr.hits(TEXT) == ["kinship", "special guardianship"]
    assert expr.describe() == 'kinship AND ("special guardianship" OR sgo) AND NOT fostering'


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kinship AND", "a term is missing"),
        ("(kinship OR adoption", "unbalanced parenthesis"),
        ("kinship )", "unexpected ')'"),
        ("-adoption", "only excludes"),
    ],
)
def test_bad_queries_are_clear_errors(query: str, message: str) -> None:
    with pytest.raises(PolicyWatchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_keywords(query)


def test_empty_query_is_no_filter() -> None:
    assert parse_keywords("   ") is None
