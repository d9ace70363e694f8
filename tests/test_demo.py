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
    OPEN_REQUEST_STATES,
    REQUEST_STATES,
    Account,
    AccountContact,
    AccountFirstContact,
    AccountManagerHistory,
    AppSetting,
    Industry,
    MonthlyRevenue,
    OrgUnit,
    Product,
    RequestHop,
    RequestStage,
    RequestSubtask,
    RequestUnit,
    RevenueRollup,
    Service,
    ServiceRequest,
    SlaRule,
    Staff,
    StaffIndustry,
)
from kam_console.services.service_requests import raise_request
from kam_console.services.sla import BEIJING, as_utc, set_sla_hours

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


def _requests(conn):
    rows = conn.execute(
        select(ServiceRequest.__table__, OrgUnit.level.label("holder_level"))
        .join(OrgUnit, OrgUnit.id == ServiceRequest.holder_unit_id)
        .order_by(ServiceRequest.id)
    ).all()
    return {r.id: r for r in rows}


def test_service_requests_in_every_state_with_consistent_histories(seeded):
    db, result = seeded
    end = dt.datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=BEIJING).astimezone(dt.UTC)
    with db.engine.connect() as conn:
        requests = _requests(conn)
        hops = defaultdict(list)
        for h in conn.execute(select(RequestHop.__table__).order_by(RequestHop.request_id, RequestHop.seq)):
            hops[h.request_id].append(h)
        subtasks = defaultdict(list)
        for t in conn.execute(select(RequestSubtask.__table__).order_by(RequestSubtask.id)):
            subtasks[t.request_id].append(t)
        open_stages = defaultdict(int)
        for (request_id,) in conn.execute(select(RequestStage.request_id).where(RequestStage.ended_at.is_(None))):
            open_stages[request_id] += 1
    assert result.requests == len(requests) and 55 <= len(requests) <= 65
    by_state = defaultdict(list)
    for r in requests.values():
        by_state[r.state].append(r)
    assert set(by_state) == set(REQUEST_STATES), {k: len(v) for k, v in by_state.items()}
    # climbing at more than one level, and the history of every request in order
    assert len({r.holder_level for r in by_state["routing"]}) >= 2
    for r in requests.values():
        history = hops[r.id]
        assert [h.seq for h in history] == list(range(1, len(history) + 1)), r.number
        assert history[0].action == "raise" and history[0].from_unit_id == r.raising_unit_id
        times = [as_utc(h.at) for h in history]
        assert times == sorted(times) and as_utc(r.raised_at) == times[0] and times[-1] <= end
        assert end - times[0] < dt.timedelta(days=80)
        actions = [h.action for h in history]
        if r.state == "closed":
            assert actions[-1] == "confirm" and "resolve" in actions and "dispatch" in actions
            assert as_utc(r.closed_at) == times[-1]
        if r.state == "cancelled":
            assert actions[-1] == "cancel" and r.closed_at is not None
        if r.state in ("closed", "cancelled"):
            assert open_stages[r.id] == 0 and all(t.state != "open" for t in subtasks[r.id])
        else:
            assert r.closed_at is None and open_stages[r.id] >= 1
        if r.state in ("processing", "resolved", "closed"):
            assert subtasks[r.id], r.number
        if r.state == "processing" and r.stage == "handle" and any(t.state == "open" for t in subtasks[r.id]):
            replied = sum(t.state == "done" for t in subtasks[r.id])
            assert replied < len(subtasks[r.id])
        if r.state in ("routing", "coordinating"):
            assert not subtasks[r.id]
    all_actions = {h.action for history in hops.values() for h in history}
    assert {"return", "reassign", "comment", "urge", "escalate"} <= all_actions
    # some are late right now, and some of those have been escalated
    late = [r for r in requests.values() if r.state in OPEN_REQUEST_STATES and as_utc(r.due_at) < end]
    late_subtasks = [t for ts in subtasks.values() for t in ts if t.state == "open" and as_utc(t.due_at) < end]
    assert late or late_subtasks
    assert any(r.escalations for r in late) or any(t.escalations for t in late_subtasks)
    # processing: some with part of the replies in
    partly = [
        r
        for r in by_state["processing"]
        if any(t.state == "done" for t in subtasks[r.id]) and any(t.state == "open" for t in subtasks[r.id])
    ]
    assert partly


def test_service_requests_come_from_circuits_between_cities(seeded):
    db, _ = seeded
    with db.engine.connect() as conn:
        requests = _requests(conn)
        units = {u.id: u for u in conn.execute(select(OrgUnit.id, OrgUnit.level, OrgUnit.parent_id))}
        involved = defaultdict(list)
        for request_id, unit_id in conn.execute(select(RequestUnit.request_id, RequestUnit.unit_id)):
            involved[request_id].append(unit_id)
        raisers = {s.id: s for s in conn.execute(select(Staff.id, Staff.unit_id, Staff.position, Staff.active))}
        accounts = dict(conn.execute(select(Account.id, Account.serving_city_id)).all())
        reassigned = defaultdict(set)
        for request_id, unit_id in conn.execute(
            select(RequestHop.request_id, RequestHop.to_unit_id).where(RequestHop.action == "reassign")
        ):
            reassigned[request_id].add(unit_id)
        circuits = {
            (a, frozenset((x, z)))
            for a, x, z in conn.execute(select(Service.account_id, Service.a_city_id, Service.z_city_id))
            if x is not None
        }
    scopes = defaultdict(int)
    for r in requests.values():
        person = raisers[r.raised_by_id]
        assert person.unit_id == r.raising_unit_id == accounts[r.account_id]
        assert person.position == "customer_manager" and person.active
        assert all(units[u].level == "city" for u in involved[r.id])
        if r.type in ("new_circuit", "fault"):  # the circuit's two ends (and any unit a subtask went to)
            ends = frozenset(involved[r.id]) - reassigned[r.id]
            assert (r.account_id, ends) in circuits, r.number
        coordinator = units[r.coordinator_unit_id]
        scopes[coordinator.level] += 1
    assert scopes["province"] >= 10 and scopes["group"] >= 10 and scopes["city"] >= 1


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


