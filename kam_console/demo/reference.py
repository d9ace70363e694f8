"""The reference data the demo builds on, read from the database (installed by the first migration):
units of the KA hierarchy with their naming places and demo weights, industries and products.

City weights decide how many accounts (and so how many customer managers) a city gets: 北上广深 most,
then municipalities, provincial capitals and other big cities, scaled by a rough per-province factor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from kam_console import refdata
from kam_console.demo.names import Place, make_place
from kam_console.models import Industry, OrgUnit, Product

TIER_ONE = frozenset({"110100", "310100", "440100", "440300"})
BIG_CITIES = frozenset(
    {
        "320500",
        "330200",
        "370200",
        "210200",
        "350200",
        "441900",
        "440600",
        "320200",
        "330300",
        "350500",
        "370600",
        "320400",
        "320600",
        "130200",
        "320300",
        "410300",
        "420600",
        "430200",
        "370700",
        "440400",
    }
)
PROVINCE_FACTOR = {
    "44": 1.5,
    "32": 1.5,
    "33": 1.4,
    "37": 1.3,
    "51": 1.2,
    "41": 1.1,
    "42": 1.1,
    "43": 1.0,
    "35": 1.1,
    "34": 1.0,
    "13": 1.0,
    "11": 1.0,
    "31": 1.0,
    "12": 0.9,
    "50": 1.0,
    "21": 0.9,
    "61": 0.9,
    "36": 0.9,
    "45": 0.9,
    "53": 0.8,
    "52": 0.8,
    "14": 0.8,
    "22": 0.7,
    "23": 0.7,
    "15": 0.6,
    "62": 0.6,
    "65": 0.5,
    "46": 0.6,
    "64": 0.5,
    "63": 0.4,
    "54": 0.3,
}


@dataclass
class Unit:
    id: int
    code: str
    name: str
    short_name: str
    level: str
    parent_id: int | None
    province_id: int | None = None  # a city's province; a province's own id
    place: Place | None = None  # cities only
    weight: float = 0.0  # cities only
    capital: bool = False
    children: list[Unit] = field(default_factory=list)


@dataclass
class Reference:
    group: Unit
    provinces: list[Unit]  # code order
    cities: list[Unit]  # code order
    units_by_id: dict[int, Unit]
    units_by_code: dict[str, Unit]
    industry_ids: dict[str, int]  # code → id, catalogue order
    product_ids: dict[str, int]  # code → id, catalogue order

    def province_of(self, city: Unit) -> Unit:
        return self.units_by_id[city.province_id]

    def capital_of(self, province: Unit) -> Unit:
        for city in province.children:
            if city.capital:
                return city
        return province.children[0]


def load_reference(connection: Connection, districts: dict[str, list[str]]) -> Reference:
    rows = connection.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.short_name, OrgUnit.level, OrgUnit.parent_id)
        .where(OrgUnit.level.in_(("group", "province", "city")))
        .order_by(OrgUnit.code)
    ).all()
    units = [Unit(*row) for row in rows]
    by_id = {u.id: u for u in units}
    group = next(u for u in units if u.level == "group")
    provinces = [u for u in units if u.level == "province"]
    cities = [u for u in units if u.level == "city" and u.parent_id in by_id]
    for p in provinces:
        p.province_id = p.id
    for c in cities:
        province = by_id[c.parent_id]
        c.province_id = province.id
        province.children.append(c)
    for province in provinces:
        kids = province.children
        # The capital is the city coded XX01XX in GB/T 2260 (石家庄 130100 … 乌鲁木齐 650100).
        capital = next((c for c in kids if c.code[2:4] == "01"), kids[0] if kids else None)
        for c in kids:
            c.capital = c is capital
    # Unit names are department names (广州市大客户部); names are made from the region names.
    regions = {r.code: r for r in refdata.regions()}

    def region_names(u: Unit) -> tuple[str, str]:
        r = regions.get(u.code)
        if r is not None:
            return r.name, r.short_name
        return u.name.removesuffix("大客户部"), u.short_name

    for c in cities:
        province = by_id[c.province_id]
        c.place = make_place(
            province.code, *region_names(province), *region_names(c), tuple(districts.get(province.code, ()))
        )
        if c.code in TIER_ONE:
            base = 30.0
        elif province.code in ("120000", "500000"):
            base = 16.0
        elif c.capital:
            base = 10.0
        elif c.code in BIG_CITIES:
            base = 7.0
        else:
            base = 2.5
        if not c.place.city_name.endswith("市"):
            base *= 0.6  # autonomous prefectures, 地区 and 盟 are sparsely populated
        c.weight = base * PROVINCE_FACTOR.get(c.code[:2], 0.8)
    industry_ids = dict(
        connection.execute(select(Industry.code, Industry.id).order_by(Industry.sort_order, Industry.id)).all()
    )
    product_ids = dict(
        connection.execute(select(Product.code, Product.id).order_by(Product.sort_order, Product.id)).all()
    )
    return Reference(
        group=group,
        provinces=provinces,
        cities=cities,
        units_by_id=by_id,
        units_by_code={u.code: u for u in units},
        industry_ids=industry_ids,
        product_ids=product_ids,
    )
