"""The demo data set: shape (staff in every unit, owners, branches, circuits, 24 months), determinism,
rollups, the refusal to overwrite real data, progress and the `kam demo seed` command."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from kam_console.cli import main
from kam_console.db import open_database
from kam_console.demo import BUSINESS_TABLES, DEMO_SETTING_KEY, SeedResult, demo_setting, seed_demo
from kam_console.errors import RealDataPresent, ValidationError
from kam_console.models import (
    ALL_PRODUCTS,
    Account,
    AccountContact,
    AccountFirstContact,
    AccountManagerHistory,
    AppSetting,
    Industry,
    MonthlyRevenue,
    OrgUnit,
    Product,
    RevenueRollup,
    Service,
    Staff,
    StaffIndustry,
)

pytestmark = pytest.mark.db

TODAY = dt.date(2026, 11, 23)
FOUR_POSITIONS = {"market_manager", "customer_manager", "project_manager", "business_manager"}
BACKENDS = ["sqlite", "postgresql"] if os.environ.get("KAM_TEST_PG_URL") else ["sqlite"]


# --- one seeded small database per backend, shared by the read-only tests -------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("seeded") / "demo.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("pg_server")
        name = server.create("kam_demo", template=request.getfixturevalue("pg_template"))
        request.addfinalizer(lambda: server.drop(name))
        url = server.url_for(name)
    db = open_database(url)
    result = seed_demo(db, scale="small", seed=7, today=TODAY)
    yield db, result
    db.dispose()


def _one(conn, query):
    return conn.execute(query).scalar_one()


def test_counts_are_roughly_as_specified(seeded):
    db, result = seeded
    assert isinstance(result, SeedResult)
    with db.engine.connect() as conn:
        counts = {t.name: _one(conn, select(func.count()).select_from(t)) for t in BUSINESS_TABLES}
    assert counts["account"] == result.accounts and 1800 <= result.accounts <= 2200
    assert counts["staff"] == result.staff and result.staff >= 369 * 5
    assert counts["service"] == result.services and 1.5 * result.accounts <= result.services <= 2.8 * result.accounts
    assert counts["monthly_revenue"] == result.revenue_rows > 20 * result.accounts
    rollups = counts["revenue_rollup"] + counts["account_rollup"] + counts["province_rollup"]
    assert rollups == result.rollup_rows > 0
    assert counts["account_contact"] == result.contacts >= result.accounts
    assert result.seconds > 0


def test_every_unit_has_a_head_and_the_four_positions(seeded):
    db, _ = seeded
    with db.engine.connect() as conn:
        units = conn.execute(
            select(OrgUnit.id, OrgUnit.level, OrgUnit.parent_id).where(OrgUnit.level.in_(("group", "province", "city")))
        ).all()
        staff = conn.execute(
            select(
                Staff.id,
                Staff.unit_id,
                Staff.position,
                Staff.line_manager_id,
                Staff.active,
                Staff.employee_no,
                Staff.name,
            )
        ).all()
        specialities = defaultdict(set)
        for staff_id, industry_id in conn.execute(select(StaffIndustry.staff_id, StaffIndustry.industry_id)):
            specialities[staff_id].add(industry_id)
    assert len(units) == 1 + 31 + 337
    positions = defaultdict(list)
    heads = {}
    for s in staff:
        positions[s.unit_id].append(s.position)
        if s.position == "head":
            heads[s.unit_id] = s.id
    for unit in units:
        have = positions[unit.id]
        assert FOUR_POSITIONS <= set(have), unit
        assert have.count("head") == 1, unit
        if unit.level in ("group", "province"):
            assert "analyst" in have, unit
    by_id = {u.id: u for u in units}
    for s in staff:
        assert re.fullmatch(r"E\d{8}", s.employee_no)
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", s.name), s.name
        if s.position == "head":
            parent = by_id[s.unit_id].parent_id
            assert s.line_manager_id == (heads[parent] if parent else None)
        else:
            assert s.line_manager_id == heads[s.unit_id]
        if s.position == "customer_manager":
            assert 1 <= len(specialities[s.id]) <= 3
    # Bigger cities get more customer managers.
    with db.engine.connect() as conn:
        cms = dict(
            conn.execute(
                select(OrgUnit.code, func.count(Staff.id))
                .join(Staff, Staff.unit_id == OrgUnit.id)
                .where(Staff.position == "customer_manager", Staff.active.is_(True))
                .group_by(OrgUnit.code)
            ).all()
        )
    assert cms["110100"] > cms["542500"]  # 北京 vs 阿里地区


def test_owner_units_follow_the_account_level(seeded):
    db, _ = seeded
    with db.engine.connect() as conn:
        units = {u.id: u for u in conn.execute(select(OrgUnit.id, OrgUnit.level, OrgUnit.parent_id))}
        accounts = conn.execute(
            select(
                Account.id,
                Account.level,
                Account.owner_unit_id,
                Account.owner_level,
                Account.serving_city_id,
                Account.serving_level,
                Account.parent_id,
                Account.manager_id,
                Account.status,
                Account.name,
                Account.name_initials,
                Account.customer_no,
            )
        ).all()
        manager_unit = dict(conn.execute(select(Staff.id, Staff.unit_id)).all())
        first_contacts = dict(conn.execute(select(AccountFirstContact.account_id, AccountFirstContact.staff_id)).all())
    by_id = {a.id: a for a in accounts}
    statuses = defaultdict(int)
    unassigned = 0
    for a in accounts:
        statuses[a.status] += 1
        assert a.serving_level == "city" and units[a.serving_city_id].level == "city"
        assert units[a.owner_unit_id].level == a.owner_level
        if a.level == "national":
            assert a.owner_level == "group"
        elif a.level == "provincial":
            assert a.owner_level == "province" and a.owner_unit_id == units[a.serving_city_id].parent_id
        else:
            assert a.owner_level == "city" and a.owner_unit_id == a.serving_city_id
        if a.manager_id is None:
            unassigned += 1
        else:
            assert manager_unit[a.manager_id] == a.owner_unit_id  # responsible-manager rule
        if a.parent_id is not None:
            head = by_id[a.parent_id]
            assert a.level == head.level == "national" and head.parent_id is None
            assert a.manager_id == head.manager_id
            assert manager_unit[first_contacts[a.id]] == a.serving_city_id
        assert a.name_initials and re.fullmatch(r"[a-z0-9]+", a.name_initials), a.name
    assert statuses["active"] > 0.7 * len(accounts)
    assert all(statuses[s] > 0 for s in ("prospect", "dormant", "churned"))
    assert 0 < unassigned < 0.1 * len(accounts)
    assert len({a.name for a in accounts}) > 0.98 * len(accounts)
    assert len({a.customer_no for a in accounts}) == len(accounts)


def test_national_accounts_have_branches_in_five_or_more_provinces(seeded):
    db, _ = seeded
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(Account.parent_id, OrgUnit.parent_id)
            .join(OrgUnit, OrgUnit.id == Account.serving_city_id)
            .where(Account.parent_id.is_not(None))
        ).all()
        heads = conn.execute(
            select(Account.id, Account.name).where(Account.level == "national", Account.parent_id.is_(None))
        ).all()
    provinces = defaultdict(set)
    for head_id, province_id in rows:
        provinces[head_id].add(province_id)
    assert len(heads) >= 8
    for head in heads:
        assert len(provinces[head.id]) >= 5, head.name


def test_circuits_span_cities_and_provinces(seeded):
    db, _ = seeded
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.code, s.bandwidth, s.a_city_id, s.z_city_id, a.parent_id, z.parent_id, s.lines, s.status,"
                " s.start_date, s.end_date FROM service s JOIN product p ON p.id = s.product_id"
                " LEFT JOIN org_unit a ON a.id = s.a_city_id LEFT JOIN org_unit z ON z.id = s.z_city_id"
            )
        ).all()
        service_nos = conn.execute(select(func.count(func.distinct(Service.service_no)))).scalar_one()
    assert service_nos == len(rows)
    kinds = defaultdict(int)
    for code, bandwidth, a_city, z_city, a_prov, z_prov, lines, status, start, end in rows:
        assert lines >= 0
        if end is not None:
            assert end >= start
        if code in ("DC", "NEL"):
            assert a_city is not None and z_city is not None and bandwidth
            kinds["same city" if a_city == z_city else "same province" if a_prov == z_prov else "cross"] += 1
            if code == "DC":
                assert bandwidth in ("2M", "10M", "34M", "155M", "622M", "2.5G")
        kinds[status] += 1
    assert (
        kinds["same city"] > 0
        and kinds["same province"] > 0
        and kinds["cross"] >= 0.1 * sum(kinds[k] for k in ("same city", "same province", "cross"))
    )
    assert kinds["terminated"] > 0 and kinds["active"] > kinds["terminated"]


def test_revenue_covers_the_24_months_before_today(seeded):
    db, _ = seeded
    with db.engine.connect() as conn:
        months = conn.execute(select(MonthlyRevenue.month).distinct().order_by(MonthlyRevenue.month)).scalars().all()
        negative = _one(conn, select(func.count()).where(MonthlyRevenue.revenue_fen < 0))
        bad_lines = _one(conn, select(func.count()).where(MonthlyRevenue.billed_lines < 0))
        mismatched_city = _one(
            conn,
            select(func.count())
            .select_from(MonthlyRevenue)
            .join(Account, Account.id == MonthlyRevenue.account_id)
            .where(Account.serving_city_id != MonthlyRevenue.serving_city_id),
        )
        by_month = dict(
            conn.execute(
                select(MonthlyRevenue.month, func.sum(MonthlyRevenue.revenue_fen)).group_by(MonthlyRevenue.month)
            ).all()
        )
        sample = conn.execute(select(MonthlyRevenue.revenue_fen).limit(50)).scalars().all()
        national, city = (
            _one(
                conn,
                select(func.sum(MonthlyRevenue.revenue_fen) / func.count(func.distinct(Account.id)))
                .join(Account, Account.id == MonthlyRevenue.account_id)
                .where(Account.level == level),
            )
            for level in ("national", "city")
        )
    assert len(months) == 24 and months[0] == 202411 and months[-1] == 202610
    assert negative > 0 and bad_lines == 0 and mismatched_city == 0
    assert all(type(v) is int for v in sample)
    # Spring Festival dip and year-end peak.
    assert by_month[202602] < by_month[202601] and by_month[202512] > by_month[202511]
    assert national > 3 * city


def test_rollups_equal_an_independent_aggregate(seeded):
    db, _ = seeded
    with db.engine.connect() as conn:
        level_industry = {
            r[0]: (r[1], r[2]) for r in conn.execute(select(Account.id, Account.industry_id, Account.level))
        }
        cells: dict[tuple, list] = defaultdict(lambda: [0, 0, defaultdict(int)])
        for month, account, product, city, revenue, lines in conn.execute(
            select(
                MonthlyRevenue.month,
                MonthlyRevenue.account_id,
                MonthlyRevenue.product_id,
                MonthlyRevenue.serving_city_id,
                MonthlyRevenue.revenue_fen,
                MonthlyRevenue.billed_lines,
            )
        ):
            industry, level = level_industry[account]
            for p in (product, ALL_PRODUCTS):
                cell = cells[(p, month, city, industry, level)]
                cell[0] += revenue
                cell[1] += lines
                cell[2][account] += revenue
        expected = {k: (v[0], v[1], sum(1 for x in v[2].values() if x > 0)) for k, v in cells.items()}
        got = {
            (r[0], r[1], r[2], r[3], r[4]): (r[5], r[6], r[7]) for r in conn.execute(select(*RevenueRollup.__table__.c))
        }
    assert got == expected


def test_bulk_rows_read_back_through_the_orm(seeded):
    db, _ = seeded
    with db.session() as s:
        account = s.scalars(select(Account).where(Account.parent_id.is_not(None)).order_by(Account.id)).first()
        assert isinstance(account.created_at, dt.datetime) and account.parent.level == "national"
        assert account.industry.code and account.serving_city.level == "city"
        assert account.contacts and any(c.is_primary for c in account.contacts)
        history = s.scalars(select(AccountManagerHistory).where(AccountManagerHistory.valid_to.is_(None))).first()
        assert isinstance(history.valid_from, dt.date)
        assert s.scalar(select(func.count()).where(AccountManagerHistory.valid_to.is_not(None))) > 0
        service = s.scalars(select(Service).where(Service.end_date.is_not(None))).first()
        assert isinstance(service.end_date, dt.date) and service.end_date >= service.start_date
        assert s.get(AppSetting, DEMO_SETTING_KEY) is not None
    with db.engine.connect() as conn:
        assert demo_setting(conn)["scale"] == "small" and demo_setting(conn)["seed"] == 7
        if db.is_sqlite:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []


# --- tests that write ------------------------------------------------------------------------------


def _dump(db) -> dict[str, str]:
    """A digest of every business table's rows in primary-key order."""
    digests = {}
    with db.engine.connect() as conn:
        for table in BUSINESS_TABLES:
            order = list(table.primary_key.columns)
            h = hashlib.sha256()
            for row in conn.execute(select(table).order_by(*order)):
                h.update(repr(tuple(row)).encode())
            digests[table.name] = h.hexdigest()
    return digests


