"""The built-in scam_compound v1 instrument covers what the design asks for."""

from __future__ import annotations

import pytest

from tests.screening.support import builtin

ILO = [
    "ilo_abuse_of_vulnerability",
    "ilo_deception",
    "ilo_restriction_of_movement",
    "ilo_isolation",
    "ilo_physical_sexual_violence",
    "ilo_intimidation_threats",
    "ilo_retention_of_documents",
    "ilo_withholding_of_wages",
    "ilo_debt_bondage",
    "ilo_abusive_conditions",
    "ilo_excessive_overtime",
]
PALERMO = [
    "pal_act_recruitment",
    "pal_act_transport",
    "pal_act_transfer",
    "pal_act_harbouring",
    "pal_act_receipt",
    "pal_means_threat",
    "pal_means_force",
    "pal_means_coercion",
    "pal_means_abduction",
    "pal_means_fraud",
    "pal_means_deception",
    "pal_means_abuse_of_power",
    "pal_means_abuse_of_vulnerability",
    "pal_means_payments",
    "pal_purpose_forced_criminality",
]
SCAM_COMPOUND = [
    "sc_deceptive_job_offer",
    "sc_confiscated_documents",
    "sc_confiscated_phone",
    "sc_armed_guards",
    "sc_confinement",
    "sc_quota_violence",
    "sc_fines_invented_debt",
    "sc_sold_between_compounds",
    "sc_scripted_fraud",
]


def _evidenced() -> set[str]:
    return {code for item in builtin().items for rule in item.evidence for code in rule.indicators}


def test_has_between_40_and_70_items() -> None:
    assert 40 <= len(builtin().items) <= 70


@pytest.mark.parametrize("code", ILO + PALERMO + SCAM_COMPOUND)
def test_some_answer_evidences(code: str) -> None:
    assert code in _evidenced()


def test_declares_the_eleven_ilo_indicators_and_no_others() -> None:
    assert sorted(i.code for i in builtin().indicators if i.group == "ilo") == sorted(ILO)


def test_every_declared_code_is_used() -> None:
    instrument = builtin()
    used = _evidenced() | {c for f in instrument.flags for c in f.indicators_any}
    assert {i.code for i in instrument.indicators} <= used


def test_immediate_needs_come_first() -> None:
    assert builtin().sections[0].id == "right_now"
    assert builtin().items[0].section == "right_now"


def test_financial_trail_items_feed_disclosures() -> None:
    feeding = [i.id for i in builtin().items if i.feeds == "disclosure"]
    assert {"wallets_remembered", "payments_remembered", "handled_fraud_money"} <= set(feeding)


def test_free_text_items_are_never_scored() -> None:
    assert all(i.administrative for i in builtin().items if i.type == "free_text")


def test_questions_are_short() -> None:
    assert max(len(i.text) for i in builtin().items) <= 160


@pytest.mark.parametrize("word", ["victim", "illegal immigrant", "prostitut", "you should"])
def test_questions_avoid_labels_and_blame(word: str) -> None:
    assert not [i.id for i in builtin().items if word in i.text.lower()]
