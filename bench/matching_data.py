"""A seeded synthetic population of screened people, with duplicates, for matching figures.

Every name is made up: syllables (or short name words) drawn from per-language
lists and combined at random, so no record is a real person. The native
spellings beside each Latin one are conventional romanisations written out by
hand, not produced by the code under test; the Zawgyi forms of Burmese
syllables are kept only if ``paraencoder`` converts them back exactly.

A *person* gets one record; some get a second (a duplicate) with what happens
at a chaotic site: typos (substitution, transposition, a dropped or doubled
letter), given and family names swapped, a title added or dropped, another
transliteration, diacritics lost, syllables joined or split, Zawgyi instead of
Unicode, a birth year one off or unknown, nationality or sex missing or
mis-recorded. Cross-script duplicates write the same person once in native
script and once in Latin. Siblings (same family name, nationality and near
birth year) make hard non-duplicates; the small syllable lists make many more.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from para.convert import zg_to_unicode

Script = Literal["latin", "native"]

# (native, [Latin variants]) per language. Burmese: syllables; names are 2-3 of them.
BURMESE = [
    ("ကျော်", ["Kyaw"]), ("ဇော်", ["Zaw"]), ("အောင်", ["Aung"]), ("မြင့်", ["Myint"]),
    ("သန်း", ["Than", "Thann"]), ("ထွန်း", ["Tun", "Htun", "Tunn"]), ("ဝင်း", ["Win", "Winn"]),
    ("လှ", ["Hla"]), ("မြ", ["Mya"]), ("နိုင်", ["Naing", "Nai"]), ("မိုး", ["Moe", "Mo"]),
    ("ဖြူ", ["Phyu", "Phyo"]), ("ငြိမ်း", ["Nyein", "Nyain"]), ("သက်", ["Thet", "Thett"]),
    ("ထက်", ["Htet", "Htat"]), ("စိုး", ["Soe", "So"]), ("ခိုင်", ["Khaing", "Khine"]),
    ("ချစ်", ["Chit", "Chitt"]), ("ဟိန်း", ["Hein", "Hane"]), ("ပိုင်", ["Paing", "Pine"]),
    ("အေး", ["Aye", "Aey"]), ("ကြည်", ["Kyi", "Kyee"]), ("ခင်", ["Khin", "Khinn"]),
    ("ဆန်း", ["San", "Sann", "Hsan"]), ("လင်း", ["Lin", "Linn"]), ("သီ", ["Thi", "Thee"]),
    ("ဒါ", ["Da", "Dar"]), ("နွယ်", ["Nwe", "Nway"]), ("ရီ", ["Yi", "Yee"]),
]  # fmt: skip
BURMESE_ZAWGYI_CANDIDATES = {
    "ကျော်": "ေက်ာ္", "ဇော်": "ေဇာ္", "အောင်": "ေအာင္", "မြ": "ျမ", "မြင့်": "ျမင့္",
    "သန်း": "သန္း", "ထွန်း": "ထြန္း", "လှ": "လွ", "ကြည်": "ၾကည္", "ဖြူ": "ျဖဴ",
    "ခင်": "ခင္", "ဆန်း": "ဆန္း", "လင်း": "လင္း", "သက်": "သက္", "ထက်": "ထက္",
    "အေး": "ေအး", "ငြိမ်း": "ၿငိမ္း", "ချစ်": "ခ်စ္", "ဝင်း": "ဝင္း",
}  # fmt: skip
BURMESE_TITLES = [
    ("ဦး", "U", "male"),
    ("ဒေါ်", "Daw", "female"),
    ("မ", "Ma", "female"),
    ("ကို", "Ko", "male"),
]
# Thai: name words built from two morphemes each.
THAI = [
    ("ศรี", ["Sri", "Si"]), ("สุข", ["Suk", "Sook"]), ("ทอง", ["Thong", "Tong"]),
    ("ดี", ["Dee", "Di"]), ("ใจ", ["Jai", "Chai"]), ("บุญ", ["Boon", "Bun"]), ("มา", ["Ma"]),
    ("แสง", ["Saeng", "Sang"]), ("แก้ว", ["Kaew", "Keaw"]), ("สม", ["Som"]),
    ("ชาย", ["Chai", "Chay"]), ("ศักดิ์", ["Sak", "Sack"]), ("วงศ์", ["Wong", "Vong"]),
    ("พร", ["Porn", "Phon", "Pon"]), ("ทิพย์", ["Thip", "Tip"]), ("มณี", ["Manee", "Mani"]),
    ("สุดา", ["Suda"]), ("นภา", ["Napha", "Napa"]), ("ประเสริฐ", ["Prasert", "Prasoet"]),
    ("วิไล", ["Wilai", "Vilai"]), ("อรุณ", ["Arun"]), ("กมล", ["Kamon", "Kamol"]),
]  # fmt: skip
THAI_TITLES = [("นาย", "Nai", "male"), ("นางสาว", "Nangsao", "female"), ("นาง", "Nang", "female")]
KHMER_FAMILY = [
    ("ចាន់", ["Chan"]), ("សុខ", ["Sok", "Sokh"]), ("គីម", ["Kim"]), ("ហេង", ["Heng"]),
    ("មាស", ["Meas", "Mas"]), ("កែវ", ["Keo", "Kaev"]), ("លី", ["Ly", "Lee"]), ("ជា", ["Chea"]),
    ("សេង", ["Seng"]), ("ប្រាក់", ["Prak"]), ("សំ", ["Sam"]), ("ទូច", ["Touch", "Toch"]),
]  # fmt: skip
KHMER_GIVEN = [
    ("សុខា", ["Sokha", "Sokhar"]), ("ដារា", ["Dara", "Darra"]), ("សុផល", ["Sophal", "Sophall"]),
    ("ចន្ថា", ["Chantha", "Chanta"]), ("វណ្ណា", ["Vanna", "Wanna"]), ("ស្រី", ["Srey", "Srei"]),
    ("ពិសី", ["Pisey", "Pisei"]), ("បុប្ផា", ["Bopha"]), ("រិទ្ធី", ["Rithy", "Rithi"]),
    ("វុទ្ធី", ["Vuthy", "Vuthi"]), ("ធីតា", ["Thida", "Theda"]), ("សុភា", ["Sophea", "Sopha"]),
    ("ចរិយា", ["Chariya", "Chareya"]), ("សុភ័ក្រ", ["Sopheak", "Sophak"]), ("ពៅ", ["Pov", "Pow"]),
    ("រតនា", ["Ratana", "Rattana"]), ("បូរ៉ា", ["Bora", "Borah"]), ("មករា", ["Makara", "Makra"]),
]  # fmt: skip
KHMER_TITLES = [("លោក", "Lok", "male"), ("កញ្ញា", "Kanha", "female")]
HAN_FAMILY = [("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
              ("杨", "Yang"), ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"),
              ("林", "Lin"), ("何", "He")]  # fmt: skip
HAN_GIVEN = [("小", "xiao"), ("明", "ming"), ("伟", "wei"), ("芳", "fang"), ("丽", "li"),
             ("军", "jun"), ("杰", "jie"), ("静", "jing"), ("强", "qiang"), ("磊", "lei"),
             ("洋", "yang"), ("艳", "yan"), ("勇", "yong"), ("娜", "na"), ("涛", "tao"),
             ("华", "hua"), ("建", "jian"), ("国", "guo"), ("海", "hai"), ("波", "bo"),
             ("平", "ping"), ("红", "hong"), ("玉", "yu"), ("文", "wen"), ("志", "zhi"),
             ("春", "chun"), ("德", "de"), ("东", "dong"), ("飞", "fei"), ("凤", "feng")]  # fmt: skip
VIET_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]  # fmt: skip
VIET_MIDDLE = ["Văn", "Hữu", "Đức", "Minh", "Ngọc", "Quốc", "Thanh", "Xuân"]
VIET_GIVEN = ["Hùng", "Lan", "Thu", "Hương", "Tuấn", "Anh", "Dũng", "Hải", "Linh", "Mai", "Phương", "Quang", "Trung", "Yến", "Khoa", "Thảo",
              "Bảo", "Cường", "Duy", "Giang", "Hà", "Hiếu", "Huy", "Khánh", "Long", "Nam", "Nhung", "Oanh", "Phúc", "Sơn", "Tâm", "Vinh"]  # fmt: skip
FIL_START = [
    "Jo",
    "Ma",
    "Ro",
    "Ri",
    "Ar",
    "Je",
    "Cri",
    "Ed",
    "Ly",
    "Ka",
    "Be",
    "Da",
    "Gle",
    "Ho",
    "Li",
    "Mer",
    "No",
    "Pa",
    "Rey",
    "Te",
]
FIL_END = [
    "nel",
    "lyn",
    "sa",
    "rie",
    "win",
    "ly",
    "via",
    "den",
    "mar",
    "ren",
    "bert",
    "cel",
    "dina",
    "fredo",
    "gie",
    "jun",
    "mae",
    "nilo",
    "ria",
    "zel",
]
FIL_FAMILY = ["Dela Cruz", "Santos", "Reyes", "Bautista", "Garcia", "Mendoza", "Ramos", "Villanueva", "Castillo", "Aquino",
              "Flores", "Gonzales", "Lopez", "Morales", "Navarro", "Pascual", "Salazar", "Tolentino", "Valdez", "Zamora"]  # fmt: skip
INDO_PARTS = ["Sri", "Wati", "Budi", "Santo", "Dewi", "Putri", "Agus", "Yuni", "Eko", "Rahma", "Wahyu", "Ning", "Sih", "Tri", "Adi",
              "Bambang", "Indah", "Joko", "Kurnia", "Lestari", "Mega", "Nur", "Oki", "Pratama", "Rini", "Setyo", "Teguh", "Utami", "Yoga", "Zul",
              "Fitri", "Gita", "Hendra", "Intan", "Kartika", "Lukman", "Maya", "Novi", "Purnama", "Ratna"]  # fmt: skip

NATIONALITY = {"my": "MM", "th": "TH", "km": "KH", "zh": "CN", "vi": "VN", "fil": "PH", "id": "ID"}
LANGUAGES = ["my", "th", "km", "zh", "vi", "fil", "id"]
NATIVE_SCRIPT = {"my", "th", "km", "zh"}
KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}  # fmt: skip


def _zawgyi_forms() -> dict[str, str]:
    # Only forms our Zawgyi candidates convert back exactly from: no guessed encodings.
    return {
        uni: zg
        for uni, zg in BURMESE_ZAWGYI_CANDIDATES.items()
        if zg_to_unicode(zg, force=True) == uni
    }


ZAWGYI = _zawgyi_forms()


@dataclass(frozen=True, slots=True)
class Part:
    """One name part: its native spelling (if any) and its Latin variants."""

    native: str | None
    latin: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Person:
    """The truth about one made-up person."""

    person_id: int
    language: str
    family: tuple[Part, ...]  # empty for Burmese (no family names)
    given: tuple[Part, ...]
    birth_year: int
    sex: str


@dataclass(frozen=True, slots=True)
class Record:
    """One screening record as a caseworker typed it."""

    record_id: str
    person_id: int
    language: str
    script: Script
    name: str
    birth_year: int | None
    nationality: str | None
    sex: str | None


def _part(pair: tuple[str, list[str]]) -> Part:
    return Part(pair[0], tuple(pair[1]))


def _new_person(
    rng: random.Random, pid: int, lang: str, family: tuple[Part, ...] | None = None
) -> Person:
    sex = rng.choice(["female", "male"])
    year = rng.randint(1960, 2010)
    if lang == "my":
        given = tuple(_part(rng.choice(BURMESE)) for _ in range(rng.choice([2, 2, 3])))
        return Person(pid, lang, (), given, year, sex)
    if lang == "th":
        g = rng.sample(THAI, 2)
        f = rng.sample(THAI, 2)
        given = (Part(g[0][0] + g[1][0], tuple(a + b.lower() for a in g[0][1] for b in g[1][1])),)
        fam = family or (
            Part(f[0][0] + f[1][0], tuple(a + b.lower() for a in f[0][1] for b in f[1][1])),
        )
        return Person(pid, lang, fam, given, year, sex)
    if lang == "km":
        given = tuple(_part(p) for p in rng.sample(KHMER_GIVEN, rng.choice([1, 2])))
        return Person(pid, lang, family or (_part(rng.choice(KHMER_FAMILY)),), given, year, sex)
    if lang == "zh":
        chars = [rng.choice(HAN_GIVEN) for _ in range(rng.choice([1, 2, 2]))]
        native = "".join(c for c, _ in chars)
        latin = "".join(p for _, p in chars)
        given = (Part(native, (latin.capitalize(), " ".join(p.capitalize() for _, p in chars))),)
        fam_pair = rng.choice(HAN_FAMILY)
        return Person(pid, lang, family or (Part(fam_pair[0], (fam_pair[1],)),), given, year, sex)
    if lang == "vi":
        fam = family or (Part(None, (rng.choice(VIET_FAMILY),)),)
        given = (
            Part(
                None,
                ("Thị" if sex == "female" and rng.random() < 0.7 else rng.choice(VIET_MIDDLE),),
            ),
            Part(None, (rng.choice(VIET_GIVEN),)),
        )
        return Person(pid, lang, fam, given, year, sex)
    if lang == "fil":
        fam = family or (Part(None, (rng.choice(FIL_FAMILY),)),)
        given = (Part(None, (rng.choice(FIL_START) + rng.choice(FIL_END),)),)
        return Person(pid, lang, fam, given, year, sex)
    parts = rng.sample(INDO_PARTS, 2)
    fam = family or (
        Part(None, (rng.choice(INDO_PARTS) + rng.choice(["wati", "yanto", "ningsih"]),)),
    )
    return Person(pid, lang, fam, tuple(Part(None, (p,)) for p in parts), year, sex)


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["substitute", "transpose", "drop", "double"])
    ch = word[i].lower()
    if kind == "substitute" and ch in KEYBOARD_NEIGHBOURS:
        return word[:i] + rng.choice(KEYBOARD_NEIGHBOURS[ch]) + word[i + 1 :]
    if kind == "transpose":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _strip_diacritics(word: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", word.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def write_name(rng: random.Random, person: Person, *, script: Script, noisy: bool) -> str:
    """The person's name as one caseworker might write it."""
    lang = person.language
    if script == "native":
        if lang == "my":
            syll = [p.native or "" for p in person.given]
            if noisy and rng.random() < 0.4:
                syll = [ZAWGYI.get(s, s) for s in syll]
            text = "".join(syll) if rng.random() < 0.7 else " ".join(syll)
            if rng.random() < 0.3:
                titles = [t for t in BURMESE_TITLES if t[2] == person.sex]
                text = rng.choice(titles)[0] + text
            return text
        family = "".join(p.native or "" for p in person.family)
        given = "".join(p.native or "" for p in person.given)
        if lang == "zh":
            return family + given
        name = f"{family} {given}" if lang == "km" else f"{given} {family}"
        if noisy and rng.random() < 0.2 and lang == "km":
            name = f"{given} {family}"
        titles = {"th": THAI_TITLES, "km": KHMER_TITLES}.get(lang, [])
        if titles and rng.random() < 0.3:
            options = [t for t in titles if t[2] == person.sex]
            name = rng.choice(options)[0] + ("" if lang == "th" else " ") + name
        return name
    words = [rng.choice(p.latin) if noisy else p.latin[0] for p in person.given]
    fam = [rng.choice(p.latin) if noisy else p.latin[0] for p in person.family]
    if lang == "zh" and rng.random() < 0.3:
        words = [w.lower().capitalize().replace(" ", "") for w in words]
    order_family_first = lang in {"zh", "vi", "km"}
    if noisy and rng.random() < 0.3:
        order_family_first = not order_family_first
    parts = fam + words if order_family_first else words + fam
    if lang == "vi" and (noisy or rng.random() < 0.5) and rng.random() < 0.6:
        parts = [_strip_diacritics(w) for w in parts]
    if noisy and rng.random() < 0.5:
        i = rng.randrange(len(parts))
        parts[i] = _typo(rng, parts[i])
    if noisy and rng.random() < 0.1:
        i = rng.randrange(len(parts))
        parts[i] = _typo(rng, parts[i])
    if lang == "my" and rng.random() < 0.3:
        titles = [t for t in BURMESE_TITLES if t[2] == person.sex]
        parts = [rng.choice(titles)[1], *parts]
    elif lang == "th" and rng.random() < 0.3:
        parts = [rng.choice([t for t in THAI_TITLES if t[2] == person.sex])[1], *parts]
    elif rng.random() < 0.15:
        parts = [
            rng.choice(
                ["Mr" if person.sex == "male" else "Ms", "Mr." if person.sex == "male" else "Mrs."]
            ),
            *parts,
        ]
    return " ".join(parts)


