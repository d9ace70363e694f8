"""The accounts list service against an independent reading of the same demo data.

Every expectation is computed here from one plain SQL read of the accounts (no service code): orders
with Python's sort, scopes and filters with Python predicates. Paging runs in both of the service's
modes — the short list sorted whole and the long list walked segment by segment in index order — by
moving ``SHORT_LIST``. Tests taking ``db`` run on SQLite and, with KAM_TEST_PG_URL, on PostgreSQL; the
rest share one SQLite demo database per module.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import event, text

from kam_console.errors import NotFound, ValidationError
from kam_console.models import ACCOUNT_LEVELS, ACCOUNT_STATUSES
from kam_console.pinyin import initials
from kam_console.services import accounts as svc
from kam_console.services.accounts import AccountQuery, count_accounts, list_accounts

TODAY = dt.date(2026, 11, 23)
MONTH = 202610  # the newest month of revenue the demo holds for TODAY
BOTH_MODES = [pytest.param(0, id="long"), pytest.param(10**9, id="short")]


@dataclass(frozen=True)
class Truth:
    """One account as read straight from the tables."""

    id: int
    customer_no: str
    name: str
    initials: str
    level: str
    status: str
    industry_code: str
    industry_name: str
    industry_order: int
    owner_id: int
    owner_code: str
    owner_name: str
    city_code: str
    city_name: str
    city_path: str
    manager_id: int | None
    manager_no: str | None
    manager_name: str | None
    revenue_fen: int


def read_truth(conn, month: int | None = MONTH) -> list[Truth]:
    rows = conn.execute(
        text(
            "SELECT a.id, a.customer_no, a.name, a.name_initials, a.level, a.status, i.code, i.name, i.sort_order, "
            "o.id, o.code, o.short_name, c.code, c.short_name, c.path, s.id, s.employee_no, s.name, "
            "COALESCE((SELECT r.revenue_fen FROM account_rollup r WHERE r.month = :m AND r.account_id = a.id), 0) "
            "FROM account a JOIN industry i ON i.id = a.industry_id JOIN org_unit o ON o.id = a.owner_unit_id "
            "JOIN org_unit c ON c.id = a.serving_city_id LEFT JOIN staff s ON s.id = a.manager_id"
        ),
        {"m": month or 0},
    )
    return [Truth(*row) for row in rows]


def sort_key(sort: str):
    """The documented order of each sort, ascending; descending is its exact reverse."""
    return {
        "customer_no": lambda t: (t.customer_no, t.id),
        "name": lambda t: (t.name, t.id),
        "level": lambda t: (ACCOUNT_LEVELS.index(t.level), t.id),
        "industry": lambda t: (t.industry_order, t.industry_code, t.id),
        "city": lambda t: (t.city_code, t.id),
        "manager": lambda t: (0, 0, t.id) if t.manager_id is None else (1, t.manager_id, t.id),
        "status": lambda t: (ACCOUNT_STATUSES.index(t.status), t.id),
        "revenue": lambda t: (t.revenue_fen, t.id),
    }[sort]


def expected_ids(truth: list[Truth], query: AccountQuery, keep=lambda t: True) -> list[int]:
    picked = sorted((t for t in truth if keep(t)), key=sort_key(query.sort), reverse=query.descending)
    return [t.id for t in picked]


def page_through(conn, query: AccountQuery, limit: int = 50):
    """All rows of the list, page by page; checks the page sizes and the last page's cursor."""
    rows, after, pages = [], None, 0
    while True:
        page = list_accounts(conn, query, after=after, limit=limit)
        pages += 1
        assert len(page.rows) <= limit
        rows += page.rows
        if page.next_cursor is None:
            return rows
        assert len(page.rows) == limit, "only the last page may be short"
        after = page.next_cursor
        assert pages < 10_000


def ids_of(rows) -> list[int]:
    return [r.id for r in rows]


def seed(database):
    from kam_console.demo import seed_demo

    seed_demo(database, scale="small", seed=5, today=TODAY)


@pytest.fixture(scope="module")
def demo(sqlite_template, tmp_path_factory):
    """One seeded SQLite demo database for the tests that do not depend on the backend."""
    import shutil

    from kam_console.db import open_database

    path = tmp_path_factory.mktemp("accounts") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    database = open_database(f"sqlite:///{path}")
    seed(database)
    yield database
    database.dispose()


@pytest.fixture
def conn(demo):
    with demo.engine.connect() as connection:
        yield connection


@pytest.fixture(scope="module")
def truth(demo) -> list[Truth]:
    with demo.engine.connect() as connection:
        return read_truth(connection)


