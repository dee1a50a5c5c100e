"""Builds a tiny corpus in a folder, so fixture-site tests never depend on
what the corpus writers happen to have written."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from policywatch.fixture_site.corpus import CORPUS_DIR

HOMES_OLD_BODY = "The department will spend £100 million on children's homes.\n"
HOMES_BODY = """The department will spend £259 million on children's homes.

## Why it matters

| region | places |
|---|---|
| North | 40 |

- more homes near family
"""
REPORT_TEXT = (
    "Children's homes sufficiency (2021): the £259 million programme adds places.\n\n"
    + "A back\\slash and (parentheses) survive the round trip. " * 30
)


def write_doc(folder: Path, body: str, **meta: Any) -> Path:
    """Write one corpus document the way the corpus writers do."""
    path = folder / "documents" / f"{meta['id']}.md"
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return path


def _govuk_docs(folder: Path) -> None:
    write_doc(
        folder,
        HOMES_BODY,
        id="dfe-homes-press",
        source="govuk",
        publisher="department-for-education",
        other_publishers=["hm-treasury"],
        document_type="press_release",
        title="Money for children's homes",
        description="Funding for new children's homes places.",
        people=["a-minister"],
        taxons=["/childcare-parenting/fostering"],
        versions=[
            {
                "public_timestamp": "2020-03-01T09:30:00Z",
                "note": "First published.",
                "body": HOMES_OLD_BODY,
            },
            {"public_timestamp": "2021-05-10T11:00:00Z", "note": "Corrected the amount."},
        ],
        attachments=[
            {"title": "Homes report", "filename": "homes-report.pdf", "text": REPORT_TEXT}
        ],
        labels={
            "themes": ["residential_care", "funding"],
            "statements": [
                {
                    "actor": "department-for-education",
                    "direction": "increase",
                    "target": "children's homes places",
                    "money_gbp": 259000000,
                    "sentence": "The department will spend £259 million on children's homes.",
                }
            ],
        },
    )
    write_doc(
        folder,
        "Speech about protecting children.\n",
        id="dfe-protection-speech",
        source="govuk",
        publisher="department-for-education",
        document_type="speech",
        title="Protecting children: a speech",
        description="A minister speaks.",
        taxons=["/childcare-parenting/child-protection"],
        versions=[{"public_timestamp": "2019-06-01T10:00:00Z", "note": "First published."}],
        labels={"themes": ["child_protection"]},
    )
    write_doc(
        folder,
        "Policy for unaccompanied children.\n",
        id="ho-asylum-policy",
        source="govuk",
        publisher="home-office",
        document_type="policy_paper",
        title="Asylum-seeking children policy",
        description="How placements work.",
        taxons=["/entering-staying-uk/refugees-asylum-human-rights"],
        versions=[{"public_timestamp": "2022-09-01T10:00:00Z", "note": "First published."}],
        withdrawn={
            "explanation": "Replaced by new guidance.",
            "withdrawn_at": "2023-01-01T00:00:00Z",
        },
        labels={"themes": ["asylum_seeking_children"]},
    )
    write_doc(
        folder,
        "Outcome of the mental health consultation.\n",
        id="dhsc-mental-health-outcome",
        source="govuk",
        publisher="department-of-health-and-social-care",
        document_type="consultation_outcome",
        title="Mental health support: outcome",
        description="What we heard.",
        taxons=["/health-and-social-care/mental-health-service-reform"],
        versions=[{"public_timestamp": "2024-08-01T10:00:00Z", "note": "First published."}],
        labels={"themes": ["mental_health"]},
    )


def _sector_docs(folder: Path) -> None:
    for i, (day, extra) in enumerate(
        [
            ("2018-01-10", {}),
            (
                "2021-03-03",
                {
                    "attachments": [
                        {
                            "title": "Our report",
                            "filename": "cc-report.pdf",
                            "text": "The Commissioner's report on homes.",
                        }
                    ]
                },
            ),
            ("2023-11-20", {}),
        ]
    ):
        versions = [{"public_timestamp": f"{day}T10:00:00Z", "note": "First published."}]
        if i == 2:
            versions.append({"public_timestamp": "2024-01-05T10:00:00Z", "note": "Updated."})
        write_doc(
            folder,
            f"Blog post number {i} about children in care — “quoted”.\n",
            id=f"cc-blog-{i}",
            source="wordpress",
            publisher="childrens-commissioner",
            document_type="blog_post",
            title=f"Commissioner blog {i}",
            description=f"Blog {i} summary.",
            versions=versions,
            labels={"themes": ["residential_care"]},
            **extra,
        )
    for i in range(12):
        write_doc(
            folder,
            f"Kinship news item {i}.\n",
            id=f"kinship-news-{i:02d}",
            source="html",
            publisher="kinship",
            document_type="news",
            title=f"Kinship news {i:02d}",
            description=f"Kinship summary {i}.",
            versions=[
                {"public_timestamp": f"2022-{i + 1:02d}-15T10:00:00Z", "note": "First published."}
            ],
            attachments=[
                {
                    "title": "Kinship report",
                    "filename": "kinship-report.pdf",
                    "text": "Kinship report text.",
                }
            ]
            if i == 11
            else [],
            labels={"themes": ["kinship_care"]},
        )


def build_tiny_corpus(folder: Path) -> Path:
    """A valid tiny corpus: 4 GOV.UK documents, 3 WordPress posts, 12 HTML news items."""
    (folder / "documents").mkdir(parents=True)
    (folder / "ground_truth").mkdir()
    for name in ("publishers.yaml", "taxons.yaml"):
        shutil.copy(CORPUS_DIR / name, folder / name)
    _govuk_docs(folder)
    _sector_docs(folder)
    (folder / "ground_truth" / "signals-test.yaml").write_text(
        yaml.safe_dump(
            {
                "signals": [
                    {
                        "id": "burst-kinship",
                        "kind": "burst",
                        "theme": "kinship_care",
                        "documents": ["kinship-news-00", "kinship-news-01"],
                        "explanation": "Two in a row.",
                    }
                ],
                "controls": [
                    {
                        "id": "control-homes",
                        "looks_like": "reversal",
                        "documents": ["dfe-homes-press"],
                        "why_not": "A correction.",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    (folder / "ground_truth" / "events.yaml").write_text(
        yaml.safe_dump(
            [
                {
                    "id": "review",
                    "date": "2022-05-26",
                    "kind": "serious_case_review",
                    "theme": "child_protection",
                    "title": "A review",
                },
            ]
        ),
        encoding="utf-8",
    )
    return folder
