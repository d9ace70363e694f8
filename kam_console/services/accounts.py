"""The accounts list (客户列表): the accounts of a scope, filtered, searched and sorted, a page at a time.

Owns the list's query (``AccountQuery``), its rows, pages and cursors, and the two use cases the list
needs: ``list_accounts`` (one page) and ``count_accounts`` (the total, "共 N 个客户").

Scope follows the serving city like every figure (DESIGN §4): a unit's list holds the accounts served
in its area; ``owned_only`` lists the accounts that unit itself owns instead, and ``owned_within`` the
accounts owned by the unit or any unit below it — the accounts it answers for under the
responsible-manager rule (``services.responsibility``). ``exclude_churned`` leaves out churned (流失)
accounts, which need no responsible manager: a unit's queue of accounts awaiting one is
``owned_within`` + ``unassigned`` + ``exclude_churned``, the same accounts the rule reports as unassigned.

Sort orders (descending is the exact reverse of ascending; ties are broken by account id):
customer number and name as text (the database's collation: code-point order on SQLite and on a
C/C.UTF-8 PostgreSQL); level and status in business order (全国性 → 省级 → 地市级; 潜在 → 在网 → 休眠 →
流失); industry in catalogue order; city in region-code order; manager with unassigned accounts first,
then grouped by manager in the order staff were registered; revenue of ``month``, accounts without a
rollup row counting as 0.

How a page stays at a couple of milliseconds with 200,000 accounts (PERFORMANCE.md "Paging lists";
figures in bench/account_list_bench.py):

- Keyset paging, never OFFSET: a page continues after the previous page's last row, compared as a row
  value ``(sort key, id) > (:v, :id)`` — the only form SQLite turns into an index seek.
- A long list is read in index order, as a sequence of *segments*, each delivered in order by one index:
  one segment for customer number, name or manager; one per value for level, status, industry and city,
  each read in id order from a (value, id) index; and for revenue the negative and the positive rows of
  ``account_rollup``'s (month, revenue) index with the zero-revenue accounts (in id order) in between.
  A cursor says which segment it is in.
- A short list (at most ``SHORT_LIST`` accounts after scope and filters, counted once on the first page)
  is a single segment sorted whole on every page — cheaper than walking a big index for a few rows.
  A search cannot use an index anyway (substrings): its first page reads the table once, counting the
  hits in the same pass, and only a search with more than ``SHORT_LIST`` hits is walked as a long list.
- Each page first finds its ids with a query that touches only the driving index (and what the filters
  need), then joins the names it shows for those ids alone.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, replace

from sqlalchemy import Column, Connection, FromClause, String, and_, case, func, literal, or_, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from kam_console.analytics import Scope, latest_month, resolve_scope
from kam_console.errors import NotFound, ValidationError
from kam_console.models import (
    ACCOUNT_LEVEL_LABELS,
    ACCOUNT_LEVELS,
    ACCOUNT_STATUS_LABELS,
    ACCOUNT_STATUSES,
    Account,
    AccountRollup,
    Industry,
    OrgUnit,
    Staff,
)

SORTS = ("customer_no", "name", "level", "industry", "city", "manager", "status", "revenue")
SORT_LABELS = {
    "customer_no": "客户编号",
    "name": "客户名称",
    "level": "级别",
    "industry": "行业",
    "city": "服务地市",
    "manager": "负责客户经理",
    "status": "状态",
    "revenue": "收入",
}
GROUP_CODE = "000000"
MAX_LIMIT = 5000
# Up to this many accounts a list is sorted whole on each page; above it, it is walked in index order.
# Sorting n rows costs ~n steps; walking an index costs ~limit/density steps, and the zero-revenue
# stretch is the sparsest (~1 account in 6). The two meet around 10,000 rows at 200,000 accounts.
SHORT_LIST = 10_000

_A = Account.__table__
_R = AccountRollup.__table__
_IND = Industry.__table__
_STAFF = Staff.__table__
_OWNER = OrgUnit.__table__.alias("owner")
_CITY = OrgUnit.__table__.alias("city")
_UNIT = OrgUnit.__table__
_INITIALS = re.compile(r"[0-9A-Za-z]+")


@dataclass(frozen=True)
class AccountQuery:
    """What the list shows. ``unit`` is an org code; ``month`` (YYYYMM) is the month whose revenue is
    shown and sorted on, by default the newest month in ``account_rollup``."""

    unit: str = GROUP_CODE
    owned_only: bool = False  # owned by the unit itself (else: served in its area)
    owned_within: bool = False  # owned by the unit or a unit below it
    level: str | None = None
    industry: str | None = None
    status: str | None = None
    manager: str | None = None  # employee_no of the responsible customer manager
    unassigned: bool = False
    exclude_churned: bool = False
    search: str = ""
    sort: str = "customer_no"
    descending: bool = False
    month: int | None = None


@dataclass(slots=True)
class AccountRow:
    """One line of the list, plain data. ``level``/``status`` are codes; labels are the UI's business.
    (Not frozen: a frozen dataclass is several times slower to build, and a page builds 200 of them.)"""

    id: int
    customer_no: str
    name: str
    level: str
    industry: str
    owner_unit: str
    serving_city: str
    manager: str | None
    status: str
    revenue_fen: int
    industry_code: str = ""
    serving_city_code: str = ""
    manager_no: str | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the query it belongs to, the segment of the sort and the last row's key.

    It also keeps what the first page resolved (the scope, the month, short or long list), so later
    pages skip those look-ups and a scroll through the list reads one consistent plan."""

    query: AccountQuery
    scope: Scope
    month: int | None
    short: bool
    segment: int
    value: tuple
    id: int


