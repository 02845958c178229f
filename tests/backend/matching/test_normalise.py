"""Names normalise to one spelling per person, whatever the script or encoding."""

from __future__ import annotations

import pytest

from backend.matching import normalise_name
from backend.matching._burmese import is_zawgyi, zawgyi_to_unicode
from backend.matching.normalise import is_burmese

SAME_PERSON = [
    # (script, one spelling, another)
    ("latin", "Nguyễn Thị Thu", "Nguyen Thi Thu"),
    ("latin", "Thida", "Theda"),
    ("latin", "Sokha", "Sokhar"),
    ("latin", "Somchai Jaidee", "Somchay Chaidee"),
    ("latin", "Mr. Kyaw Zaw", "Kyaw Zaw"),
    ("latin", "Daw Aye Aye", "Aye Aye"),
    ("latin", "ＷＡＮＧ Ｘｉａｏｍｉｎｇ", "Wang Xiaoming"),
    ("burmese", "ကျော်ဇော်", "Kyaw Zaw"),
    ("burmese", "ဦးကျော်ဇော်", "U Kyaw Zaw"),
    ("burmese", "အောင်ဆန်းစုကြည်", "Aung San Suu Kyi"),
    ("burmese-zawgyi", "ေအာင္ဆန္းစုၾကည္", "Aung San Suu Kyi"),
    ("burmese-zawgyi", "ေက်ာ္ေဇာ္", "ကျော်ဇော်"),
    ("thai", "สมชาย ใจดี", "Somchai Jaidee"),
    ("thai", "นายสมชาย ใจดี", "Somchai Jaidee"),
    ("khmer", "ចាន់ ធីតា", "Chan Thida"),
    ("khmer", "លោក ជា មាស", "Chea Meas"),
    ("han", "王小明", "Wang Xiaoming"),
    ("han", "王小明先生", "Xiaoming Wang"),
]


@pytest.mark.parametrize(("script", "a", "b"), SAME_PERSON)
def test_spellings_of_one_name_normalise_alike(script: str, a: str, b: str) -> None:
    assert sorted(normalise_name(a)) == sorted(normalise_name(b)), script


@pytest.mark.parametrize(
    ("zawgyi", "unicode"),
    [("ေက်ာ္", "ကျော်"), ("ျမ", "မြ"), ("ၿငိမ္း", "ငြိမ်း"), ("ေအာင္ဆန္းစုၾကည္", "အောင်ဆန်းစုကြည်")],
)
def test_zawgyi_is_detected_and_converted(zawgyi: str, unicode: str) -> None:
    assert is_zawgyi(zawgyi)
    assert zawgyi_to_unicode(zawgyi) == unicode


@pytest.mark.parametrize("text", ["ကျော်ဇော်", "မြ", "သီတာ", "Kyaw", ""])
def test_unicode_burmese_and_other_text_is_left_alone(text: str) -> None:
    assert not is_zawgyi(text)
    assert zawgyi_to_unicode(text) == text


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Ma", ["ma"]),  # a title alone is kept: it may be the name
        ("Mr Ms", ["ms"]),
        ("  ", []),
        ("Nguyễn Thị Thu", ["nguyin", "ti", "tu"]),
        ("สุดารัตน์", ["sutarat"]),
    ],
)
def test_normalised_tokens(text: str, tokens: list[str]) -> None:
    assert normalise_name(text) == tokens


def test_different_names_stay_different() -> None:
    assert normalise_name("Sokha") != normalise_name("Sophal")
    assert normalise_name("Kyaw Zaw") != normalise_name("Aung Win")


def test_thai_names_are_romanised_by_syllable_without_the_whole_word_dictionary() -> None:
    """pythainlp's full word trie costs about 75 MB in every server process; names need only syllables."""
    import pythainlp.tokenize

    assert normalise_name(
        "\u0e2a\u0e21\u0e0a\u0e32\u0e22 \u0e28\u0e23\u0e35\u0e2a\u0e38\u0e02"
    ) == [
        "sumcai",
        "srisuk",
    ]
    assert pythainlp.tokenize.word_dict_trie.cache_info().currsize == 0


@pytest.mark.parametrize(
    ("a", "b", "burmese"),
    [
        ("ထက်", "သက်", False),  # Htet and Thet: two Burmese letters, two names
        ("Htet Aung", "Thet Aung", True),
        ("Hoa", "Hà", False),  # Vietnamese: two names, not two spellings
        ("Nguyễn Thị Hoa", "Nguyen Thi Ha", False),
    ],
)
def test_names_different_in_their_own_script_stay_different(a: str, b: str, burmese: bool) -> None:
    assert normalise_name(a, burmese=burmese) != normalise_name(b, burmese=burmese)


@pytest.mark.parametrize(
    ("a", "b"), [("ထက်", "Htet"), ("သက်", "Thet"), ("ထွန်း", "Tun"), ("ထွန်း", "Htun")]
)
def test_burmese_script_and_its_latin_spellings_still_agree(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b, burmese=True)


def test_burmese_practice_is_the_script_or_the_nationality() -> None:
    assert is_burmese("Kyaw", "mm") and is_burmese("ကျော်", None)
    assert not is_burmese("Kyaw", "TH") and not is_burmese("Kyaw", None)
