"""Names for the demo data set: people, accounts, addresses, and their pinyin initials.

The name parts live in ``resources/demo/`` (see its README). A name is built from parts and its
``name_initials`` is the concatenation of each part's initials, computed once per distinct part: the
demo writes a few hundred thousand names, and converting every whole name with pypinyin would cost
more than generating the rest of the data set.
"""

from __future__ import annotations

import csv
import random
import re
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from typing import Generic, TypeVar

from kam_console import paths
from kam_console.pinyin import initials

T = TypeVar("T")

_TOKEN = re.compile(r"\{[A-Za-z]\}|\[[^\]]*\]|[^{\[]+")
MUNICIPALITIES = ("110000", "120000", "310000", "500000")
ORDINALS = "一二三四五六七八九十"


def _read_csv(name: str) -> list[dict[str, str]]:
    with paths.resource_path("demo", name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _read_lines(name: str) -> list[str]:
    with paths.resource_path("demo", name).open(encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def _unique_chars(text: str) -> list[str]:
    # dict.fromkeys keeps first-seen order, so the list (and every draw from it) is deterministic.
    return list(dict.fromkeys(text))


class Weighted(Generic[T]):
    """A weighted choice with its cumulative weights computed once (``random.choices`` recomputes them
    on every call, which dominated the planning time). Draws one ``rng.random()`` per pick."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]):
        self.items = list(items)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect(self.cumulative, rng.random() * self.total, 0, len(self.items) - 1)]


@cache
def part_initials(part: str) -> str:
    """Initials of one name part (cached: parts repeat across thousands of names)."""
    return initials(part)


def chinese_ordinal(n: int) -> str:
    """1..99 as Chinese numerals: 1 → 一, 10 → 十, 12 → 十二, 20 → 二十."""
    if n <= 10:
        return ORDINALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else ORDINALS[tens - 1] + "十"
    return head + (ORDINALS[ones - 1] if ones else "")


@dataclass(frozen=True)
class Place:
    """How a serving city is named in account names and addresses (see resources/demo/README.md)."""

    province_name: str  # 广东省
    province_short: str  # 广东
    province_q: str  # 广东省 / 北京市 / 新疆
    city_name: str  # 广州市 (a municipality's city unit: 北京市)
    city_short: str  # 广州 (a municipality's city unit: 北京)
    municipality: bool
    districts: tuple[str, ...]  # a municipality's districts, else ()


def make_place(
    province_code: str,
    province_name: str,
    province_short: str,
    city_name: str,
    city_short: str,
    districts: tuple[str, ...],
) -> Place:
    municipality = province_code in MUNICIPALITIES
    if province_name.endswith("省") or municipality:
        q = province_name
    else:  # autonomous regions go by their short name in branch names (国网新疆电力有限公司)
        q = province_short
    if municipality:
        city_name, city_short = province_name, province_short
    return Place(province_name, province_short, q, city_name, city_short, municipality, districts)


@dataclass(frozen=True)
class Template:
    level: str
    industry: str
    weight: float
    tokens: tuple[str, ...]


class NameMaker:
    """Draws names from the resource lists with the caller's ``random.Random`` (never the global one)."""

    def __init__(self) -> None:
        rows = _read_csv("surnames.csv")
        self.surnames = Weighted([(r["surname"], r["pinyin"]) for r in rows], [float(r["weight"]) for r in rows])
        self.given_chars = _unique_chars(_read_lines("given_chars.txt")[0])
        brand = _read_lines("brand_chars.txt")
        self.brand_first, self.brand_second = _unique_chars(brand[0]), _unique_chars(brand[1])
        place = _read_lines("place_chars.txt")
        self.place_first, self.place_second = _unique_chars(place[0]), _unique_chars(place[1])
        self.districts: dict[str, list[str]] = {}
        for r in _read_csv("districts.csv"):
            self.districts.setdefault(r["province_code"], []).append(r["district"])
        self.templates: dict[tuple[str, str], list[Template]] = {}
        for r in _read_csv("account_names.csv"):
            t = Template(r["level"], r["industry"], float(r["weight"]), tuple(_TOKEN.findall(r["template"])))
            self.templates.setdefault((t.level, t.industry), []).append(t)
        self.template_pickers = {key: Weighted(ts, [t.weight for t in ts]) for key, ts in self.templates.items()}
        # Templates with a random word have room for thousands of names; when the fixed institution
        # names of a place are used up, retries draw from these only.
        self.generative_pickers = {}
        for key, ts in self.templates.items():
            open_ended = [t for t in ts if "{X}" in t.tokens or "{S}" in t.tokens]
            if open_ended:
                self.generative_pickers[key] = Weighted(open_ended, [t.weight for t in open_ended])
        self.titles: dict[str, list[str]] = {}
        for r in _read_csv("contact_titles.csv"):
            self.titles.setdefault(r["industry"], []).append(r["title"])
        self.national_groups = _read_csv("national_groups.csv")

    # --- people ---------------------------------------------------------------------------------

    def person(self, rng: random.Random) -> tuple[str, str]:
        """A Chinese personal name and its full pinyin (for e-mail addresses): ('王静怡', 'wangjingyi')."""
        surname, surname_py = self.surnames.pick(rng)
        count = 1 if rng.random() < 0.3 else 2
        given = "".join(rng.choice(self.given_chars) for _ in range(count))
        if count == 2 and given[0] == given[1] and rng.random() < 0.7:
            given = given[0] + rng.choice(self.given_chars)
        return surname + given, surname_py + "".join(_char_pinyin(ch) for ch in given)

    def title(self, rng: random.Random, industry: str) -> str:
        own = self.titles.get(industry, [])
        pool = own if own and rng.random() < 0.6 else self.titles["*"]
        return rng.choice(pool)

    # --- words ----------------------------------------------------------------------------------

    def brand(self, rng: random.Random) -> str:
        first = rng.choice(self.brand_first)
        second = rng.choice(self.brand_second)
        while second == first:
            second = rng.choice(self.brand_second)
        return first + second

    def place_word(self, rng: random.Random) -> str:
        first = rng.choice(self.place_first)
        second = rng.choice(self.place_second)
        while second == first:
            second = rng.choice(self.place_second)
        return first + second

    # --- accounts -------------------------------------------------------------------------------

    def account_name(
        self, rng: random.Random, level: str, industry: str, place: Place, *, open_ended: bool = False
    ) -> tuple[str, str]:
        """A (name, initials) pair fitting a provincial or city account of ``industry`` in ``place``;
        ``open_ended`` draws only from templates with a random word (for retries after a clash)."""
        key = (level, industry)
        if key not in self.templates:
            key = (level, "OTH")
        pickers = self.generative_pickers if open_ended and key in self.generative_pickers else self.template_pickers
        template = pickers[key].pick(rng)
        return self.render(rng, template.tokens, place, level=level)

    def render(
        self,
        rng: random.Random,
        tokens: tuple[str, ...],
        place: Place,
        *,
        level: str = "city",
    ) -> tuple[str, str]:
        parts: list[str] = []
        city_level_in_municipality = place.municipality and level == "city"
        for token in tokens:
            if token[0] == "{":
                key = token[1]
                if key == "P":
                    parts.append(place.province_name)
                elif key == "p":
                    parts.append(place.province_short)
                elif key == "Q":
                    parts.append(place.province_q)
                elif key == "C":
                    parts.append(place.city_name)
                    if city_level_in_municipality and place.districts:
                        # City-level bodies of a municipality are district bodies: 北京市朝阳区…
                        parts.append(rng.choice(place.districts))
                elif key == "c":
                    if place.municipality and level == "provincial" and place.districts:
                        # A municipality's own bodies have district branches (北京市水文局朝阳区分局).
                        parts.append(rng.choice(place.districts))
                    else:
                        parts.append(place.city_short)
                elif key == "X":
                    parts.append(self.brand(rng))
                elif key == "S":
                    parts.append(self.place_word(rng))
                elif key == "N":
                    parts.append(chinese_ordinal(min(rng.randint(1, 12), rng.randint(1, 12))))
                else:
                    raise ValueError(f"unknown template token {token}")
            elif token[0] == "[":
                parts.append(rng.choice(token[1:-1].split("|")))
            elif place.municipality and level == "provincial" and token.endswith("厅") and not token.endswith("办公厅"):
                # Municipalities have 局 where provinces have 厅 (北京市公安局, 广东省公安厅).
                parts.append(token[:-1] + "局")
            else:
                parts.append(token)
        return "".join(parts), "".join(part_initials(p) for p in parts)

    def branch_name(self, template: str, place: Place) -> tuple[str, str]:
        """A national account's branch name from its group's template (no random parts)."""
        return self.render(random.Random(0), tuple(_TOKEN.findall(template)), place, level="national")

    def address(self, rng: random.Random, place: Place) -> str:
        district = rng.choice(place.districts) if place.municipality and place.districts else ""
        road = self.place_word(rng) + rng.choice(("路", "路", "大道", "街", "大街"))
        return f"{place.city_name}{district}{road}{rng.randint(1, 999)}号"


@cache
def _char_pinyin(ch: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(ch))
