"""revenue_rollup maintenance: every rollup cell equals an independent pure-Python aggregate of
monthly_revenue, partial rebuilds touch only their cells, and sums reconcile (DESIGN §4)."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest
from sqlalchemy import func, insert, select

from kam_console.models import (
    ALL_PRODUCTS,
    Account,
    AccountRollup,
    Industry,
    MonthlyRevenue,
    OrgUnit,
    Product,
    ProvinceRollup,
    RevenueRollup,
)
from kam_console.rollups import rebuild_rollups, revenue_cells

pytestmark = pytest.mark.db

MONTHS = [202501, 202502, 202503, 202504]
OWNER_LEVEL = {"national": "group", "provincial": "province", "city": "city"}


def _setup(conn, rng: random.Random) -> dict:
    """A handful of accounts in 6 cities of 3 provinces, 3 industries, all levels, with revenue rows."""
    group_id = conn.execute(select(OrgUnit.id).where(OrgUnit.level == "group")).scalar_one()
    provinces = (
        conn.execute(
            select(OrgUnit.id)
            .where(OrgUnit.level == "province", OrgUnit.code.in_(["440000", "320000", "510000"]))
            .order_by(OrgUnit.code)
        )
        .scalars()
        .all()
    )
    cities = []
    for p in provinces:
        cities += conn.execute(
            select(OrgUnit.id, OrgUnit.parent_id).where(OrgUnit.parent_id == p).order_by(OrgUnit.code).limit(2)
        ).all()
    industries = conn.execute(select(Industry.id).order_by(Industry.sort_order).limit(3)).scalars().all()
    products = conn.execute(select(Product.id).order_by(Product.sort_order).limit(4)).scalars().all()

    accounts = []
    for i in range(14):
        city_id, province_id = rng.choice(cities)
        level = ("national", "provincial", "city")[i % 3]
        owner = {"national": group_id, "provincial": province_id, "city": city_id}[level]
        accounts.append(
            {
                "id": 1000 + i,
                "customer_no": f"T{i:05d}",
                "name": f"测试客户{i}",
                "level": level,
                "industry_id": industries[i % len(industries)],
                "owner_unit_id": owner,
                "owner_level": OWNER_LEVEL[level],
                "serving_city_id": city_id,
                "serving_level": "city",
                "status": "active",
            }
        )
    conn.execute(insert(Account), accounts)

    rows = []
    for a in accounts[:-2]:
        held = rng.sample(products, rng.randint(1, len(products)))
        for month in MONTHS:
            for p in held:
                if rng.random() < 0.15:
                    continue
                revenue = rng.randint(-30_000, 500_000) if rng.random() < 0.2 else rng.randint(0, 500_000)
                rows.append(
                    {
                        "month": month,
                        "account_id": a["id"],
                        "product_id": p,
                        "serving_city_id": a["serving_city_id"],
                        "revenue_fen": revenue,
                        "billed_lines": rng.randint(0, 40),
                    }
                )
    # An account whose products cancel out in every month (counted per product, not in the total),
    # and one whose only revenue is a negative adjustment.
    cancel, negative = accounts[-2], accounts[-1]
    for month in MONTHS:
        rows.append(
            {
                "month": month,
                "account_id": cancel["id"],
                "product_id": products[0],
                "serving_city_id": cancel["serving_city_id"],
                "revenue_fen": 12_345,
                "billed_lines": 2,
            }
        )
        rows.append(
            {
                "month": month,
                "account_id": cancel["id"],
                "product_id": products[1],
                "serving_city_id": cancel["serving_city_id"],
                "revenue_fen": -12_345 - (month % 2),
                "billed_lines": 1,
            }
        )
    rows.append(
        {
            "month": MONTHS[0],
            "account_id": negative["id"],
            "product_id": products[2],
            "serving_city_id": negative["serving_city_id"],
            "revenue_fen": -9_900,
            "billed_lines": 0,
        }
    )
    conn.execute(insert(MonthlyRevenue), rows)
    return {
        "accounts": {a["id"]: a for a in accounts},
        "rows": rows,
        "cities": cities,
        "provinces": provinces,
        "products": products,
    }


def _expected(data: dict, months=None, cities=None) -> dict[tuple, tuple[int, int, int]]:
    """The rollup computed the slow, obvious way."""
    per_product: dict[tuple, list] = defaultdict(lambda: [0, 0, defaultdict(int)])
    per_cell: dict[tuple, list] = defaultdict(lambda: [0, 0, defaultdict(int)])
    for r in data["rows"]:
        if months is not None and r["month"] not in months:
            continue
        if cities is not None and r["serving_city_id"] not in cities:
            continue
        a = data["accounts"][r["account_id"]]
        cell = (r["month"], r["serving_city_id"], a["industry_id"], a["level"])
        for key, store in (((r["product_id"], *cell), per_product), ((ALL_PRODUCTS, *cell), per_cell)):
            entry = store[key]
            entry[0] += r["revenue_fen"]
            entry[1] += r["billed_lines"]
            entry[2][r["account_id"]] += r["revenue_fen"]
    out = {}
    for store in (per_product, per_cell):
        for key, (revenue, lines, by_account) in store.items():
            out[key] = (revenue, lines, sum(1 for v in by_account.values() if v > 0))
    return out


def _rollup(conn, months=None, cities=None) -> dict[tuple, tuple[int, int, int]]:
    query = select(RevenueRollup)
    if months is not None:
        query = query.where(RevenueRollup.month.in_(months))
    if cities is not None:
        query = query.where(RevenueRollup.city_id.in_(cities))
    return {
        (r.product_id, r.month, r.city_id, r.industry_id, r.account_level): (r.revenue_fen, r.lines, r.accounts)
        for r in conn.execute(query.with_only_columns(*RevenueRollup.__table__.c))
    }


def _expected_accounts(data: dict) -> dict[tuple, tuple]:
    """account_rollup the obvious way: (month, account) -> (city, industry, level, revenue, lines)."""
    out: dict[tuple, list] = {}
    for r in data["rows"]:
        a = data["accounts"][r["account_id"]]
        entry = out.setdefault(
            (r["month"], r["account_id"]), [r["serving_city_id"], a["industry_id"], a["level"], 0, 0]
        )
        entry[3] += r["revenue_fen"]
        entry[4] += r["billed_lines"]
    return {k: tuple(v) for k, v in out.items()}


def _account_rollup(conn) -> dict[tuple, tuple]:
    t = AccountRollup.__table__
    return {
        (r.month, r.account_id): (r.city_id, r.industry_id, r.account_level, r.revenue_fen, r.lines)
        for r in conn.execute(select(t))
    }


def test_rebuild_matches_independent_aggregate(db):
    with db.engine.begin() as conn:
        data = _setup(conn, random.Random(11))
        written = rebuild_rollups(conn)
        got = _rollup(conn)
        got_accounts = _account_rollup(conn)
    expected = _expected(data)
    expected_accounts = _expected_accounts(data)
    assert got_accounts == expected_accounts
    with db.engine.connect() as conn:
        parent = dict(conn.execute(select(OrgUnit.id, OrgUnit.parent_id)).all())
        got_provinces = {
            (r.product_id, r.month, r.province_id, r.industry_id, r.account_level): (r.revenue_fen, r.lines, r.accounts)
            for r in conn.execute(select(ProvinceRollup.__table__))
        }
    expected_provinces: dict[tuple, list[int]] = {}
    for (product, month, city, industry, level), values in expected.items():
        entry = expected_provinces.setdefault((product, month, parent[city], industry, level), [0, 0, 0])
        for i in range(3):
            entry[i] += values[i]
    assert got_provinces == {k: tuple(v) for k, v in expected_provinces.items()}
    assert written == len(expected) + len(expected_accounts) + len(expected_provinces)
    assert len(expected) == len(got)
    assert got == expected
    # The cancelling account: counted for its positive product, not in the all-products figure.
    cancel = data["accounts"][1012]
    cell = (MONTHS[0], cancel["serving_city_id"], cancel["industry_id"], cancel["level"])
    assert got[(data["products"][0], *cell)][2] >= 1
    assert all(isinstance(v, int) for values in got.values() for v in values)


def test_rebuild_twice_is_idempotent(db):
    with db.engine.begin() as conn:
        _setup(conn, random.Random(5))
        first_count = rebuild_rollups(conn)
        first = _rollup(conn)
        assert rebuild_rollups(conn) == first_count
        assert _rollup(conn) == first


def test_partial_rebuild_touches_only_its_cells(db):
    with db.engine.begin() as conn:
        data = _setup(conn, random.Random(23))
        rebuild_rollups(conn)
        before = _rollup(conn)
        month, city = MONTHS[1], data["cities"][0][0]
        # Change revenue everywhere; only the rebuilt cell may follow.
        conn.execute(MonthlyRevenue.__table__.update().values(revenue_fen=MonthlyRevenue.revenue_fen + 1000))
        for r in data["rows"]:
            r["revenue_fen"] += 1000
        written = rebuild_rollups(conn, months=[month], city_ids=[city])
        after = _rollup(conn)
    cell_expected = _expected(data, months={month}, cities={city})
    cell_accounts = {r["account_id"] for r in data["rows"] if r["month"] == month and r["serving_city_id"] == city}
    with db.engine.connect() as conn:
        province = conn.execute(select(OrgUnit.parent_id).where(OrgUnit.id == city)).scalar()
        province_cells = conn.execute(
            select(func.count()).where(ProvinceRollup.month == month, ProvinceRollup.province_id == province)
        ).scalar()
    assert written == len(cell_expected) + len(cell_accounts) + province_cells > 0
    assert {k: v for k, v in after.items() if k[1] == month and k[2] == city} == cell_expected
    untouched_before = {k: v for k, v in before.items() if not (k[1] == month and k[2] == city)}
    untouched_after = {k: v for k, v in after.items() if not (k[1] == month and k[2] == city)}
    assert untouched_after == untouched_before


def test_partial_rebuild_by_month_only_and_empty_selection(db):
    with db.engine.begin() as conn:
        data = _setup(conn, random.Random(3))
        rebuild_rollups(conn)
        before = _rollup(conn)
        assert rebuild_rollups(conn, months=[]) == 0
        assert rebuild_rollups(conn, city_ids=[]) == 0
        assert _rollup(conn) == before
        conn.execute(MonthlyRevenue.__table__.delete().where(MonthlyRevenue.month == MONTHS[0]))
        data["rows"] = [r for r in data["rows"] if r["month"] != MONTHS[0]]
        rebuild_rollups(conn, months=[MONTHS[0], MONTHS[0]])
        assert _rollup(conn) == _expected(data)
        assert revenue_cells(conn)[0] == MONTHS[1:]


def test_sums_reconcile(db):
    with db.engine.begin() as conn:
        data = _setup(conn, random.Random(8))
        rebuild_rollups(conn)
        # A province's revenue is the sum of its cities' (every row belongs to exactly one city).
        by_province = dict(
            conn.execute(
                select(OrgUnit.parent_id, func.sum(RevenueRollup.revenue_fen))
                .join(OrgUnit, OrgUnit.id == RevenueRollup.city_id)
                .where(RevenueRollup.product_id == ALL_PRODUCTS)
                .group_by(OrgUnit.parent_id)
            ).all()
        )
        raw = dict(
            conn.execute(
                select(OrgUnit.parent_id, func.sum(MonthlyRevenue.revenue_fen))
                .join(OrgUnit, OrgUnit.id == MonthlyRevenue.serving_city_id)
                .group_by(OrgUnit.parent_id)
            ).all()
        )
        got = _rollup(conn)
    assert {k: int(v) for k, v in by_province.items()} == {k: int(v) for k, v in raw.items()}
    assert sum(by_province.values()) == sum(r["revenue_fen"] for r in data["rows"])
    # All-products revenue and lines are the sums of the per-product rows of the same cell.
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for key, (revenue, lines, _accounts) in got.items():
        if key[0] != ALL_PRODUCTS:
            sums[key[1:]][0] += revenue
            sums[key[1:]][1] += lines
    assert {k[1:]: (v[0], v[1]) for k, v in got.items() if k[0] == ALL_PRODUCTS} == {
        k: tuple(v) for k, v in sums.items()
    }
