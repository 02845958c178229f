"""Translation hooks: messages, contexts, localize, localize_assessment, Babel extraction."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from babel.messages.extract import extract

from screening import iter_messages, localize, localize_assessment
from screening.extract import extract_instrument
from tests.screening.support import builtin, run

V1_PATH = Path(__file__).parents[2] / "screening/instruments/scam_compound/v1.toml"


def _messages() -> dict[str, str]:
    return {m.context: m.msgid for m in iter_messages(builtin())}


def test_message_contexts_are_unique() -> None:
    contexts = [m.context for m in iter_messages(builtin())]
    assert len(contexts) == len(set(contexts))


@pytest.mark.parametrize(
    ("context", "msgid"),
    [
        ("scam_compound.title", "Screening after a scam-compound raid"),
        ("scam_compound.answer.dont_know", "I don't know"),
        ("scam_compound.section.right_now.title", "Right now"),
        ("scam_compound.item.hurt_now.text", "Are you hurt or in pain right now?"),
        ("scam_compound.item.things_taken.option.passport", "Your passport"),
        ("scam_compound.item.hours_per_day.unit", "hours"),
        ("scam_compound.indicator.ilo_debt_bondage.label", "Debt bondage"),
        ("scam_compound.flag.forced_criminality.note", None),
        ("scam_compound.banding.no_indicator_found.reason", None),
        ("scam_compound.referral.child_protection.reason", None),
    ],
)
def test_each_kind_of_text_is_offered_for_translation(context: str, msgid: str | None) -> None:
    messages = _messages()
    assert context in messages
    if msgid is not None:
        assert messages[context] == msgid


def test_same_english_text_gets_distinct_contexts() -> None:
    deception = [c for c, m in _messages().items() if m == "Deception"]
    assert sorted(deception) == [
        "scam_compound.indicator.ilo_deception.label",
        "scam_compound.indicator.pal_means_deception.label",
    ]


def test_rationales_are_not_offered_for_translation() -> None:
    rationale = builtin().items[0].evidence[0].rationale
    assert rationale not in _messages().values()


def test_every_message_has_a_translator_comment() -> None:
    assert all(m.comment for m in iter_messages(builtin()))


def test_localize_without_translations_gives_the_english_source() -> None:
    localized = localize(builtin(), None)
    assert localized.locale == "en"
    assert localized.sections[0].items[0].text.text == "Do you feel safe right now?"
    assert localized.translation.source > 0
    assert localized.translation.fallback == 0


def test_localize_in_the_source_locale_does_not_consult_the_catalogue() -> None:
    def refuse(context: str, msgid: str) -> tuple[str, bool] | None:
        raise AssertionError("not expected")

    assert localize(builtin(), refuse, locale="en").translation.source > 0


def test_localize_replaces_texts_and_marks_their_status() -> None:
    catalogue = {
        "scam_compound.item.safe_now.text": ("¿Te sientes a salvo ahora?", True),
        "scam_compound.answer.yes": ("Sí", False),
    }
    localized = localize(builtin(), lambda c, m: catalogue.get(c), locale="es")
    item = localized.sections[0].items[0]
    assert (item.text.text, item.text.status) == ("¿Te sientes a salvo ahora?", "reviewed")
    assert (localized.answer_labels.yes.text, localized.answer_labels.yes.status) == (
        "Sí",
        "unreviewed",
    )
    assert (localized.answer_labels.no.text, localized.answer_labels.no.status) == (
        "No",
        "fallback",
    )


def test_localize_asks_with_the_documented_contexts() -> None:
    asked: dict[str, str] = {}

    def record(context: str, msgid: str) -> None:
        asked[context] = msgid

    localize(builtin(), record, locale="xx")
    instrument_texts = {
        c: m
        for c, m in _messages().items()
        if not c.startswith(
            (
                "scam_compound.indicator.",
                "scam_compound.banding.",
                "scam_compound.flag.",
                "scam_compound.referral.",
            )
        )
    }
    assert asked == instrument_texts


def test_localized_instrument_keeps_skip_logic_and_order() -> None:
    localized = localize(builtin(), None)
    ids = [i.id for s in localized.sections for i in s.items]
    assert ids == [i.id for i in builtin().items]
    job = next(i for s in localized.sections for i in s.items if i.id == "job_promised")
    assert job.show_if == builtin().items_by_id["job_promised"].show_if


def test_localized_instrument_is_json_for_the_phone() -> None:
    data = msgspec.json.decode(msgspec.json.encode(localize(builtin(), None)))
    assert data["sections"][0]["items"][0]["text"] == {
        "text": "Do you feel safe right now?",
        "status": "source",
    }


def test_localize_assessment_translates_its_texts() -> None:
    assessment = run({"used_scripts": "yes"})
    catalogue = {
        "scam_compound.flag.forced_criminality.note": ("Nota traducida", True),
        "scam_compound.banding.any_indicator.reason": ("Razón", False),
    }
    localized = localize_assessment(assessment, lambda c, m: catalogue.get(c))
    assert localized.flags[0].note.text == "Nota traducida"
    assert localized.flags[0].note.status == "reviewed"
    assert localized.band_reasons[0].text.status == "unreviewed"
    assert localized.referrals[0].reasons[0].text.status == "fallback"
    assert localized.indicators[0].label.status == "fallback"


def test_localize_assessment_changes_only_texts() -> None:
    assessment = run({"used_scripts": "yes", "hurt_now": "yes"})
    localized = localize_assessment(assessment, lambda c, m: ("t", True))
    assert localized.band == assessment.band
    assert localized.indicator_codes() == assessment.indicator_codes()
    assert [i.evidence for i in localized.indicators] == [i.evidence for i in assessment.indicators]


def test_localize_assessment_contexts_are_extracted_messages() -> None:
    asked: set[str] = set()

    def record(context: str, msgid: str) -> None:
        asked.add(context)
        assert _messages()[context] == msgid

    localize_assessment(run({"used_scripts": "yes", "age_years": 15}), record)
    assert asked


# --- Babel extraction -------------------------------------------------------


def test_extractor_yields_pgettext_messages() -> None:
    with V1_PATH.open("rb") as fileobj:
        extracted = list(extract_instrument(fileobj, {}, [], {}))
    assert {(funcname, len(msg)) for _, funcname, msg, _ in extracted} == {("pgettext", 2)}
    assert [msg for _, _, msg, _ in extracted] == [
        (m.context, m.msgid) for m in iter_messages(builtin())
    ]


def test_extractor_points_at_the_line_of_each_text() -> None:
    lines = V1_PATH.read_text().splitlines()
    with V1_PATH.open("rb") as fileobj:
        extracted = list(extract_instrument(fileobj, {}, [], {}))
    lineno = next(n for n, _, msg, _ in extracted if msg[1] == "Are you hurt or in pain right now?")
    assert "Are you hurt or in pain right now?" in lines[lineno - 1]


def test_babel_runs_the_extractor() -> None:
    with V1_PATH.open("rb") as fileobj:
        # Babel's annotations type the 4th item as a context; at runtime it is the comments.
        extracted = list(extract(extract_instrument, fileobj))  # type: ignore[arg-type]
    _, msgid, comments, context = extracted[0]
    assert (context, msgid) == ("scam_compound.title", "Screening after a scam-compound raid")
    assert comments
    assert len(extracted) == len(list(iter_messages(builtin())))
