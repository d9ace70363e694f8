"""The figures engine (DESIGN §4): revenue, lines, accounts, ARPU and ARPA for any scope and month.

One implementation, used by the CLI, the UI and the reports. Dashboard queries read the rollup tables
(``revenue_rollup`` for unit/industry/product/level figures, ``account_rollup`` for per-account
rankings and distributions), never the raw revenue rows. Geography follows the serving city: a unit's
scope is the set of city-level units below it (or itself). Sums are exact integers (fen); ARPU/ARPA are
Decimals rounded half-up to 0.01 yuan, ``None`` when the divisor is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection, and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from kam_console.errors import NotFound, ValidationError
from kam_console.models import (
    ACCOUNT_LEVEL_LABELS,
    ACCOUNT_LEVELS,
    ALL_PRODUCTS,
    Account,
    AccountRollup,
    Industry,
    OrgUnit,
    Product,
    ProvinceRollup,
    RevenueRollup,
)
from kam_console.money import fen_to_decimal, ratio_yuan
from kam_console.months import add_months, month_text, months_between

FINE_BINS = 4000  # resolution at which arpa_distribution finds its quantile
GROUPINGS = ("child", "province", "city", "industry", "product", "level")


@dataclass(frozen=True)
class Filters:
    """Narrowing of a scope: industry code, product code and account level, each optional."""

    industry: str | None = None
    product: str | None = None
    account_level: str | None = None


@dataclass(frozen=True)
class Figures:
    """One group's figures. ``key`` is a unit/industry/product code, a level, an account number or a month."""

    key: str
    name: str
    revenue_fen: int
    lines: int
    accounts: int

    @property
    def revenue(self) -> Decimal:
        return fen_to_decimal(self.revenue_fen)

    @property
    def arpu(self) -> Decimal | None:
        return ratio_yuan(self.revenue_fen, self.lines)

    @property
    def arpa(self) -> Decimal | None:
        return ratio_yuan(self.revenue_fen, self.accounts)

    def as_row(self) -> dict[str, str]:
        """Plain text cells as the CLI and exports print them (money in yuan, 2 decimals; '' if undefined)."""
        return {
            "key": self.key,
            "name": self.name,
            "revenue": f"{self.revenue:.2f}",
            "lines": str(self.lines),
            "accounts": str(self.accounts),
            "arpu": "" if self.arpu is None else f"{self.arpu:.2f}",
            "arpa": "" if self.arpa is None else f"{self.arpa:.2f}",
        }


def change_pct(current: int, previous: int | None) -> Decimal | None:
    """(current − previous) / previous as a percentage with 1 decimal, half-up; None if undefined."""
    if not previous:
        return None
    return (Decimal(current - previous) * 100 / Decimal(abs(previous))).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class TrendPoint:
    month: int
    figures: Figures
    mom_pct: Decimal | None
    yoy_pct: Decimal | None
    arpu_mom_pct: Decimal | None = None
    arpa_mom_pct: Decimal | None = None


@dataclass(frozen=True)
class AccountFigures:
    customer_no: str
    name: str
    level: str
    industry: str
    city: str
    revenue_fen: int
    lines: int
    accounts: int = 1  # with ``by="arpa"``: the customer's accounts (head and branches) with revenue > 0

    @property
    def revenue(self) -> Decimal:
        return fen_to_decimal(self.revenue_fen)

    @property
    def arpu(self) -> Decimal | None:
        return ratio_yuan(self.revenue_fen, self.lines)

    @property
    def arpa(self) -> Decimal | None:
        return ratio_yuan(self.revenue_fen, self.accounts)


@dataclass
class Scope:
    """A unit and the city-level units whose serving area it covers."""

    id: int
    code: str
    name: str
    level: str
    path: str
    city_ids: list[int] = field(default_factory=list)

    @property
    def is_country(self) -> bool:
        return self.level == "group"


# --- month helpers ----------------------------------------------------------------------------


def latest_month(conn: Connection) -> int | None:
    """The newest month (YYYYMM) that holds revenue, or None for a database without revenue.

    Reads the all-products rows of the province rollup through its primary key (product, month, …): one
    index probe, where a bare MAX(month) over the city rollup scans every row on PostgreSQL."""
    t = ProvinceRollup.__table__
    month = conn.execute(select(func.max(t.c.month)).where(t.c.product_id == ALL_PRODUCTS)).scalar()
    return None if month is None else int(month)


# --- scope and catalogue lookups --------------------------------------------------------------