def _record(rng: random.Random, person: Person, rid: str, *, script: Script, noisy: bool) -> Record:
    year: int | None = person.birth_year
    nationality: str | None = NATIONALITY[person.language]
    sex: str | None = person.sex
    if noisy:
        roll = rng.random()
        if roll < 0.2:
            year = person.birth_year + rng.choice([-1, 1])
        elif roll < 0.25:
            year = None
        if rng.random() < 0.05:
            nationality = None
        if rng.random() < 0.05:
            sex = None
        elif rng.random() < 0.02:
            sex = "male" if person.sex == "female" else "female"
    elif rng.random() < 0.03:
        year = None
    return Record(
        record_id=rid,
        person_id=person.person_id,
        language=person.language,
        script=script,
        name=write_name(rng, person, script=script, noisy=noisy),
        birth_year=year,
        nationality=nationality,
        sex=sex,
    )


def population(
    *,
    seed: int,
    people: int,
    duplicate_rate: float = 0.4,
    cross_script_rate: float = 0.3,
    sibling_rate: float = 0.15,
) -> list[Record]:
    """Records for ``people`` made-up people, some twice, some with siblings.

    Args:
        seed: The random seed (the same seed gives the same records).
        people: How many distinct people to make (siblings included).
        duplicate_rate: Share of people screened twice.
        cross_script_rate: Share of duplicates (of native-script languages)
            written once in native script and once in Latin.
        sibling_rate: Share of people who get a sibling (same family name,
            nationality, birth year within 3).
    """
    rng = random.Random(seed)
    persons: list[Person] = []
    while len(persons) < people:
        p = _new_person(rng, len(persons), rng.choice(LANGUAGES))
        persons.append(p)
        if p.family and rng.random() < sibling_rate and len(persons) < people:
            sib = _new_person(rng, len(persons), p.language, family=p.family)
            year = p.birth_year + rng.randint(-3, 3)
            persons.append(
                Person(sib.person_id, sib.language, sib.family, sib.given, year, sib.sex)
            )
    records: list[Record] = []
    for p in persons:
        native_ok = p.language in NATIVE_SCRIPT
        first: Script = "native" if native_ok and rng.random() < 0.5 else "latin"
        records.append(_record(rng, p, f"r{len(records):06d}", script=first, noisy=False))
        if rng.random() < duplicate_rate:
            second: Script = first
            if native_ok and rng.random() < cross_script_rate:
                second = "latin" if first == "native" else "native"
            records.append(_record(rng, p, f"r{len(records):06d}", script=second, noisy=True))
    return records