@dataclass(frozen=True)
class AccountPage:
    rows: list[AccountRow]
    next_cursor: Cursor | None  # None: this was the last page
    month: int | None  # the month whose revenue ``revenue_fen`` holds (None: no revenue data at all)


@dataclass(frozen=True)
class _Segment:
    """A stretch of a sort order delivered in order by one query.

    ``keys`` is the sort key inside the segment, () where it is constant there (rows follow ``id_col``).
    ``low``/``high`` bound the segment in ascending order; a cursor inside the segment already bounds one
    side, and repeating that side's bound would tempt SQLite to seek on it instead of on the row value.
    """

    keys: tuple[ColumnElement, ...]
    id_col: ColumnElement
    source: FromClause = _A
    where: tuple[ColumnElement[bool], ...] = ()
    # column = value for a one-value segment, built only when read (a sort by city has 337 segments)
    equals: tuple[ColumnElement, object] | None = None
    low: ColumnElement[bool] | None = None
    high: ColumnElement[bool] | None = None


# --- use cases ---------------------------------------------------------------------------------


def list_accounts(
    conn: Connection, query: AccountQuery, *, after: Cursor | None = None, limit: int = 200
) -> AccountPage:
    """One page of the list: up to ``limit`` rows after ``after`` (None: the first page)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"每页行数须在 1 到 {MAX_LIMIT} 之间：{limit}", f"limit must be 1..{MAX_LIMIT}")
    if after is not None and after.query != query:
        raise ValidationError("翻页位置属于另一个查询，请从第一页重新开始", "cursor belongs to another query")
    _check_sort(query.sort)
    scope = resolve_scope(conn, query.unit) if after is None else after.scope
    month = _month(conn, query.month) if after is None else after.month
    where = _conditions(conn, query, scope)
    want = limit + 1  # one more than asked for tells whether another page exists
    got: list[tuple[int, object]] = []
    read_already = False  # the search's pass below already read the only segment there is
    if after is not None:
        short = after.short
    elif _term(query):
        # A search reads every row anyway: read it as a short list and count its hits in the same pass;
        # only if there are too many does it become a long list.
        (seg,) = _segments(conn, query, scope, month, short=True)
        rows = conn.execute(_page_statement(where, month, seg, None, want, query.descending, count_all=True)).all()
        short = read_already = not rows or rows[0].total <= SHORT_LIST
        if short:
            got = [(0, row) for row in rows]
    else:
        short = _is_short(conn, where)
    segments = _segments(conn, query, scope, month, short)
    if query.descending:
        segments.reverse()
    if after is not None and not 0 <= after.segment < len(segments):
        raise ValidationError("翻页位置无效，请从第一页重新开始", "cursor does not fit this query")

    index = 0 if after is None else after.segment
    key = None if after is None else (after.value, after.id)
    if read_already:
        index = len(segments)
    while index < len(segments) and len(got) < want:
        seg = segments[index]
        statement = _page_statement(where, month, seg, key, want - len(got), query.descending)
        got.extend((index, row) for row in conn.execute(statement))
        if len(got) < want:  # this segment is exhausted; the next one starts from its beginning
            index += 1
            key = None
    page = got[:limit]
    next_cursor = None
    if len(got) > limit:
        seg_index, last = page[-1]
        values = tuple(last[_N_FIELDS : _N_FIELDS + len(segments[seg_index].keys)])
        next_cursor = Cursor(query, scope, month, short, seg_index, values, last.id)
    return AccountPage(rows=[_row(r) for _, r in page], next_cursor=next_cursor, month=month)


def count_accounts(conn: Connection, query: AccountQuery) -> int:
    """How many accounts the list holds (scope, filters and search; sort and month do not matter)."""
    where = _conditions(conn, query, resolve_scope(conn, query.unit))
    return int(conn.execute(select(func.count()).select_from(_A).where(*where)).scalar_one())


# --- scope, filters and search -----------------------------------------------------------------


def _check_sort(sort: str) -> None:
    if sort not in SORTS:
        options = "、".join(f"{s}（{SORT_LABELS[s]}）" for s in SORTS)
        raise ValidationError(f"未知的排序方式：{sort}（可选 {options}）", f"unknown sort {sort!r}")


def _month(conn: Connection, month: int | None) -> int | None:
    if month is None:
        return latest_month(conn)
    if not (190001 <= month <= 999912 and 1 <= month % 100 <= 12):
        raise ValidationError(f"月份无效：{month}（格式 YYYYMM）", f"invalid month {month}")
    return month


def _conditions(conn: Connection, query: AccountQuery, scope: Scope) -> list[ColumnElement[bool]]:
    """Scope, filters and search as conditions on ``account`` alone (the count needs no join)."""
    where: list[ColumnElement[bool]] = []
    if query.owned_only and query.owned_within:
        raise ValidationError(
            "不能同时只看本单位归属的客户和本单位及下级单位归属的客户", "owned_only and owned_within exclude each other"
        )
    if query.owned_only or query.owned_within:
        owned = _owned(conn, query, scope)
        if owned is not None:
            where.append(owned)
    elif not scope.is_country:
        where.append(_A.c.serving_city_id.in_(scope.city_ids))
    if query.level is not None:
        if query.level not in ACCOUNT_LEVELS:
            options = "、".join(f"{k}（{v}）" for k, v in ACCOUNT_LEVEL_LABELS.items())
            raise ValidationError(f"未知的客户级别：{query.level}（可选 {options}）", "unknown account level")
        where.append(_A.c.level == query.level)
    if query.status is not None:
        if query.status not in ACCOUNT_STATUSES:
            options = "、".join(f"{k}（{v}）" for k, v in ACCOUNT_STATUS_LABELS.items())
            raise ValidationError(f"未知的客户状态：{query.status}（可选 {options}）", "unknown account status")
        where.append(_A.c.status == query.status)
    if query.industry is not None:
        industry_id = conn.execute(select(_IND.c.id).where(_IND.c.code == query.industry)).scalar()
        if industry_id is None:
            raise NotFound(f"没有这个行业代码：{query.industry}", f"unknown industry code {query.industry}")
        where.append(_A.c.industry_id == industry_id)
    if query.manager is not None and query.unassigned:
        raise ValidationError("不能同时按客户经理筛选和只看未分配的客户", "manager and unassigned exclude each other")
    if query.manager is not None:
        staff_id = conn.execute(select(_STAFF.c.id).where(_STAFF.c.employee_no == query.manager)).scalar()
        if staff_id is None:
            raise NotFound(f"没有工号为 {query.manager} 的员工", f"no staff member {query.manager}")
        where.append(_A.c.manager_id == staff_id)
    if query.unassigned:
        where.append(_A.c.manager_id.is_(None))
    if query.exclude_churned:
        where.append(_A.c.status != "churned")
    search = _search(query.search, case_folding_like=conn.dialect.name == "sqlite")
    if search is not None:
        where.append(search)
    return where


def _owned(conn: Connection, query: AccountQuery, scope: Scope) -> ColumnElement[bool] | None:
    """The ownership condition of ``owned_only``/``owned_within``; None for the whole group's (every account)."""
    if query.owned_only:
        return _A.c.owner_unit_id == scope.id
    if scope.is_country:
        return None
    units = select(_UNIT.c.id).where(or_(_UNIT.c.path == scope.path, _UNIT.c.path.like(scope.path + "/%")))
    return _A.c.owner_unit_id.in_(sorted(conn.execute(units).scalars()))


