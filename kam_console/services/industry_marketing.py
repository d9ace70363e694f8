"""Industry marketing (行业营销): how one industry does in a unit's area and who serves it.

For an industry, a unit (the country, a province, a city) and a month it reads, as plain data:

- the industry's key figures in the unit (revenue, lines, accounts, ARPU, ARPA with MoM and YoY), its
  figures by region (provinces of the country, cities of a province; a city's biggest accounts) and its
  24-month trend — all from the figures engine (``kam_console.analytics`` with ``Filters(industry=…)``),
  so they equal ``kam analytics arpu --by child --industry CODE`` for the same unit and month;
- the industry's accounts served in the area (not churned), counted by account level, and its top
  accounts by revenue;
- the staff specialised in the industry within the unit's subtree and their load;
- coverage gaps: where the industry has accounts but nobody specialised in it serves them.

What counts as covered
----------------------
A city is *covered* when at least one active staff member specialised in the industry works in that
city's KA department (or a county branch below it). Specialists at a province or at the group lead and
support; they do not cover a city, because the accounts are served locally. A city is a *gap* when the
industry has accounts served there (serving city; churned accounts do not count) and it is not covered.
For the country, each province is summarised as well: how many of its cities are gaps, and whether the
provincial KA department itself has a specialist — a province without one is listed even when all of
its cities are covered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection, case, func, or_, select

from kam_console import analytics
from kam_console.analytics import AccountFigures, Figures, Filters, TrendPoint
from kam_console.errors import NotFound
from kam_console.models import (
    ACCOUNT_LEVEL_LABELS,
    ACCOUNT_LEVELS,
    POSITION_LABELS,
    Account,
    AccountRollup,
    Industry,
    OrgUnit,
    Staff,
    StaffIndustry,
)
from kam_console.money import fen_to_decimal
from kam_console.months import add_months
from kam_console.services.analysis import (
    CHILD_KIND,
    KeyFigure,
    UnitRef,
    available_months,
    breadcrumb_of,
    child_units,
    key_figures,
    unit_ref,
)
from kam_console.services.industry_catalogue import IndustryOption, industry_options

TREND_MONTHS = 24
TOP_ACCOUNTS = 20
REGION_ACCOUNTS = 30  # a city's "regions" are its biggest accounts of the industry


@dataclass(frozen=True)
class IndustryRequest:
    unit: str
    industry: str | None = None  # None: the first active industry of the catalogue
    month: int | None = None  # None: the newest month with revenue


@dataclass(frozen=True)
class LevelCount:
    level: str  # national | provincial | city
    label: str
    accounts: int


@dataclass(frozen=True)
class SpecialistLoad:
    """A staff member specialised in the industry, and what they carry."""

    employee_no: str
    name: str
    position: str
    unit_code: str
    unit_name: str  # short name, e.g. 广州
    unit_level: str
    industry_accounts: int  # accounts of the industry they are the responsible manager of
    all_accounts: int  # all accounts they are the responsible manager of
    industry_revenue_fen: int  # the month's revenue of those industry accounts

    @property
    def position_label(self) -> str:
        return POSITION_LABELS.get(self.position, self.position)

    @property
    def industry_revenue(self) -> Decimal:
        return fen_to_decimal(self.industry_revenue_fen)


@dataclass(frozen=True)
class CityGap:
    """A city where the industry has accounts but no active specialist works."""

    code: str
    name: str  # short name
    province_code: str
    province_name: str
    accounts: int  # the industry's accounts served there, not churned
    revenue_fen: int  # the industry's revenue there in the month

    @property
    def revenue(self) -> Decimal:
        return fen_to_decimal(self.revenue_fen)


@dataclass(frozen=True)
class ProvinceCoverage:
    """One province's coverage of the industry (the country view summarises every province)."""

    code: str
    name: str  # short name
    accounts: int  # the industry's accounts served in the province, not churned
    revenue_fen: int
    cities_with_accounts: int
    uncovered_cities: int
    uncovered_accounts: int
    uncovered_revenue_fen: int
    province_specialists: int  # active specialists in the provincial KA department itself
    city_specialists: int  # active specialists in its cities (and county branches)

    @property
    def is_gap(self) -> bool:
        return self.accounts > 0 and (self.uncovered_cities > 0 or self.province_specialists == 0)

    @property
    def revenue(self) -> Decimal:
        return fen_to_decimal(self.revenue_fen)

    @property
    def uncovered_revenue(self) -> Decimal:
        return fen_to_decimal(self.uncovered_revenue_fen)


