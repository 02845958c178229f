"""Definition validation: broken definitions are rejected, each problem with its path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from screening import InstrumentDefinitionError, parse_instrument
from tests.screening.support import decoded, minimal

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set a value at a dotted path such as ``items.1.show_if``."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[int(last) if last.isdigit() else last]

    return mutate


def _swap_items(i: int, j: int) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        items = data["items"]
        items[i], items[j] = items[j], items[i]

    return mutate


def _swap_banding(i: int, j: int) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        rules = data["banding"]
        rules[i], rules[j] = rules[j], rules[i]

    return mutate


CASES: list[tuple[str, Mutation, str, str]] = [
    ("duplicate_item_id", _set("items.1.id", "hurt"), "items[1]", "duplicate item id"),
    ("item_id_not_snake_case", _set("items.0.id", "Hurt-Now"), "items[0]", "snake_case"),
    (
        "condition_on_a_later_item",
        _set("items.1.show_if", {"item": "how", "equals": "ad"}),
        "items[1].show_if.item",
        "not an earlier item",
    ),
    (
        "condition_on_an_unknown_item",
        _set("items.2.show_if", {"item": "nope", "equals": "yes"}),
        "items[2].show_if.item",
        "not an earlier item",
    ),
    (
        "condition_on_an_option_that_does_not_exist",
        _set("items.2.show_if", {"item": "lied_to", "equals": "perhaps"}),
        "items[2].show_if.equals",
        "not an answer",
    ),
    (
        "condition_with_equals_on_a_number",
        _set("items.4.show_if", {"item": "age", "equals": "17"}),
        "items[4].show_if.equals",
        "not usable on number",
    ),
    (
        "condition_with_two_forms",
        _set("items.2.show_if", {"item": "lied_to", "equals": "yes", "answered": True}),
        "items[2].show_if",
        "exactly one of equals, answered, below or age_below",
    ),
    (
        "nested_condition_on_a_later_item",
        _set(
            "items.2.show_if",
            {"any_of": [{"item": "hurt", "equals": "yes"}, {"item": "notes", "answered": True}]},
        ),
        "items[2].show_if.any_of[1].item",
        "not an earlier item",
    ),
    (
        "undeclared_indicator_code",
        _set("items.0.evidence.0.indicators", ["need_injury", "ilo_decepton"]),
        "items[0].evidence[0].indicators[1]",
        "unknown indicator code 'ilo_decepton'",
    ),
    (
        "item_mapped_to_no_indicator",
        _set("items.0.evidence", []),
        "items[0].evidence",
        "maps to no indicator code",
    ),
    (
        "administrative_item_without_rationale",
        _drop("items.5.rationale"),
        "items[5].rationale",
        "needs a rationale",
    ),
    (
        "administrative_item_with_evidence",
        _set(
            "items.4.evidence",
            [{"age_below": 18, "indicators": ["profile_child"], "rationale": "x"}],
        ),
        "items[4].evidence",
        "must not map to indicators",
    ),
    (
        "blank_evidence_rationale",
        _set("items.0.evidence.0.rationale", "  "),
        "items[0].evidence[0].rationale",
        "must not be blank",
    ),
    (
        "number_selector_on_a_yes_no_item",
        _set("items.0.evidence.0", {"below": 3, "indicators": ["need_injury"], "rationale": "x"}),
        "items[0].evidence[0].below",
        "not usable on a yes_no item",
    ),
    (
        "evidence_for_an_option_that_does_not_exist",
        _set("items.2.evidence.0.when", "radio"),
        "items[2].evidence[0].when",
        "not an answer",
    ),
    (
        "evidence_with_two_selectors",
        _set(
            "items.3.evidence.0",
            {"below": 18, "at_least": 0, "indicators": ["profile_child"], "rationale": "x"},
        ),
        "items[3].evidence[0]",
        "exactly one of",
    ),
    (
        "choice_item_with_one_option",
        _set("items.2.options", [{"value": "ad", "text": "An advert"}]),
        "items[2].options",
        "at least two options",
    ),
    (
        "duplicate_option_value",
        _set("items.2.options.1.value", "ad"),
        "items[2].options[1]",
        "duplicate option value",
    ),
    ("number_without_max", _drop("items.3.max"), "items[3]", "needs both min and max"),
    ("number_min_above_max", _set("items.3.min", 200), "items[3].min", "greater than max"),
    (
        "free_text_without_max_length",
        _drop("items.5.max_length"),
        "items[5].max_length",
        "needs a max_length",
    ),
    (
        "options_on_a_yes_no_item",
        _set("items.0.options", [{"value": "a", "text": "A"}, {"value": "b", "text": "B"}]),
        "items[0].options",
        "only allowed on choice items",
    ),
    ("unknown_section", _set("items.0.section", "later"), "items[0].section", "unknown section"),
    (
        "items_out_of_section_order",
        _swap_items(0, 1),
        "items[1].section",
        "keep items in section order",
    ),
    ("blank_item_text", _set("items.0.text", ""), "items[0].text", "must not be blank"),
    (
        "duplicate_indicator_code",
        _set("indicators.1.code", "pal_act_recruitment"),
        "indicators[1]",
        "duplicate indicator code",
    ),
    ("no_banding_rules", _set("banding", []), "banding", "banding rules are required"),
    (
        "last_banding_rule_not_unconditional",
        _set("banding.2.max_answered", 0),
        "banding[2]",
        "last rule must be an unconditional",
    ),
    (
        "strong_rule_with_max_answered",
        _set("banding.0.max_answered", 3),
        "banding[0].max_answered",
        "only allowed on insufficient_information",
    ),
    (
        "strong_rule_requiring_palermo_not_met",
        _set("banding.0.palermo_elements_met", False),
        "banding[0].palermo_elements_met",
        "may only require true",
    ),
    (
        "some_rule_without_criteria",
        _set("banding.1.thresholds", []),
        "banding[1]",
        "needs at least one criterion",
    ),
    (
        "no_strong_rule",
        _set("banding.0.band", "some_indicators"),
        "banding",
        "no rule for band 'strong_indicators'",
    ),
    (
        "bands_out_of_order",
        _swap_banding(0, 1),
        "banding[1].band",
        "ordered by band",
    ),
    (
        "threshold_of_zero",
        _set("banding.1.thresholds.0.at_least", 0),
        "banding[1].thresholds[0].at_least",
        "1 or more",
    ),
    ("missing_flag_rule", _drop("flags.2"), "flags", "forced_criminality"),
    (
        "flag_with_undeclared_code",
        _set("flags.0.indicators_any", ["profile_kid"]),
        "flags[0].indicators_any[0]",
        "unknown indicator code",
    ),
    (
        "referral_without_criteria",
        _set("referrals.0.indicators_any", []),
        "referrals[0]",
        "needs at least one of",
    ),
    ("blank_referral_reason", _set("referrals.0.reason", " "), "referrals[0].reason", "blank"),
]


def test_the_minimal_definition_is_valid() -> None:
    assert decoded(minimal()).key == "mini"


@pytest.mark.parametrize(
    ("mutate", "path", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_definition_is_rejected_with_its_path(
    mutate: Mutation, path: str, reason: str
) -> None:
    data = minimal()
    mutate(data)
    with pytest.raises(InstrumentDefinitionError) as info:
        decoded(data)
    assert any(p.path == path and reason in p.reason for p in info.value.problems), (
        info.value.problems
    )


def test_every_problem_is_reported_not_just_the_first() -> None:
    data = minimal()
    _set("items.0.text", "")(data)
    _set("referrals.0.reason", "")(data)
    with pytest.raises(InstrumentDefinitionError) as info:
        decoded(data)
    assert [p.path for p in info.value.problems] == ["items[0].text", "referrals[0].reason"]


def test_error_message_names_the_source_and_the_path() -> None:
    data = minimal()
    _set("items.0.text", "")(data)
    with pytest.raises(InstrumentDefinitionError, match=r"mini:\n  items\[0\]\.text: must not"):
        decoded(data)


# --- decoding TOML ----------------------------------------------------------

_TOML_HEAD = """
key = "mini"
version = 1
title = "Mini"
description = "Tiny."
"""


@pytest.mark.parametrize(
    ("text", "path", "reason"),
    [
        ("key = = 1", "$", "not valid TOML"),
        (_TOML_HEAD.replace("version = 1", 'version = "one"'), "version", "Expected `int`"),
        (_TOML_HEAD + "colour = 'blue'\n", "$", "unknown field `colour`"),
        (_TOML_HEAD, "$", "missing required field `answer_labels`"),
    ],
    ids=["syntax", "wrong_type", "unknown_field", "missing_field"],
)
def test_undecodable_toml_is_rejected_with_its_path(text: str, path: str, reason: str) -> None:
    with pytest.raises(InstrumentDefinitionError) as info:
        parse_instrument(text, source="mini.toml")
    [problem] = info.value.problems
    assert problem.path == path
    assert reason in problem.reason


def test_unknown_field_inside_an_item_is_located() -> None:
    text = _TOML_HEAD + '[[items]]\nid = "x"\ncolour = "blue"\n'
    with pytest.raises(InstrumentDefinitionError) as info:
        parse_instrument(text, source="mini.toml")
    assert info.value.problems[0].path == "items[0]"
