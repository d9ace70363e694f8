"""The demo's people and accounts, planned in memory before anything is written.

Everything here is drawn from ``random.Random`` streams seeded from the demo seed, walks lists in a
fixed order (code order, id order; never set or dict-of-set iteration), and numbers rows itself, so the
same seed and ``today`` plan exactly the same rows.

Accounts follow the responsible-manager rule: a national group customer (head + branch accounts in
many provinces and cities) is owned by the group unit and served by one group-level customer manager,
with a first local contact in each branch's city; provincial accounts are owned by the province of
their serving city, city accounts by their serving city. Customer managers per unit follow the number
of accounts the unit owns, and specialise in the industries those accounts are in.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from dataclasses import dataclass, field

from kam_console.demo.names import NameMaker, Weighted
from kam_console.demo.reference import Reference, Unit

SCALES = {"small": 2_000, "medium": 50_000, "large": 200_000}
MONTHS = 24

NATIONAL_SHARE = 0.045
PROVINCIAL_SHARE = 0.20
# Accounts per customer manager: a small demo still shows big cities with bigger teams.
ACCOUNTS_PER_CUSTOMER_MANAGER = {"small": 12, "medium": 40, "large": 60}
UNASSIGNED_SHARE = 0.03
MIN_BRANCHES = 6

PROVINCIAL_INDUSTRIES = {
    "GOV": 22,
    "FIN": 12,
    "EDU": 12,
    "MED": 10,
    "TRN": 9,
    "ENE": 8,
    "MFG": 7,
    "NET": 4,
    "TRD": 5,
    "CUL": 5,
    "AGR": 3,
    "CON": 4,
    "OTH": 1,
}
CITY_INDUSTRIES = {
    "GOV": 14,
    "FIN": 9,
    "EDU": 11,
    "MED": 9,
    "TRN": 6,
    "ENE": 4,
    "MFG": 16,
    "NET": 5,
    "TRD": 11,
    "CUL": 5,
    "AGR": 4,
    "CON": 5,
    "OTH": 1,
}
MOBILE_PREFIXES = ("133", "153", "173", "177", "180", "181", "189", "191", "199")
UTC = dt.UTC


# --- time window --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The 24 billed months, ending with the month before ``today``."""

    today: dt.date
    months: tuple[int, ...]  # YYYYMM
    starts: tuple[dt.date, ...]
    days: tuple[int, ...]

    @classmethod
    def ending_before(cls, today: dt.date) -> Window:
        year, month = today.year, today.month
        items = []
        for _ in range(MONTHS):
            month -= 1
            if month == 0:
                year, month = year - 1, 12
            items.append((year, month))
        items.reverse()
        return cls(
            today=today,
            months=tuple(y * 100 + m for y, m in items),
            starts=tuple(dt.date(y, m, 1) for y, m in items),
            days=tuple(calendar.monthrange(y, m)[1] for y, m in items),
        )

    @property
    def first_day(self) -> dt.date:
        return self.starts[0]

    @property
    def last_day(self) -> dt.date:
        return self.starts[-1] + dt.timedelta(days=self.days[-1] - 1)

    def index_of(self, day: dt.date) -> int:
        """Month index of ``day``: <0 before the window, ≥ MONTHS after it."""
        return (day.year - self.starts[0].year) * 12 + day.month - self.starts[0].month

    def day_in(self, index: int, rng: random.Random) -> dt.date:
        return self.starts[index] + dt.timedelta(days=rng.randrange(self.days[index]))


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A working-hours timestamp on ``day`` (UTC, like the application's own timestamps)."""
    return dt.datetime(
        day.year, day.month, day.day, rng.randint(0, 10), rng.randrange(60), rng.randrange(60), tzinfo=UTC
    )


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


# --- plans ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class StaffPlan:
    id: int
    employee_no: str
    name: str
    unit_id: int
    position: str
    line_manager_id: int | None
    phone: str
    email: str
    active: bool
    created_at: dt.datetime
    industries: list[int]


@dataclass(slots=True)
class AccountPlan:
    id: int
    level: str
    industry: str
    city: Unit
    owner: Unit
    status: str
    created: dt.date
    start_idx: int  # first billed month index (0 = billed before the window started)
    stop_idx: int  # last billed month index (MONTHS - 1 = still billing); churned/dormant stop earlier
    churn_date: dt.date | None = None
    size: float = 1.0
    growth: float = 0.0
    customer_no: str = ""
    name: str = ""
    initials: str = ""
    parent_id: int | None = None
    head: AccountPlan | None = None  # a branch's national head account
    hq_city: Unit | None = None  # a national group's head-office city
    manager_id: int | None = None
    first_contact_id: int | None = None
    address: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    branch_cities: list[Unit] = field(default_factory=list)  # a head's branches' serving cities


@dataclass(slots=True)
class HistoryPlan:
    account_id: int
    staff_id: int | None
    valid_from: dt.date
    valid_to: dt.date | None
    note: str | None


@dataclass(slots=True)
class ContactPlan:
    account_id: int
    name: str
    title: str
    phone: str
    email: str | None
    is_primary: bool


@dataclass
class Plan:
    window: Window
    staff: list[StaffPlan]
    accounts: list[AccountPlan]
    history: list[HistoryPlan]
    contacts: list[ContactPlan]


# --- accounts -------------------------------------------------------------------------------------


def _industry_picker(table: dict[str, float], ref: Reference) -> Weighted[str]:
    codes = [c for c in ref.industry_ids if c in table]
    return Weighted(codes, [table[c] for c in codes])


def _city_picker(cities: list[Unit]) -> Weighted[Unit]:
    return Weighted(cities, [c.weight for c in cities])


def _timing(
    rng: random.Random, window: Window, *, prospect: float, churned: float, dormant: float, new: float
) -> tuple[str, dt.date, int, int, dt.date | None]:
    """(status, created date, first billed month, last billed month, churn date) of one account."""
    last = MONTHS - 1
    r = rng.random()
    if r < prospect:
        return "prospect", window.today - dt.timedelta(days=rng.randint(5, 180)), MONTHS, -1, None
    if r < prospect + churned:
        if rng.random() < 0.2:
            start = rng.randint(1, 14)
            created = window.day_in(start, rng)
        else:
            start, created = 0, window.first_day - dt.timedelta(days=rng.randint(30, 3650))
        stop = rng.randint(max(start + 2, 3), last - 1)
        churn_date = window.day_in(stop, rng)
        if churn_date < created:
            churn_date = created
        return "churned", created, start, stop, churn_date
    old_created = window.first_day - dt.timedelta(days=rng.randint(30, 3650))
    if r < prospect + churned + dormant:
        return "dormant", old_created, 0, rng.randint(12, last - 2), None
    if rng.random() < new:
        start = rng.randint(1, last - 1)
        return "active", window.day_in(start, rng), start, last, None
    return "active", old_created, 0, last, None


def _national_accounts(
    rng: random.Random, ref: Reference, names: NameMaker, window: Window, target: int, heads_wanted: int
) -> list[AccountPlan]:
    """National heads and their branches, heads followed by their branches."""
    groups = [g for g in names.national_groups if g["industry"] in ref.industry_ids]
    weights = [float(g["weight"]) for g in groups]
    chosen: list[dict[str, str]] = []
    pool, pool_w = list(groups), list(weights)
    while pool and len(chosen) < heads_wanted:
        i = rng.choices(range(len(pool)), pool_w)[0]
        chosen.append(pool.pop(i))
        pool_w.pop(i)
    chosen.sort(key=lambda g: groups.index(g))

    # Where each group may open branches (a few serve only part of the country).
    def allowed_provinces(spec: str) -> list[Unit]:
        codes = spec.split(";") if spec else []
        if spec.startswith("+"):
            keep = {c.lstrip("+") for c in codes}
            return [p for p in ref.provinces if p.code in keep and p.children]
        drop = {c.lstrip("-") for c in codes}
        return [p for p in ref.provinces if p.code not in drop and p.children]

    capacity = []
    for g in chosen:
        provinces = allowed_provinces(g["provinces"])
        cities = [c for p in provinces for c in p.children if not c.place.municipality]
        capacity.append((bool(g["province_branch"]) * len(provinces)) + len(cities))
    # Share the branches out by group weight, never more than a group has places for.
    # Every group spans at least 5 provinces (MIN_BRANCHES), the rest goes by weight.
    counts = [min(MIN_BRANCHES, cap) for cap in capacity]
    remaining = max(0, target - len(chosen) - sum(counts))
    open_ = [i for i in range(len(chosen)) if capacity[i] > 0]
    while remaining > 0 and open_:
        total_w = sum(float(chosen[i]["weight"]) for i in open_)
        handed = 0
        for i in open_:
            share = max(1, round(remaining * float(chosen[i]["weight"]) / total_w))
            take = min(share, capacity[i] - counts[i], remaining - handed)
            counts[i] += take
            handed += take
        remaining -= handed
        open_ = [i for i in open_ if counts[i] < capacity[i]]
        if handed == 0:
            break

    accounts: list[AccountPlan] = []
    for g, n_branches in zip(chosen, counts, strict=True):
        hq = ref.units_by_code.get(g["hq_city"]) or ref.cities[0]
        head = AccountPlan(
            id=0,
            level="national",
            industry=g["industry"],
            city=hq,
            owner=ref.group,
            status="active",
            created=window.first_day - dt.timedelta(days=rng.randint(2000, 5000)),
            start_idx=0,
            stop_idx=MONTHS - 1,
            size=rng.uniform(5.0, 9.0),
            growth=rng.gauss(0.05, 0.05),
            hq_city=hq,
        )
        head.name, head.initials = names.branch_name(g["head"], hq.place)
        accounts.append(head)
        provinces = allowed_provinces(g["provinces"])
        places: list[tuple[str, Unit]] = []  # ("province"|"city", serving city)
        if g["province_branch"]:
            n_prov = min(len(provinces), n_branches, max(min(5, n_branches), round(n_branches * 0.3)))
            for p in rng.sample(provinces, n_prov):
                places.append(("province", ref.capital_of(p)))
        cities = [c for p in provinces for c in p.children if not c.place.municipality]
        n_city = n_branches - len(places)
        if n_city > 0:
            firsts: list[Unit] = []
            if not g["province_branch"] and n_city >= 5:
                # Without provincial branches, make sure the group still spans ≥ 5 provinces.
                spread = [p for p in provinces if any(not c.place.municipality for c in p.children)]
                for p in rng.sample(spread, min(5, len(spread))):
                    kids = [c for c in p.children if not c.place.municipality]
                    firsts.append(_city_picker(kids).pick(rng))
            rest = [c for c in cities if c not in firsts]
            picked = list(firsts)
            need = n_city - len(picked)
            # Weighted sampling without replacement (Efraimidis–Spirakis keys), deterministic via rng.
            keyed = sorted(rest, key=lambda c: -(rng.random() ** (1.0 / c.weight)))
            picked.extend(keyed[:need])
            places.extend(("city", c) for c in picked)
        for kind, city in places:
            template = g["province_branch"] if kind == "province" else g["city_branch"]
            status, created, start, stop, churn = _timing(
                rng, window, prospect=0.0, churned=0.02, dormant=0.03, new=0.08
            )
            branch = AccountPlan(
                id=0,
                level="national",
                industry=g["industry"],
                city=city,
                owner=ref.group,
                status=status,
                created=created,
                start_idx=start,
                stop_idx=stop,
                churn_date=churn,
                size=rng.uniform(1.5, 4.0) * (1.6 if kind == "province" else 1.0),
                growth=rng.gauss(0.05, 0.08),
                head=head,
                hq_city=hq,
            )
            branch.name, branch.initials = names.branch_name(template, city.place)
            head.branch_cities.append(city)
            accounts.append(branch)
    return accounts


def _regional_accounts(
    rng: random.Random,
    ref: Reference,
    names: NameMaker,
    window: Window,
    n_provincial: int,
    n_city: int,
    used_names: set[str],
) -> list[AccountPlan]:
    provinces = [p for p in ref.provinces if p.children]
    province_picker = Weighted(provinces, [sum(c.weight for c in p.children) for p in provinces])
    non_capitals = {
        p.id: _city_picker([c for c in p.children if not c.capital]) for p in provinces if len(p.children) > 1
    }
    provincial_industry = _industry_picker(PROVINCIAL_INDUSTRIES, ref)
    city_industry = _industry_picker(CITY_INDUSTRIES, ref)
    city_picker = _city_picker(ref.cities)
    plans: list[AccountPlan] = []
    for i in range(n_provincial + n_city):
        provincial = i < n_provincial
        if provincial:
            province = province_picker.pick(rng)
            if rng.random() < 0.6 or province.id not in non_capitals:
                city = ref.capital_of(province)
            else:
                city = non_capitals[province.id].pick(rng)
            owner, industry, level = province, provincial_industry.pick(rng), "provincial"
        else:
            city = city_picker.pick(rng)
            owner, industry, level = city, city_industry.pick(rng), "city"
        status, created, start, stop, churn = _timing(rng, window, prospect=0.04, churned=0.06, dormant=0.04, new=0.16)
        size = min(8.0, max(0.2, rng.lognormvariate(0.0, 0.6))) * (2.2 if provincial else 1.0)
        plan = AccountPlan(
            id=0,
            level=level,
            industry=industry,
            city=city,
            owner=owner,
            status=status,
            created=created,
            start_idx=start,
            stop_idx=stop,
            churn_date=churn,
            size=size,
            growth=rng.gauss(-0.25, 0.1) if status == "dormant" else rng.gauss(0.09, 0.1),
        )
        for attempt in range(12):
            plan.name, plan.initials = names.account_name(rng, level, industry, city.place, open_ended=attempt >= 3)
            if plan.name not in used_names:
                break
        used_names.add(plan.name)
        plans.append(plan)
    return plans


# --- staff ----------------------------------------------------------------------------------------


class _StaffBuilder:
    def __init__(self, rng: random.Random, names: NameMaker, ref: Reference, today: dt.date):
        self.rng, self.names, self.ref, self.today = rng, names, ref, today
        self.staff: list[StaffPlan] = []
        self.heads: dict[int, StaffPlan] = {}
        self.customer_managers: dict[int, list[StaffPlan]] = {}  # unit id → active CMs, id order
        self.former: dict[int, list[StaffPlan]] = {}  # unit id → inactive (former) CMs

    def add(self, unit: Unit, position: str, industries: list[int], *, active: bool = True) -> StaffPlan:
        rng = self.rng
        name, pinyin = self.names.person(rng)
        sid = len(self.staff) + 1
        employee_no = f"E{unit.code[:2]}{sid:06d}"
        head = self.heads.get(unit.id)
        if position == "head":
            parent = self.ref.units_by_id.get(unit.parent_id) if unit.parent_id else None
            head = self.heads.get(parent.id) if parent else None
        joined = self.today - dt.timedelta(days=rng.randint(60, 15 * 365))
        s = StaffPlan(
            id=sid,
            employee_no=employee_no,
            name=name,
            unit_id=unit.id,
            position=position,
            line_manager_id=head.id if head else None,
            phone=mobile(rng),
            email=f"{pinyin}{sid % 10000:04d}@kam.example.com",
            active=active,
            created_at=_at(joined, rng),
            industries=industries,
        )
        self.staff.append(s)
        if position == "head":
            self.heads[unit.id] = s
        elif position == "customer_manager":
            (self.customer_managers if active else self.former).setdefault(unit.id, []).append(s)
        return s

    def specialities(self, ranked: list[int], index: int, most: int) -> list[int]:
        """1..``most`` industries: a primary one going round the unit's industries by account count, so
        together the unit's managers cover what it serves, plus random extra ones."""
        rng = self.rng
        all_ids = list(self.ref.industry_ids.values())
        primary = ranked[index % len(ranked)] if ranked else rng.choice(all_ids)
        chosen = [primary]
        for _ in range(rng.randint(0, most - 1)):
            pool = ranked if ranked and rng.random() < 0.7 else all_ids
            extra = rng.choice(pool)
            if extra not in chosen:
                chosen.append(extra)
        return chosen

    def staff_unit(self, unit: Unit, owned: int, industry_counts: dict[int, int], n_cm: int) -> None:
        rng = self.rng
        ranked = [i for i, _ in sorted(industry_counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        big = 2 if owned >= 300 else 1 if owned >= 80 else 0
        if unit.level == "group":
            others = {"market_manager": 3, "project_manager": 3, "business_manager": 2, "analyst": 2}
        elif unit.level == "province":
            others = {
                "market_manager": 2 + big // 2,
                "project_manager": 2,
                "business_manager": 2 + big // 2,
                "analyst": 1,
            }
        else:
            others = {
                "market_manager": 1 + big // 2,
                "project_manager": 1 + big // 2,
                "business_manager": 1 + (big + 1) // 2,
            }
        self.add(unit, "head", [])
        for i in range(n_cm):
            self.add(unit, "customer_manager", self.specialities(ranked, i, 3))
        for position, count in others.items():
            for i in range(count):
                industries = self.specialities(ranked, i, 2) if position == "market_manager" else []
                self.add(unit, position, industries)
        if n_cm >= 3 and rng.random() < 0.35:
            self.add(unit, "customer_manager", self.specialities(ranked, n_cm, 2), active=False)


def _pick_manager(rng: random.Random, pool: list[StaffPlan], industry_id: int) -> StaffPlan | None:
    if not pool:
        return None
    specialised = [s for s in pool if industry_id in s.industries]
    return rng.choice(specialised or pool)


# --- the whole plan --------------------------------------------------------------------------------


def build_plan(ref: Reference, names: NameMaker, *, scale: str, seed: int, today: dt.date) -> Plan:
    window = Window.ending_before(today)
    n_total = SCALES[scale]
    rng_acc = random.Random(f"{seed}:accounts")
    heads_wanted = min(len(names.national_groups), max(8, round(math.sqrt(n_total) / 4)))
    national = _national_accounts(rng_acc, ref, names, window, round(n_total * NATIONAL_SHARE), heads_wanted)
    used_names = {a.name for a in national}
    n_provincial = round(n_total * PROVINCIAL_SHARE)
    regional = _regional_accounts(
        rng_acc, ref, names, window, n_provincial, max(0, n_total - len(national) - n_provincial), used_names
    )
    rng_acc.shuffle(regional)  # interleave provincial and city accounts in id order, as real books are
    accounts = national + regional
    for i, a in enumerate(accounts, start=1):
        a.id = i
        a.customer_no = f"KA{a.city.code}{i:07d}"
    for a in accounts:
        if a.head is not None:
            a.parent_id = a.head.id

    # Staff, unit by unit: the group, then each province followed by its cities.
    industry_id = ref.industry_ids
    owned: dict[int, int] = {}
    owned_industries: dict[int, dict[int, int]] = {}
    for a in accounts:
        if a.level == "national" and a.head is not None:
            continue  # branches are served by their head's group manager
        owned[a.owner.id] = owned.get(a.owner.id, 0) + 1
        counts = owned_industries.setdefault(a.owner.id, {})
        counts[industry_id[a.industry]] = counts.get(industry_id[a.industry], 0) + 1
    rng_staff = random.Random(f"{seed}:staff")
    builder = _StaffBuilder(rng_staff, names, ref, today)
    n_heads = sum(1 for a in national if a.head is None)
    builder.staff_unit(
        ref.group, owned.get(ref.group.id, 0), owned_industries.get(ref.group.id, {}), max(4, math.ceil(n_heads / 2))
    )
    for province in ref.provinces:
        for unit in [province, *province.children]:
            n = owned.get(unit.id, 0)
            builder.staff_unit(
                unit, n, owned_industries.get(unit.id, {}), max(2, math.ceil(n / ACCOUNTS_PER_CUSTOMER_MANAGER[scale]))
            )

    # Responsible managers, first local contacts, manager history, contacts, addresses.
    rng_assign = random.Random(f"{seed}:assign")
    history: list[HistoryPlan] = []
    contacts: list[ContactPlan] = []
    group_load: dict[int, int] = {}
    contact_count = Weighted((1, 2, 3), (45, 35, 20))
    for a in accounts:
        ind = industry_id[a.industry]
        if a.level == "national" and a.head is None:
            pool = builder.customer_managers[ref.group.id]
            specialised = [s for s in pool if ind in s.industries] or pool
            chosen = min(specialised, key=lambda s: (group_load.get(s.id, 0), s.id))
            group_load[chosen.id] = group_load.get(chosen.id, 0) + 1
            a.manager_id = chosen.id
        elif a.head is not None:
            a.manager_id = a.head.manager_id
        elif rng_assign.random() >= UNASSIGNED_SHARE:
            chosen = _pick_manager(rng_assign, builder.customer_managers.get(a.owner.id, []), ind)
            a.manager_id = chosen.id if chosen else None
        if a.level != "city":
            # 第一联系人: a customer manager of the serving city looks after a higher-level account there.
            local = _pick_manager(rng_assign, builder.customer_managers.get(a.city.id, []), ind)
            a.first_contact_id = local.id if local else None
        _history(rng_assign, a, builder, window, history)
        a.created_at = _at(a.created, rng_assign)
        a.updated_at = a.created_at
        if history and history[-1].account_id == a.id and history[-1].valid_from > a.created:
            a.updated_at = _at(history[-1].valid_from, rng_assign)
        if rng_assign.random() < 0.85:
            a.address = names.address(rng_assign, a.city.place)
        for k in range(contact_count.pick(rng_assign)):
            person, pinyin = names.person(rng_assign)
            contacts.append(
                ContactPlan(
                    account_id=a.id,
                    name=person,
                    title=names.title(rng_assign, a.industry),
                    phone=mobile(rng_assign),
                    email=f"{pinyin}@{(a.initials[:10] or 'corp')}.example.com" if rng_assign.random() < 0.5 else None,
                    is_primary=k == 0,
                )
            )
    return Plan(window=window, staff=builder.staff, accounts=accounts, history=history, contacts=contacts)


def _history(
    rng: random.Random, a: AccountPlan, builder: _StaffBuilder, window: Window, out: list[HistoryPlan]
) -> None:
    """Manager history: an open row for an assigned account, sometimes after a closed earlier row."""
    latest = window.today - dt.timedelta(days=7)
    span = (latest - a.created).days
    unit_id = a.owner.id
    if a.manager_id is None:
        former = builder.former.get(unit_id) or builder.customer_managers.get(unit_id) or []
        if former and span > 60 and rng.random() < 0.5:
            left = a.created + dt.timedelta(days=rng.randint(30, span))
            out.append(HistoryPlan(a.id, rng.choice(former).id, a.created, left, "原客户经理离岗，待重新指派"))
        return
    if span > 90 and rng.random() < 0.2:
        candidates = builder.former.get(unit_id) or [
            s for s in builder.customer_managers.get(unit_id, []) if s.id != a.manager_id
        ]
        if candidates:
            changed = a.created + dt.timedelta(days=rng.randint(60, span))
            out.append(
                HistoryPlan(
                    a.id, rng.choice(candidates).id, a.created, changed - dt.timedelta(days=1), "客户经理岗位调整"
                )
            )
            out.append(HistoryPlan(a.id, a.manager_id, changed, None, "调整后接手"))
            return
    out.append(HistoryPlan(a.id, a.manager_id, a.created, None, "建档时指派"))