@pytest.fixture(params=BOTH_MODES)
def mode(request, monkeypatch):
    monkeypatch.setattr(svc, "SHORT_LIST", request.param)
    return request.param


def in_subtree(code: str):
    return lambda t: f"/{code}/" in f"/{t.city_path}/"


# --- on both databases ------------------------------------------------------------------------


@pytest.mark.db
def test_every_sort_pages_through_the_country_exactly_once_in_order(db, monkeypatch):
    seed(db)
    with db.engine.begin() as conn:
        # Rollup rows of exactly zero and below zero (billing adjustments) besides accounts without a row.
        ids = conn.execute(
            text("SELECT account_id FROM account_rollup WHERE month = :m ORDER BY account_id"), {"m": MONTH}
        )
        for account_id, fen in zip(ids.scalars().all()[::400], (0, 0, -1, -250_000, -1), strict=False):
            conn.execute(
                text("UPDATE account_rollup SET revenue_fen = :f WHERE month = :m AND account_id = :a"),
                {"f": fen, "m": MONTH, "a": account_id},
            )
    with db.engine.connect() as conn:
        truth = read_truth(conn)
        assert len(truth) > 1000
        assert sum(t.revenue_fen < 0 for t in truth) >= 3 and any(t.revenue_fen == 0 for t in truth)
        for short_list in (0, 10**9):
            monkeypatch.setattr(svc, "SHORT_LIST", short_list)
            for sort in svc.SORTS:
                for descending in (False, True):
                    query = AccountQuery(sort=sort, descending=descending)
                    got = ids_of(page_through(conn, query))
                    assert len(got) == len(set(got)), (sort, descending, short_list)
                    assert got == expected_ids(truth, query), (sort, descending, short_list)
            # A province, its own accounts, and a filtered list, in a sort with segments.
            for query, keep in [
                (AccountQuery(unit="440000", sort="revenue", descending=True), in_subtree("440000")),
                (AccountQuery(unit="440000", owned_only=True, sort="city"), lambda t: t.owner_code == "440000"),
                (
                    AccountQuery(status="active", level="city", sort="industry"),
                    lambda t: (t.status, t.level) == ("active", "city"),
                ),
            ]:
                assert ids_of(page_through(conn, query)) == expected_ids(truth, query, keep)
        assert count_accounts(conn, AccountQuery()) == len(truth)


@pytest.mark.db
def test_rare_characters_are_stored_and_found(db):
    seed(db)
    name = "𠮷野家（深圳）餐饮有限公司"
    with db.engine.begin() as conn:
        sz, industry = conn.execute(
            text("SELECT (SELECT id FROM org_unit WHERE code = '440300'), (SELECT id FROM industry WHERE code = 'TRD')")
        ).one()
        conn.execute(
            text(
                "INSERT INTO account (customer_no, name, name_initials, level, industry_id, owner_unit_id, "
                "owner_level, serving_city_id, serving_level, status, created_at, updated_at, version) "
                "VALUES ('KA9999', :name, :ini, 'city', :ind, :sz, 'city', :sz, 'city', 'prospect', :t, :t, 1)"
            ),
            {"name": name, "ini": initials(name), "ind": industry, "sz": sz, "t": dt.datetime.now(dt.UTC)},
        )
    with db.engine.connect() as conn:
        for term in ("𠮷野家", "𠮷", "（深圳）餐饮", initials(name)[:4].upper(), "ka9999"):
            assert name in [r.name for r in page_through(conn, AccountQuery(search=term))], term
        row = next(r for r in list_accounts(conn, AccountQuery(unit="440300", search="𠮷")).rows)
        assert (row.customer_no, row.name, row.serving_city, row.manager, row.revenue_fen) == (
            "KA9999",
            name,
            "深圳",
            None,
            0,
        )
        # Sorting by name and paging across it keeps it exactly once.
        got = [r.name for r in page_through(conn, AccountQuery(unit="440300", sort="name"), limit=7)]
        assert got.count(name) == 1 and got == sorted(got)


