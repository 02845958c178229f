"""Burmese: Zawgyi detection and conversion, and a romaniser for personal names.

Zawgyi is the legacy font encoding that reuses Myanmar code points with other
meanings; much Burmese text typed on phones before 2019 (and still some today)
is Zawgyi. Detection uses Google's ``myanmartools`` Markov model (the reference
detector; it scores short strings far better than rule lists); conversion uses
``paraencoder``'s rule set (Parabaik-style, maintained). Neither is ours.

anyascii spells Burmese letter by letter (``ကျော်`` becomes ``kyea``), which is
far from how Burmese names are written in Latin on passports and in forms
(``Kyaw``). The romaniser here follows those conventions syllable by syllable:
an onset (consonant, medials) and a rhyme (vowel signs, final consonant with
asat). Limits: it knows the common name syllables' spellings, not every
Pali-derived spelling; tones are dropped (Latin names drop them too); ``ရ`` is
``y`` (some write ``r``) and ``ဆ`` is ``s`` (some write ``hs``).
"""

from __future__ import annotations

from myanmartools import ZawgyiDetector
from para.convert import zg_to_unicode

__all__ = ["MYANMAR_RANGE", "is_zawgyi", "romanise_burmese", "zawgyi_to_unicode"]

MYANMAR_RANGE = (0x1000, 0x109F)

#: Probability above which text is taken for Zawgyi. Short Unicode names can
#: score up to ~0.8 (``မြ``), Zawgyi ones score ~1.0.
_ZAWGYI_THRESHOLD = 0.95

_detector = ZawgyiDetector()


def is_zawgyi(text: str) -> bool:
    """Whether Burmese ``text`` is Zawgyi-encoded (False for text with no Myanmar letters)."""
    if not any(MYANMAR_RANGE[0] <= ord(c) <= MYANMAR_RANGE[1] for c in text):
        return False
    return bool(_detector.get_zawgyi_probability(text) > _ZAWGYI_THRESHOLD)


def zawgyi_to_unicode(text: str) -> str:
    """``text`` converted to standard Unicode when it is Zawgyi, unchanged otherwise."""
    return zg_to_unicode(text, force=True) if is_zawgyi(text) else text


_ONSETS = {
    "က": "k", "ခ": "kh", "ဂ": "g", "ဃ": "g", "င": "ng", "စ": "s", "ဆ": "s", "ဇ": "z",
    "ဈ": "z", "ည": "ny", "ဉ": "ny", "ဋ": "t", "ဌ": "ht", "ဍ": "d", "ဎ": "d", "ဏ": "n",
    "တ": "t", "ထ": "ht", "ဒ": "d", "ဓ": "d", "န": "n", "ပ": "p", "ဖ": "ph", "ဗ": "b",
    "ဘ": "b", "မ": "m", "ယ": "y", "ရ": "y", "လ": "l", "ဝ": "w", "သ": "th", "ဟ": "h",
    "ဠ": "l", "အ": "",
}  # fmt: skip
_INDEPENDENT_VOWELS = {"ဣ": "i", "ဤ": "i", "ဥ": "u", "ဦ": "u", "ဧ": "e", "ဩ": "aw", "ဪ": "aw"}
# Final consonant (before asat or virama) → its class in the rhyme table.
_FINALS = {
    "က": "k", "ခ": "k", "ဂ": "k", "င": "ng", "စ": "c", "ဇ": "c", "ည": "ny", "ဉ": "ny",
    "ဋ": "t", "ဍ": "t", "ဏ": "n", "တ": "t", "ထ": "t", "ဒ": "t", "ဓ": "t", "န": "n",
    "ပ": "p", "ဗ": "p", "ဘ": "p", "မ": "m", "ယ": "y", "လ": "n", "သ": "t",
}  # fmt: skip
# (vowel, final) → rhyme, after the conventions of Latin-script Burmese names.
_RHYMES = {
    ("", None): "a", ("a", None): "a", ("i", None): "i", ("u", None): "u",
    ("e", None): "e", ("ai", None): "e", ("aw", None): "aw", ("o", None): "oe",
    ("", "k"): "et", ("o", "k"): "aik", ("aw", "k"): "auk", ("u", "k"): "ok", ("i", "k"): "eik",
    ("", "ng"): "in", ("o", "ng"): "aing", ("aw", "ng"): "aung", ("u", "ng"): "ong",
    ("i", "ng"): "in",
    ("", "c"): "it", ("", "ny"): "i", ("i", "ny"): "i",
    ("", "t"): "at", ("i", "t"): "eik", ("u", "t"): "ok", ("w", "t"): "ut",
    ("", "n"): "an", ("i", "n"): "ein", ("u", "n"): "on", ("w", "n"): "un", ("o", "n"): "on",
    ("", "p"): "at", ("i", "p"): "eik", ("u", "p"): "ok", ("w", "p"): "ut",
    ("", "m"): "an", ("i", "m"): "ein", ("u", "m"): "on", ("w", "m"): "un",
    ("", "y"): "e",
    ("", "anusvara"): "an", ("i", "anusvara"): "ein", ("u", "anusvara"): "on",
    ("w", "anusvara"): "un",
}  # fmt: skip
_ASAT, _VIRAMA, _ANUSVARA = "\u103a", "\u1039", "\u1036"
_YA_PIN, _YA_YIT, _WA, _HA = "\u103b", "\u103c", "\u103d", "\u103e"
_VOWEL_SIGNS = {"\u102b": "a", "\u102c": "a", "\u102d": "i", "\u102e": "i", "\u102f": "u",
                "\u1030": "u", "\u1031": "e", "\u1032": "ai"}  # fmt: skip