def resolve_scope(conn: Connection, unit: str) -> Scope:
    row = conn.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.path).where(OrgUnit.code == unit)
    ).first()
    if row is None:
        raise NotFound(f"没有代码为 {unit} 的单位", f"no unit with code {unit}")
    scope = Scope(*row)
    cities = select(OrgUnit.id).where(OrgUnit.level == "city")
    if scope.level == "city":
        cities = cities.where(OrgUnit.path == scope.path)
    elif scope.level != "group":
        cities = cities.where(OrgUnit.path.like(scope.path + "/%"))
    scope.city_ids = sorted(conn.execute(cities).scalars())
    return scope


def _catalogue_id(conn: Connection, model, code: str, label: str) -> int:
    id_ = conn.execute(select(model.id).where(model.code == code)).scalar()
    if id_ is None:
        raise NotFound(f"没有这个{label}代码：{code}", f"unknown {label} code {code}")
    return id_


def _filter_conditions(conn: Connection, filters: Filters, table) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if filters.industry:
        conds.append(table.c.industry_id == _catalogue_id(conn, Industry, filters.industry, "行业"))
    if filters.account_level:
        if filters.account_level not in ACCOUNT_LEVELS:
            raise ValidationError(f"未知的客户级别：{filters.account_level}", "unknown account level")
        conds.append(table.c.account_level == filters.account_level)
    return conds


def _city_conditions(conn: Connection, scope: Scope, filters: Filters, table) -> list[ColumnElement[bool]]:
    """Scope and filters on a table keyed by city (account_rollup, revenue_rollup)."""
    geo = [] if scope.is_country else [table.c.city_id.in_(scope.city_ids)]
    return [*geo, *_filter_conditions(conn, filters, table)]


@dataclass(frozen=True)
class _Grain:
    """Which rollup a query reads: city grain, or province grain for country/province-wide views."""

    table: object
    geo: ColumnElement
    where: list[ColumnElement[bool]]


def _grain(conn: Connection, scope: Scope, filters: Filters, *, by_city: bool, product: bool = True) -> _Grain:
    if by_city or scope.level not in ("group", "province"):
        t = RevenueRollup.__table__
        geo_col = t.c.city_id
        where = [] if scope.is_country else [t.c.city_id.in_(scope.city_ids)]
    else:
        t = ProvinceRollup.__table__
        geo_col = t.c.province_id
        where = [] if scope.is_country else [t.c.province_id == scope.id]
    where += _filter_conditions(conn, filters, t)
    if product:
        pid = _catalogue_id(conn, Product, filters.product, "产品") if filters.product else ALL_PRODUCTS
        where.append(t.c.product_id == pid)
    return _Grain(t, geo_col, where)


def _sums(t):
    return (
        func.coalesce(func.sum(t.c.revenue_fen), 0),
        func.coalesce(func.sum(t.c.lines), 0),
        func.coalesce(func.sum(t.c.accounts), 0),
    )


# --- figures ----------------------------------------------------------------------------------


def unit_figures(conn: Connection, *, unit: str, month: int, filters: Filters = Filters()) -> Figures:
    """The scope's own totals for one month."""
    scope = resolve_scope(conn, unit)
    g = _grain(conn, scope, filters, by_city=False)
    t = g.table
    rev, lines, accounts = conn.execute(select(*_sums(t)).where(t.c.month == month, *g.where)).one()
    return Figures(scope.code, scope.name, int(rev), int(lines), int(accounts))