def _term(query: AccountQuery) -> str:
    return (query.search or "").strip()


def _search(text: str, *, case_folding_like: bool) -> ColumnElement[bool] | None:
    """Customer number prefix, name substring, or pinyin initials (``zgsh`` finds 中国石化…).

    Latin letters match in either case. A substring cannot use an index, so a search reads the scope
    once; LIKE wildcards typed by the user are escaped. SQLite's LIKE already ignores the case of latin
    letters (and its lower() knows no others), so there plain LIKE does it at half the cost of
    ``lower(x) LIKE lower(?)``; PostgreSQL gets ILIKE."""
    term = (text or "").strip()
    if not term:
        return None
    if case_folding_like:
        terms = [
            _A.c.customer_no.startswith(term, autoescape=True),
            _A.c.name.contains(term, autoescape=True),
        ]
    else:
        terms = [
            _A.c.customer_no.istartswith(term, autoescape=True),
            _A.c.name.icontains(term, autoescape=True),
        ]
    if _INITIALS.fullmatch(term):  # initials are stored as lower-case letters and digits only
        terms.append(_A.c.name_initials.contains(term.lower(), autoescape=True))
    return or_(*terms)


def _is_short(conn: Connection, where: list[ColumnElement[bool]]) -> bool:
    # Counting stops after SHORT_LIST + 1 rows, so a long list costs no more than a short one.
    capped = select(_A.c.id).where(*where).limit(SHORT_LIST + 1).subquery()
    return conn.execute(select(func.count()).select_from(capped)).scalar_one() <= SHORT_LIST