@dataclass(frozen=True)
class Coverage:
    gaps: tuple[CityGap, ...]  # biggest revenue first
    provinces: tuple[ProvinceCoverage, ...]  # every province of the scope with accounts, in code order
    cities_with_accounts: int
    covered_cities: int


@dataclass(frozen=True)
class IndustryData:
    request: IndustryRequest
    industries: tuple[IndustryOption, ...]  # the catalogue, retired ones included
    industry: IndustryOption | None  # None: the catalogue is empty
    unit: UnitRef
    breadcrumb: tuple[UnitRef, ...]
    months: tuple[int, ...]
    month: int | None  # None when the database holds no revenue
    key_figures: tuple[KeyFigure, ...] = ()
    region_kind: str = "province"  # province | city | account
    regions: tuple[Figures, ...] = ()
    region_units: dict[str, UnitRef] = field(default_factory=dict)
    trend: tuple[TrendPoint, ...] = ()
    accounts_by_level: tuple[LevelCount, ...] = ()
    top: tuple[AccountFigures, ...] = ()
    account_ids: dict[str, int] = field(default_factory=dict)
    specialists: tuple[SpecialistLoad, ...] = ()
    coverage: Coverage | None = None

    @property
    def empty(self) -> bool:
        return self.month is None or self.industry is None

    @property
    def accounts_total(self) -> int:
        return sum(c.accounts for c in self.accounts_by_level)


# --- pieces ------------------------------------------------------------------------------------------


def _industry_id(conn: Connection, code: str) -> int:
    id_ = conn.execute(select(Industry.id).where(Industry.code == code)).scalar()
    if id_ is None:
        raise NotFound(f"没有这个行业代码：{code}", f"unknown industry code {code}")
    return int(id_)


def _subtree(path: str, level: str):
    """Units at or below the unit at ``path`` (the group: every unit)."""
    if level == "group":
        return OrgUnit.id.is_not(None)
    return or_(OrgUnit.path == path, OrgUnit.path.like(path + "/%"))


def specialist_loads(conn: Connection, *, industry: str, unit: str, month: int | None) -> list[SpecialistLoad]:
    """Active staff of ``unit``'s subtree specialised in ``industry``, with their load: the industry's
    accounts they are responsible for, all accounts they are responsible for, and the month's revenue of
    those industry accounts. One query; ordered by unit code, then most industry accounts first."""
    industry_id = _industry_id(conn, industry)
    ref, path = unit_ref(conn, unit)
    specialists = (
        select(Staff.id)
        .join(StaffIndustry, StaffIndustry.staff_id == Staff.id)
        .join(OrgUnit, OrgUnit.id == Staff.unit_id)
        .where(StaffIndustry.industry_id == industry_id, Staff.active.is_(True), _subtree(path, ref.level))
    )
    accounts = (
        select(
            Account.manager_id.label("staff_id"),
            func.count().label("all_accounts"),
            func.sum(case((Account.industry_id == industry_id, 1), else_=0)).label("industry_accounts"),
        )
        .where(Account.manager_id.in_(specialists))
        .group_by(Account.manager_id)
        .subquery("loads")
    )
    revenue = (
        select(Account.manager_id.label("staff_id"), func.sum(AccountRollup.revenue_fen).label("revenue_fen"))
        .join(AccountRollup, AccountRollup.account_id == Account.id)
        .where(
            AccountRollup.month == (month if month is not None else -1),
            Account.industry_id == industry_id,
            Account.manager_id.in_(specialists),
        )
        .group_by(Account.manager_id)
        .subquery("revenue")
    )
    rows = conn.execute(
        select(
            Staff.employee_no,
            Staff.name,
            Staff.position,
            OrgUnit.code,
            OrgUnit.short_name,
            OrgUnit.level,
            func.coalesce(accounts.c.industry_accounts, 0),
            func.coalesce(accounts.c.all_accounts, 0),
            func.coalesce(revenue.c.revenue_fen, 0),
        )
        .join(OrgUnit, OrgUnit.id == Staff.unit_id)
        .outerjoin(accounts, accounts.c.staff_id == Staff.id)
        .outerjoin(revenue, revenue.c.staff_id == Staff.id)
        .where(Staff.id.in_(specialists))
        .order_by(OrgUnit.code, func.coalesce(accounts.c.industry_accounts, 0).desc(), Staff.employee_no)
    ).all()
    return [
        SpecialistLoad(no, name, position, code, short, level, int(ind), int(total), int(rev))
        for no, name, position, code, short, level, ind, total, rev in rows
    ]