def figures_by(conn: Connection, *, unit: str, month: int, by: str, filters: Filters = Filters()) -> list[Figures]:
    """One row per group of the scope: ``child`` units, ``province``, ``city``, ``industry``, ``product``
    or account ``level``. Groups with no revenue rows are listed with zeros for units and catalogues."""
    if by not in GROUPINGS:
        raise ValidationError(f"未知的分组：{by}（可选 {', '.join(GROUPINGS)}）", f"unknown grouping {by}")
    scope = resolve_scope(conn, unit)
    if by == "child":
        by = {"group": "province", "province": "city"}.get(scope.level, "account")
        if by == "account":
            return [
                Figures(a.customer_no, a.name, a.revenue_fen, a.lines, 1 if a.revenue_fen > 0 else 0)
                for a in top_accounts(conn, unit=unit, month=month, n=None, filters=filters)
            ]
    if by in ("province", "city"):
        g = _grain(conn, scope, filters, by_city=by == "city")
        t = g.table
        rows = conn.execute(select(g.geo, *_sums(t)).where(t.c.month == month, *g.where).group_by(g.geo)).all()
        return _by_geography(conn, scope, by, {r[0]: r[1:] for r in rows}, g.geo.name)
    if by == "product":
        g = _grain(conn, scope, filters, by_city=False, product=False)
        t = g.table
        catalogue = conn.execute(select(Product.id, Product.code, Product.name).order_by(Product.sort_order)).all()
        wanted = [id_ for id_, code, _name in catalogue if not filters.product or code == filters.product]
        if filters.product and not wanted:
            _catalogue_id(conn, Product, filters.product, "产品")  # raises NotFound
        # product_id IN (…) rather than != 0: the rollups' keys lead with the product, so each product is
        # an index probe instead of a scan over every product's rows of every month
        where = [t.c.month == month, t.c.product_id.in_(wanted), *g.where]
        rows = conn.execute(select(t.c.product_id, *_sums(t)).where(*where).group_by(t.c.product_id)).all()
        sums = {r[0]: r[1:] for r in rows}
        return [
            _fig(code, name, sums.get(id_))
            for id_, code, name in catalogue
            if not filters.product or code == filters.product
        ]
    g = _grain(conn, scope, filters, by_city=False)
    t = g.table
    where = [t.c.month == month, *g.where]
    if by == "industry":
        rows = conn.execute(select(t.c.industry_id, *_sums(t)).where(*where).group_by(t.c.industry_id)).all()
        sums = {r[0]: r[1:] for r in rows}
        catalogue = conn.execute(select(Industry.id, Industry.code, Industry.name).order_by(Industry.sort_order)).all()
        return [
            _fig(code, name, sums.get(id_))
            for id_, code, name in catalogue
            if not filters.industry or code == filters.industry
        ]
    rows = conn.execute(select(t.c.account_level, *_sums(t)).where(*where).group_by(t.c.account_level)).all()
    sums = {r[0]: r[1:] for r in rows}
    return [
        _fig(level, ACCOUNT_LEVEL_LABELS[level], sums.get(level))
        for level in ACCOUNT_LEVELS
        if not filters.account_level or level == filters.account_level
    ]


def _fig(key: str, name: str, sums) -> Figures:
    rev, lines, accounts = sums if sums else (0, 0, 0)
    return Figures(key, name, int(rev), int(lines), int(accounts))


def _by_geography(conn: Connection, scope: Scope, by: str, per_geo: dict[int, tuple], geo: str) -> list[Figures]:
    """One row per city or province of the scope (zeros where there is no revenue). ``per_geo`` holds
    sums keyed by city id (``geo == "city_id"``) or province id; city sums are added up to provinces
    when needed — accounts add up across cities, since each account has one serving city."""
    units = conn.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.parent_id).order_by(OrgUnit.code)
    ).all()
    by_id = {u.id: u for u in units}
    groups: dict[int, list[int]] = {}
    for city_id in scope.city_ids:
        target = city_id if by == "city" else by_id[city_id].parent_id
        groups.setdefault(target, [0, 0, 0])
    for key, sums in per_geo.items():
        target = key if (geo != "city_id" or by == "city") else by_id[key].parent_id
        if target in groups:
            for i in range(3):
                groups[target][i] += int(sums[i])
    return [
        Figures(by_id[g].code, by_id[g].name, *vals)
        for g, vals in sorted(groups.items(), key=lambda kv: by_id[kv[0]].code)
    ]


def trend(conn: Connection, *, unit: str, first: int, last: int, filters: Filters = Filters()) -> list[TrendPoint]:
    """Monthly figures from ``first`` to ``last`` (YYYYMM), with month-on-month and year-on-year change
    of revenue (and MoM of ARPU/ARPA), reading 12 more months back for the comparisons."""
    if first > last:
        raise ValidationError("起始月份晚于结束月份", "--from is after --to")
    scope = resolve_scope(conn, unit)
    g = _grain(conn, scope, filters, by_city=False)
    t = g.table
    lo = add_months(first, -12)
    rows = conn.execute(
        select(t.c.month, *_sums(t)).where(and_(t.c.month >= lo, t.c.month <= last), *g.where).group_by(t.c.month)
    ).all()
    sums = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}
    return _trend_points(sums, first, last, scope.name)


def accounts_trend(conn: Connection, *, accounts, first: int, last: int, name: str = "") -> list[TrendPoint]:
    """Monthly figures of a set of accounts (``accounts``: a SELECT of account ids, e.g. what a virtual team
    covers) from ``first`` to ``last``, with the same changes as ``trend``: revenue and lines summed over
    the accounts, accounts counted when their month's revenue is positive."""
    if first > last:
        raise ValidationError("起始月份晚于结束月份", "--from is after --to")
    t = AccountRollup.__table__
    lo = add_months(first, -12)
    rows = conn.execute(
        select(
            t.c.month,
            func.coalesce(func.sum(t.c.revenue_fen), 0),
            func.coalesce(func.sum(t.c.lines), 0),
            func.coalesce(func.sum(case((t.c.revenue_fen > 0, 1), else_=0)), 0),
        )
        .where(t.c.month >= lo, t.c.month <= last, t.c.account_id.in_(accounts))
        .group_by(t.c.month)
    ).all()
    sums = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}
    return _trend_points(sums, first, last, name)