@pytest.mark.db
def test_a_units_queue_is_what_it_owns_below_it_unassigned_and_not_churned(db, monkeypatch):
    """``owned_within`` + ``unassigned`` + ``exclude_churned``: the accounts owned by the unit or a unit below it
    that nobody is responsible for and that have not churned — the rule's "unassigned" conflicts, no more."""
    from kam_console.services.responsibility import manager_conflicts

    seed(db)
    with db.engine.begin() as conn:
        # Unassigned churned accounts, and accounts served in 广州 but owned above it, besides the demo's own.
        conn.execute(
            text(
                "UPDATE account SET manager_id = NULL WHERE id IN (SELECT a.id FROM account a JOIN org_unit c"
                " ON c.id = a.serving_city_id WHERE c.code = '440100' ORDER BY a.id LIMIT 40)"
            )
        )
        conn.execute(
            text(
                "DELETE FROM account_manager_history WHERE account_id IN"
                " (SELECT id FROM account WHERE manager_id IS NULL)"
            )
        )
    with db.engine.connect() as conn:
        truth = read_truth(conn)
        paths = dict(conn.execute(text("SELECT id, path FROM org_unit")).all())
        served_in_guangzhou_owned_above = [
            t for t in truth if t.city_code == "440100" and t.owner_code != "440100" and t.manager_id is None
        ]
        assert served_in_guangzhou_owned_above, "the data must hold accounts the old scope counted wrongly"
        assert any(t.status == "churned" and t.manager_id is None for t in truth)
        for short_list in (0, 10**9):
            monkeypatch.setattr(svc, "SHORT_LIST", short_list)
            for unit in ("000000", "440000", "440100", "540000"):
                path = paths[next(t.owner_id for t in truth if t.owner_code == unit)]

                def keep(t, path=path):
                    owned = paths[t.owner_id] == path or paths[t.owner_id].startswith(path + "/")
                    return owned and t.manager_id is None and t.status != "churned"

                for sort in ("customer_no", "city", "status"):
                    query = AccountQuery(unit=unit, owned_within=True, unassigned=True, exclude_churned=True, sort=sort)
                    assert ids_of(page_through(conn, query)) == expected_ids(truth, query, keep), (unit, sort)
                queue = AccountQuery(unit=unit, owned_within=True, unassigned=True, exclude_churned=True)
                conflicts = manager_conflicts(conn, unit=unit, limit=None)
                assert count_accounts(conn, queue) == sum(c.kind == "unassigned" for c in conflicts), unit
                assert set(ids_of(page_through(conn, queue))) == {
                    c.account_id for c in conflicts if c.kind == "unassigned"
                }
        # owned_within alone: everything owned in the subtree, whatever its manager or status
        query = AccountQuery(unit="440000", owned_within=True, sort="level")
        keep = lambda t: paths[t.owner_id].startswith("000000/440000")  # noqa: E731
        assert ids_of(page_through(conn, query)) == expected_ids(truth, query, keep)
        assert count_accounts(conn, AccountQuery(owned_within=True)) == len(truth)
        assert count_accounts(conn, AccountQuery(exclude_churned=True)) == sum(t.status != "churned" for t in truth)


# --- order, scope and filters (SQLite demo) ------------------------------------------------------


@pytest.mark.parametrize("unit", ["440000", "440100", "540000", "000000"])
def test_scope_is_the_accounts_served_in_the_units_area(conn, truth, mode, unit):
    for sort in ("customer_no", "name", "manager", "revenue"):
        query = AccountQuery(unit=unit, sort=sort)
        assert ids_of(page_through(conn, query)) == expected_ids(truth, query, in_subtree(unit))


@pytest.mark.parametrize("unit", ["000000", "440000", "440100"])
def test_owned_only_lists_the_accounts_the_unit_owns(conn, truth, mode, unit):
    for sort in ("customer_no", "city", "level"):
        query = AccountQuery(unit=unit, owned_only=True, sort=sort, descending=True)
        got = ids_of(page_through(conn, query))
        assert got == expected_ids(truth, query, lambda t: t.owner_code == unit)
        assert got, "the demo gives every one of these units accounts of its own"


def test_filters_match_an_independent_filter(conn, truth, mode):
    busy = max({t.manager_no for t in truth if t.manager_no}, key=lambda no: sum(t.manager_no == no for t in truth))
    cases = [
        (dict(level="national"), lambda t: t.level == "national"),
        (dict(industry="FIN"), lambda t: t.industry_code == "FIN"),
        (dict(status="prospect"), lambda t: t.status == "prospect"),
        (dict(manager=busy), lambda t: t.manager_no == busy),
        (dict(unassigned=True), lambda t: t.manager_id is None),
        (
            dict(unit="440000", level="city", status="active"),
            lambda t: in_subtree("440000")(t) and t.level == "city" and t.status == "active",
        ),
        (
            dict(unit="110000", industry="GOV", unassigned=True),
            lambda t: in_subtree("110000")(t) and t.industry_code == "GOV" and t.manager_id is None,
        ),
    ]
    for filters, keep in cases:
        for sort in ("customer_no", "level", "status", "industry", "manager"):
            query = AccountQuery(sort=sort, **filters)
            got = ids_of(page_through(conn, query))
            assert got == expected_ids(truth, query, keep), (filters, sort)
        assert count_accounts(conn, AccountQuery(**filters)) == sum(map(keep, truth)), filters
    assert sum(t.manager_id is None for t in truth) > 0, "the demo leaves some accounts unassigned"


