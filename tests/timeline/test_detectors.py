"""The five detectors as pure functions of facts: no database needed."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from timeline.bursts import bursts
from timeline.config import DetectorConfig
from timeline.facts import DocFact, MoneyFact, StatementFact
from timeline.positions import by_key, contradictions, reversals
from timeline.reactive import Trigger, coverage_spikes, reactive
from timeline.reannouncements import reannouncements

_ids = itertools.count(1)
CONFIG = DetectorConfig()


def doc(
    publisher: str,
    when: datetime,
    *,
    kind: str = "government",
    themes: frozenset[str] = frozenset({"residential_care"}),
    reactive_p: float = 0.1,
    no_new_money: bool = False,
) -> DocFact:
    n = next(_ids)
    return DocFact(
        document_id=n,
        version_id=n,
        title=f"Document {n}",
        url=f"https://example.org/{n}",
        publisher=publisher,
        publisher_kind=kind,
        date=when,
        themes=themes,
        reactive=reactive_p,
        cue_span=(0, 10) if reactive_p > 0.5 else None,
        cue_text="In response to today's report" if reactive_p > 0.5 else "",
        planning=0.1,
        no_new_money=no_new_money,
    )


def say(d: DocFact, direction: str, target: str, sentence: str = "") -> StatementFact:
    return StatementFact(
        id=next(_ids),
        doc=d,
        actor=d.publisher,
        direction=direction,
        target=target,
        own_key=target,
        keys=(target,),
        money_gbp=None,
        sentence=sentence or f"We will {direction} {target}.",
        start_char=0,
        end_char=20,
    )


def money(d: DocFact, gbp: int, keys: tuple[str, ...], sentence: str) -> MoneyFact:
    return MoneyFact(d, gbp, sentence, 0, len(sentence), keys, None)


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, tzinfo=UTC)


HOMES = "children's homes places"


def test_two_departments_pointing_opposite_ways_is_one_contradiction() -> None:
    dfe = doc("department-for-education", day(2023, 2, 2))
    mhclg = doc("ministry-of-housing-communities-and-local-government", day(2023, 7, 20))
    again = doc("department-for-education", day(2023, 9, 1))
    facts = [
        say(dfe, "increase", HOMES),
        say(mhclg, "decrease", HOMES),
        say(again, "increase", HOMES),
    ]
    found = contradictions(by_key(facts), CONFIG)
    assert len(found) == 1
    signal = found[0]
    assert signal.kind == "contradiction" and signal.target == HOMES
    assert [e.role for e in signal.evidence][:2] == ["position", "opposing position"]
    assert {e.document_id for e in signal.evidence} == {
        dfe.document_id,
        mhclg.document_id,
        again.document_id,
    }
    assert 0 < signal.score <= 1 and "Conservative" in signal.explanation


def test_positions_of_different_governments_never_contradict() -> None:
    before = doc("hm-treasury", day(2023, 11, 22))
    after = doc("department-for-education", day(2024, 11, 18))
    facts = [say(before, "decrease", "family help"), say(after, "increase", "family help")]
    assert contradictions(by_key(facts), DetectorConfig(contradiction_window_days=800)) == []


def test_sector_bodies_and_distant_positions_are_not_contradictions() -> None:
    dfe = doc("department-for-education", day(2020, 1, 1))
    charity = doc("adcs", day(2020, 2, 1), kind="sector")
    late = doc("ministry-of-justice", day(2022, 6, 1))
    facts = [
        say(dfe, "increase", HOMES),
        say(charity, "decrease", HOMES),
        say(late, "decrease", HOMES),
    ]
    assert contradictions(by_key(facts), DetectorConfig(contradiction_window_days=365)) == []


def test_a_position_the_actor_already_reversed_no_longer_stands() -> None:
    dfe = doc("department-for-education", day(2021, 1, 1))
    dfe_later = doc("department-for-education", day(2021, 3, 1))
    moj = doc("ministry-of-justice", day(2021, 6, 1))
    facts = [
        say(dfe, "increase", HOMES),
        say(dfe_later, "decrease", HOMES),
        say(moj, "increase", HOMES),
    ]
    found = contradictions(by_key(facts), CONFIG)
    # DfE's increase was reversed before MoJ spoke; only DfE's decrease vs MoJ stands
    assert len(found) == 1
    assert {e.document_id for e in found[0].evidence[:2]} == {
        dfe_later.document_id,
        moj.document_id,
    }


def test_a_reversal_keeps_the_chain_of_positions() -> None:
    target = "hotels for unaccompanied asylum-seeking children"
    docs = [doc("home-office", day(y, m, 1)) for y, m in ((2021, 10), (2022, 10), (2024, 1))]
    facts = [
        say(docs[0], "increase", target),
        say(docs[1], "increase", target),
        say(docs[2], "abolish", target),
    ]
    found = reversals(by_key(facts), CONFIG)
    assert len(found) == 1
    assert [e.role for e in found[0].evidence] == ["earlier", "position", "reversal"]
    assert [e.document_id for e in found[0].evidence] == [d.document_id for d in docs]


def test_a_scheduled_end_is_not_a_reversal() -> None:
    start = doc("department-for-education", day(2020, 4, 24))
    end = doc("department-for-education", day(2020, 9, 25))
    facts = [
        say(start, "create", "children's social care regulatory flexibilities"),
        say(
            end,
            "abolish",
            "children's social care regulatory flexibilities",
            "The temporary flexibilities expire today, as set out in April.",
        ),
    ]
    assert reversals(by_key(facts), CONFIG) == []


def test_the_same_money_announced_again_links_every_repeat_and_counts_once() -> None:
    first = doc("hm-treasury", day(2021, 10, 27))
    again = doc("department-for-education", day(2022, 3, 21))
    third = doc("department-for-education", day(2023, 2, 2))
    honest = doc("department-for-education", day(2024, 5, 1), no_new_money=True)
    same_day = doc("department-for-education", day(2021, 10, 27))
    facts = [
        money(first, 259_000_000, (HOMES,), "£259 million for children's homes."),
        money(again, 259_000_000, (HOMES,), "A new £259 million fund for children's homes."),
        money(third, 260_000_000, (HOMES,), "We will put £259.5 million into children's homes."),
        money(honest, 259_000_000, (HOMES,), "The £259 million continues; no new money."),
        money(same_day, 259_000_000, (HOMES,), "£259 million for children's homes, today."),
    ]
    found = reannouncements(facts, CONFIG)
    assert len(found) == 1
    signal = found[0]
    assert [e.document_id for e in signal.evidence] == [
        first.document_id,
        again.document_id,
        third.document_id,
    ]
    assert signal.data["money_total_gbp"] == 259_000_000 and signal.data["repeats"] == 2


def test_different_amounts_or_programmes_are_not_reannouncements() -> None:
    a = doc("hm-treasury", day(2021, 10, 27), themes=frozenset({"family_help"}))
    b = doc("department-for-education", day(2024, 12, 1), themes=frozenset({"family_help"}))
    c = doc("department-for-education", day(2022, 1, 1), themes=frozenset({"adoption"}))
    facts = [
        money(a, 300_000_000, ("family hubs",), "£300 million for family hubs."),
        money(b, 126_000_000, ("family hubs",), "An extra £126 million for family hubs."),
        money(c, 300_000_000, ("adoption support fund",), "£300 million for adoption support."),
    ]
    assert reannouncements(facts, CONFIG) == []


def test_a_reaction_follows_a_trigger_on_its_theme_within_days() -> None:
    event = Trigger("event:review", day(2022, 5, 26), "child_protection", "National review")
    quick = doc(
        "department-for-education",
        day(2022, 5, 26),
        themes=frozenset({"child_protection"}),
        reactive_p=0.9,
    )
    planned = doc("ofsted", day(2022, 6, 6), themes=frozenset({"child_protection"}), reactive_p=0.2)
    late = doc(
        "department-for-education",
        day(2022, 9, 1),
        themes=frozenset({"child_protection"}),
        reactive_p=0.9,
    )
    other = doc(
        "home-office",
        day(2022, 5, 27),
        themes=frozenset({"asylum_seeking_children"}),
        reactive_p=0.9,
    )
    found = reactive([quick, planned, late, other], [event], CONFIG)
    assert [s.key for s in found] == [f"reactive:{quick.document_id}"]
    assert found[0].theme == "child_protection" and "same day" in found[0].explanation


def test_a_spike_of_sector_coverage_is_a_trigger() -> None:
    theme = frozenset({"kinship_care"})
    posts = [doc("kinship", day(2023, 12, d), kind="sector", themes=theme) for d in (1, 3)]
    spikes = coverage_spikes(posts, CONFIG)
    assert spikes and spikes[0].theme == "kinship_care" and spikes[0].document == posts[0]
    answer = doc("department-for-education", day(2023, 12, 6), themes=theme, reactive_p=0.9)
    found = reactive([*posts, answer], spikes, CONFIG)
    assert len(found) == 1 and found[0].evidence[0].role == "trigger"


def test_a_salvo_far_above_the_baseline_is_a_burst_with_its_window_in_the_explanation() -> None:
    theme = frozenset({"adoption"})
    background = [
        doc("department-for-education", day(2015, 1, 1) + timedelta(days=60 * i), themes=theme)
        for i in range(6)
    ]
    salvo = [doc("department-for-education", day(2016, 3, d), themes=theme) for d in (1, 4, 8, 12)]
    found = bursts(background + salvo, CONFIG)
    assert len(found) == 1
    assert {e.document_id for e in found[0].evidence} == {d.document_id for d in salvo}
    assert "14-day window" in found[0].explanation and "Poisson" in found[0].explanation


def test_a_steady_programme_and_a_one_day_package_are_not_bursts() -> None:
    theme = frozenset({"workforce"})
    steady = [
        doc("department-for-education", day(2017, 1, 1) + timedelta(days=28 * i), themes=theme)
        for i in range(8)
    ]
    package = [doc("department-for-education", day(2023, 2, 2), themes=theme) for _ in range(5)]
    assert bursts(steady + package, CONFIG) == []