def coverage_gaps(conn: Connection, *, industry: str, unit: str, month: int | None) -> Coverage:
    """Cities of ``unit``'s area where ``industry`` has accounts (served there, not churned) but no active
    specialist works (see the module docstring), biggest revenue first; and each province's summary."""
    industry_id = _industry_id(conn, industry)
    ref, path = unit_ref(conn, unit)
    scope = analytics.resolve_scope(conn, unit)
    units = {
        r.id: r
        for r in conn.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.short_name, OrgUnit.level, OrgUnit.parent_id, OrgUnit.path)
        )
    }
    where = [Account.industry_id == industry_id, Account.status != "churned"]
    if not scope.is_country:
        where.append(Account.serving_city_id.in_(scope.city_ids))
    accounts = {
        int(city): int(n)
        for city, n in conn.execute(
            select(Account.serving_city_id, func.count()).where(*where).group_by(Account.serving_city_id)
        )
    }
    # where each active specialist works: a city, a county below it, a province or the group
    staff_units = conn.execute(
        select(Staff.unit_id, func.count())
        .join(StaffIndustry, StaffIndustry.staff_id == Staff.id)
        .where(StaffIndustry.industry_id == industry_id, Staff.active.is_(True))
        .group_by(Staff.unit_id)
    ).all()
    by_code = {u.code: u for u in units.values()}
    city_staff: dict[int, int] = {}
    province_staff: dict[int, int] = {}
    for unit_id, n in staff_units:
        u = units[unit_id]
        if u.level == "province":
            province_staff[u.id] = province_staff.get(u.id, 0) + int(n)
            continue
        if u.level in ("city", "county"):
            codes = u.path.split("/")
            city = next((by_code[c] for c in codes if c in by_code and by_code[c].level == "city"), None)
            if city is not None:
                city_staff[city.id] = city_staff.get(city.id, 0) + int(n)
    revenue = {}
    if month is not None and accounts:
        revenue = {
            f.key: f.revenue_fen
            for f in analytics.figures_by(conn, unit=unit, month=month, by="city", filters=Filters(industry=industry))
        }
    in_scope = set(scope.city_ids)
    gaps = []
    per_province: dict[int, list[int]] = {}
    for city_id, n in accounts.items():
        city = units[city_id]
        province = units.get(city.parent_id)
        rev = int(revenue.get(city.code, 0))
        covered = city_staff.get(city_id, 0) > 0
        if province is not None:
            acc = per_province.setdefault(province.id, [0, 0, 0, 0, 0, 0])
            acc[0] += n
            acc[1] += rev
            acc[2] += 1
            if not covered:
                acc[3] += 1
                acc[4] += n
                acc[5] += rev
        if not covered:
            gaps.append(
                CityGap(
                    city.code,
                    city.short_name,
                    province.code if province else "",
                    province.short_name if province else "",
                    n,
                    rev,
                )
            )
    gaps.sort(key=lambda g: (-g.revenue_fen, -g.accounts, g.code))
    provinces = []
    for province_id, (n, rev, cities, open_cities, open_accounts, open_rev) in sorted(
        per_province.items(), key=lambda kv: units[kv[0]].code
    ):
        province = units[province_id]
        in_cities = sum(v for k, v in city_staff.items() if units[k].parent_id == province_id and k in in_scope)
        provinces.append(
            ProvinceCoverage(
                province.code,
                province.short_name,
                n,
                rev,
                cities,
                open_cities,
                open_accounts,
                open_rev,
                province_staff.get(province_id, 0),
                in_cities,
            )
        )
    return Coverage(tuple(gaps), tuple(provinces), len(accounts), len(accounts) - len(gaps))


