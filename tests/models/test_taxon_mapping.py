"""Distant labels: GOV.UK taxons mapped to themes exactly as the mapping file says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.taxon_mapping import load_mapping
from policywatch.errors import PolicyWatchError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "govuk" / "content-items"
THEMES = ("funding", "mental_health", "education_of_children_in_care", "local_government")

MAPPING = """
version = "test-1"

[[map]]
base_path = "/health-and-social-care/public-health"
themes = ["mental_health"]

[[map]]
base_path = "/education"
themes = ["education_of_children_in_care"]

[[map]]
base_path = "/business-and-industry"
themes = ["funding"]
descendants = false

[[map]]
title = "Local authority schools funding"
themes = ["local_government"]
"""


def content_item_taxons(name: str) -> list[dict]:
    from spiders.govuk import content_item_to_announcement

    data = json.loads((SHARED / name).read_text(encoding="utf-8"))
    item = content_item_to_announcement(
        data, source_key="govuk", web_base_url="https://www.gov.uk", api_url="", fetched_at=""
    )
    return item.taxons


@pytest.fixture
def mapping(tmp_path: Path):
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return load_mapping(path, themes=THEMES)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/fixtures/govuk is not beside the repo")
def test_real_content_items_get_the_themes_their_taxons_map_to(mapping) -> None:
    coronavirus = content_item_taxons("publication__tagged_to_two_coronavirus_taxons.json")
    guidance = content_item_taxons("publication__best-practice-statutory-guidance.json")
    untagged = content_item_taxons("news_article__best-practice-press-release.json")

    # public health maps directly; /business-and-industry is mapped only as itself
    assert {t["base_path"] for t in coronavirus} >= {
        "/business-and-industry",
        "/health-and-social-care/public-health",
    }
    assert mapping.themes_for(coronavirus) == {"mental_health", "funding"}
    # both taxons sit below /education (an ancestor match); one also matches by title
    assert all("/education" in t["ancestors"] for t in guidance)
    assert mapping.themes_for(guidance) == {"education_of_children_in_care", "local_government"}
    assert untagged == [] and mapping.themes_for(untagged) == set()


def test_descendants_false_stops_at_the_taxon_itself(mapping) -> None:
    child = {
        "base_path": "/business-and-industry/x",
        "title": "X",
        "ancestors": ["/business-and-industry"],
    }
    assert mapping.themes_for([child]) == set()


def test_a_mapping_naming_an_unknown_theme_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[map]]\nbase_path = "/a"\nthemes = ["not_a_theme"]\n', encoding="utf-8")
    with pytest.raises(PolicyWatchError, match="unknown themes"):
        load_mapping(path, themes=THEMES)


def test_a_broken_mapping_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[[map]\nbase_path = ", encoding="utf-8")
    with pytest.raises(PolicyWatchError, match="not valid TOML"):
        load_mapping(path)
    with pytest.raises(PolicyWatchError, match="cannot read"):
        load_mapping(tmp_path / "missing.toml")


def test_the_default_mapping_covers_the_fixture_taxonomy() -> None:
    from models.features import taxonomy
    from policywatch.fixture_site.corpus import load_corpus

    _, themes = taxonomy()
    mapping = load_mapping(themes=themes)
    corpus = load_corpus()
    leaf = {
        "base_path": "/childcare-parenting/fostering",
        "title": "Fostering",
        "ancestors": [
            t.base_path for t in corpus.taxon_chain("/childcare-parenting/fostering")[1:]
        ],
    }
    assert mapping.themes_for([leaf]) == {"fostering"}