# --- sort orders as segments --------------------------------------------------------------------


def _segments(conn: Connection, query: AccountQuery, scope: Scope, month: int | None, short: bool) -> list[_Segment]:
    """The ascending order of ``query.sort`` as segments."""
    sort, a, r = query.sort, _A.c, _R.c
    if short:
        seg = _short_segment(query, month)
        if _term(query):
            # A search reads every row anyway: in table order, then sorting its few hits, is several
            # times faster than walking a sort index and looking each row up.
            seg = replace(seg, keys=tuple(_unindexed(k) for k in seg.keys))
        return [seg]
    if sort in ("customer_no", "name"):
        return [_Segment((a[sort],), a.id)]
    # A long list: segments each read in index order.
    if sort == "level":
        return [_Segment((), a.id, equals=(a.level, v)) for v in ACCOUNT_LEVELS if query.level in (None, v)]
    if sort == "status":
        return [_Segment((), a.id, equals=(a.status, v)) for v in ACCOUNT_STATUSES if query.status in (None, v)]
    if sort == "industry":
        industries = select(_IND.c.id).order_by(_IND.c.sort_order, _IND.c.code)
        if query.industry is not None:
            industries = industries.where(_IND.c.code == query.industry)
        return [_Segment((), a.id, equals=(a.industry_id, i)) for i in conn.execute(industries).scalars()]
    if sort == "city":
        return [_Segment((), a.id, equals=(a.serving_city_id, c)) for c in _cities(conn, query, scope)]
    if sort == "manager":
        unassigned = _Segment((), a.id, where=(a.manager_id.is_(None),))
        assigned = _Segment((a.manager_id,), a.id, low=a.manager_id.is_not(None))
        if query.unassigned:
            return [unassigned]
        return [assigned] if query.manager is not None else [unassigned, assigned]
    if month is None:  # no revenue data yet: every account has zero
        return [_Segment((), a.id)]
    rollup = _R.join(_A, a.id == r.account_id)
    with_revenue = _A.outerjoin(_R, and_(r.month == month, r.account_id == a.id))
    zero = or_(r.account_id.is_(None), r.revenue_fen == 0)
    return [
        _Segment((r.revenue_fen,), r.account_id, rollup, (r.month == month,), high=r.revenue_fen < 0),
        _Segment((), a.id, with_revenue, (zero,)),
        _Segment((r.revenue_fen,), r.account_id, rollup, (r.month == month,), low=r.revenue_fen > 0),
    ]


