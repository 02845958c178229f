"""Names as comparable tokens: one Latin spelling, whatever the script it came in.

``normalise_name`` runs, in order:

1. Unicode NFKC (full-width letters, compatibility forms, composed accents).
2. Burmese: Zawgyi detected and converted to Unicode (``_burmese``).
3. Split into runs by script, each transliterated to Latin:

   - Burmese: our syllable romaniser (``_burmese.romanise_burmese``), since
     anyascii spells letter by letter (``ကျော်`` → ``kyea``, not ``Kyaw``).
   - Thai: PyThaiNLP's Royal Institute (RTGS) romanisation, word by word;
     anyascii drops Thai's unwritten vowels (``สมชาย`` → ``smchay``, RTGS gives
     ``somchai``). Thai titles written onto the name (``นางสาว…``) are cut first.
   - Khmer: anyascii, with the final-consonant sign (bantoc) silenced and the
     inherent ``a`` restored after a bare first consonant (``ចន្ថា`` → ``chantha``).
   - Han: anyascii's pinyin (no tones); a run's first character is the family
     name, the rest one given name (``王小明`` → ``wang xiaoming``).
   - Everything else (Latin with diacritics, Vietnamese, …): anyascii.

4. Lower case, split into letter tokens.
5. Titles and honorifics dropped (``HONORIFICS``), only at the start of a name
   (Chinese titles only at its end), and never the last token.
6. Phonetic folding (``_fold``), so that transliteration variants of one name
   land on one spelling: ``Nguyen``/``Nguyễn``, ``Thida``/``Theda``,
   ``Sokha``/``Sokhar``, ``Somchai``/``Somchay``; but not names that differ
   in their own script: Burmese ``Htet`` (ထ) and ``Thet`` (သ) stay apart
   (``burmese``), as do Vietnamese ``Hoa`` and ``Hà``.

The folding is deliberately coarse (voicing, aspiration, vowel quality); the
Bloom-filter comparison after it tolerates the typos that remain. Tokens stay
separate so that the encoder can be blind to name order.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from anyascii import anyascii

from backend.matching._burmese import MYANMAR_RANGE, romanise_burmese, zawgyi_to_unicode

__all__ = ["HONORIFICS", "TRAILING_TITLES", "is_burmese", "normalise_name"]

#: Titles dropped from the start of a name (after transliteration, lower case).
#: They say nothing about who a person is, and caseworkers write them
#: inconsistently (``Daw Thida`` one day, ``Thida`` the next).
#:
#: - English and generic: mr, mrs, ms, miss, mx, mister, madam, sir, dr.
#: - Burmese: u (ဦး, older man), daw (ဒေါ်, woman), ma (မ, young woman), ko (ကို,
#:   young man), maung/mg (မောင်, boy). Karen ``saw``/``naw`` and Shan ``sai``
#:   are left alone: they are as often part of the name itself.
#: - Thai: nai (นาย, Mr), nang (นาง, Mrs; also Shan ``Nang``), nangsao/nangsau
#:   (นางสาว, Miss), khun (คุณ), dekchai/dekying (เด็กชาย/เด็กหญิง, boy/girl).
#: - Khmer: lok (លោក, Mr), lokasrei/neaksrei (Mrs), neak (អ្នក), kanha (កញ្ញា, Miss).
#: - Vietnamese: ong (Ông), ba (Bà); anh/chi/em are left alone (they are given names too).
#: - Indonesian and Filipino: bapak/pak, ibu/bu, sdr/sdri, gng (Ginang), bb (Binibini).
HONORIFICS = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "mister", "madam", "sir", "dr",
        "u", "daw", "ma", "ko", "maung", "mg",
        "nai", "nang", "nangsao", "nangsau", "khun", "dekchai", "dekying",
        "lok", "lokasrei", "neaksrei", "neak", "kanha",
        "ong", "ba",
        "bapak", "pak", "ibu", "bu", "sdr", "sdri", "gng", "bb",
    }
)  # fmt: skip

#: Chinese titles, written after the name: 先生 (Mr), 女士 (Ms), 小姐 (Miss).
TRAILING_TITLES = frozenset({"xiansheng", "nushi", "xiaojie"})

_THAI_TITLES = ("นางสาว", "เด็กชาย", "เด็กหญิง", "ด.ช.", "ด.ญ.", "นาย", "นาง", "คุณ")
_KHMER_TITLES = ("លោកស្រី", "អ្នកស្រី", "លោក", "អ្នក", "កញ្ញា")
_HAN_TITLES = ("先生", "女士", "小姐")
_KHMER_BANTOC = "\u17cb"
_KHMER_COENG = "\u17d2"


def _script(ch: str) -> str:
    cp = ord(ch)
    if MYANMAR_RANGE[0] <= cp <= MYANMAR_RANGE[1] or 0xA9E0 <= cp <= 0xAA7F:
        return "my"
    if 0x0E00 <= cp <= 0x0E7F:
        return "th"
    if 0x1780 <= cp <= 0x17FF or 0x19E0 <= cp <= 0x19FF:
        return "km"
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2FA1F:
        return "han"
    if ch.isspace() or unicodedata.category(ch)[0] in {"P", "S", "Z", "C"}:
        return " "
    return "latin"


def _runs(text: str) -> list[tuple[str, str]]:
    runs: list[tuple[str, str]] = []
    for ch in text:
        script = _script(ch)
        if runs and runs[-1][0] == script:
            runs[-1] = (script, runs[-1][1] + ch)
        else:
            runs.append((script, ch))
    return runs


@functools.lru_cache(maxsize=1)
def _thai_syllables() -> Any:
    """A trie of Thai syllables (10,000 entries, about 5 MB).

    pythainlp's own ``romanize`` splits text with its whole word dictionary,
    whose trie costs about 75 MB in every server process; a name splits into
    syllables just as well for romanising it.
    """
    from pythainlp.corpus import thai_syllables
    from pythainlp.tokenize import Trie

    return Trie(thai_syllables())


@functools.lru_cache(maxsize=4096)
def _thai_word(word: str) -> str:
    """RTGS (royin) romanisation of a Thai name, syllable by syllable."""
    from pythainlp.tokenize import word_tokenize
    from pythainlp.transliterate import royin

    parts = word_tokenize(word, custom_dict=_thai_syllables(), engine="newmm")
    out: list[str] = []
    for i, part in enumerate(parts):
        romanised = royin._romanize(part)
        if i and romanised and royin._should_add_syllable_separator(parts[i - 1], part, out[-1]):
            romanised = "a" + romanised
        out.append(romanised)
    return "".join(out)


def _thai(run: str) -> list[str]:
    for title in _THAI_TITLES:
        if run.startswith(title) and len(run) > len(title):
            run = run[len(title) :]
            break
    return [_thai_word(run)]


def _khmer(run: str) -> list[str]:
    if run in _KHMER_TITLES:
        return []
    for title in _KHMER_TITLES:
        if run.startswith(title) and len(run) > len(title):
            run = run[len(title) :]
            break
    run = run.replace(_KHMER_BANTOC, "")
    out = anyascii(run)
    # A first consonant followed by another base consonant carries the
    # inherent vowel, which anyascii leaves out (ចន្ថា → chntha).
    if len(run) > 1 and "\u1780" <= run[0] <= "\u17a2" and "\u1780" <= run[1] <= "\u17a2":
        head = anyascii(run[0])
        out = head + "a" + out[len(head) :]
    return [out]


def _han(run: str) -> list[str]:
    for title in _HAN_TITLES:
        if run.endswith(title) and len(run) > len(title):
            run = run[: -len(title)]
            break
    family, given = anyascii(run[0]), anyascii(run[1:])
    return [family, given] if given else [family]


def _transliterate(text: str) -> list[str]:
    words: list[str] = []
    for script, run in _runs(text):
        if script == "my":
            words += romanise_burmese(run)
        elif script == "th":
            words += _thai(run)
        elif script == "km":
            words += _khmer(run)
        elif script == "han":
            words += _han(run)
        elif script == "latin":
            words.append(anyascii(run))
    return words


_DIGRAPHS = (
    ("tch", "c"), ("ph", "f"), ("th", "t"), ("kh", "k"), ("gh", "g"), ("dh", "d"),
    ("bh", "b"), ("sh", "s"), ("ch", "c"), ("zh", "c"), ("hs", "s"), ("ck", "k"),
    ("j", "c"), ("q", "c"), ("v", "w"), ("x", "s"), ("d", "t"), ("b", "p"),
)  # fmt: skip
_VOWEL_RUN = re.compile(r"(?:[aeiou]|y(?![aeiou])|w(?![aeiou]))+")
_H_BEFORE_NON_VOWEL = re.compile(r"h(?![aeiouy])")
_FINAL_R = re.compile(r"(?<=[aeiouy])r$")
_LONE_G = re.compile(r"(?<!n)g")


def _vowel_class(match: re.Match[str]) -> str:
    run = match.group(0)
    kinds = set(run.replace("y", "i").replace("w", "u").replace("e", "i").replace("o", "u"))
    if kinds == {"a"} or run == "ea":
        return "a"
    if "a" in kinds:
        if run[0] == "a":
            return "ai" if "i" in kinds else "au"
        # Vietnamese "oa"/"uo" are a vowel of their own: Hoa is not Hà.
        return "ua" if run[0] in "ouw" else "a"
    return "i" if kinds == {"i"} else "u"


def _fold(token: str, *, burmese: bool = False) -> str:
    if burmese:
        # In Burmese romanisation "th" is သ (Thet) and "ht" is ထ (Htet), two
        # different names; elsewhere (Thai, Khmer) "th" is an aspirated t.
        token = token.replace("th", "\0")
    for old, new in _DIGRAPHS:
        token = token.replace(old, new)
    token = token.replace("\0", "q")  # q itself became c above: no clash
    token = _LONE_G.sub("k", token)
    token = _H_BEFORE_NON_VOWEL.sub("", token)
    token = _FINAL_R.sub("", token)
    token = _VOWEL_RUN.sub(_vowel_class, token)
    return re.sub(r"(.)\1+", r"\1", token)


def _drop_titles(tokens: list[str]) -> list[str]:
    start, end = 0, len(tokens)
    while end - start > 1 and tokens[start] in HONORIFICS:
        start += 1
    while end - start > 1 and tokens[end - 1] in TRAILING_TITLES:
        end -= 1
    return tokens[start:end]


def is_burmese(text: str, nationality: str | None = None) -> bool:
    """Whether a name follows Burmese practice: written in Myanmar script, or of a Myanmar national.

    Burmese names have no family name and their order is part of the name
    (Kyaw Aung and Aung Kyaw are two people); ``th`` and ``ht`` are two letters.
    """
    return (nationality or "").upper() == "MM" or any(_script(c) == "my" for c in text)


def normalise_name(text: str, *, burmese: bool = False) -> list[str]:
    """The folded Latin tokens of a personal name, in the order written.

    Args:
        text: A name as a caseworker typed it, in any script (Burmese in
            Unicode or Zawgyi, Thai, Khmer, Chinese, Latin with or without
            diacritics), possibly with titles.
        burmese: Fold by Burmese romanisation (``th`` is not ``ht``); implied
            when the text has Myanmar letters (see :func:`is_burmese`).

    Returns:
        Lower-case ASCII tokens after transliteration, title removal and
        phonetic folding; empty when nothing name-like remains.

    Example:
        ``normalise_name("Daw Nguyễn Thị Thu")`` gives ``["nguyin", "ti", "tu"]``.
    """
    text = unicodedata.normalize("NFKC", text)
    if any(_script(c) == "my" for c in text):
        burmese = True
        text = unicodedata.normalize("NFC", zawgyi_to_unicode(text))
    tokens = [t for w in _transliterate(text) for t in re.findall(r"[a-z]+", w.lower())]
    return [f for f in (_fold(t, burmese=burmese) for t in _drop_titles(tokens)) if f]