def test_rows_carry_what_the_list_shows(conn, truth):
    by_id = {t.id: t for t in truth}
    rows = page_through(conn, AccountQuery(unit="440000"), limit=200)
    assert rows
    for row in rows:
        t = by_id[row.id]
        assert (row.customer_no, row.name, row.level, row.status) == (t.customer_no, t.name, t.level, t.status)
        assert (row.industry, row.industry_code) == (t.industry_name, t.industry_code)
        assert (row.owner_unit, row.serving_city, row.serving_city_code) == (t.owner_name, t.city_name, t.city_code)
        assert (row.manager, row.manager_no) == (t.manager_name, t.manager_no)
        assert row.revenue_fen == t.revenue_fen and isinstance(row.revenue_fen, int)


def test_revenue_of_another_month_and_of_a_month_without_data(conn, demo, mode):
    page = list_accounts(conn, AccountQuery())
    assert page.month == MONTH  # the newest month by default
    earlier = read_truth(conn, 202609)
    query = AccountQuery(sort="revenue", descending=True, month=202609)
    rows = page_through(conn, query)
    assert ids_of(rows) == expected_ids(earlier, query)
    assert {r.id: r.revenue_fen for r in rows} == {t.id: t.revenue_fen for t in earlier}
    empty = AccountQuery(sort="revenue", month=203001)
    rows = page_through(conn, empty)
    assert {r.revenue_fen for r in rows} == {0}
    assert ids_of(rows) == sorted(ids_of(rows))  # all zero: ties in id order


def test_zero_and_negative_revenue_sort_between_and_below(conn, truth, mode):
    """Accounts without a rollup row count as 0 and sit among the accounts whose revenue is 0."""
    assert any(t.revenue_fen == 0 for t in truth) and any(t.revenue_fen > 0 for t in truth)
    got = [r.revenue_fen for r in page_through(conn, AccountQuery(sort="revenue"), limit=37)]
    assert got == sorted(got)


# --- search -----------------------------------------------------------------------------------


def matches(term: str):
    low = term.lower()
    alnum = re.fullmatch(r"[0-9a-z]+", low) is not None
    return lambda t: t.customer_no.lower().startswith(low) or low in t.name.lower() or (alnum and low in t.initials)


