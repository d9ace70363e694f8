"""Maintenance of ``revenue_rollup`` and ``account_rollup``, the pre-aggregated tables analytics reads
(DESIGN §4).

The rollup is derived data: it is only ever rebuilt from ``monthly_revenue`` (joined to ``account`` for
the industry and account level), never edited by hand and never the source of anything. A rebuild
replaces every row of the requested months × serving cities with two ``INSERT … SELECT … GROUP BY``
statements, so the aggregation runs inside the database (SQLite or PostgreSQL) and no revenue row is
ever loaded into Python.

Grain: (product_id, month, city_id, industry_id, account_level), where ``city_id`` is the revenue row's
``serving_city_id``. Each cell carries revenue (Σ fen), lines (Σ billed lines) and accounts — the number
of distinct accounts whose summed revenue in that cell is > 0. ``product_id = ALL_PRODUCTS`` (0) rows
hold the all-products figures; their ``accounts`` must be counted from each account's revenue summed
over all its products, because a distinct count does not add up across products.

``account_rollup`` holds one row per (month, account) over all products, for rankings and the
distribution of ARPA over accounts; ``province_rollup`` is ``revenue_rollup`` summed to provinces, for
country- and province-wide views.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, case, delete, func, insert, literal, select
from sqlalchemy.sql.elements import ColumnElement

from kam_console.models import (
    ALL_PRODUCTS,
    Account,
    AccountRollup,
    MonthlyRevenue,
    OrgUnit,
    ProvinceRollup,
    RevenueRollup,
)

_MR = MonthlyRevenue.__table__
_ACC = Account.__table__
_ROLLUP = RevenueRollup.__table__
_ACCOUNT_ROLLUP = AccountRollup.__table__
_PROVINCE_ROLLUP = ProvinceRollup.__table__
_UNIT = OrgUnit.__table__
_PROVINCE_COLUMNS = (
    "product_id",
    "month",
    "province_id",
    "industry_id",
    "account_level",
    "revenue_fen",
    "lines",
    "accounts",
)
_ACCOUNT_COLUMNS = ("month", "account_id", "city_id", "industry_id", "account_level", "revenue_fen", "lines")
_COLUMNS = ("product_id", "month", "city_id", "industry_id", "account_level", "revenue_fen", "lines", "accounts")


def _as_list(values: Iterable[int] | None) -> list[int] | None:
    # Sorted and de-duplicated so the statements (and their parameters) are the same for the same input.
    return None if values is None else sorted({int(v) for v in values})


def _cell_filter(
    month_col, city_col, months: list[int] | None, city_ids: list[int] | None
) -> list[ColumnElement[bool]]:
    conditions = []
    if months is not None:
        conditions.append(month_col.in_(months))
    if city_ids is not None:
        conditions.append(city_col.in_(city_ids))
    return conditions


def rebuild_rollups(
    connection: Connection,
    *,
    months: Iterable[int] | None = None,
    city_ids: Iterable[int] | None = None,
) -> int:
    """Replace the rollup rows of ``months`` × ``city_ids`` (``None`` = all) from ``monthly_revenue``.

    Runs on the caller's connection and transaction, so a caller that imports revenue and rebuilds the
    touched cells commits (or rolls back) both together. Months are ``YYYYMM`` integers, cities are
    ``org_unit.id`` of city-level units. Returns the number of rollup rows written.

    A partial rebuild only sees the given cells: when an import moves an account to another serving
    city, the caller must pass the old city as well as the new one.
    """
    month_list = _as_list(months)
    city_list = _as_list(city_ids)
    if month_list == [] or city_list == []:
        return 0

    connection.execute(delete(_ROLLUP).where(*_cell_filter(_ROLLUP.c.month, _ROLLUP.c.city_id, month_list, city_list)))
    where = _cell_filter(_MR.c.month, _MR.c.serving_city_id, month_list, city_list)
    source = _MR.join(_ACC, _ACC.c.id == _MR.c.account_id)

    # Per product. The primary key (month, account_id, product_id) makes each revenue row one account's
    # whole revenue for that product and month, so "distinct accounts with Σ revenue > 0" is a count
    # of the rows with positive revenue — no inner per-account grouping needed.
    per_product = (
        select(
            _MR.c.product_id,
            _MR.c.month,
            _MR.c.serving_city_id,
            _ACC.c.industry_id,
            _ACC.c.level,
            func.sum(_MR.c.revenue_fen),
            func.sum(_MR.c.billed_lines),
            func.sum(case((_MR.c.revenue_fen > 0, 1), else_=0)),
        )
        .select_from(source)
        .where(*where)
        .group_by(_MR.c.product_id, _MR.c.month, _MR.c.serving_city_id, _ACC.c.industry_id, _ACC.c.level)
    )
    written = _insert(connection, per_product)

    # All products: first each account's totals per cell (summed over its products), then the cell
    # totals, counting an account only when its summed revenue is positive (adjustments may cancel it).
    per_account = (
        select(
            _MR.c.month.label("month"),
            _MR.c.serving_city_id.label("city_id"),
            _ACC.c.industry_id.label("industry_id"),
            _ACC.c.level.label("account_level"),
            func.sum(_MR.c.revenue_fen).label("revenue_fen"),
            func.sum(_MR.c.billed_lines).label("lines"),
        )
        .select_from(source)
        .where(*where)
        .group_by(_MR.c.month, _MR.c.serving_city_id, _ACC.c.industry_id, _ACC.c.level, _MR.c.account_id)
        .subquery("per_account")
    )
    all_products = select(
        literal(ALL_PRODUCTS),
        per_account.c.month,
        per_account.c.city_id,
        per_account.c.industry_id,
        per_account.c.account_level,
        func.sum(per_account.c.revenue_fen),
        func.sum(per_account.c.lines),
        func.sum(case((per_account.c.revenue_fen > 0, 1), else_=0)),
    ).group_by(per_account.c.month, per_account.c.city_id, per_account.c.industry_id, per_account.c.account_level)
    written += _insert(connection, all_products)

    # One row per account and month over all products (account_rollup), for rankings and
    # distributions. An account's rows of one month normally share one serving city.
    connection.execute(
        delete(_ACCOUNT_ROLLUP).where(
            *_cell_filter(_ACCOUNT_ROLLUP.c.month, _ACCOUNT_ROLLUP.c.city_id, month_list, city_list)
        )
    )
    per_account_month = (
        select(
            _MR.c.month,
            _MR.c.account_id,
            func.min(_MR.c.serving_city_id),
            func.min(_ACC.c.industry_id),
            func.min(_ACC.c.level),
            func.sum(_MR.c.revenue_fen),
            func.sum(_MR.c.billed_lines),
        )
        .select_from(source)
        .where(*where)
        .group_by(_MR.c.month, _MR.c.account_id)
    )
    written += _insert(connection, per_account_month, _ACCOUNT_ROLLUP, _ACCOUNT_COLUMNS)
    written += _rebuild_provinces(connection, month_list, city_list)
    return written


def _rebuild_provinces(connection: Connection, months: list[int] | None, city_ids: list[int] | None) -> int:
    """Re-sum the provinces of the touched cities from the (fresh) city-grain rollup."""
    provinces = None
    if city_ids is not None:
        provinces = sorted(
            connection.execute(select(_UNIT.c.parent_id).where(_UNIT.c.id.in_(city_ids)).distinct()).scalars()
        )
    connection.execute(
        delete(_PROVINCE_ROLLUP).where(
            *_cell_filter(_PROVINCE_ROLLUP.c.month, _PROVINCE_ROLLUP.c.province_id, months, provinces)
        )
    )
    source = _ROLLUP.join(_UNIT, _UNIT.c.id == _ROLLUP.c.city_id)
    where = _cell_filter(_ROLLUP.c.month, _UNIT.c.parent_id, months, provinces)
    summed = (
        select(
            _ROLLUP.c.product_id,
            _ROLLUP.c.month,
            _UNIT.c.parent_id,
            _ROLLUP.c.industry_id,
            _ROLLUP.c.account_level,
            func.sum(_ROLLUP.c.revenue_fen),
            func.sum(_ROLLUP.c.lines),
            # Accounts add up across cities: each account has exactly one serving city.
            func.sum(_ROLLUP.c.accounts),
        )
        .select_from(source)
        .where(*where)
        .group_by(
            _ROLLUP.c.product_id, _ROLLUP.c.month, _UNIT.c.parent_id, _ROLLUP.c.industry_id, _ROLLUP.c.account_level
        )
    )
    return _insert(connection, summed, _PROVINCE_ROLLUP, _PROVINCE_COLUMNS)


def _insert(connection: Connection, query, table=_ROLLUP, columns=_COLUMNS) -> int:
    # SQLAlchemy keeps an INSERT's row count only when asked to (psycopg reports it; the result drops it).
    statement = insert(table).from_select(columns, query).execution_options(preserve_rowcount=True)
    return max(connection.execute(statement).rowcount, 0)


def revenue_cells(connection: Connection) -> tuple[list[int], list[int]]:
    """The months and serving cities that hold revenue rows (each sorted), e.g. to rebuild per month."""
    months = list(connection.execute(select(_MR.c.month).distinct().order_by(_MR.c.month)).scalars())
    cities = list(
        connection.execute(select(_MR.c.serving_city_id).distinct().order_by(_MR.c.serving_city_id)).scalars()
    )
    return months, cities
