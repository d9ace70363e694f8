"""Everything the ARPU/ARPA analysis page shows for one selection, read in one go as plain data.

A selection is a unit (the country, a province, a city), a month and filters (industry, product, account
level), plus the units compared on the trend chart. ``load_analysis`` asks the figures engine
(``kam_console.analytics``) — the same functions behind ``kam analytics`` — so every figure on the page
equals the CLI's for the same selection:

- key figures: revenue, lines, accounts, ARPU, ARPA with month-on-month and year-on-year change;
- the unit's children (provinces of the country, cities of a province, the biggest accounts of a city);
- 24 months of the unit's figures, and of each compared unit;
- revenue by industry and by product;
- the distribution of revenue per account and the top accounts.

Account rankings and the distribution are per account over all products (``account_rollup`` has no
product dimension, and ``kam analytics top`` refuses a product filter); with a product filter they are
computed without it and ``accounts_note`` says so, rather than showing figures that look filtered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import Connection, select

from kam_console import analytics
from kam_console.analytics import AccountFigures, Figures, Filters, TrendPoint, change_pct, ratio_change_pct
from kam_console.errors import NotFound, ValidationError
from kam_console.models import ALL_PRODUCTS, Account, OrgUnit, ProvinceRollup
from kam_console.months import add_months

TREND_MONTHS = 24
MAX_COMPARED = 6
DISTRIBUTION_QUANTILE = 0.95  # equal bins up to here, one open bin above (see analytics.arpa_distribution)
CHILD_ACCOUNTS = 30  # a city's children are its accounts: the biggest ones are drawn
CHILD_KIND = {"group": "province", "province": "city", "city": "account", "county": "account"}
CHILD_KIND_LABELS = {"province": "省份", "city": "地市", "account": "客户"}

KEY_FIGURES = (
    ("revenue", "收入（元）"),
    ("lines", "计费线路数"),
    ("accounts", "有收入客户数"),
    ("arpu", "ARPU（元/线路）"),
    ("arpa", "ARPA（元/客户）"),
)


@dataclass(frozen=True)
class KeyFigure:
    key: str  # revenue | lines | accounts | arpu | arpa
    label: str
    value: Decimal | int | None  # yuan for money and ratios, counts for lines and accounts; None: undefined
    mom_pct: Decimal | None
    yoy_pct: Decimal | None


@dataclass(frozen=True)
class AnalysisRequest:
    unit: str
    month: int | None = None  # None: the newest month with revenue
    filters: Filters = Filters()
    compare: tuple[str, ...] | None = None  # None: the unit and its biggest children
    top_by: str = "revenue"  # revenue | arpa | arpu, as ``kam analytics top --by``
    top_n: int = 20
    bins: int = 20


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str
    short_name: str
    level: str


@dataclass(frozen=True)
class ComparedTrend:
    unit: UnitRef
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class AnalysisData:
    request: AnalysisRequest
    unit: UnitRef
    breadcrumb: tuple[UnitRef, ...]  # the country … the unit
    months: tuple[int, ...]  # months that hold revenue, oldest first
    month: int | None  # the month shown; None when the database holds no revenue
    key_figures: tuple[KeyFigure, ...] = ()
    child_kind: str = "province"  # province | city | account
    children: tuple[Figures, ...] = ()  # units in code order; accounts biggest first
    child_units: tuple[UnitRef, ...] = ()  # for units: the same order as ``children``
    child_account_count: int = 0  # for a city: how many accounts had revenue (only the biggest are drawn)
    trend: tuple[TrendPoint, ...] = ()
    compared: tuple[ComparedTrend, ...] = ()
    by_industry: tuple[Figures, ...] = ()
    by_product: tuple[Figures, ...] = ()
    distribution: tuple[tuple[int, int, int], ...] = ()  # (low fen, high fen, accounts); the last bin is open
    top: tuple[AccountFigures, ...] = ()
    account_ids: dict[str, int] = field(default_factory=dict)  # customer_no → id, for opening accounts
    accounts_note: str | None = None

    @property
    def empty(self) -> bool:
        return self.month is None


def available_months(conn: Connection) -> tuple[int, ...]:
    """Months that hold revenue, oldest first (from the province rollup: the smallest table that has them)."""
    t = ProvinceRollup.__table__
    rows = conn.execute(select(t.c.month).where(t.c.product_id == ALL_PRODUCTS).distinct().order_by(t.c.month))
    return tuple(int(m) for m in rows.scalars())


def unit_ref(conn: Connection, code: str) -> tuple[UnitRef, str]:
    row = conn.execute(
        select(OrgUnit.code, OrgUnit.name, OrgUnit.short_name, OrgUnit.level, OrgUnit.path).where(OrgUnit.code == code)
    ).first()
    if row is None:
        raise NotFound(f"没有代码为 {code} 的单位", f"no unit with code {code}")
    return UnitRef(row.code, row.name, row.short_name, row.level), row.path


def breadcrumb_of(conn: Connection, path: str) -> tuple[UnitRef, ...]:
    codes = path.split("/")
    rows = {
        r.code: UnitRef(r.code, r.name, r.short_name, r.level)
        for r in conn.execute(
            select(OrgUnit.code, OrgUnit.name, OrgUnit.short_name, OrgUnit.level).where(OrgUnit.code.in_(codes))
        )
    }
    return tuple(rows[c] for c in codes if c in rows)


def child_units(conn: Connection, code: str) -> dict[str, UnitRef]:
    parent = select(OrgUnit.id).where(OrgUnit.code == code).scalar_subquery()
    return {
        r.code: UnitRef(r.code, r.name, r.short_name, r.level)
        for r in conn.execute(
            select(OrgUnit.code, OrgUnit.name, OrgUnit.short_name, OrgUnit.level)
            .where(OrgUnit.parent_id == parent)
            .order_by(OrgUnit.code)
        )
    }


def key_figures(points: list[TrendPoint] | tuple[TrendPoint, ...], month: int) -> tuple[KeyFigure, ...]:
    """The five key figures of ``month`` with MoM and YoY, from a trend that reaches 12 months back
    (``analytics.trend`` pads with zero months, so a missing month reads as no revenue)."""
    by_month = {p.month: p.figures for p in points}
    cur = by_month[month]
    prev = by_month.get(add_months(month, -1))
    year = by_month.get(add_months(month, -12))

    def count(name: str) -> KeyFigure:
        value = getattr(cur, name)
        return KeyFigure(
            name,
            dict(KEY_FIGURES)[name],
            value,
            change_pct(value, getattr(prev, name) if prev else None),
            change_pct(value, getattr(year, name) if year else None),
        )

    def ratio(name: str) -> KeyFigure:
        value = getattr(cur, name)
        return KeyFigure(
            name,
            dict(KEY_FIGURES)[name],
            value,
            ratio_change_pct(value, getattr(prev, name) if prev else None),
            ratio_change_pct(value, getattr(year, name) if year else None),
        )

    revenue = KeyFigure(
        "revenue",
        dict(KEY_FIGURES)["revenue"],
        cur.revenue,
        change_pct(cur.revenue_fen, prev.revenue_fen if prev else None),
        change_pct(cur.revenue_fen, year.revenue_fen if year else None),
    )
    return (revenue, count("lines"), count("accounts"), ratio("arpu"), ratio("arpa"))


def _check(request: AnalysisRequest) -> None:
    if request.top_by not in analytics.RANKINGS:
        raise ValidationError(f"未知的排序依据：{request.top_by}", f"unknown ranking {request.top_by}")
    if request.compare is not None and len(request.compare) > MAX_COMPARED:
        raise ValidationError(
            f"最多同时对比 {MAX_COMPARED} 个单位（选择了 {len(request.compare)} 个）",
            f"at most {MAX_COMPARED} units can be compared",
        )
    if not 1 <= request.top_n <= 500 or not 2 <= request.bins <= 200:
        raise ValidationError("排名数量或分组数超出范围", "top_n or bins out of range")


def load_analysis(conn: Connection, request: AnalysisRequest, *, check=None) -> AnalysisData:
    """The page's data for ``request``. ``check`` (optional, no arguments) is called between the queries
    so a caller can abandon a selection the user has already left (it raises to stop)."""
    _check(request)
    tick = check or (lambda: None)
    unit, path = unit_ref(conn, request.unit)
    breadcrumb = breadcrumb_of(conn, path)
    months = available_months(conn)
    month = request.month if request.month is not None else (months[-1] if months else None)
    if month is None:
        return AnalysisData(request, unit, breadcrumb, months, None, child_kind=CHILD_KIND.get(unit.level, "account"))
    filters = request.filters
    account_filters = replace(filters, product=None)
    note = "客户排名与分布按全部产品计算（不区分产品）" if filters.product else None

    first = add_months(month, -(TREND_MONTHS - 1))
    trend = analytics.trend(conn, unit=unit.code, first=add_months(first, -12), last=month, filters=filters)
    shown_trend = tuple(p for p in trend if p.month >= first)
    figures = key_figures(trend, month)
    tick()

    child_kind = CHILD_KIND.get(unit.level, "account")
    child_refs: dict[str, UnitRef] = {}
    account_count = 0
    if child_kind == "account":
        children = tuple(
            Figures(a.customer_no, a.name, a.revenue_fen, a.lines, 1 if a.revenue_fen > 0 else 0)
            for a in analytics.top_accounts(
                conn, unit=unit.code, month=month, n=CHILD_ACCOUNTS, filters=account_filters
            )
        )
        account_count = _accounts_with_revenue(conn, unit.code, month, account_filters)
    else:
        children = tuple(analytics.figures_by(conn, unit=unit.code, month=month, by="child", filters=filters))
        child_refs = child_units(conn, unit.code)
    tick()

    compare = request.compare
    peers: dict[str, UnitRef] = {}
    if compare is None:
        # the unit and its five biggest children; a city (whose children are accounts) and its five
        # biggest sibling cities
        pool, refs = children, child_refs
        if child_kind == "account" and len(breadcrumb) >= 2:
            parent = breadcrumb[-2].code
            refs = peers = child_units(conn, parent)
            pool = tuple(analytics.figures_by(conn, unit=parent, month=month, by="child", filters=filters))
        biggest = sorted((f for f in pool if f.key in refs and f.key != unit.code), key=lambda f: -f.revenue_fen)
        compare = (unit.code, *[f.key for f in biggest[: MAX_COMPARED - 1]])
    compared = []
    for code in compare:
        ref = unit if code == unit.code else (child_refs.get(code) or peers.get(code) or unit_ref(conn, code)[0])
        points = (
            shown_trend
            if code == unit.code
            else tuple(analytics.trend(conn, unit=code, first=first, last=month, filters=filters))
        )
        compared.append(ComparedTrend(ref, points))
        tick()

    by_industry = tuple(analytics.figures_by(conn, unit=unit.code, month=month, by="industry", filters=filters))
    by_product = tuple(analytics.figures_by(conn, unit=unit.code, month=month, by="product", filters=filters))
    tick()
    distribution = tuple(
        analytics.arpa_distribution(
            conn,
            unit=unit.code,
            month=month,
            bins=request.bins,
            filters=account_filters,
            upper_quantile=DISTRIBUTION_QUANTILE,
        )
    )
    top = tuple(
        analytics.top_accounts(
            conn, unit=unit.code, month=month, n=request.top_n, by=request.top_by, filters=account_filters
        )
    )
    numbers = {a.customer_no for a in top} | ({f.key for f in children} if child_kind == "account" else set())
    return AnalysisData(
        request=request,
        unit=unit,
        breadcrumb=breadcrumb,
        months=months,
        month=month,
        key_figures=figures,
        child_kind=child_kind,
        children=children,
        child_units=tuple(child_refs[f.key] for f in children if f.key in child_refs),
        child_account_count=account_count,
        trend=shown_trend,
        compared=tuple(compared),
        by_industry=by_industry,
        by_product=by_product,
        distribution=distribution,
        top=top,
        account_ids=_account_ids(conn, numbers),
        accounts_note=note,
    )


def _accounts_with_revenue(conn: Connection, unit: str, month: int, filters: Filters) -> int:
    return analytics.unit_figures(conn, unit=unit, month=month, filters=filters).accounts


def _account_ids(conn: Connection, numbers: set[str]) -> dict[str, int]:
    if not numbers:
        return {}
    return dict(
        conn.execute(select(Account.customer_no, Account.id).where(Account.customer_no.in_(sorted(numbers)))).all()
    )


def compare_candidates(conn: Connection, *, unit: str) -> tuple[UnitRef, ...]:
    """Units that can sit on the comparison chart of ``unit``'s page: the unit, its children and its
    siblings (a city compared with the other cities of its province)."""
    ref, path = unit_ref(conn, unit)
    parent_code = path.split("/")[-2] if "/" in path else None
    found = [ref, *child_units(conn, unit).values()]
    if parent_code:
        found += [u for u in child_units(conn, parent_code).values() if u.code != unit]
    return tuple(found)
