"""Supervising service requests: the 督办 board with a controlled clock, the urge history, and the monthly
statistics checked against hand-worked lifecycles and an independent computation from the raw rows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kam_console.errors import NotFound, ValidationError
from kam_console.models import OrgUnit, RequestStage, ServiceRequest
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.request_supervision import (
    request_statistics,
    statistics_by_child,
    supervision_board,
    urge_history,
)
from kam_console.services.service_requests import act, escalate_overdue, raise_request
from kam_console.services.sla import BEIJING
from kam_console.services.staff import StaffInput, add_staff

pytestmark = pytest.mark.db

STAFF = {
    "GZ1": ("广州经理", "440100", "customer_manager"),
    "SZ1": ("深圳经理", "440300", "customer_manager"),
    "FS1": ("佛山经理", "440600", "customer_manager"),
    "GD1": ("广东协调", "440000", "project_manager"),
    "GDH": ("广东督办", "440000", "business_manager"),
    "HZ1": ("杭州经理", "330100", "customer_manager"),
    "JT1": ("集团协调", "000000", "project_manager"),
    "JTH": ("集团督办", "000000", "business_manager"),
}


def beijing(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING).astimezone(dt.UTC)


H = dt.timedelta(hours=1)


@pytest.fixture
def ready(db):
    with db.engine.begin() as conn:
        for no, (name, unit, position) in STAFF.items():
            add_staff(conn, employee_no=no, data=StaffInput(name, unit, position))
        create_account(conn, customer_no="C1", data=AccountInput("广州某物流公司", "TRN", "city", "440100", "440100"))
        create_account(conn, customer_no="C2", data=AccountInput("深圳某银行", "FIN", "city", "440300", "440300"))
        create_account(conn, customer_no="C3", data=AccountInput("杭州某医院", "MED", "city", "330100", "330100"))
    return db


def _raise(conn, who, account, units, at, type_="fault", priority="normal"):
    return raise_request(conn, account=account, type_=type_, units=units, as_staff=who, priority=priority, now=at)


def _do(conn, number, steps):
    for action, who, at, note in steps:
        act(conn, number=number, action=action, as_staff=who, text=note, now=at)


# --- the board ---------------------------------------------------------------------------------------------

# Monday 2026-11-23 09:00 Beijing. Fault/normal: 4 h to forward or accept, 8 h to dispatch, 16 h per subtask.
T0 = beijing(2026, 11, 23, 9, 0)


@pytest.fixture
def board_requests(ready):
    with ready.engine.begin() as conn:
        a = _raise(conn, "GZ1", "C1", ["440100", "440300"], T0).number  # waits at 广东 (route, due +4 h)
        b = _raise(conn, "GZ1", "C1", ["440100", "330100"], T0).number
        _do(conn, b, [("forward", "GD1", T0 + H, None)])  # waits at the group (route, due +5 h)
        c = _raise(conn, "GZ1", "C1", ["440100", "440300"], T0, type_="new_circuit").number
        _do(conn, c, [("accept", "GD1", T0, None), ("dispatch", "GD1", T0, None)])  # 80 h per subtask
        d = _raise(conn, "GZ1", "C1", ["440100", "440300"], T0).number
        _do(
            conn,
            d,
            [("accept", "GD1", T0, None), ("dispatch", "GD1", T0, None), ("reply", "GZ1", T0 + H, "广州段正常")],
        )  # 深圳's subtask open, due +16 h
    return {"a": a, "b": b, "c": c, "d": d}


def _rows(board):
    return {(r.number, r.unit_code): r for r in board.rows}


def test_board_shows_work_due_soon_and_overdue_below_the_unit(ready, board_requests):
    n = board_requests
    with ready.engine.connect() as conn:
        early = supervision_board(conn, unit="440000", now=T0 + 3 * H)
        later = supervision_board(conn, unit="440000", now=T0 + 6 * H)
        wide = supervision_board(conn, unit="440000", now=T0 + 6 * H, soon_hours=12)
        group = supervision_board(conn, unit="000000", now=T0 + 6 * H)
        shenzhen = supervision_board(conn, unit="440300", now=T0 + 17 * H)
        guangzhou = supervision_board(conn, unit="440100", now=T0 + 17 * H)
    # 3 h in: 广东 has an hour left on a; b is at the group, c and d far from due
    assert list(_rows(early)) == [(n["a"], "440000")]
    row = early.rows[0]
    assert row.overdue_hours == -1.0 and not row.overdue and row.stage == "route" and row.stage_label == "逐级上报"
    assert (row.type_label, row.priority_label, row.account_name) == ("障碍", "普通", "广州某物流公司")
    assert row.unit_name == "广东省大客户部" and row.due_at == T0 + 4 * H
    assert (early.overdue, early.due_soon) == (0, 1)
    # 6 h in: a is 2 h overdue; 深圳's subtask on d (due +16 h) only shows with a wider window
    assert list(_rows(later)) == [(n["a"], "440000")] and later.rows[0].overdue_hours == 2.0
    assert set(_rows(wide)) == {(n["a"], "440000"), (n["d"], "440300")}
    assert _rows(wide)[(n["d"], "440300")].overdue_hours == -10.0
    assert _rows(wide)[(n["d"], "440300")].stage == "handle"
    # the group sees both provinces' late work, grouped
    assert set(_rows(group)) == {(n["a"], "440000"), (n["b"], "000000")}
    assert [(g.code, g.label, g.rows, g.overdue) for g in group.by_stage] == [("route", "逐级上报", 2, 2)]
    assert sorted((g.code, g.rows, g.overdue) for g in group.by_unit) == [("000000", 1, 1), ("440000", 1, 1)]
    assert group.rows[0].number == n["a"]  # most overdue first
    # a unit sees its own overdue work; a sibling does not
    assert list(_rows(shenzhen)) == [(n["d"], "440300")] and shenzhen.rows[0].overdue_hours == 1.0
    assert guangzhou.rows == ()


def test_board_counts_escalations_and_urges_aimed_at_the_acting_unit(ready, board_requests):
    n = board_requests
    with ready.engine.begin() as conn:
        escalate_overdue(conn, now=T0 + 6 * H)  # a: 广东 → the group
        act(conn, number=n["a"], action="urge", as_staff="JTH", text="请今日内处理", now=T0 + 6.5 * H)
        act(conn, number=n["a"], action="urge", as_staff="JT1", text="客户投诉，请加快", now=T0 + 7 * H)
        act(conn, number=n["d"], action="urge", as_staff="GDH", text="深圳请加快", now=T0 + 18 * H)
    with ready.engine.connect() as conn:
        board = supervision_board(conn, unit="000000", now=T0 + 18 * H)
    rows = _rows(board)
    a = rows[(n["a"], "440000")]
    assert a.escalations == 1 and a.urges == 2
    assert a.last_urge.unit_code == "000000" and a.last_urge.staff_name == "集团协调"
    assert a.last_urge.comment == "客户投诉，请加快" and a.last_urge.at == T0 + 7 * H
    d = rows[(n["d"], "440300")]
    assert d.urges == 1 and d.last_urge.unit_name == "广东省大客户部" and d.escalations == 0
    assert rows[(n["b"], "000000")].urges == 0 and rows[(n["b"], "000000")].last_urge is None
    # once the unit acts, the urges belonged to the stage it finished
    with ready.engine.begin() as conn:
        act(conn, number=n["a"], action="accept", as_staff="GD1", now=T0 + 19 * H)
        board = supervision_board(conn, unit="000000", now=T0 + 40 * H)
    a = _rows(board)[(n["a"], "440000")]
    assert (a.stage, a.urges, a.last_urge, a.escalations) == ("coordinate", 0, None, 0)
    assert a.overdue_hours == 40 - 19 - 8


def test_board_counts_weekday_hours_and_the_coordinator_of_a_handed_back_subtask(ready):
    friday = beijing(2026, 11, 27, 16, 0)
    monday = beijing(2026, 11, 30, 9, 0)
    with ready.engine.begin() as conn:
        late = _raise(conn, "GZ1", "C1", ["440100", "440300"], friday).number  # due Friday 20:00
        back = _raise(conn, "GZ1", "C1", ["440100", "440300"], friday - 4 * H).number
        _do(
            conn,
            back,
            [
                ("accept", "GD1", friday - 4 * H, None),
                ("dispatch", "GD1", friday - 4 * H, None),
                ("reply", "GZ1", friday - 3 * H, "广州段正常"),
                ("return", "SZ1", friday - 2 * H, "不在深圳"),  # nothing open: 广东 must reassign
            ],
        )
        board = supervision_board(conn, unit="440000", now=monday, soon_hours=0)
    rows = _rows(board)
    assert rows[(late, "440000")].overdue_hours == 13.0  # 20:00–24:00 Friday and 00:00–09:00 Monday
    handed_back = rows[(back, "440000")]
    assert handed_back.stage == "handle" and handed_back.due_at == friday - 4 * H + 16 * H + 48 * H
    assert (back, "440300") not in rows
    # due at midnight going into Saturday: past due on Saturday, though no weekday hour has passed
    with ready.engine.begin() as conn:
        midnight = _raise(conn, "GZ1", "C1", ["440100", "440300"], friday + 4 * H).number
        saturday = supervision_board(conn, unit="440000", now=friday + 20 * H, soon_hours=0)
    row = _rows(saturday)[(midnight, "440000")]
    assert row.due_at == friday + 8 * H and row.overdue and row.overdue_hours == 0


def test_board_of_an_unknown_unit_is_refused(ready):
    with ready.engine.connect() as conn:
        with pytest.raises(NotFound):
            supervision_board(conn, unit="999999", now=T0)
        with pytest.raises(ValidationError):
            supervision_board(conn, unit="440000", now=T0, soon_hours=-1)


def test_urge_history(ready, board_requests):
    n = board_requests
    with ready.engine.begin() as conn:
        assert urge_history(conn, number=n["d"]) == []
        act(conn, number=n["d"], action="urge", as_staff="GDH", text="深圳请加快", now=T0 + 18 * H)
        c = n["c"]  # two open subtasks: one urge of the group reaches both units
        act(conn, number=c, action="urge", as_staff="JT1", now=T0 + 20 * H)
        act(conn, number=n["d"], action="urge", as_staff="JTH", text="集团督办", now=T0 + 21 * H)
        d_history = urge_history(conn, number=n["d"])
        c_history = urge_history(conn, number=c)
        with pytest.raises(NotFound):
            urge_history(conn, number="SR000")
    assert [(u.at, u.unit_code, u.staff_no, u.staff_name, u.target_code, u.comment) for u in d_history] == [
        (T0 + 18 * H, "440000", "GDH", "广东督办", "440300", "深圳请加快"),
        (T0 + 21 * H, "000000", "JTH", "集团督办", "440300", "集团督办"),
    ]
    assert d_history[0].unit_name == "广东省大客户部" and d_history[0].target_name == "深圳市大客户部"
    assert sorted(u.target_code for u in c_history) == ["440100", "440300"]
    assert {u.comment for u in c_history} == {"请尽快处理"}


# --- statistics --------------------------------------------------------------------------------------------

N0 = beijing(2026, 11, 2, 9, 0)  # a Monday


@pytest.fixture
def lifecycles(ready):
    """Requests with hand-worked stage times (fault/normal: route 4, coordinate 8, handle 16, resolve 8,
    confirm 16 weekday hours)."""
    with ready.engine.begin() as conn:
        r1 = _raise(conn, "GZ1", "C1", ["440100"], N0).number  # the city handles it: every stage on time
        _do(
            conn,
            r1,
            [
                ("accept", "GZ1", N0 + H, None),  # route 1 h
                ("dispatch", "GZ1", N0 + 2 * H, None),  # coordinate 1 h
                ("reply", "GZ1", N0 + 5 * H, "已修复"),  # handle 3 h
                ("resolve", "GZ1", N0 + 6 * H, "已解决"),  # resolve 1 h
                ("confirm", "GZ1", N0 + 8 * H, None),  # confirm 2 h
            ],
        )
        r2 = _raise(conn, "GZ1", "C1", ["440100", "440300"], N0).number  # 广东 accepts late: closed late
        _do(
            conn,
            r2,
            [
                ("accept", "GD1", N0 + 6 * H, None),  # route 6 h: late
                ("dispatch", "GD1", N0 + 7 * H, None),  # coordinate 1 h
                ("reply", "GZ1", N0 + 8 * H, "广州段正常"),  # handle 1 h
                ("reply", "SZ1", N0 + 10 * H, "深圳段已修复"),  # handle 3 h
                ("resolve", "GD1", N0 + 11 * H, "已修复"),  # resolve 1 h
                ("confirm", "GZ1", N0 + 12 * H, None),  # confirm 1 h
            ],
        )
        r3 = _raise(conn, "SZ1", "C2", ["440300"], N0).number
        _do(conn, r3, [("cancel", "SZ1", N0 + 2 * H, "客户撤回")])  # its route stage is cut short
        r4 = _raise(conn, "GZ1", "C1", ["440100", "440300"], N0, type_="change").number
        _do(conn, r4, [("accept", "GD1", N0 + H, None)])  # route 1 h; then waits to be dispatched
        r5 = _raise(conn, "HZ1", "C3", ["330100"], N0).number  # another province
        _do(
            conn,
            r5,
            [
                ("accept", "HZ1", N0 + H, None),
                ("dispatch", "HZ1", N0 + 2 * H, None),
                ("reply", "HZ1", N0 + 3 * H, "已修复"),
                ("resolve", "HZ1", N0 + 4 * H, "已解决"),
                ("confirm", "HZ1", N0 + 5 * H, None),
            ],
        )
        october = beijing(2026, 10, 30, 10, 0)  # a Friday: the handling runs over the weekend
        r6 = _raise(conn, "GZ1", "C1", ["440100"], october).number
        _do(
            conn,
            r6,
            [
                ("accept", "GZ1", october + H, None),
                ("dispatch", "GZ1", october + 2 * H, None),
                ("reply", "GZ1", beijing(2026, 11, 2, 10, 0), "已修复"),  # 12 h Friday + 10 h Monday: late
                ("resolve", "GZ1", beijing(2026, 11, 2, 11, 0), "已解决"),
                ("confirm", "GZ1", beijing(2026, 11, 2, 12, 0), None),
            ],
        )
        # either side of the month's end in Beijing time (both on 30 November in UTC)
        r7 = _raise(conn, "GZ1", "C1", ["440100"], beijing(2026, 11, 30, 20, 0)).number
        r8 = _raise(conn, "GZ1", "C1", ["440100"], beijing(2026, 12, 1, 7, 0)).number
    return [r1, r2, r3, r4, r5, r6, r7, r8]


def _stages(stats):
    return {s.stage: (s.count, s.avg_hours, s.on_time, s.on_time_pct) for s in stats.stages}


def test_statistics_of_a_province_for_a_month(ready, lifecycles):
    with ready.engine.connect() as conn:
        nov = request_statistics(conn, unit="440000", month=202611)
        octo = request_statistics(conn, unit="440000", month=202610)
        dec = request_statistics(conn, unit="440000", month=202612)
    # raised: r1 r2 r3 r4 r7; closed: r1 (on time) r2 (late) r6 (late); cancelled: r3; open at the end: r4 r7
    assert (nov.unit_code, nov.unit_name, nov.month) == ("440000", "广东省大客户部", 202611)
    assert (nov.raised, nov.closed, nov.cancelled, nov.open_at_month_end) == (5, 3, 1, 2)
    assert (nov.closed_on_time, nov.on_time_pct) == (1, 33.3)
    stages = _stages(nov)
    assert stages["route"] == (3, 2.7, 2, 66.7)  # r1 1 h, r2 6 h (late), r4 1 h; r3's cancelled stage left out
    assert stages["coordinate"] == (2, 1.0, 2, 100.0)
    count, avg, on_time, pct = stages["handle"]  # r1 3 h, r2 1 h and 3 h, r6 22 h (late)
    assert (count, on_time, pct) == (4, 3, 75.0) and avg == pytest.approx(29 / 4, abs=0.051)
    assert stages["resolve"] == (3, 1.0, 3, 100.0)
    assert stages["confirm"] == (3, 1.3, 3, 100.0)  # 2 h, 1 h, 1 h
    assert list(stages) == ["route", "coordinate", "handle", "resolve", "confirm"]
    # October: r6 raised and still open at the end; its route and coordinate stages ended then
    assert (octo.raised, octo.closed, octo.cancelled, octo.open_at_month_end, octo.on_time_pct) == (1, 0, 0, 1, None)
    assert _stages(octo) == {"route": (1, 1.0, 1, 100.0), "coordinate": (1, 1.0, 1, 100.0)}
    assert (dec.raised, dec.open_at_month_end) == (1, 3)  # r8, and r4 r7 r8


def test_statistics_equal_an_independent_computation(ready, lifecycles):
    with ready.engine.connect() as conn:
        for unit in ("000000", "440000", "440100", "440300", "330000", "110000"):
            for month in (202610, 202611, 202612):
                got = request_statistics(conn, unit=unit, month=month)
                expected = _independent(conn, unit, month)
                assert (
                    got.raised,
                    got.closed,
                    got.cancelled,
                    got.open_at_month_end,
                    got.closed_on_time,
                    {s.stage: (s.count, s.on_time) for s in got.stages},
                ) == expected, (unit, month)


def _independent(conn, unit: str, month: int):
    """The definitions, applied row by row in Python to everything in the tables."""
    year, mon = divmod(month, 100)
    start = dt.datetime(year, mon, 1, tzinfo=BEIJING)
    end = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=BEIJING)

    def utc(value):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value

    path = conn.execute(select(OrgUnit.path).where(OrgUnit.code == unit)).scalar()
    requests = {
        r.id: r
        for r in conn.execute(
            select(
                ServiceRequest.id,
                ServiceRequest.state,
                ServiceRequest.raised_at,
                ServiceRequest.closed_at,
                OrgUnit.path,
            ).join(OrgUnit, OrgUnit.id == ServiceRequest.raising_unit_id)
        )
        if r.path == path or r.path.startswith(path + "/")
    }
    stages = [s for s in conn.execute(select(RequestStage.__table__)) if s.request_id in requests]
    late = {s.request_id for s in stages if s.ended_at is None or utc(s.ended_at) > utc(s.due_at)}
    raised = closed = cancelled = still_open = on_time = 0
    for r in requests.values():
        closed_at = utc(r.closed_at) if r.closed_at is not None else None
        raised += start <= utc(r.raised_at) < end
        ended_in_month = closed_at is not None and start <= closed_at < end
        closed += r.state == "closed" and ended_in_month
        cancelled += r.state == "cancelled" and ended_in_month
        still_open += utc(r.raised_at) < end and (closed_at is None or closed_at >= end)
        on_time += r.state == "closed" and ended_in_month and r.id not in late
    by_stage: dict[str, list[int]] = {}
    for s in stages:
        r = requests[s.request_id]
        if s.ended_at is None or not start <= utc(s.ended_at) < end:
            continue
        if r.state == "cancelled" and utc(s.ended_at) >= utc(r.closed_at):
            continue
        entry = by_stage.setdefault(s.stage, [0, 0])
        entry[0] += 1
        entry[1] += utc(s.ended_at) <= utc(s.due_at)
    return raised, closed, cancelled, still_open, on_time, {k: tuple(v) for k, v in by_stage.items()}


def test_statistics_by_child_add_up(ready, lifecycles):
    with ready.engine.connect() as conn:
        cities = statistics_by_child(conn, unit="440000", month=202611)
        province = request_statistics(conn, unit="440000", month=202611)
        guangzhou = request_statistics(conn, unit="440100", month=202611)
        provinces = statistics_by_child(conn, unit="000000", month=202611)
        group = request_statistics(conn, unit="000000", month=202611)
        zhejiang = request_statistics(conn, unit="330000", month=202611)
        city_children = statistics_by_child(conn, unit="440100", month=202611)
    assert len(cities) == 21 and [c.unit_code for c in cities] == sorted(c.unit_code for c in cities)
    assert all(c.unit_code.startswith("44") for c in cities)
    by_code = {c.unit_code: c for c in cities}
    assert by_code["440100"] == guangzhou
    assert (by_code["440300"].raised, by_code["440300"].cancelled) == (1, 1)
    assert by_code["440600"].raised == 0 and by_code["440600"].stages == () and by_code["440600"].on_time_pct is None
    for field in ("raised", "closed", "cancelled", "open_at_month_end", "closed_on_time"):
        assert sum(getattr(c, field) for c in cities) == getattr(province, field), field
        assert sum(getattr(p, field) for p in provinces) == getattr(group, field), field
    for stage in ("route", "handle"):
        assert sum(_stages(c).get(stage, (0,))[0] for c in cities) == _stages(province)[stage][0]
    assert len(provinces) == 31
    assert {p.unit_code: p for p in provinces}["440000"] == province
    assert {p.unit_code: p for p in provinces}["330000"] == zhejiang
    assert city_children == []


def test_statistics_refuse_bad_months_and_units(ready):
    with ready.engine.connect() as conn:
        with pytest.raises(ValidationError):
            request_statistics(conn, unit="440000", month=202613)
        with pytest.raises(ValidationError):
            statistics_by_child(conn, unit="440000", month=2026)
        with pytest.raises(NotFound):
            request_statistics(conn, unit="999999", month=202611)
        empty = request_statistics(conn, unit="440000", month=202611)
    assert (empty.raised, empty.closed, empty.on_time_pct, empty.stages) == (0, 0, None, ())