def _short_segment(query: AccountQuery, month: int | None) -> _Segment:
    """A short list's single segment, sorted whole: keys reproducing the long list's order exactly."""
    sort, a, r = query.sort, _A.c, _R.c
    if sort in ("customer_no", "name"):
        return _Segment((a[sort],), a.id)
    if sort == "level":
        return _Segment((_rank(a.level, ACCOUNT_LEVELS),), a.id)
    if sort == "status":
        return _Segment((_rank(a.status, ACCOUNT_STATUSES),), a.id)
    if sort == "industry":
        return _Segment((_IND.c.sort_order, _IND.c.code), a.id, _A.join(_IND, _IND.c.id == a.industry_id))
    if sort == "city":
        return _Segment((_CITY.c.code,), a.id, _A.join(_CITY, _CITY.c.id == a.serving_city_id))
    if sort == "manager":
        return _Segment((case((a.manager_id.is_(None), 0), else_=1), func.coalesce(a.manager_id, 0)), a.id)
    if month is None:
        return _Segment((), a.id)
    return _Segment(
        (func.coalesce(r.revenue_fen, 0),), a.id, _A.outerjoin(_R, and_(r.month == month, r.account_id == a.id))
    )


def _unindexed(key: ColumnElement) -> ColumnElement:
    """The same value as an expression no index answers (`x || ''`, `x + 0`), so the planner sorts."""
    if not isinstance(key, Column):
        return key
    return key.concat("") if isinstance(key.type, String) else key + 0


def _rank(column: ColumnElement, values: tuple[str, ...]) -> ColumnElement[int]:
    return case({v: i for i, v in enumerate(values)}, value=column, else_=len(values))


def _cities(conn: Connection, query: AccountQuery, scope: Scope) -> list[int]:
    """The cities the list can contain, in region-code order."""
    cities = select(OrgUnit.id).where(OrgUnit.level == "city").order_by(OrgUnit.code)
    if query.owned_only or query.owned_within:
        owned = _owned(conn, query, scope)
        if owned is not None:  # owned accounts may be served anywhere: only the cities that serve some
            cities = cities.where(OrgUnit.id.in_(select(_A.c.serving_city_id).where(owned)))
    elif not scope.is_country:
        cities = cities.where(OrgUnit.id.in_(scope.city_ids))
    return list(conn.execute(cities).scalars())


# --- the page statement -------------------------------------------------------------------------

_N_FIELDS = 13  # AccountRow's fields, selected in its order; the sort key values follow