def test_search_by_customer_number_prefix(conn, truth, mode):
    target = truth[len(truth) // 2]
    for term in (target.customer_no[:9], target.customer_no.lower()[:9], f"  {target.customer_no}  "):
        query = AccountQuery(search=term)
        got = ids_of(page_through(conn, query))
        assert target.id in got
        assert got == expected_ids(truth, query, matches(term.strip()))


def test_search_by_name_substring(conn, truth, mode):
    target = max(truth, key=lambda t: len(t.name))
    term = target.name[2:6]
    query = AccountQuery(search=term, sort="name")
    got = ids_of(page_through(conn, query))
    assert target.id in got
    assert got == expected_ids(truth, query, matches(term))


def test_search_by_pinyin_initials(conn, truth, mode):
    target = next(t for t in sorted(truth, key=lambda t: t.id) if t.name.startswith("中国") and len(t.initials) >= 7)
    for term in (target.initials[:4], target.initials[:4].upper(), target.initials[2:7]):
        query = AccountQuery(search=term)
        got = ids_of(page_through(conn, query))
        assert target.id in got, term
        assert got == expected_ids(truth, query, matches(term)), term


def test_search_without_hits_and_wildcards_typed_by_the_user(conn, mode):
    for term in ("不存在的客户名称", "%", "_", "zzzzzzzzzq"):
        page = list_accounts(conn, AccountQuery(search=term))
        assert page.rows == [] and page.next_cursor is None, term
        assert count_accounts(conn, AccountQuery(search=term)) == 0
    # An empty or blank search is no search.
    assert count_accounts(conn, AccountQuery(search="   ")) == count_accounts(conn, AccountQuery())


# --- paging edges and errors ---------------------------------------------------------------------


def test_a_list_that_fits_one_page_exactly_has_no_next_cursor(conn, truth, mode):
    query = AccountQuery(unit="540000", sort="revenue")
    n = sum(in_subtree("540000")(t) for t in truth)
    assert n > 1
    whole = list_accounts(conn, query, limit=n)
    assert len(whole.rows) == n and whole.next_cursor is None
    first = list_accounts(conn, query, limit=n - 1)
    last = list_accounts(conn, query, after=first.next_cursor, limit=n)
    assert len(last.rows) == 1 and last.next_cursor is None
    assert ids_of(first.rows) + ids_of(last.rows) == ids_of(whole.rows)


def test_errors_are_typed_and_readable(conn):
    cases = [
        (ValidationError, AccountQuery(sort="price"), "未知的排序方式"),
        (NotFound, AccountQuery(unit="999999"), "999999"),
        (NotFound, AccountQuery(industry="XXX"), "行业"),
        (NotFound, AccountQuery(manager="E-NOBODY"), "E-NOBODY"),
        (ValidationError, AccountQuery(level="galactic"), "客户级别"),
        (ValidationError, AccountQuery(status="sleeping"), "客户状态"),
        (ValidationError, AccountQuery(manager="E00000001", unassigned=True), "未分配"),
        (ValidationError, AccountQuery(owned_only=True, owned_within=True), "下级单位"),
        (ValidationError, AccountQuery(month=202613), "月份"),
    ]
    for error, query, text_part in cases:
        with pytest.raises(error) as info:
            list_accounts(conn, query)
        assert text_part in info.value.zh
    with pytest.raises(ValidationError):
        count_accounts(conn, AccountQuery(level="galactic"))
    with pytest.raises(ValidationError):
        list_accounts(conn, AccountQuery(), limit=0)
    cursor = list_accounts(conn, AccountQuery(), limit=5).next_cursor
    with pytest.raises(ValidationError, match="另一个查询"):
        list_accounts(conn, AccountQuery(sort="name"), after=cursor)


def test_an_empty_database_lists_nothing(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        for sort in svc.SORTS:
            page = list_accounts(conn, AccountQuery(sort=sort))
            assert (page.rows, page.next_cursor, page.month) == ([], None, None)
        assert count_accounts(conn, AccountQuery()) == 0


# --- the plans SQLite runs ------------------------------------------------------------------------


def capture_plans(conn, run) -> list[list[str]]:
    """EXPLAIN QUERY PLAN of every page statement ``run`` executes."""
    seen = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        if "page" in statement:
            seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(conn, "before_cursor_execute", grab)
    return [[row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p)] for s, p in seen]


@pytest.mark.parametrize("sort", svc.SORTS)
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_long_lists_seek_an_index_from_the_cursor(conn, monkeypatch, sort, descending):
    """Country-wide, every sort continues from its cursor with an index SEARCH, not a scan or a sort."""
    monkeypatch.setattr(svc, "SHORT_LIST", 0)
    query = AccountQuery(sort=sort, descending=descending)
    first = list_accounts(conn, query, limit=30)
    plans = capture_plans(conn, lambda: list_accounts(conn, query, after=first.next_cursor, limit=30))
    assert plans
    for plan in plans:
        inner = plan[: next(i for i, line in enumerate(plan) if line.startswith("SCAN page"))]
        access = [line for line in inner if line.startswith(("SEARCH", "SCAN"))]
        assert access and access[0].startswith("SEARCH"), plan
        assert "INDEX" in access[0] or "PRIMARY KEY" in access[0], plan
        assert not any(line.startswith("SCAN") for line in access), plan
        assert not any("TEMP B-TREE" in line for line in inner), plan


def test_a_province_default_sort_seeks_each_city(conn, monkeypatch):
    monkeypatch.setattr(svc, "SHORT_LIST", 0)
    query = AccountQuery(unit="440000")
    first = list_accounts(conn, query, limit=30)
    (plan,) = capture_plans(conn, lambda: list_accounts(conn, query, after=first.next_cursor, limit=30))
    assert any("ix_account_serving_city_id_customer_no (serving_city_id=? AND customer_no>?)" in line for line in plan)


def test_cursor_is_plain_data_that_replays(conn):
    query = AccountQuery(unit="440000", sort="revenue", descending=True)
    first = list_accounts(conn, query, limit=10)
    again = list_accounts(conn, query, after=first.next_cursor, limit=10)
    replay = list_accounts(conn, query, after=replace(first.next_cursor), limit=10)
    assert ids_of(again.rows) == ids_of(replay.rows)
    assert not set(ids_of(first.rows)) & set(ids_of(again.rows))
