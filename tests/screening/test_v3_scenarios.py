"""Issue 18: every point of scam_compound v3, as a scenario that fails on v2.

Each scenario describes one invented person in the items both versions share,
and a check of the assessment. The check must hold for v3 and fail for v2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings

from screening import Assessment, Instrument, assess, load_registry
from screening.answers import is_shown
from tests.screening.support import AS_OF, answers, examples
from tests.screening.test_properties import answer_sets

REGISTRY = load_registry()
V2 = REGISTRY.get("scam_compound", 2)
V3 = REGISTRY.get("scam_compound", 3)

COMPOUND_VICTIM = {
    "how_recruited": ["online_ad"],
    "lived_at_workplace": "yes",
    "free_to_leave": "no",
    "locked_in": "yes",
    "guarded": ["guards"],
    "work_done": ["chat_scams"],
}
"""Recruited by an online advert, living on site, locked in, guarded, made to run scams."""


@dataclass(frozen=True)
class Point:
    name: str
    values: dict[str, Any]
    check: Callable[[Assessment], bool]


def _assess(instrument: Instrument, values: dict[str, Any]) -> Assessment:
    return assess(instrument, answers(values), as_of=AS_OF)


def notes(a: Assessment) -> set[str]:
    return {n.rule for n in a.notes}


def flag(a: Assessment, name: str) -> Any:
    return next((f for f in a.flags if f.flag == name), None)


def strength(a: Assessment) -> str | None:
    raised = flag(a, "forced_criminality")
    return None if raised is None else raised.strength


def _harbouring_claimed_without_act(a: Assessment) -> bool:
    return any("harbour" in r.text.text for r in a.band_reasons) and not a.palermo.act.found


POINTS = [
    # Outcomes that are wrong: confinement is a Palermo means.
    Point(
        "compound_victim_locked_in_and_guarded_meets_palermo_and_gets_shelter",
        COMPOUND_VICTIM,
        lambda a: (
            a.band == "strong_indicators"
            and a.palermo.elements_met
            and "pal_means_coercion" in a.palermo.means.indicators
            and "palermo_elements_met" in {r.rule for r in a.band_reasons}
            and "shelter" in a.referral_services()
        ),
    ),
    Point(
        "armed_guards_make_the_palermo_summary_find_a_means",
        {"armed_guards": "yes", "locked_in": "yes", "how_recruited": ["agent"]},
        lambda a: a.band == "strong_indicators" and a.palermo.means.found,
    ),
    Point(
        "not_free_to_leave_alone_is_a_means",
        {"free_to_leave": "no"},
        lambda a: a.palermo.means.found,
    ),
    Point(
        "people_punished_for_escaping_is_a_means",
        {"escape_punished": "yes"},
        lambda a: a.palermo.means.found,
    ),
    Point(
        "debt_added_as_punishment_is_a_means",
        {"had_target": "yes", "target_missed": ["debt_added"]},
        lambda a: a.palermo.means.found,
    ),
    Point(
        "escorted_off_site_is_a_means",
        {"guarded": ["escorted"]},
        lambda a: a.palermo.means.found,
    ),
    Point(
        "forced_by_confinement_never_says_no_means",
        {"locked_in": "yes", "work_done": ["crypto_fraud"]},
        lambda a: flag(a, "forced_criminality") is not None and a.palermo.means.found,
    ),
    # Outcomes that are wrong: a child's purpose-only result.
    Point(
        "child_purpose_only_reason_claims_no_act_that_was_not_found",
        {"age_years": 16, "work_done": ["chat_scams"]},
        lambda a: (
            a.band == "strong_indicators"
            and not a.palermo.act.found
            and not _harbouring_claimed_without_act(a)
        ),
    ),
    # Notes that must not cast doubt.
    Point(
        "coherent_all_yes_account_gets_no_doubt",
        {
            "safe_now": "yes",
            "food_and_water": "yes",
            "safe_place_tonight": "yes",
            "hurt_now": "yes",
            "locked_in": "yes",
            "threatened_you": "yes",
        },
        lambda a: notes(a) == set(),
    ),
    Point(
        "observer_item_alone_is_nothing_answered",
        {"observed_age": "yes"},
        lambda a: (
            a.answered == 0
            and a.observer_answered == 1
            and "nothing_answered" in {r.rule for r in a.band_reasons}
            and a.has_flag("child")
        ),
    ),
    Point(
        "observer_item_does_not_change_what_the_person_said",
        {"observed_age": "no", "hurt_now": "yes"},
        lambda a: a.answered == 1 and a.observer_answered == 1,
    ),
    # Flags that say what they rest on.
    Point(
        "fraud_work_and_unpaid_wages_is_only_possible",
        {"work_done": ["chat_scams"], "paid_as_promised": "no"},
        lambda a: (
            strength(a) == "possible"
            and "screen further" in flag(a, "forced_criminality").note.text
        ),
    ),
    Point(
        "fraud_work_and_threats_is_strong_and_shows_its_evidence",
        {"work_done": ["chat_scams"], "threatened_you": "yes"},
        lambda a: (
            strength(a) == "strong"
            and {e.item_id for e in flag(a, "forced_criminality").evidence}
            == {"work_done", "threatened_you"}
        ),
    ),
    Point(
        "a_target_is_not_fraud_work_for_a_cleaner",
        {"work_done": ["compound_work"], "had_target": "yes"},
        lambda a: (
            "profile_fraud_work" not in a.indicator_codes()
            and "sc_fraud_quota" not in a.indicator_codes()
            and "compulsion_not_assessed" not in notes(a)
        ),
    ),
    # The child hand-over.
    Point(
        "no_child_specialist_marks_the_sensitive_answers_and_asks_to_repeat",
        {"age_years": 15, "child_handover": "no", "hit_or_hurt": "yes", "hurt_now": "yes"},
        lambda a: any(
            n.rule == "child_without_specialist"
            and "hit_or_hurt" in n.items
            and "hurt_now" not in n.items
            and "repeat" in n.text.text
            for n in a.notes
        ),
    ),
    Point(
        "a_date_of_birth_under_18_brings_up_the_hand_over",
        {"date_of_birth": "2010-06-01", "child_handover": "no"},
        lambda a: (
            "child_handover" not in a.ignored_hidden_answers
            and "child_without_specialist" in notes(a)
        ),
    ),
]


@pytest.mark.parametrize("point", POINTS, ids=[p.name for p in POINTS])
def test_point_holds_on_v3(point: Point) -> None:
    assert point.check(_assess(V3, point.values))


@pytest.mark.parametrize("point", POINTS, ids=[p.name for p in POINTS])
def test_point_fails_on_v2(point: Point) -> None:
    assert not point.check(_assess(V2, point.values))


def test_v3_is_the_default() -> None:
    assert REGISTRY.get("scam_compound") is V3
    assert REGISTRY.versions("scam_compound") == (1, 2, 3)


WEAK: list[dict[str, Any]] = [
    {"paid_as_promised": "no"},
    {"things_taken": ["bank_card"]},
    {"contact_family": "no"},
    {"knew_location": "no"},
    {"phone_watched": "yes"},
    {"saw_others_hurt": "yes"},
    {"afraid_of_someone_here": "yes"},
]
STRONG: list[dict[str, Any]] = [
    {"threatened_you": "yes"},
    {"hit_or_hurt": "yes"},
    {"locked_in": "yes"},
    {"free_to_leave": "no"},
    {"told_you_owed": "yes"},
    {"passport_now": "people_in_charge"},
    {"sold": "yes"},
    {"could_refuse": "no"},
    {"escape_punished": "yes"},
    {"target_missed": ["debt_added"], "had_target": "yes"},
    {"armed_guards": "yes"},
    {"age_years": 16},
]


@pytest.mark.parametrize("extra", WEAK, ids=[next(iter(w)) for w in WEAK])
def test_a_weak_sign_alone_raises_the_flag_as_possible(extra: dict[str, Any]) -> None:
    a = _assess(V3, {"used_scripts": "yes", **extra})
    raised = flag(a, "forced_criminality")
    assert raised is not None and raised.strength == "possible"  # still errs to protection
    assert next(iter(extra)) in {e.item_id for e in raised.evidence}


@pytest.mark.parametrize("extra", STRONG, ids=[next(iter(s)) for s in STRONG])
def test_a_strong_sign_makes_the_flag_strong(extra: dict[str, Any]) -> None:
    a = _assess(V3, {"used_scripts": "yes", **extra})
    raised = flag(a, "forced_criminality")
    assert raised is not None and raised.strength == "strong"
    assert "used_scripts" in {e.item_id for e in raised.evidence}
    assert a.palermo.means.found or a.has_flag("child")  # the summary never says "no means"


def test_a_target_is_a_fraud_quota_for_someone_who_did_fraud_work() -> None:
    a = _assess(V3, {"work_done": ["chat_scams"], "had_target": "yes"})
    assert {"sc_fraud_quota", "profile_fraud_work"} <= a.indicator_codes()


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ({"date_of_birth": "2010-06-01"}, True),
        ({"date_of_birth": "2007"}, True),  # may be under 18 on AS_OF: presumed a child
        ({"date_of_birth": "1990-04-02"}, False),
        ({"age_years": 15}, True),
        ({"age_estimate": "under_18"}, True),
        ({"observed_age": "yes"}, True),
        ({}, False),
    ],
)
def test_the_hand_over_prompt_follows_any_sign_of_a_child(
    values: dict[str, Any], shown: bool
) -> None:
    assert is_shown(V3.items_by_id["child_handover"], answers(values), AS_OF) is shown


def test_an_adult_date_of_birth_hides_the_hand_over() -> None:
    a = _assess(V3, {"date_of_birth": "1990-04-02", "child_handover": "no"})
    assert a.ignored_hidden_answers == ("child_handover",)
    assert "child_without_specialist" not in notes(a)


def test_no_note_of_v3_comes_from_agreement_alone() -> None:
    """Notes about inconsistency come only from pairs that cannot both be true."""
    assert all(n.uniform_keyed_answers is None for n in V3.notes)
    assert all(n.answers is not None for n in V3.notes if n.kind == "clarify")


def test_wording_presumes_neither_confinement_nor_compulsion() -> None:
    v2 = {s.id: s.title for s in V2.sections} | {i.id: i.text for i in V2.items}
    v3 = {s.id: s.title for s in V3.sections} | {i.id: i.text for i in V3.items}
    assert "kept" in v2["the_place"] and "kept" not in v3["the_place"]
    assert "have to" in v2["hours_per_day"] and "have to" not in v3["hours_per_day"]
    assert not [t for t in v3.values() if "were kept" in t or "have to work" in t]


@settings(max_examples=examples(150))
@given(values=answer_sets(3))
def test_what_a_v3_result_shows_is_what_its_rules_used(values: dict[str, Any]) -> None:
    a = assess(V3, values, as_of=AS_OF)
    rules = {r.rule for r in a.band_reasons}
    if "palermo_elements_met" in rules:
        assert a.palermo.elements_met and a.palermo.act.found and a.palermo.purpose.found
    if "child_exploitation_purpose" in rules:
        assert a.has_flag("child") and a.palermo.purpose.found
    assert not _harbouring_claimed_without_act(a)
    raised = flag(a, "forced_criminality")
    if raised is not None:
        assert "pal_purpose_forced_criminality" in a.palermo.purpose.indicators
        # A strong sign of compulsion is always a Palermo means too (or the person a child).
        assert a.palermo.means.found or a.has_flag("child") or raised.strength == "possible"
        assert raised.evidence and raised.strength in {"strong", "possible"}
        (rule,) = [f for f in V3.flags if f.flag == "forced_criminality"]
        strong = set(rule.strong_if_any) & a.indicator_codes()
        assert (raised.strength == "strong") is bool(strong)