def _trend_points(sums: dict[int, tuple[int, int, int]], first: int, last: int, name: str) -> list[TrendPoint]:
    out = []
    for m in months_between(first, last):
        cur = Figures(month_text(m), name, *sums.get(m, (0, 0, 0)))
        prev = sums.get(add_months(m, -1))
        year = sums.get(add_months(m, -12))
        prev_fig = Figures("", "", *prev) if prev else None
        out.append(
            TrendPoint(
                month=m,
                figures=cur,
                mom_pct=change_pct(cur.revenue_fen, prev[0] if prev else None),
                yoy_pct=change_pct(cur.revenue_fen, year[0] if year else None),
                arpu_mom_pct=ratio_change_pct(cur.arpu, prev_fig.arpu if prev_fig else None),
                arpa_mom_pct=ratio_change_pct(cur.arpa, prev_fig.arpa if prev_fig else None),
            )
        )
    return out


def ratio_change_pct(cur: Decimal | None, prev: Decimal | None) -> Decimal | None:
    """Change of a ratio (ARPU, ARPA) in percent, 1 decimal half-up; None if either side is undefined."""
    if cur is None or not prev:
        return None
    return ((cur - prev) * 100 / abs(prev)).quantize(Decimal("0.1"), ROUND_HALF_UP)


RANKINGS = ("revenue", "arpa", "arpu")


def top_accounts(
    conn: Connection,
    *,
    unit: str,
    month: int,
    n: int | None = 20,
    by: str = "revenue",
    bottom: bool = False,
    filters: Filters = Filters(),
) -> list[AccountFigures]:
    """Accounts of the scope ranked, top or bottom ``n`` (``None``: all), over all products:

    - ``revenue``: each account by its revenue;
    - ``arpu``: each account by revenue per billed line (accounts with lines only);
    - ``arpa``: each customer — a head account together with its branch accounts in the scope — by
      revenue per account with revenue (for a customer without branches this is its revenue).

    Reads ``account_rollup`` (one row per account and month), never the raw revenue rows.
    """
    if by not in RANKINGS:
        raise ValidationError(f"未知的排序依据：{by}（可选 {'、'.join(RANKINGS)}）", f"unknown ranking {by}")
    if filters.product:
        raise ValidationError("客户排名按全部产品计算，不能按产品筛选", "account rankings cover all products")
    scope = resolve_scope(conn, unit)
    t = AccountRollup.__table__
    where = [t.c.month == month, *_city_conditions(conn, scope, filters, t)]
    city = OrgUnit.__table__.alias("city")
    if by == "arpa":
        return _top_customers(conn, t, where, n, bottom)
    if by == "revenue":
        order = [t.c.revenue_fen.asc() if bottom else t.c.revenue_fen.desc(), t.c.account_id]
    else:
        where.append(t.c.lines > 0)
        arpu = t.c.revenue_fen * 1.0 / t.c.lines
        order = [arpu.asc() if bottom else arpu.desc(), t.c.account_id]
    query = (
        select(
            Account.customer_no,
            Account.name,
            t.c.account_level,
            Industry.name,
            city.c.short_name,
            t.c.revenue_fen,
            t.c.lines,
        )
        .select_from(
            t.join(Account, Account.id == t.c.account_id)
            .join(Industry, Industry.id == t.c.industry_id)
            .join(city, city.c.id == t.c.city_id)
        )
        .where(*where)
        .order_by(*order)
    )
    if n is not None:
        query = query.limit(n)
    return [AccountFigures(*row) for row in conn.execute(query)]


