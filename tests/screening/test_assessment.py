"""Assessment details not tied to a single scenario."""

from __future__ import annotations

from typing import get_args

import msgspec

from screening import ENGINE_VERSION, Band
from tests.screening.support import AS_OF, run, skip


def test_bands_never_include_not_a_victim() -> None:
    assert get_args(Band) == ("strong_indicators", "some_indicators", "insufficient_information")


def test_assessment_records_instrument_engine_and_date() -> None:
    a = run({})
    assert (a.instrument_key, a.instrument_version, a.engine_version, a.as_of) == (
        "scam_compound",
        1,
        ENGINE_VERSION,
        AS_OF,
    )


def test_forced_criminality_note_states_the_non_punishment_principle() -> None:
    [flag] = run({"used_scripts": "yes"}).flags
    assert flag.flag == "forced_criminality"
    assert "non-punishment principle" in flag.note.text
    assert "must not be treated as a suspect" in flag.note.text


def test_flag_lists_the_codes_that_raised_it() -> None:
    [flag] = run({"used_scripts": "yes"}).flags
    assert flag.indicators == ("pal_purpose_forced_criminality", "sc_scripted_fraud")


def test_means_are_not_required_for_a_child() -> None:
    assert run({"age_years": 16}).palermo.means_required is False


def test_means_are_required_for_an_adult_or_unknown_age() -> None:
    assert run({}).palermo.means_required is True


def test_evidence_lists_each_item_and_value_in_question_order() -> None:
    a = run({"contact_family": "no", "things_taken": ["phone", "passport"], "knew_location": "no"})
    isolation = next(i for i in a.indicators if i.code == "ilo_isolation")
    assert [(e.item_id, e.value) for e in isolation.evidence] == [
        ("things_taken", "phone"),
        ("contact_family", "no"),
        ("knew_location", "no"),
    ]


def test_evidence_carries_the_sensitive_mark() -> None:
    a = run({"hit_or_hurt": "yes"})
    violence = next(i for i in a.indicators if i.code == "ilo_physical_sexual_violence")
    assert violence.evidence[0].sensitive is True


def test_indicators_follow_the_vocabulary_order() -> None:
    codes = [i.code for i in run({"hit_or_hurt": "yes", "sold": "yes"}).indicators]
    assert codes == [
        "pal_act_transfer",
        "pal_means_force",
        "pal_means_payments",
        "ilo_physical_sexual_violence",
        "sc_sold_between_compounds",
    ]


def test_palermo_element_lists_its_evidence_once_per_answer() -> None:
    act = run({"handed_over": "yes"}).palermo.act
    assert act.indicators == ("pal_act_transfer", "pal_act_receipt")
    assert [(e.item_id, e.value) for e in act.evidence] == [("handed_over", "yes")]


def test_referral_reasons_list_every_rule_that_fired() -> None:
    a = run({"hurt_now": "yes", "hit_or_hurt": "yes"})
    medical = next(r for r in a.referrals if r.service == "medical")
    assert [r.rule for r in medical.reasons] == ["medical_now", "medical_after_violence"]


def test_unanswered_counts_skips_by_kind_and_ignores_hidden_items() -> None:
    a = run(
        {
            "safe_now": skip("dont_know"),
            "hurt_now": skip("prefer_not_to_say"),
            "need_doctor": skip("prefer_not_to_say"),
            "promised_other_job": "no",
        }
    )
    hidden = {
        "job_promised",  # promised_other_job is "no"
        "secret_crossing",
        "papers_returned",
        "target_missed",
        "debt_kept_growing",
        "money_paid",
        "payment_method",
    }
    assert (a.unanswered.dont_know, a.unanswered.prefer_not_to_say, a.answered) == (1, 2, 1)
    assert a.unanswered.not_asked == 68 - len(hidden) - 4


def test_assessment_json_shape() -> None:
    data = msgspec.json.decode(msgspec.json.encode(run({"hurt_now": "yes"})))
    assert set(data) == {
        "instrument_key",
        "instrument_version",
        "engine_version",
        "as_of",
        "band",
        "band_reasons",
        "indicators",
        "palermo",
        "flags",
        "referrals",
        "answered",
        "unanswered",
        "notes",
        "ignored_hidden_answers",
        "observer_answered",
    }
    assert data["flags"][0]["flag"] == "immediate_needs"
    assert data["referrals"][0] == {
        "service": "medical",
        "reasons": [
            {
                "rule": "medical_now",
                "text": {
                    "text": "The person is hurt or in pain, or needs a doctor or medicine.",
                    "status": "source",
                },
            }
        ],
    }