def accounts_by_level(conn: Connection, *, industry: str, unit: str) -> tuple[LevelCount, ...]:
    """The industry's accounts served in ``unit``'s area (not churned), by account level."""
    industry_id = _industry_id(conn, industry)
    scope = analytics.resolve_scope(conn, unit)
    where = [Account.industry_id == industry_id, Account.status != "churned"]
    if not scope.is_country:
        where.append(Account.serving_city_id.in_(scope.city_ids))
    counts = dict(conn.execute(select(Account.level, func.count()).where(*where).group_by(Account.level)).all())
    return tuple(LevelCount(level, ACCOUNT_LEVEL_LABELS[level], int(counts.get(level, 0))) for level in ACCOUNT_LEVELS)


# --- the page ------------------------------------------------------------------------------------------


def load_industry_page(
    conn: Connection, request: IndustryRequest, *, check: Callable[[], None] | None = None
) -> IndustryData:
    """Everything the industry page shows for ``request``. ``check`` (no arguments) is called between the
    queries so a caller can abandon a selection the user has already left (it raises to stop)."""
    tick = check or (lambda: None)
    options = tuple(industry_options(conn))
    chosen = None
    if request.industry is not None:
        chosen = next((o for o in options if o.code == request.industry), None)
        if chosen is None:
            raise NotFound(f"没有这个行业代码：{request.industry}", f"unknown industry code {request.industry}")
    else:
        chosen = next((o for o in options if o.active), options[0] if options else None)
    unit, path = unit_ref(conn, request.unit)
    breadcrumb = breadcrumb_of(conn, path)
    months = available_months(conn)
    month = request.month if request.month is not None else (months[-1] if months else None)
    region_kind = CHILD_KIND.get(unit.level, "account")
    base = IndustryData(request, options, chosen, unit, breadcrumb, months, month, region_kind=region_kind)
    if chosen is None or month is None:
        return base
    code = chosen.code
    filters = Filters(industry=code)

    first = add_months(month, -(TREND_MONTHS - 1))
    trend = analytics.trend(conn, unit=unit.code, first=add_months(first, -12), last=month, filters=filters)
    figures = key_figures(trend, month)
    tick()
    if region_kind == "account":
        regions = tuple(
            Figures(a.customer_no, a.name, a.revenue_fen, a.lines, 1 if a.revenue_fen > 0 else 0)
            for a in analytics.top_accounts(conn, unit=unit.code, month=month, n=REGION_ACCOUNTS, filters=filters)
        )
        region_units: dict[str, UnitRef] = {}
    else:
        regions = tuple(analytics.figures_by(conn, unit=unit.code, month=month, by="child", filters=filters))
        region_units = child_units(conn, unit.code)
    top = tuple(analytics.top_accounts(conn, unit=unit.code, month=month, n=TOP_ACCOUNTS, filters=filters))
    tick()
    levels = accounts_by_level(conn, industry=code, unit=unit.code)
    specialists = tuple(specialist_loads(conn, industry=code, unit=unit.code, month=month))
    tick()
    coverage = coverage_gaps(conn, industry=code, unit=unit.code, month=month)
    numbers = {a.customer_no for a in top} | ({f.key for f in regions} if region_kind == "account" else set())
    ids = {}
    if numbers:
        ids = dict(
            conn.execute(select(Account.customer_no, Account.id).where(Account.customer_no.in_(sorted(numbers)))).all()
        )
    return IndustryData(
        request=request,
        industries=options,
        industry=chosen,
        unit=unit,
        breadcrumb=breadcrumb,
        months=months,
        month=month,
        key_figures=figures,
        region_kind=region_kind,
        regions=regions,
        region_units=region_units,
        trend=tuple(p for p in trend if p.month >= first),
        accounts_by_level=levels,
        top=top,
        account_ids=ids,
        specialists=specialists,
        coverage=coverage,
    )