def _top_customers(conn: Connection, t, where, n: int | None, bottom: bool) -> list[AccountFigures]:
    head_id = func.coalesce(Account.parent_id, Account.id).label("head_id")
    grouped = (
        select(
            head_id,
            func.sum(t.c.revenue_fen).label("revenue_fen"),
            func.sum(t.c.lines).label("lines"),
            func.sum(case((t.c.revenue_fen > 0, 1), else_=0)).label("accounts"),
            func.count(func.distinct(t.c.city_id)).label("cities"),
            func.min(t.c.city_id).label("city_id"),
        )
        .select_from(t.join(Account, Account.id == t.c.account_id))
        .where(*where)
        .group_by(head_id)
        .subquery("customers")
    )
    c = grouped.c
    arpa = c.revenue_fen * 1.0 / c.accounts
    head = Account.__table__.alias("head")
    city = OrgUnit.__table__.alias("city")
    query = (
        select(
            head.c.customer_no,
            head.c.name,
            head.c.level,
            Industry.name,
            city.c.short_name,
            c.cities,
            c.revenue_fen,
            c.lines,
            c.accounts,
        )
        .select_from(
            grouped.join(head, head.c.id == c.head_id)
            .join(Industry, Industry.id == head.c.industry_id)
            .join(city, city.c.id == c.city_id)
        )
        .where(c.accounts > 0)
        .order_by(arpa.asc() if bottom else arpa.desc(), c.head_id)
    )
    if n is not None:
        query = query.limit(n)
    return [
        AccountFigures(
            no, name, level, industry, f"{cities} 个地市" if cities > 1 else city_name, int(rev), int(ln), int(accounts)
        )
        for no, name, level, industry, city_name, cities, rev, ln, accounts in conn.execute(query)
    ]


def arpa_distribution(
    conn: Connection,
    *,
    unit: str,
    month: int,
    bins: int = 20,
    filters: Filters = Filters(),
    upper_quantile: float | None = None,
) -> list[tuple[int, int, int]]:
    """Histogram of per-account revenue (an account's ARPA) in the scope: (low_fen, high_fen, count)
    over equal-width bins between the smallest and largest positive revenue.

    Revenue per account is heavily skewed (a few national accounts earn a hundred times the median), so
    equal bins up to the maximum put nearly everyone in the first bin. With ``upper_quantile`` (e.g.
    0.95) the equal bins end at that quantile and one more, open-ended bin counts every account above it
    (its ``high_fen`` is the maximum + 1); the counts still add up to all paying accounts."""
    if upper_quantile is not None and not 0 < upper_quantile < 1:
        raise ValidationError("分位数应在 0 与 1 之间", "upper_quantile must be between 0 and 1")
    scope = resolve_scope(conn, unit)
    t = AccountRollup.__table__
    paying = t.c.revenue_fen > 0
    if filters.industry or filters.account_level:
        # "+ 0" keeps SQLite off the (month, revenue) index, whose range it would otherwise prefer to the
        # (month, industry, level, …) index — and then look up every row of the month to test its industry
        paying = (t.c.revenue_fen + 0) > 0
    where = [t.c.month == month, paying, *_city_conditions(conn, scope, filters, t)]
    lo, hi, n = conn.execute(
        select(func.min(t.c.revenue_fen), func.max(t.c.revenue_fen), func.count()).where(*where)
    ).one()
    if lo is None:
        return []
    lo, hi, n = int(lo), int(hi), int(n)
    if upper_quantile is None:
        width = max(1, -(-(hi - lo + 1) // bins))
        bucket = (t.c.revenue_fen - lo) // width
        rows = dict(conn.execute(select(bucket, func.count()).where(*where).group_by(bucket)).all())
        return [(lo + i * width, lo + (i + 1) * width, int(rows.get(i, 0))) for i in range(bins)]
    # One pass: counts over many fine equal bins; the quantile is found on them, and the final bins are
    # made of whole fine bins, so every count stays exact (the open bin starts at a fine-bin edge at or
    # just above the quantile).
    fine = max(1, -(-(hi - lo + 1) // FINE_BINS))
    bucket = (t.c.revenue_fen - lo) // fine
    counts = {int(k): int(v) for k, v in conn.execute(select(bucket, func.count()).where(*where).group_by(bucket))}
    last_fine = (hi - lo) // fine
    target = n * upper_quantile
    below, k = 0, last_fine + 1
    for i in range(last_fine + 1):
        if below >= target:
            k = i
            break
        below += counts.get(i, 0)
    equal = bins - 1
    per = max(1, -(-k // equal))  # fine bins per final bin
    if per * equal > last_fine:  # the quantile is near the top: plain equal bins cover everything
        per = max(1, -(-(last_fine + 1) // bins))
        return [
            (
                lo + b * per * fine,
                lo + (b + 1) * per * fine,
                sum(counts.get(i, 0) for i in range(b * per, (b + 1) * per)),
            )
            for b in range(bins)
        ]
    out = [
        (lo + b * per * fine, lo + (b + 1) * per * fine, sum(counts.get(i, 0) for i in range(b * per, (b + 1) * per)))
        for b in range(equal)
    ]
    edge = per * equal
    out.append((lo + edge * fine, hi + 1, sum(v for i, v in counts.items() if i >= edge)))
    return out