@pytest.fixture
def other_db(db_url, request):
    """A second fresh database on the same backend as ``db``."""
    if db_url.startswith("sqlite"):
        path = request.getfixturevalue("tmp_path") / "other.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("pg_server")
        name = server.create("kam_t2", template=request.getfixturevalue("pg_template"))
        request.addfinalizer(lambda: server.drop(name))
        url = server.url_for(name)
    database = open_database(url)
    yield database
    database.dispose()


def test_same_seed_gives_identical_data_and_another_seed_differs(db, other_db):
    seed_demo(db, scale="small", seed=3, today=TODAY)
    seed_demo(other_db, scale="small", seed=3, today=TODAY)
    first = _dump(db)
    assert _dump(other_db) == first
    seed_demo(other_db, scale="small", seed=4, today=TODAY)  # demo over demo: no force needed
    second = _dump(other_db)
    assert second["account"] != first["account"] and second["monthly_revenue"] != first["monthly_revenue"]


def test_data_does_not_depend_on_the_hash_seed(seeded, sqlite_template, tmp_path):
    """Another process with another str-hash seed writes the very same rows (no set or hash order)."""
    db, _ = seeded
    if not db.is_sqlite:
        pytest.skip("one backend is enough to show this")
    path = tmp_path / "other-process.sqlite3"
    shutil.copyfile(sqlite_template, path)
    script = (
        "import datetime as dt, json, sys\n"
        "from kam_console.db import open_database\n"
        "from kam_console.demo import seed_demo\n"
        "from test_demo import _dump\n"
        "db = open_database(sys.argv[1])\n"
        f"seed_demo(db, scale='small', seed=7, today=dt.date.fromisoformat('{TODAY.isoformat()}'))\n"
        "print(json.dumps(_dump(db)))\n"
    )
    tests_dir = Path(__file__).resolve().parent
    env = {
        **os.environ,
        "PYTHONHASHSEED": "12345",
        "PYTHONPATH": os.pathsep.join([str(tests_dir.parent), str(tests_dir)]),
    }
    out = subprocess.run(
        [sys.executable, "-c", script, f"sqlite:///{path}"], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == _dump(db)


def _add_real_data(db) -> None:
    with db.session() as s:
        city = s.scalars(select(OrgUnit).where(OrgUnit.code == "440100")).one()
        person = Staff(employee_no="R0001", name="真实员工", unit_id=city.id, position="customer_manager")
        s.add(person)
        s.flush()
        industry = s.scalars(select(Industry).where(Industry.code == "FIN")).one()
        s.add(
            Account(
                customer_no="REAL-1",
                name="真实客户有限公司",
                level="city",
                industry_id=industry.id,
                owner_unit_id=city.id,
                owner_level="city",
                serving_city_id=city.id,
                manager_id=person.id,
            )
        )


def test_refuses_to_overwrite_real_data_then_force_replaces_it(db):
    _add_real_data(db)
    before = _dump(db)
    with pytest.raises(RealDataPresent) as excinfo:
        seed_demo(db, scale="small", seed=1, today=TODAY)
    assert "真实业务数据" in str(excinfo.value) and "1 个客户" in str(excinfo.value) and "--force" in str(excinfo.value)
    assert _dump(db) == before
    with db.engine.connect() as conn:
        assert demo_setting(conn) is None

    result = seed_demo(db, scale="small", seed=1, today=TODAY, force=True)
    with db.engine.connect() as conn:
        assert _one(conn, select(func.count()).where(Account.customer_no == "REAL-1")) == 0
        assert _one(conn, select(func.count()).where(Staff.employee_no == "R0001")) == 0
        assert _one(conn, select(func.count()).select_from(Account)) == result.accounts
        assert demo_setting(conn)["seed"] == 1
        # The reference data is untouched.
        assert _one(conn, select(func.count()).select_from(OrgUnit)) == 1 + 31 + 337
        assert _one(conn, select(func.count()).select_from(Product)) >= 8


def test_failure_leaves_previous_demo_data_intact(db, monkeypatch):
    seed_demo(db, scale="small", seed=2, today=TODAY)
    before = _dump(db)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("kam_console.demo.rebuild_rollups", broken)
    with pytest.raises(RuntimeError):
        seed_demo(db, scale="small", seed=5, today=TODAY)
    assert _dump(db) == before


def test_progress_and_fresh_ids_after_seeding(db):
    calls = []
    result = seed_demo(db, scale="small", seed=1, today=TODAY, progress=lambda d, t, msg: calls.append((d, t, msg)))
    assert calls and all(t > 0 for _, t, _ in calls)
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and done[-1] == calls[-1][1]
    assert any("月收入" in msg for _, _, msg in calls)
    assert all(re.search(r"[\u4e00-\u9fff]", msg) for _, _, msg in calls)
    # Rows added afterwards (through the ORM) get ids past the demo's explicit ones.
    with db.session() as s:
        unit = s.scalars(select(OrgUnit).where(OrgUnit.code == "440100")).one()
        person = Staff(employee_no="NEW-1", name="新员工", unit_id=unit.id, position="analyst")
        s.add(person)
        s.flush()
        assert person.id == result.staff + 1
        contact = AccountContact(account_id=1, name="新联系人")
        s.add(contact)
        s.flush()
        assert contact.id == result.contacts + 1


def test_unknown_scale_is_refused(db):
    with pytest.raises(ValidationError):
        seed_demo(db, scale="huge")


def test_cli_seeds_and_refuses_real_data(db_url, capsys):
    assert main(["--db", db_url, "demo", "seed", "--scale", "small", "--seed", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "演示数据已生成" in out and "2000 个客户" in out

    database = open_database(db_url)
    try:
        with database.engine.begin() as conn:
            conn.execute(AppSetting.__table__.delete())  # now it looks like real data
    finally:
        database.dispose()
    assert main(["--db", db_url, "demo", "seed", "--scale", "small", "--quiet"]) != 0
    err = capsys.readouterr().err
    assert "真实业务数据" in err and "--force" in err
    assert main(["--db", db_url, "demo", "seed", "--scale", "small", "--quiet", "--force"]) == 0