_IGNORED = {"\u1037", "\u1038", "\u104a", "\u104b"}  # tone marks and punctuation


def _onset(consonant: str, medials: set[str]) -> str:
    base = _ONSETS[consonant]
    if _HA in medials and base in {"y", "l"} and (_YA_PIN in medials or base == "y"):
        return "sh"
    if _YA_PIN in medials or _YA_YIT in medials:
        base = {"k": "ky", "kh": "ch", "g": "gy", "ng": "ny"}.get(base, base + "y" if base else "y")
    if _HA in medials:
        base = "h" + base
    return base


def _vowel(signs: list[str]) -> str:
    kinds = [_VOWEL_SIGNS[s] for s in signs]
    if "e" in kinds and "a" in kinds:
        return "aw"
    if "i" in kinds and "u" in kinds:
        return "o"
    return kinds[0] if kinds else ""


def _is_final(text: str, i: int) -> bool:
    # A consonant killed by asat (or stacked by virama) closes the syllable;
    # the dot below may stand between the consonant and its asat.
    rest = text[i + 1 : i + 3]
    return rest[:1] in {_ASAT, _VIRAMA} or rest == "\u1037" + _ASAT


def _syllables(text: str) -> list[tuple[str, set[str], list[str], str | None]]:
    out: list[tuple[str, set[str], list[str], str | None]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        i += 1
        if ch not in _ONSETS and ch not in _INDEPENDENT_VOWELS:
            continue
        medials: set[str] = set()
        signs: list[str] = []
        final: str | None = None
        while i < n:
            c = text[i]
            if c in {_YA_PIN, _YA_YIT, _WA, _HA}:
                medials.add(c)
            elif c in _VOWEL_SIGNS:
                signs.append(c)
            elif c == _ANUSVARA:
                final = "anusvara"
            elif c in _IGNORED or c == _ASAT:
                pass
            elif c in _ONSETS and _is_final(text, i):
                final = _FINALS.get(c, "t")
                i += 2
                continue
            else:
                break
            i += 1
        out.append((ch, medials, signs, final))
    return out


def romanise_burmese(text: str) -> list[str]:
    """Burmese (standard Unicode) → one lower-case Latin token per syllable.

    Example: ``အောင်ဆန်းစုကြည်`` gives ``["aung", "san", "su", "kyi"]``.
    """
    tokens = []
    for head, medials, signs, final in _syllables(text):
        if head in _INDEPENDENT_VOWELS:
            tokens.append(_INDEPENDENT_VOWELS[head] + ("n" if final else ""))
            continue
        vowel = _vowel(signs)
        if _WA in medials and not vowel and final is not None:
            vowel = "w"
        rhyme = _RHYMES.get((vowel, final)) or _RHYMES.get((vowel, None), "a")
        onset = _onset(head, medials - ({_WA} if vowel == "w" else set()))
        if _WA in medials and vowel != "w":
            onset += "w"
        if not onset and rhyme == "e":
            rhyme = "aye"  # အေး is written Aye
        tokens.append(onset + rhyme)
    return tokens