def _row(r, intern=sys.intern) -> AccountRow:
    # A view scrolled to the end holds every row. Its labels repeat (13 industries, 370 units, a few
    # thousand managers): one shared string each instead of one per row takes 60% off the memory.
    manager, manager_no = r[7], r[12]
    return AccountRow(
        r[0],
        r[1],
        r[2],
        intern(r[3]),
        intern(r[4]),
        intern(r[5]),
        intern(r[6]),
        manager and intern(manager),
        intern(r[8]),
        r[9],
        intern(r[10]),
        intern(r[11]),
        manager_no and intern(manager_no),
    )


def _page_statement(
    where: list[ColumnElement[bool]],
    month: int | None,
    seg: _Segment,
    key: tuple | None,
    limit: int,
    desc: bool,
    *,
    count_all: bool = False,
):
    """Up to ``limit`` rows of one segment after ``key`` ((values, id) of the last row read, or None);
    with ``count_all``, each row also carries ``total``, the number of rows before the limit."""
    a, r = _A.c, _R.c
    conds = [*where, *seg.where]
    if seg.equals is not None:
        column, value = seg.equals
        conds.append(column == value)
    if key is None:
        conds += [c for c in (seg.low, seg.high) if c is not None]
    else:
        values, last_id = key
        far_side = seg.low if desc else seg.high
        if far_side is not None:
            conds.append(far_side)
        if seg.keys:
            row = tuple_(*seg.keys, seg.id_col)
            at = tuple_(*(literal(v, k.type) for v, k in zip(values, seg.keys, strict=True)), literal(last_id))
            conds.append(row < at if desc else row > at)
        else:
            conds.append(seg.id_col < last_id if desc else seg.id_col > last_id)

    def ordered(columns):
        return [c.desc() if desc else c.asc() for c in columns]

    # Step 1: the page's ids (and sort keys), touching only the driving index and what filters need.
    total = [func.count().over().label("total")] if count_all else []
    ids = (
        select(seg.id_col.label("id"), *(k.label(f"k{i}") for i, k in enumerate(seg.keys)), *total)
        .select_from(seg.source)
        .where(*conds)
        .order_by(*ordered([*seg.keys, seg.id_col]))
        .limit(limit)  # SQLAlchemy's SQLite dialect prints "LIMIT ? OFFSET 0": nothing is ever skipped
        .subquery("page")
    )
    keys = [ids.c[f"k{i}"] for i in range(len(seg.keys))]
    # Step 2: what the page shows, for those ids only. LEFT joins keep SQLite from reordering them.
    shown = ids.join(_A, a.id == ids.c.id)
    if month is not None:
        shown = shown.outerjoin(_R, and_(r.month == month, r.account_id == a.id))
        revenue = func.coalesce(r.revenue_fen, 0)
    else:
        revenue = literal(0)
    shown = (
        shown.outerjoin(_IND, _IND.c.id == a.industry_id)
        .outerjoin(_OWNER, _OWNER.c.id == a.owner_unit_id)
        .outerjoin(_CITY, _CITY.c.id == a.serving_city_id)
        .outerjoin(_STAFF, _STAFF.c.id == a.manager_id)
    )
    return (
        select(
            a.id,
            a.customer_no,
            a.name,
            a.level,
            _IND.c.name,
            _OWNER.c.short_name,
            _CITY.c.short_name,
            _STAFF.c.name,
            a.status,
            revenue,
            _IND.c.code,
            _CITY.c.code,
            _STAFF.c.employee_no,
            *keys,
            *([ids.c.total] if count_all else []),
        )
        .select_from(shown)
        .order_by(*ordered([*keys, ids.c.id]))
    )


__all__ = [
    "SHORT_LIST",
    "SORTS",
    "SORT_LABELS",
    "AccountPage",
    "AccountQuery",
    "AccountRow",
    "Cursor",
    "count_accounts",
    "list_accounts",
]