def test_virtual_teams_span_many_provinces_with_ended_memberships_and_gaps(seeded):
    from kam_console.services.teams import list_teams, team_detail
    from kam_console.services.visibility import visible_count

    db, result = seeded
    with db.engine.connect() as conn:
        teams = list_teams(conn, on=TODAY)
        assert result.teams == len(teams) >= 4
        industry = [t for t in teams if t.kind == "industry"]
        national = [t for t in teams if t.kind == "account"]
        assert industry and national
        assert max(t.provinces for t in industry) >= 10 and min(t.accounts for t in industry) > 0
        assert all(t.provinces >= 3 and t.accounts >= 5 for t in national)
        ended = conn.execute(
            text("SELECT count(*) FROM virtual_team_member WHERE end_date < :d"), {"d": TODAY}
        ).scalar()
        assert ended > 0
        detail = team_detail(conn, team=national[0].code, on=TODAY)
        assert detail.gaps >= 1 and detail.activity and detail.trend[-1].figures.revenue_fen > 0
        # a city member of a national-account team sees branches outside their own region
        member = next(m for m in detail.members if m.running and m.province_code and m.unit_code != m.province_code)
        own, extra = visible_count(conn, employee_no=member.employee_no, on=TODAY)
        assert own > 0 and extra > 0


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
    assert second["service_request"] != first["service_request"] and second["request_hop"] != first["request_hop"]


def _hops(db) -> list[tuple]:
    columns = [c for c in RequestHop.__table__.c if c.name not in ("id", "seq")]
    with db.engine.connect() as conn:
        return sorted((tuple(r) for r in conn.execute(select(*columns))), key=repr)


def test_reseeding_replaces_the_requests(db):
    first = seed_demo(db, scale="small", seed=3, today=TODAY)
    before = _dump(db)
    with db.engine.connect() as conn:
        numbers = set(conn.execute(select(ServiceRequest.number)).scalars())
    hops = _hops(db)
    with db.engine.begin() as conn:  # a rule saved by a demo employee (unchanged hours) stays, without them
        editor = _one(conn, select(func.min(Staff.id)))
        now = dt.datetime.now(dt.UTC)
        set_sla_hours(conn, type_="fault", priority="urgent", stage="resolve", hours=2, by_staff_id=editor, now=now)
    again = seed_demo(db, scale="small", seed=3, today=TODAY)
    # the same rows again, ids and request numbers included, and nothing left over from the first time.
    # Hops are compared as a set: escalations found by one run are written in the order the database
    # returns them, which on PostgreSQL follows the rows' physical places, so two at the same moment may
    # swap ids and sequence numbers.
    after = _dump(db)
    assert {k: v for k, v in after.items() if k != "request_hop"} == {
        k: v for k, v in before.items() if k != "request_hop"
    }
    assert _hops(db) == hops and again.requests == first.requests
    with db.engine.connect() as conn:
        assert set(conn.execute(select(ServiceRequest.number)).scalars()) == numbers
        assert _one(conn, select(func.count()).select_from(ServiceRequest)) == first.requests
        rule = conn.execute(
            select(SlaRule.hours, SlaRule.updated_by_id).where(
                SlaRule.type == "fault", SlaRule.priority == "urgent", SlaRule.stage == "resolve"
            )
        ).one()
    assert tuple(rule) == (2, None)


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


def test_failure_while_making_requests_leaves_previous_data_and_working_ids(db, monkeypatch):
    seed_demo(db, scale="small", seed=2, today=TODAY)
    before = _dump(db)
    from kam_console.demo import requests as demo_requests

    real_act, calls = demo_requests.act, []

    def breaks_later(*args, **kwargs):
        calls.append(1)
        if len(calls) > 30:
            raise RuntimeError("boom")
        return real_act(*args, **kwargs)

    monkeypatch.setattr(demo_requests, "act", breaks_later)
    with pytest.raises(RuntimeError):
        seed_demo(db, scale="small", seed=5, today=TODAY)
    assert _dump(db) == before
    # new rows get fresh ids: the id sequences were put back past the restored rows
    with db.engine.begin() as conn:
        person, customer_no = conn.execute(
            select(Staff.employee_no, Account.customer_no)
            .join(Account, Account.serving_city_id == Staff.unit_id)
            .join(OrgUnit, OrgUnit.id == Staff.unit_id)
            .where(Staff.position == "customer_manager", Staff.active.is_(True), OrgUnit.code == "440100")
            .order_by(Staff.id, Account.id)
            .limit(1)
        ).one()
        newest = _one(conn, select(func.max(ServiceRequest.id)))
        raised = raise_request(conn, account=customer_no, type_="fault", units=["440100"], as_staff=person)
        assert raised.number.endswith(f"{newest + 1:06d}")


def test_progress_and_fresh_ids_after_seeding(db):
    calls = []
    result = seed_demo(db, scale="small", seed=1, today=TODAY, progress=lambda d, t, msg: calls.append((d, t, msg)))
    assert calls and all(t > 0 for _, t, _ in calls)
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and done[-1] == calls[-1][1]
    assert any("月收入" in msg for _, _, msg in calls) and any("服务请求" in msg for _, _, msg in calls)
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
