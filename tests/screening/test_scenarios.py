"""Scenario tests: realistic synthetic people screened with scam_compound v1.

Each scenario is checked for four behaviours, one per test: its band, the
exact flags raised, the exact referral services, and the indicators it must
(and must not) show. All people here are invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from screening import Assessment
from screening.answers import is_shown
from tests.screening.support import builtin, denials, run, skip


@dataclass(frozen=True)
class Scenario:
    name: str
    values: dict[str, Any]
    band: str
    flags: frozenset[str] = frozenset()
    referrals: frozenset[str] = frozenset()
    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    elements_met: bool | None = None
    reasons: tuple[str, ...] = field(default=())


def _all(kind: str) -> dict[str, Any]:
    """Every item shown to someone who skips everything, skipped with `kind`."""
    result: dict[str, Any] = {}
    for item in builtin().items:
        if is_shown(item, result):
            result[item.id] = skip(kind)
    return result


S = Scenario
SCENARIOS = [
    S(
        name="child_16_recruited_online_made_to_scam_no_means_disclosed",
        values={"age_years": 16, "how_recruited": "online_ad", "work_done": ["chat_scams"]},
        band="strong_indicators",
        flags=frozenset({"child", "forced_criminality"}),
        referrals=frozenset({"child_protection", "legal_aid", "shelter"}),
        present=frozenset({"profile_child", "pal_act_recruitment"}),
        absent=frozenset({"pal_means_deception", "pal_means_force"}),
        elements_met=True,
        reasons=("palermo_elements_met",),
    ),
    S(
        name="adult_it_job_lure_passport_taken_beaten_for_quota",
        values={
            "age_years": 27,
            "how_recruited": "social_media",
            "promised_other_job": "yes",
            "job_promised": "it",
            "things_taken": ["passport"],
            "work_done": ["crypto_fraud"],
            "used_scripts": "yes",
            "had_target": "yes",
            "target_missed": ["beaten"],
        },
        band="strong_indicators",
        flags=frozenset({"forced_criminality"}),
        referrals=frozenset({"medical", "shelter", "psychosocial", "legal_aid", "embassy"}),
        present=frozenset(
            {
                "sc_deceptive_job_offer",
                "ilo_retention_of_documents",
                "sc_quota_violence",
                "sc_scripted_fraud",
                "ilo_physical_sexual_violence",
            }
        ),
        elements_met=True,
        reasons=(
            "palermo_elements_met",
            "two_strong_ilo_indicators",
            "three_ilo_indicators_one_strong",
        ),
    ),
    S(
        name="nothing_answered_at_all",
        values={},
        band="insufficient_information",
        reasons=("nothing_answered", "no_indicator_found"),
        elements_met=False,
    ),
    S(
        name="dont_know_on_every_item",
        values=_all("dont_know"),
        band="insufficient_information",
        reasons=("nothing_answered", "no_indicator_found"),
    ),
    S(
        name="prefer_not_to_say_on_every_item",
        values=_all("prefer_not_to_say"),
        band="insufficient_information",
        reasons=("nothing_answered", "no_indicator_found"),
    ),
    S(
        name="not_asked_on_every_item",
        values=_all("not_asked"),
        band="insufficient_information",
        reasons=("nothing_answered", "no_indicator_found"),
    ),
    S(
        name="denies_everything",
        values=dict(denials()),
        band="insufficient_information",
        reasons=("no_indicator_found",),
        elements_met=False,
    ),
    S(
        name="discloses_violence_prefers_not_to_say_about_the_rest",
        values={
            **_all("prefer_not_to_say"),
            "hit_or_hurt": "yes",
        },
        band="some_indicators",
        referrals=frozenset({"medical", "psychosocial"}),
        present=frozenset({"ilo_physical_sexual_violence", "pal_means_force"}),
        absent=frozenset({"ilo_restriction_of_movement", "need_unsafe_now"}),
        reasons=("any_indicator",),
    ),
    S(
        name="injured_and_needs_medicine_nothing_else_said",
        values={"hurt_now": "yes", "need_doctor": "yes"},
        band="insufficient_information",
        flags=frozenset({"immediate_needs"}),
        referrals=frozenset({"medical"}),
        present=frozenset({"need_injury", "need_medical_care"}),
        reasons=("no_indicator_found",),
    ),
    S(
        name="no_safe_place_tonight_and_hungry",
        values={"safe_place_tonight": "no", "food_and_water": "no"},
        band="insufficient_information",
        flags=frozenset({"immediate_needs"}),
        referrals=frozenset({"shelter"}),
        present=frozenset({"need_shelter", "need_basic_needs"}),
    ),
    S(
        name="afraid_of_a_guard_at_the_raid_site",
        values={"safe_now": "no", "afraid_of_someone_here": "yes"},
        band="some_indicators",
        flags=frozenset({"immediate_needs"}),
        referrals=frozenset({"shelter", "psychosocial"}),
        present=frozenset({"need_unsafe_now", "ilo_intimidation_threats"}),
    ),
    S(
        name="sold_to_another_compound",
        values={"sold": "yes"},
        band="some_indicators",
        present=frozenset({"sc_sold_between_compounds", "pal_act_transfer", "pal_means_payments"}),
        elements_met=False,
    ),
    S(
        name="sold_moved_locked_in_with_armed_guards",
        values={
            "sold": "yes",
            "moved_between_compounds": "yes",
            "locked_in": "yes",
            "armed_guards": "yes",
        },
        band="strong_indicators",
        referrals=frozenset({"shelter", "psychosocial", "legal_aid"}),
        present=frozenset({"sc_armed_guards", "sc_confinement", "ilo_restriction_of_movement"}),
        reasons=("two_strong_ilo_indicators",),
    ),
    S(
        name="invented_debt_that_keeps_growing",
        values={"told_you_owed": "yes", "debt_kept_growing": "yes"},
        band="some_indicators",
        present=frozenset({"ilo_debt_bondage", "sc_fines_invented_debt"}),
        reasons=("any_indicator",),
    ),
    S(
        name="family_asked_for_ransom_to_release_them",
        values={"told_you_owed": "yes", "asked_to_pay_to_leave": "yes", "money_paid": "yes"},
        band="strong_indicators",
        referrals=frozenset({"shelter", "legal_aid"}),
        present=frozenset({"ilo_debt_bondage", "ilo_restriction_of_movement"}),
        reasons=("two_strong_ilo_indicators",),
    ),
    S(
        name="fined_and_debt_added_for_missed_targets",
        values={"had_target": "yes", "target_missed": ["fined", "debt_added"]},
        band="some_indicators",
        present=frozenset(
            {"sc_fines_invented_debt", "ilo_debt_bondage", "ilo_withholding_of_wages"}
        ),
    ),
    S(
        name="three_medium_ilo_indicators_only",
        values={"contact_family": "no", "living_conditions": "yes", "hours_per_day": 14},
        band="some_indicators",
        present=frozenset({"ilo_isolation", "ilo_abusive_conditions", "ilo_excessive_overtime"}),
        reasons=("any_indicator",),
    ),
    S(
        name="three_ilo_indicators_one_of_them_strong",
        values={
            "contact_family": "no",
            "living_conditions": "yes",
            "hours_per_day": 14,
            "threatened": "yes",
        },
        band="strong_indicators",
        referrals=frozenset({"shelter", "psychosocial", "legal_aid"}),
        reasons=("three_ilo_indicators_one_strong",),
    ),
    S(
        name="adult_recruited_and_made_to_scam_but_no_means_disclosed",
        values={"age_years": 34, "how_recruited": "agent", "work_done": ["chat_scams"]},
        band="some_indicators",
        flags=frozenset({"forced_criminality"}),
        referrals=frozenset({"legal_aid"}),
        elements_met=False,
    ),
    S(
        name="adult_deceived_about_the_job_and_made_to_run_fake_profiles",
        values={
            "how_recruited": "friend_or_family",
            "promised_other_job": "yes",
            "job_promised": "customer_service",
            "work_done": ["fake_profiles"],
        },
        band="strong_indicators",
        flags=frozenset({"forced_criminality"}),
        referrals=frozenset({"shelter", "legal_aid"}),
        present=frozenset({"sc_deceptive_job_offer", "pal_means_deception"}),
        elements_met=True,
        reasons=("palermo_elements_met",),
    ),
    S(
        name="child_by_partial_birth_year_could_be_17",
        values={"date_of_birth": "2007", "crossed_border": "yes"},
        band="insufficient_information",
        flags=frozenset({"child"}),
        referrals=frozenset({"child_protection"}),
        present=frozenset({"profile_child", "pal_act_transport"}),
    ),
    S(
        name="child_by_full_date_of_birth",
        values={"date_of_birth": "2009-06-15"},
        band="insufficient_information",
        flags=frozenset({"child"}),
        referrals=frozenset({"child_protection"}),
    ),
    S(
        name="adult_turning_18_on_the_screening_date",
        values={"date_of_birth": "2007-03-01"},
        band="insufficient_information",
        absent=frozenset({"profile_child"}),
    ),
    S(
        name="child_turning_18_the_day_after_the_screening",
        values={"date_of_birth": "2007-03-02"},
        band="insufficient_information",
        flags=frozenset({"child"}),
        referrals=frozenset({"child_protection"}),
    ),
    S(
        name="unsure_of_age_thinks_under_18",
        values={
            "date_of_birth": skip("dont_know"),
            "age_years": skip("dont_know"),
            "age_estimate": "under_18",
        },
        band="insufficient_information",
        flags=frozenset({"child"}),
        referrals=frozenset({"child_protection"}),
    ),
    S(
        name="child_with_act_only_is_not_strong",
        values={"age_years": 15, "how_recruited": "agent", "crossed_border": "yes"},
        band="insufficient_information",
        flags=frozenset({"child"}),
        referrals=frozenset({"child_protection"}),
        elements_met=False,
    ),
    S(
        name="made_to_use_scripts_only",
        values={"used_scripts": "yes"},
        band="some_indicators",
        flags=frozenset({"forced_criminality"}),
        referrals=frozenset({"legal_aid"}),
        present=frozenset({"sc_scripted_fraud", "pal_purpose_forced_criminality"}),
    ),
    S(
        name="sexual_violence_disclosed",
        values={"sexual_violence": "yes"},
        band="some_indicators",
        referrals=frozenset({"medical", "psychosocial"}),
        present=frozenset({"need_sexual_violence_care", "ilo_physical_sexual_violence"}),
    ),
    S(
        name="foreign_national_wants_embassy_and_to_go_home",
        values={"citizen_here": "no", "want_embassy": "yes", "want_to_go_home": "yes"},
        band="insufficient_information",
        referrals=frozenset({"embassy", "repatriation"}),
        present=frozenset({"profile_foreign_national", "need_consular", "need_return_home"}),
    ),
    S(
        name="eleven_hours_a_day_is_below_the_overtime_threshold",
        values={"hours_per_day": 11.5, "days_off": 4},
        band="insufficient_information",
        absent=frozenset({"ilo_excessive_overtime"}),
    ),
    S(
        name="twelve_hours_a_day_and_three_days_off_a_month",
        values={"hours_per_day": 12, "days_off": 3},
        band="some_indicators",
        present=frozenset({"ilo_excessive_overtime"}),
    ),
    S(
        name="only_remembers_wallets_and_payments",
        values={
            "wallets_remembered": "starts TXfake0000, ends ...0000 (synthetic)",
            "payments_remembered": "about 500 USDT, twice (synthetic)",
        },
        band="insufficient_information",
        reasons=("no_indicator_found",),
    ),
    S(
        name="abducted_and_handed_over",
        values={"how_recruited": "taken", "taken_by_force": "yes", "handed_over": "yes"},
        band="some_indicators",
        present=frozenset(
            {"pal_means_abduction", "pal_means_force", "pal_act_transfer", "pal_act_receipt"}
        ),
        elements_met=False,
    ),
    S(
        name="told_bosses_have_police_friends_and_threatened_with_arrest",
        values={"powerful_friends": "yes", "police_threat": "yes"},
        band="some_indicators",
        referrals=frozenset({"psychosocial"}),
        present=frozenset({"pal_means_abuse_of_power", "pal_means_threat"}),
    ),
    S(
        name="family_threatened_at_home",
        values={"family_in_danger": "yes", "want_lawyer": "yes"},
        band="some_indicators",
        flags=frozenset({"immediate_needs"}),
        referrals=frozenset({"psychosocial", "legal_aid"}),
        present=frozenset({"need_family_at_risk", "ilo_intimidation_threats"}),
    ),
]

IDS = [s.name for s in SCENARIOS]


def _assess(scenario: Scenario) -> Assessment:
    return run(scenario.values)


def test_there_are_at_least_25_scenarios() -> None:
    assert len(SCENARIOS) >= 25
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_band(scenario: Scenario) -> None:
    assert _assess(scenario).band == scenario.band


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_flags(scenario: Scenario) -> None:
    assert {f.flag for f in _assess(scenario).flags} == scenario.flags


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_referrals(scenario: Scenario) -> None:
    assert set(_assess(scenario).referral_services()) == scenario.referrals


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_indicators(scenario: Scenario) -> None:
    codes = _assess(scenario).indicator_codes()
    assert scenario.present <= codes
    assert not scenario.absent & codes


@pytest.mark.parametrize(
    "scenario", [s for s in SCENARIOS if s.elements_met is not None], ids=lambda s: s.name
)
def test_palermo_elements(scenario: Scenario) -> None:
    assert _assess(scenario).palermo.elements_met is scenario.elements_met


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.reasons], ids=lambda s: s.name)
def test_band_reasons(scenario: Scenario) -> None:
    assert tuple(r.rule for r in _assess(scenario).band_reasons) == scenario.reasons


@pytest.mark.parametrize(
    "kind", ["dont_know", "prefer_not_to_say", "not_asked"], ids=lambda k: f"all_{k}"
)
def test_skipping_everything_finds_no_indicator(kind: str) -> None:
    assert run(_all(kind)).indicators == ()


def test_denying_everything_finds_no_indicator() -> None:
    assert run(dict(denials())).indicators == ()


def test_denying_everything_answers_most_items() -> None:
    assert run(dict(denials())).answered >= 40


def test_prefer_not_to_say_is_not_read_as_no() -> None:
    # "no" to "Could you leave when you wanted?" is evidence; declining to say is not.
    said_no = run({"free_to_leave": "no"}).indicator_codes()
    declined = run({"free_to_leave": skip("prefer_not_to_say")}).indicator_codes()
    assert "ilo_restriction_of_movement" in said_no
    assert declined == frozenset()
