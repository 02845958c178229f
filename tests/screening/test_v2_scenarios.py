"""Issue 11: every logic fix of scam_compound v2, as a scenario that fails on v1.

Each scenario describes one invented person, in the items of each version
(``v1`` overrides where the item changed), and a check of the assessment.
The check must hold for v2 and fail for v1: either v1 gives the wrong
result, or v1 cannot record the answer at all (an unknown item or option).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from screening import AnswerValidationError, Assessment, Instrument, assess, load_registry
from screening.answers import is_shown
from tests.screening.support import AS_OF, answers

REGISTRY = load_registry()
V1 = REGISTRY.get("scam_compound", 1)
V2 = REGISTRY.get("scam_compound", 2)


@dataclass(frozen=True)
class Fix:
    item: str
    name: str
    values: dict[str, Any]
    check: Callable[[Assessment], bool]
    v1: dict[str, Any] | None = None


def _assess(instrument: Instrument, values: dict[str, Any]) -> Assessment | None:
    try:
        return assess(instrument, answers(values), as_of=AS_OF)
    except AnswerValidationError:
        return None


def flag(a: Assessment, name: str) -> bool:
    return a.has_flag(name)  # type: ignore[arg-type]


def note(a: Assessment, rule: str) -> bool:
    return any(n.rule == rule for n in a.notes)


def referred(*services: str) -> Callable[[Assessment], bool]:
    return lambda a: set(services) <= set(a.referral_services())


def purpose(a: Assessment) -> frozenset[str]:
    return frozenset(a.palermo.purpose.indicators)


FIXES = [
    Fix(
        "1",
        "deceptive_it_offer_scripts_and_beatings_is_strong",
        {
            "promised_other_job": "yes",
            "job_promised": "it",
            "used_scripts": "yes",
            "had_target": "yes",
            "target_missed": ["beaten"],
        },
        lambda a: a.band == "strong_indicators" and a.palermo.elements_met,
    ),
    Fix(
        "1",
        "a_false_job_offer_is_the_act_of_recruitment",
        {"promised_other_job": "yes"},
        lambda a: "pal_act_recruitment" in a.palermo.act.indicators,
    ),
    Fix(
        "1",
        "living_at_the_workplace_is_harbouring",
        {"lived_at_workplace": "yes"},
        lambda a: "pal_act_harbouring" in a.palermo.act.indicators,
    ),
    Fix(
        "2",
        "fraud_work_freely_chosen_raises_no_flag_but_a_compulsion_note",
        {"work_done": ["chat_scams"], "could_refuse": "yes"},
        lambda a: (
            not flag(a, "forced_criminality")
            and not purpose(a)
            and note(a, "compulsion_not_assessed")
        ),
    ),
    Fix(
        "3",
        "a_stated_adult_who_looks_under_18_is_flagged_a_child",
        {"age_years": 19, "observed_age": "yes"},
        lambda a: flag(a, "child"),
        v1={"age_years": 19, "age_estimate": "under_18"},
    ),
    Fix(
        "3",
        "a_passport_holder_who_looks_under_18_is_flagged_a_child",
        {"date_of_birth": "2001-01-01", "observed_age": "yes"},
        lambda a: flag(a, "child"),
        v1={"date_of_birth": "2001-01-01", "age_estimate": "under_18"},
    ),
    *(
        Fix(
            "4",
            f"{item}_is_an_immediate_need",
            {item: "yes"},
            lambda a, code=code: flag(a, "immediate_needs") and code in a.indicator_codes(),
        )
        for item, code in (
            ("self_harm", "need_self_harm_risk"),
            ("dependants_here", "need_dependants"),
            ("afraid_of_arrest", "need_fear_of_arrest"),
            ("contact_family_now", "need_contact_family"),
            ("needs_interpreter", "need_interpreter"),
        )
    ),
    Fix(
        "4",
        "recent_sexual_violence_is_an_immediate_medical_need",
        {"sexual_violence": "yes", "sexual_violence_recent": "yes"},
        lambda a: flag(a, "immediate_needs") and "medical" in a.referral_services(),
        v1={"sexual_violence": "yes"},
    ),
    Fix(
        "4",
        "self_harm_is_referred_to_medical_and_psychosocial_care",
        {"self_harm": "yes"},
        referred("medical", "psychosocial"),
    ),
    Fix(
        "5",
        "quota_beatings_raise_the_flag_and_the_purpose_together",
        {"had_target": "yes", "target_missed": ["beaten"]},
        lambda a: flag(a, "forced_criminality") and "pal_purpose_forced_criminality" in purpose(a),
    ),
    Fix(
        "6",
        "a_child_made_to_scam_who_skips_recruitment_is_strong",
        {"age_years": 16, "work_done": ["chat_scams"]},
        lambda a: a.band == "strong_indicators" and flag(a, "forced_criminality"),
    ),
    Fix(
        "8",
        "the_same_answer_to_items_keyed_both_ways_gets_a_note",
        {
            "safe_now": "yes",
            "food_and_water": "yes",
            "safe_place_tonight": "yes",
            "hurt_now": "yes",
            "need_doctor": "yes",
            "family_in_danger": "yes",
        },
        lambda a: note(a, "uniform_answers"),
    ),
    Fix(
        "9",
        "a_smuggled_migrant_doing_scam_work_is_not_all_elements",
        {"crossed_border": "yes", "secret_crossing": "yes", "work_done": ["chat_scams"]},
        lambda a: (
            not a.palermo.elements_met
            and "pal_means_abuse_of_vulnerability" not in a.indicator_codes()
        ),
    ),
    Fix(
        "10",
        "isolation_is_a_strong_indicator",
        {"contact_family": "no", "pay_held_back": "yes", "hours_per_day": 14},
        lambda a: a.band == "strong_indicators",
    ),
    Fix(
        "10",
        "four_medium_ilo_indicators_are_strong",
        {
            "situation_used": "yes",
            "lied_about_place": "yes",
            "paid_as_promised": "no",
            "hours_per_day": 14,
        },
        lambda a: (
            a.band == "strong_indicators"
            and any(r.rule == "four_ilo_indicators" for r in a.band_reasons)
        ),
    ),
    Fix(
        "11",
        "unarmed_guards_and_escorts_restrict_movement",
        {"guarded": ["guards", "escorted"]},
        lambda a: "ilo_restriction_of_movement" in a.indicator_codes(),
    ),
    Fix(
        "11",
        "lies_about_pay_are_deception",
        {"lied_about_terms": ["pay"]},
        lambda a: {"ilo_deception", "pal_means_deception"} <= a.indicator_codes(),
    ),
    Fix(
        "11",
        "impersonation_calls_are_fraud_work_not_forced_labour",
        {"work_done": ["impersonation_calls"], "could_refuse": "no"},
        lambda a: "pal_purpose_forced_criminality" in purpose(a),
        v1={"work_done": ["other"], "could_refuse": "no"},
    ),
    Fix(
        "11",
        "met_in_person_is_recruitment",
        {"how_recruited": ["met_in_person", "looked_myself"]},
        lambda a: "pal_act_recruitment" in a.indicator_codes(),
    ),
    Fix(
        "11",
        "a_passport_held_by_the_people_in_charge_is_retention",
        {"passport_now": "people_in_charge"},
        lambda a: "ilo_retention_of_documents" in a.indicator_codes(),
    ),
    Fix(
        "11",
        "sexual_services_get_medical_and_psychosocial_referrals",
        {"work_done": ["sexual_services"]},
        referred("medical", "psychosocial"),
    ),
    Fix(
        "11",
        "a_citizen_whose_id_card_was_taken_is_not_sent_to_an_embassy",
        {"citizen_here": "yes", "things_taken": ["id_card"]},
        lambda a: "embassy" not in a.referral_services(),
    ),
    Fix(
        "12",
        "threatened_family_needing_protection_is_an_immediate_need",
        {"threatened_family": "yes", "family_needs_protection": "yes"},
        lambda a: flag(a, "immediate_needs") and "need_family_protection" in a.indicator_codes(),
        v1={"threatened": "yes"},
    ),
    Fix(
        "12",
        "distress_is_multiple_choice",
        {"trouble_sleeping": ["bad_dreams"]},
        referred("psychosocial"),
    ),
    Fix(
        "14",
        "contradictory_answers_are_kept_and_listed_to_clarify",
        {"free_to_leave": "yes", "locked_in": "yes"},
        lambda a: (
            "ilo_restriction_of_movement" in a.indicator_codes()
            and any(
                n.kind == "clarify" and n.items == ("free_to_leave", "locked_in") for n in a.notes
            )
        ),
    ),
]


@pytest.mark.parametrize("fix", FIXES, ids=[f"item{f.item}-{f.name}" for f in FIXES])
def test_fix_holds_on_v2(fix: Fix) -> None:
    result = _assess(V2, fix.values)
    assert result is not None
    assert fix.check(result)


@pytest.mark.parametrize("fix", FIXES, ids=[f"item{f.item}-{f.name}" for f in FIXES])
def test_fix_fails_on_v1(fix: Fix) -> None:
    result = _assess(V1, fix.v1 if fix.v1 is not None else fix.values)
    assert result is None or not fix.check(result)


@pytest.mark.parametrize(
    "values",
    [
        {"work_done": ["impersonation_calls"], "guarded": ["guards"]},
        {"used_scripts": "yes", "passport_now": "people_in_charge"},
        {"handled_fraud_money": "yes", "threatened_you": "yes"},
        {"work_done": ["data_leads"], "age_years": 15},
    ],
)
def test_item2_fraud_work_with_compulsion_still_raises_the_flag_without_the_note(
    values: dict[str, Any],
) -> None:
    result = _assess(V2, values)
    assert result is not None
    assert flag(result, "forced_criminality") and not note(result, "compulsion_not_assessed")


def test_every_forced_criminality_flag_has_its_purpose() -> None:
    for fix in FIXES:
        result = _assess(V2, fix.values)
        assert result is not None
        if flag(result, "forced_criminality"):
            assert "pal_purpose_forced_criminality" in purpose(result), fix.name


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ({"age_years": 15}, True),
        ({"age_years": 25}, False),
        ({"age_estimate": "under_18"}, True),
        ({"age_years": 25, "observed_age": "yes"}, True),
        ({}, False),
    ],
)
def test_item7_the_child_hand_over_prompt_follows_any_sign_of_a_child(
    values: dict[str, Any], shown: bool
) -> None:
    assert is_shown(V2.items_by_id["child_handover"], answers(values)) is shown
    assert "child_handover" not in V1.items_by_id


def test_item8_eleven_items_are_marked_reverse_keyed() -> None:
    marked = {i.id for i in V2.items if i.reverse_keyed}
    assert len(marked) == 11
    assert {"free_to_leave", "could_refuse", "papers_returned", "paid_as_promised"} <= marked
    assert not any(i.reverse_keyed for i in V1.items)


def test_item12_wording() -> None:
    text = {i.id: i.text for i in V2.items}
    assert text["work_done"].startswith("What work did you do there?")
    assert text["papers_returned"] == "Could you get your papers back when you wanted them?"
    assert len(text["handled_fraud_money"].split()) < 15
    assert "home country" not in text["want_to_go_home"]
    assert "threatened" not in text
    assert {"threatened_you", "threatened_family"} <= set(text)
    kinds = {i.id: i.type for i in V2.items}
    for item_id in ("living_conditions", "needs_withheld", "trouble_sleeping", "how_recruited"):
        assert kinds[item_id] == "multiple_choice"
    rationale = V2.items_by_id["afraid_of_someone_here"].evidence[0].rationale
    assert "police" in rationale
