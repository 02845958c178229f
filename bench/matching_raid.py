"""A raid-like synthetic population for duplicate detection: who a raid finds, written twice.

Usage: python -m bench.matching_raid [--seed N ...] [--people N] [--threshold T]

Unlike ``bench.matching_data`` (birth years spread evenly over 1960-2010,
only the second record noisy), this is what raids produce:

- people mostly aged 20-40 at a raid in 2026 (a few 16-19 and 41-55);
- name parts drawn with Zipf-skewed frequencies, so common names repeat;
  namesakes (another person with the very same name, born near) and
  siblings (same family name, ages within 6, often the family's phone);
- both records of a pair noisy, each in its own way, with fields *wrong* as
  well as missing: a keyboard typo, another transliteration, a dropped middle
  name or honorific, name order swapped, the other script, an age estimate
  instead of a date, a year off by one, a slipped digit, a Buddhist-Era year,
  day and month swapped, a wrong day, nationality or sex mis-recorded, the
  passport confiscated (no document) or mistyped, a new phone.

Naming practices: Burmese, Thai, Khmer, Chinese, Vietnamese, Indonesian,
Filipino (the lists of ``bench.matching_data``; every name is made up).
Figures are reported overall, within one script and across scripts, per
nationality and per variation. Seeds 101-102 are for development (``bench.matching_fit``
fits the field weights on them); 201 and above are held out: never looked at
while choosing anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import secrets
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from backend.matching import EncodedPerson, Proposal, candidate_pairs, encode_person
from bench import matching_data as names

DEV_SEEDS = (101, 102)
HELD_OUT_SEEDS = (201, 202, 203)
RAID_YEAR = 2026
NEIGHBOURS = {"MM": "TH", "TH": "MM", "KH": "TH", "CN": "MM", "VN": "KH", "PH": "ID", "ID": "PH"}
NATIVE = {"my", "th", "km", "zh"}
LANGS = ["my", "th", "km", "zh", "vi", "fil", "id"]
LANG_WEIGHTS = [3, 2, 2, 3, 2, 2, 2]


def _zipf(rng: random.Random, items: Sequence[object], s: float = 1.1) -> object:
    weights = [1 / (i + 1) ** s for i in range(len(items))]
    return rng.choices(items, weights)[0]


@dataclass(frozen=True, slots=True)
class Truth:
    """One made-up person: name parts (native, Latin variants), birth date, documents."""

    pid: int
    lang: str
    family: tuple[tuple[str | None, tuple[str, ...]], ...]
    given: tuple[tuple[str | None, tuple[str, ...]], ...]
    born: dt.date
    sex: str
    passport: str
    phone: str


@dataclass(slots=True)
class Rec:
    """One record as written at a raid, with what went wrong in it."""

    record_id: str
    pid: int
    lang: str
    script: str
    name: str
    born: dt.date | None
    year: int | None
    nationality: str | None
    sex: str | None
    documents: list[str]
    contacts: list[str]
    variations: set[str] = field(default_factory=set)


def _parts(rng: random.Random, lang: str, sex: str) -> tuple[tuple, tuple]:
    def pick(table: list) -> tuple[str | None, tuple[str, ...]]:
        native, latin = _zipf(rng, table)  # type: ignore[misc]
        return native, tuple(latin)

    if lang == "my":
        return (), tuple(pick(names.BURMESE) for _ in range(rng.choice([2, 2, 3])))
    if lang == "th":
        a, b = pick(names.THAI), pick(names.THAI)
        c, d = pick(names.THAI), pick(names.THAI)
        given = ((a[0] or "") + (b[0] or ""), tuple(x + y.lower() for x in a[1] for y in b[1]))
        fam = ((c[0] or "") + (d[0] or ""), tuple(x + y.lower() for x in c[1] for y in d[1]))
        return (fam,), (given,)
    if lang == "km":
        return (pick(names.KHMER_FAMILY),), tuple(
            pick(names.KHMER_GIVEN) for _ in range(rng.choice([1, 2]))
        )
    if lang == "zh":
        chars = [_zipf(rng, names.HAN_GIVEN) for _ in range(rng.choice([1, 2, 2]))]
        native = "".join(c for c, _ in chars)  # type: ignore[misc]
        latin = "".join(p for _, p in chars)  # type: ignore[misc]
        spaced = " ".join(p.capitalize() for _, p in chars)  # type: ignore[misc]
        fam_native, fam_latin = _zipf(rng, names.HAN_FAMILY)  # type: ignore[misc]
        return ((fam_native, (fam_latin,)),), ((native, (latin.capitalize(), spaced)),)
    if lang == "vi":
        middle = "Thị" if sex == "female" and rng.random() < 0.7 else _zipf(rng, names.VIET_MIDDLE)
        return ((None, (_zipf(rng, names.VIET_FAMILY, 1.4),)),), (
            (None, (middle,)),
            (None, (_zipf(rng, names.VIET_GIVEN),)),
        )
    if lang == "fil":
        given = str(_zipf(rng, names.FIL_START)) + str(_zipf(rng, names.FIL_END))
        return ((None, (_zipf(rng, names.FIL_FAMILY),)),), ((None, (given,)),)
    a, b = _zipf(rng, names.INDO_PARTS), _zipf(rng, names.INDO_PARTS)
    fam = str(_zipf(rng, names.INDO_PARTS)) + rng.choice(["wati", "yanto", "ningsih"])
    return ((None, (fam,)),), ((None, (a,)), (None, (b,)))


def _age(rng: random.Random) -> int:
    return rng.randint(20, 40) if rng.random() < 0.85 else rng.choice([16, 17, 18, 19, 41, 45, 50])


def _truth(rng: random.Random, pid: int, lang: str, like: Truth | None = None) -> Truth:
    sex = rng.choice(["female", "male"])
    fam, given = _parts(rng, lang, sex)
    born = dt.date(RAID_YEAR - _age(rng), rng.randint(1, 12), rng.randint(1, 28))
    phone = f"+{rng.randint(60, 99)} 9{rng.randint(10_000_000, 99_999_999)}"
    if like is not None:  # a sibling: the family name, an age close by, often the same phone
        fam = like.family
        years = like.born.year + rng.choice([-6, -4, -3, -2, -1, 1, 2, 3, 4, 6])
        born = born.replace(year=years)
        phone = like.phone if rng.random() < 0.5 else phone
    passport = f"{rng.choice('ABCDEMNP')}{rng.randint(1_000_000, 9_999_999)}"
    return Truth(pid, lang, fam, given, born, sex, passport, phone)


def _typo(rng: random.Random, word: str) -> str:
    return names._typo(rng, word)


def _strip(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _write(rng: random.Random, t: Truth, script: str, noise: set[str]) -> str:
    if script == "native":
        if t.lang == "my":
            syll = [n or "" for n, _ in t.given]
            if "zawgyi" in noise:
                syll = [names.ZAWGYI.get(s, s) for s in syll]
            text = "".join(syll) if rng.random() < 0.7 else " ".join(syll)
            return ("ဦး" if t.sex == "male" else "ဒေါ်") + text if "honorific" in noise else text
        fam = "".join(n or "" for n, _ in t.family)
        given = "".join(n or "" for n, _ in t.given)
        if t.lang == "zh":
            return fam + given
        text = f"{fam} {given}" if t.lang == "km" else f"{given} {fam}"
        if "honorific" in noise and t.lang == "th":
            text = ("นาย" if t.sex == "male" else "นางสาว") + text
        return text
    pick = (lambda v: rng.choice(v)) if "transliteration" in noise else (lambda v: v[0])
    given = [pick(v) for _, v in t.given]
    fam = [pick(v) for _, v in t.family]
    if "middle_dropped" in noise and len(given) > 1:
        given = given[1:] if t.lang == "vi" else given[:1]
    family_first = t.lang in {"zh", "vi", "km"}
    if "order" in noise:
        family_first = not family_first
    parts = fam + given if family_first else given + fam
    if t.lang == "vi" and (rng.random() < 0.5 or "diacritics" in noise):
        parts = [_strip(p) for p in parts]
    if "typo" in noise:
        i = rng.randrange(len(parts))
        parts[i] = _typo(rng, parts[i])
    if "honorific" in noise:
        title = {"my": ("U", "Daw"), "th": ("Nai", "Nangsao"), "km": ("Lok", "Kanha")}.get(
            t.lang, ("Mr", "Ms")
        )
        parts = [title[0] if t.sex == "male" else title[1], *parts]
    return " ".join(parts)


NAME_NOISE = ("typo", "transliteration", "middle_dropped", "order", "honorific", "zawgyi")


def _record(rng: random.Random, t: Truth, rid: str, script: str, noisy: bool) -> Rec:
    noise: set[str] = set()
    if noisy:
        for kind, p in (
            ("typo", 0.3),
            ("transliteration", 0.5),
            ("middle_dropped", 0.1),
            ("order", 0 if t.lang == "my" else 0.1),  # Burmese order is the name
            ("honorific", 0.2),
            ("zawgyi", 0.3 if t.lang == "my" and script == "native" else 0),
        ):
            if rng.random() < p:
                noise.add(kind)
    else:
        if rng.random() < 0.2:
            noise.add("honorific")
    born: dt.date | None = t.born
    year: int | None = None
    roll = rng.random() if noisy else 1.0
    if roll < 0.12:
        born, year = None, RAID_YEAR - (RAID_YEAR - t.born.year + rng.choice([-3, -2, -1, 0, 1, 2]))
        noise.add("age_estimate")
    elif roll < 0.18:
        born = None
        noise.add("dob_unknown")
    elif roll < 0.26:
        born = t.born.replace(year=t.born.year + rng.choice([-1, 1]))
        noise.add("year_off_by_one")
    elif roll < 0.29:
        y = t.born.year
        swapped = y // 100 * 100 + y % 10 * 10 + y // 10 % 10
        born = t.born.replace(year=swapped if swapped != y else y + 10)
        noise.add("year_digit_slip")
    elif roll < 0.33 and t.lang == "th":
        born = t.born.replace(year=t.born.year + 543)
        noise.add("buddhist_era")
    elif roll < 0.38 and t.born.day <= 12 and t.born.day != t.born.month:
        born = dt.date(t.born.year, t.born.day, t.born.month)
        noise.add("day_month_swapped")
    elif roll < 0.42:
        born = t.born.replace(day=rng.randint(1, 28))
        noise.add("day_wrong")
    nationality: str | None = names.NATIONALITY[t.lang]
    sex: str | None = t.sex
    if noisy:
        r = rng.random()
        if r < 0.05:
            nationality = None
            noise.add("nationality_missing")
        elif r < 0.09:
            nationality = NEIGHBOURS[nationality]
            noise.add("nationality_wrong")
        r = rng.random()
        if r < 0.05:
            sex = None
            noise.add("sex_missing")
        elif r < 0.08:
            sex = "male" if t.sex == "female" else "female"
            noise.add("sex_wrong")
    documents = [t.passport]
    r = rng.random()
    if r < 0.55:  # confiscated by the compound: no document at all
        documents = []
    elif noisy and r < 0.62:
        documents = [_typo(rng, t.passport)]
        noise.add("document_typo")
    contacts = [t.phone]
    r = rng.random()
    if r < 0.45:
        contacts = []
    elif noisy and r < 0.55:
        contacts = [f"+{rng.randint(60, 99)} 9{rng.randint(10_000_000, 99_999_999)}"]
        noise.add("phone_new")
    if script == "native":  # what a native-script record cannot carry
        noise -= {"typo", "transliteration", "middle_dropped", "order"}
    return Rec(
        record_id=rid,
        pid=t.pid,
        lang=t.lang,
        script=script,
        name=_write(rng, t, script, noise),
        born=born,
        year=year,
        nationality=nationality,
        sex=sex,
        documents=documents,
        contacts=contacts,
        variations=noise,
    )


def population(*, seed: int, people: int, duplicate_rate: float = 0.4) -> list[Rec]:
    """Records for ``people`` made-up people, some screened twice (both records noisy)."""
    rng = random.Random(seed)
    truths: list[Truth] = []
    while len(truths) < people:
        lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
        t = _truth(rng, len(truths), lang)
        truths.append(t)
        r = rng.random()
        if r < 0.15 and t.family:
            truths.append(_truth(rng, len(truths), lang, like=t))
        elif r < 0.22:  # a namesake: the very same name, born near, someone else
            other = _truth(rng, len(truths), lang)
            truths.append(
                Truth(
                    other.pid, lang, t.family, t.given,
                    other.born.replace(year=t.born.year + rng.randint(-2, 2)),
                    t.sex, other.passport, other.phone,
                )
            )  # fmt: skip
    records: list[Rec] = []
    for t in truths[:people]:
        first = "native" if t.lang in NATIVE and rng.random() < 0.5 else "latin"
        records.append(_record(rng, t, f"r{len(records):06d}", first, noisy=True))
        if rng.random() < duplicate_rate:
            second = first
            if t.lang in NATIVE and rng.random() < 0.3:
                second = "latin" if first == "native" else "native"
            records.append(_record(rng, t, f"r{len(records):06d}", second, noisy=True))
    return records


def encode_all(records: Sequence[Rec], key: bytes) -> list[EncodedPerson]:
    """Each record encoded as the server encodes a case."""
    return [
        encode_person(
            key=key,
            record_id=r.record_id,
            name=r.name,
            birth_year=r.year,
            birth_date=r.born,
            nationality=r.nationality,
            sex=r.sex,  # type: ignore[arg-type]
            documents=r.documents,
            contacts=r.contacts,
        )
        for r in records
    ]


@dataclass(slots=True)
class Tally:
    """Counts of one group at one threshold."""

    true_pairs: int = 0
    proposed: int = 0
    correct: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.proposed if self.proposed else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true_pairs if self.true_pairs else 1.0


def _groups(a: Rec, b: Rec) -> list[str]:
    out = ["all", "cross-script" if a.script != b.script else "within-script"]
    out.append(f"nationality {names.NATIONALITY[a.lang]}")
    if a.pid == b.pid:
        out += [f"variation {v}" for v in sorted(a.variations | b.variations)]
        if not a.variations | b.variations:
            out.append("variation none")
    return out


def tally(
    records: Sequence[Rec], proposals: Sequence[Proposal], threshold: float
) -> dict[str, Tally]:
    """Precision and recall per group at ``threshold`` (a false pair counts in its first record's nationality)."""
    by_id = {r.record_id: r for r in records}
    by_person: dict[int, list[Rec]] = defaultdict(list)
    for r in records:
        by_person[r.pid].append(r)
    out: dict[str, Tally] = defaultdict(Tally)
    for rs in by_person.values():
        for i in range(len(rs)):
            for j in range(i + 1, len(rs)):
                for g in _groups(rs[i], rs[j]):
                    out[g].true_pairs += 1
    for p in proposals:
        if p.score < threshold:
            continue
        a, b = by_id[p.left_id], by_id[p.right_id]
        for g in _groups(a, b):
            out[g].proposed += 1
            out[g].correct += a.pid == b.pid
    return dict(out)


def recall_at_precision(
    records: Sequence[Rec], proposals: Sequence[Proposal], group: str, floor: float = 0.95
) -> tuple[float, float] | None:
    """(best recall, its threshold) among thresholds whose precision is at least ``floor``."""
    best: tuple[float, float] | None = None
    for step in range(10, 100):
        t = tally(records, proposals, step / 100).get(group, Tally())
        if t.precision >= floor and (best is None or t.recall > best[0]):
            best = (t.recall, step / 100)
    return best


def run(seed: int, people: int, threshold: float) -> None:
    records = population(seed=seed, people=people)
    key = secrets.token_bytes(32)
    encode_all(records[:50], key)  # warm the Thai syllable trie
    start = time.perf_counter()
    encoded = encode_all(records, key)
    encode_s = time.perf_counter() - start
    start = time.perf_counter()
    proposals = candidate_pairs(encoded, threshold=0.1)
    pair_s = time.perf_counter() - start
    years = Counter(e.birth_year for e in encoded)
    unknown = years.pop(None, 0)
    blocks = [
        sum(years.get(t, 0) for t in e.birth_year_block) + unknown
        for e in encoded
        if e.birth_year is not None
    ]
    print(
        f"seed {seed}: {people} people, {len(records)} records; encode {encode_s:.1f} s, "
        f"block+score {pair_s:.1f} s, {len(proposals)} pairs scored >= 0.10; "
        f"block (year window + unknown years) mean {sum(blocks) / len(blocks):.0f} records "
        f"({sum(blocks) / len(blocks) / len(records):.1%}), largest {max(blocks)} "
        f"({max(blocks) / len(records):.1%}); {unknown} records of unknown year"
    )
    at = tally(records, proposals, threshold)
    print(
        f"{'group':34} {'true':>5} {'P@' + str(threshold):>7} {'R@' + str(threshold):>7}  R@P>=0.95"
    )
    for group in sorted(at, key=lambda g: (g.split()[0] != "all", g.split()[0], g)):
        if group.startswith("variation") and at[group].true_pairs < 10:
            continue
        t = at[group]
        best = (
            recall_at_precision(records, proposals, group)
            if not group.startswith("variation")
            else None
        )
        extra = (
            ""
            if group.startswith("variation")
            else (f"{best[0]:.3f} (at {best[1]:.2f})" if best else "none")
        )
        print(f"{group:34} {t.true_pairs:5d} {t.precision:7.3f} {t.recall:7.3f}  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, action="append")
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    for seed in args.seed or HELD_OUT_SEEDS:
        run(seed, args.people, args.threshold)


if __name__ == "__main__":
    main()
