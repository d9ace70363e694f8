"""Cross-region service requests: the routing rule, the whole workflow, refusals that write nothing,
concurrent actions, SLA deadlines on weekday hours and overdue escalation with a controlled clock."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from sqlalchemy import create_engine, text

from kam_console.errors import NotFound, ValidationError
from kam_console.refdata import regions
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.service_requests import (
    RequestChanged,
    RequestNotAllowed,
    act,
    escalate_overdue,
    plan_route,
    raise_request,
)
from kam_console.services.sla import BEIJING, add_working_hours, working_hours_between
from kam_console.services.staff import StaffInput, add_staff

# Monday 2026-11-23 09:00 Beijing time
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING).astimezone(dt.UTC)
STAFF = {
    "GZ1": ("广州经理", "440100"),
    "SZ1": ("深圳经理", "440300"),
    "GD1": ("广东协调", "440000"),
    "HZ1": ("杭州经理", "330100"),
    "ZJ1": ("浙江协调", "330000"),
    "JT1": ("集团协调", "000000"),
}


@pytest.fixture
def ready(db):
    with db.engine.begin() as conn:
        for no, (name, unit) in STAFF.items():
            add_staff(conn, employee_no=no, data=StaffInput(name, unit, "customer_manager"))
        create_account(conn, customer_no="C1", data=AccountInput("广州某物流公司", "TRN", "city", "440100", "440100"))
    return db


def hops(conn, number):
    return [
        tuple(r)
        for r in conn.execute(
            text(
                "SELECT h.seq, h.action, f.code, t.code FROM request_hop h"
                " JOIN service_request r ON r.id = h.request_id"
                " JOIN org_unit f ON f.id = h.from_unit_id LEFT JOIN org_unit t ON t.id = h.to_unit_id"
                " WHERE r.number = :n ORDER BY h.seq"
            ),
            {"n": number},
        )
    ]


def state(conn, number):
    return tuple(
        conn.execute(
            text(
                "SELECT r.state, u.code, r.stage FROM service_request r JOIN org_unit u ON u.id = r.holder_unit_id"
                " WHERE r.number = :n"
            ),
            {"n": number},
        ).one()
    )


def snapshot(conn):
    return [
        conn.execute(text(f"SELECT * FROM {t} ORDER BY 1")).all()
        for t in ("service_request", "request_hop", "request_subtask", "request_stage", "request_unit")
    ]


# --- routing -------------------------------------------------------------------------------------------


def test_routing_rule_examples(ready):
    with ready.engine.connect() as conn:
        assert plan_route(conn, raising="440100", units=["440100"]).as_dict() == {
            "coordinator": "440100",
            "route": ["440100"],
        }
        assert plan_route(conn, raising="440100", units=["440100", "440300"]).as_dict() == {
            "coordinator": "440000",
            "route": ["440100", "440000"],
        }
        assert plan_route(conn, raising="440100", units=["440100", "330100"]).as_dict() == {
            "coordinator": "000000",
            "route": ["440100", "440000", "000000"],
        }
        # the raising unit counts: 深圳 raising for two 浙江 cities goes to the group
        assert plan_route(conn, raising="440300", units=["330100", "330200"]).coordinator == "000000"
        assert plan_route(conn, raising="330000", units=["330100"]).as_dict() == {
            "coordinator": "330000",
            "route": ["330000"],
        }


def test_random_sets_of_cities_go_to_their_lowest_common_unit(ready):
    cities = [r for r in regions() if r.level == "city"]
    rng = random.Random(7)
    with ready.engine.connect() as conn:
        for _ in range(300):
            picked = rng.sample(cities, rng.randint(1, 4))
            raising = rng.choice(cities)
            route = plan_route(conn, raising=raising.code, units=[c.code for c in picked])
            provinces = {c.parent_code for c in [*picked, raising]}
            codes = {c.code for c in [*picked, raising]}
            expected = (
                next(iter(codes)) if len(codes) == 1 else (next(iter(provinces)) if len(provinces) == 1 else "000000")
            )
            assert route.coordinator == expected, (raising.code, [c.code for c in picked])
            assert route.route[0] == raising.code and route.route[-1] == expected
            assert len(route.route) == {raising.code: 1, raising.parent_code: 2, "000000": 3}[expected]


@pytest.mark.parametrize(
    "units, message",
    [
        ([], "至少要指定一个"),
        (["999999"], "没有代码为 999999"),
        (["440000"], "省级单位，涉及单位应为地市或区县"),
        (["000000", "440100"], "集团级单位"),
    ],
)
def test_bad_involved_units_are_refused(ready, units, message):
    with ready.engine.connect() as conn:
        with pytest.raises(ValidationError) as err:
            plan_route(conn, raising="440100", units=units)
    assert message in err.value.zh


# --- the workflow ----------------------------------------------------------------------------------------


def test_full_lifecycle_across_two_provinces(ready):
    db = ready
    with db.engine.begin() as conn:
        raised = raise_request(
            conn,
            account="C1",
            type_="new_circuit",
            units=["440100", "330100"],
            as_staff="GZ1",
            priority="high",
            text="广州至杭州 2M 数字电路",
            attachments=["\\\\share\\需求单.pdf"],
            now=T0,
        )
    assert raised.coordinator == "000000" and raised.route == ("440100", "440000", "000000")
    assert raised.number.startswith("SR20261123")
    steps = [
        ("forward", "GD1", None, ("routing", "000000", "route")),
        ("accept", "JT1", None, ("coordinating", "000000", "coordinate")),
        ("dispatch", "JT1", "请两端确认资源", ("processing", "000000", "handle")),
        ("reply", "HZ1", "杭州端资源已确认", ("processing", "000000", "handle")),
        ("reply", "GZ1", "广州端资源已确认", ("processing", "000000", "resolve")),
        ("resolve", "JT1", "电路已开通", ("resolved", "440100", "confirm")),
        ("confirm", "GZ1", "客户确认", ("closed", "440100", "confirm")),
    ]
    for i, (action, who, note, expected) in enumerate(steps, 1):
        with db.engine.begin() as conn:
            result = act(
                conn, number=raised.number, action=action, as_staff=who, text=note, now=T0 + dt.timedelta(hours=i)
            )
            assert (result.state, result.holder) == expected[:2]
            assert state(conn, raised.number) == expected
    with db.engine.connect() as conn:
        assert hops(conn, raised.number) == [
            (1, "raise", "440100", "440000"),
            (2, "forward", "440000", "000000"),
            (3, "accept", "000000", None),
            (4, "dispatch", "000000", "330100"),  # subtasks go out in region-code order
            (5, "dispatch", "000000", "440100"),
            (6, "reply", "330100", "000000"),
            (7, "reply", "440100", "000000"),
            (8, "resolve", "000000", "440100"),
            (9, "confirm", "440100", None),
        ]
        subtasks = conn.execute(text("SELECT state, reply FROM request_subtask ORDER BY id")).all()
        assert [tuple(s) for s in subtasks] == [("done", "杭州端资源已确认"), ("done", "广州端资源已确认")]
        open_stages = conn.execute(text("SELECT COUNT(*) FROM request_stage WHERE ended_at IS NULL")).scalar()
        assert open_stages == 0
        stages = [r[0] for r in conn.execute(text("SELECT stage FROM request_stage ORDER BY id"))]
        assert stages == ["route", "route", "coordinate", "handle", "handle", "resolve", "confirm"]
        assert conn.execute(text("SELECT reference FROM request_attachment")).scalar() == "\\\\share\\需求单.pdf"
        # the result went back and was closed; nothing more may happen but comments
        with pytest.raises(RequestNotAllowed):
            act(conn, number=raised.number, action="forward", as_staff="GZ1", now=T0 + dt.timedelta(hours=9))


def test_same_city_request_is_handled_by_the_city(ready):
    with ready.engine.begin() as conn:
        raised = raise_request(conn, account="C1", type_="fault", units=["440100"], as_staff="GZ1", now=T0)
        assert raised.coordinator == "440100" and state(conn, raised.number)[:2] == ("routing", "440100")
        with pytest.raises(RequestNotAllowed) as err:
            act(conn, number=raised.number, action="forward", as_staff="GZ1", now=T0)
        assert "应当受理" in err.value.zh
        act(conn, number=raised.number, action="accept", as_staff="GZ1", now=T0)
        act(conn, number=raised.number, action="dispatch", as_staff="GZ1", now=T0)
        act(conn, number=raised.number, action="reply", as_staff="GZ1", text="已修复", now=T0)
        act(conn, number=raised.number, action="resolve", as_staff="GZ1", text="障碍已排除", now=T0)
        act(conn, number=raised.number, action="confirm", as_staff="GZ1", now=T0)
        assert state(conn, raised.number)[0] == "closed"


@pytest.mark.parametrize(
    "action, who, message",
    [
        ("forward", "SZ1", "现在由广东省大客户部处理"),  # a unit that does not hold it
        ("accept", "GD1", "应当上报"),  # not the coordinator
        ("confirm", "GD1", "不能确认关闭"),  # wrong state
        ("reply", "HZ1", "处于“逐级上报中”状态，不能回复"),
        ("cancel", "GD1", "只有发起单位"),
        ("urge", "HZ1", "只有处理单位的上级单位可以督办"),
        ("comment", "SZ1", "无关"),
        ("return", "GD1", "退回需要写明原因"),
    ],
)
def test_refused_actions_write_nothing(ready, action, who, message):
    with ready.engine.begin() as conn:
        raised = raise_request(conn, account="C1", type_="change", units=["440100", "330100"], as_staff="GZ1", now=T0)
    with ready.engine.connect() as conn:
        before = snapshot(conn)
    with pytest.raises((RequestNotAllowed, ValidationError)) as err:
        with ready.engine.begin() as conn:
            act(conn, number=raised.number, action=action, as_staff=who, now=T0 + dt.timedelta(hours=1))
    assert message in err.value.zh
    with ready.engine.connect() as conn:
        assert snapshot(conn) == before


def test_unknown_things_are_named(ready):
    with ready.engine.begin() as conn:
        with pytest.raises(NotFound):
            raise_request(conn, account="NOPE", type_="fault", units=["440100"], as_staff="GZ1", now=T0)
        with pytest.raises(ValidationError) as err:
            raise_request(conn, account="C1", type_="repair", units=["440100"], as_staff="GZ1", now=T0)
        assert "未知的请求类型：repair" in err.value.zh
        with pytest.raises(NotFound):
            raise_request(conn, account="C1", type_="fault", units=["440100"], as_staff="NOBODY", now=T0)
        raised = raise_request(conn, account="C1", type_="fault", units=["440100"], as_staff="GZ1", now=T0)
        with pytest.raises(ValidationError) as err:
            act(conn, number=raised.number, action="fly", as_staff="GZ1", now=T0)
        assert "未知的操作：fly" in err.value.zh
        with pytest.raises(NotFound):
            act(conn, number="SR000", action="accept", as_staff="GZ1", now=T0)


def test_return_reassign_cancel_comment_and_urge(ready):
    db = ready
    with db.engine.begin() as conn:
        raised = raise_request(conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=T0)
        n = raised.number
        act(conn, number=n, action="return", as_staff="GD1", text="请补充故障时间", now=T0)
        assert state(conn, n)[:2] == ("routing", "440100")
        with pytest.raises(RequestNotAllowed):  # nowhere further back
            act(conn, number=n, action="return", as_staff="GZ1", text="x", now=T0)
        act(conn, number=n, action="forward", as_staff="GZ1", text="已补充：11月23日 8点", now=T0)
        act(conn, number=n, action="accept", as_staff="GD1", now=T0)
        act(conn, number=n, action="dispatch", as_staff="GD1", now=T0)
        act(conn, number=n, action="return", as_staff="SZ1", text="故障点不在深圳", now=T0)
        with pytest.raises(RequestNotAllowed):  # 深圳's subtask is gone, not 佛山's to pick up
            act(conn, number=n, action="reply", as_staff="SZ1", text="x", now=T0)
        add_staff(conn, employee_no="FS1", data=StaffInput("佛山经理", "440600", "customer_manager"))
        act(
            conn,
            number=n,
            action="reassign",
            as_staff="GD1",
            unit="440300",
            to_unit="440600",
            text="故障点在佛山",
            now=T0,
        )
        act(conn, number=n, action="urge", as_staff="JT1", text="客户投诉升级，请加快", now=T0)
        act(conn, number=n, action="comment", as_staff="GZ1", text="客户来电询问进度", now=T0)
        act(conn, number=n, action="reply", as_staff="FS1", text="佛山段已修复", now=T0)
        act(conn, number=n, action="reply", as_staff="GZ1", text="广州段正常", now=T0)
        act(conn, number=n, action="resolve", as_staff="GD1", text="已修复", now=T0)
        act(conn, number=n, action="return", as_staff="GZ1", text="客户反馈仍有丢包", now=T0)
        assert state(conn, n) == ("processing", "440000", "resolve")
        act(conn, number=n, action="resolve", as_staff="GD1", text="已更换光模块", now=T0)
        act(conn, number=n, action="cancel", as_staff="GZ1", text="客户撤回", now=T0)
        assert state(conn, n)[0] == "cancelled"
        actions = [h[1] for h in hops(conn, n)]
        assert actions == [
            "raise",
            "return",
            "forward",
            "accept",
            "dispatch",
            "dispatch",
            "return",
            "reassign",
            "urge",  # both units with an open subtask are urged
            "urge",
            "comment",
            "reply",
            "reply",
            "resolve",
            "return",
            "resolve",
            "cancel",
        ]
        assert {h[2:] for h in hops(conn, n)[8:10]} == {("000000", "440100"), ("000000", "440600")}
        assert conn.execute(text("SELECT COUNT(*) FROM request_subtask WHERE state = 'cancelled'")).scalar() == 1


def test_clock_running_backwards_keeps_the_history_in_order(ready):
    with ready.engine.begin() as conn:
        raised = raise_request(conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=T0)
        act(conn, number=raised.number, action="accept", as_staff="GD1", now=T0 - dt.timedelta(hours=5))
        times = [r[0] for r in conn.execute(text("SELECT at FROM request_hop ORDER BY seq"))]
    assert times[1] >= times[0]


# --- concurrency -----------------------------------------------------------------------------------------


def test_a_stale_version_is_refused_and_writes_nothing(ready, monkeypatch):
    from kam_console.services import service_requests as sr

    with ready.engine.begin() as conn:
        raised = raise_request(conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=T0)
    real = sr._load

    def stale(conn, number):
        loaded = real(conn, number)
        conn.execute(text("UPDATE service_request SET version = version + 1"))  # someone else, just now
        return loaded

    monkeypatch.setattr(sr, "_load", stale)
    with pytest.raises(RequestChanged) as err:
        with ready.engine.begin() as conn:
            act(conn, number=raised.number, action="accept", as_staff="GD1", now=T0)
    assert "刚刚被其他人处理过" in err.value.zh
    monkeypatch.setattr(sr, "_load", real)
    with ready.engine.connect() as conn:
        assert [h[1] for h in hops(conn, raised.number)] == ["raise"]


def test_two_people_acting_at_once_on_postgresql(pg_url):
    """Two connections accept the same request at the same moment: one wins, the other is told."""
    from kam_console.db import open_database

    db = open_database(pg_url)
    try:
        with db.engine.begin() as conn:
            for no, (name, unit) in STAFF.items():
                add_staff(conn, employee_no=no, data=StaffInput(name, unit, "customer_manager"))
            add_staff(conn, employee_no="GD2", data=StaffInput("广东协调二", "440000", "customer_manager"))
            create_account(
                conn, customer_no="C1", data=AccountInput("广州某物流公司", "TRN", "city", "440100", "440100")
            )
            raised = raise_request(
                conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=T0
            )
        first = db.engine.connect()
        trans = first.begin()
        act(first, number=raised.number, action="accept", as_staff="GD1", now=T0)  # holds the row lock
        outcome = {}

        def second():
            other = create_engine(db.engine.url)
            try:
                with other.begin() as conn:
                    act(conn, number=raised.number, action="accept", as_staff="GD2", now=T0)
                outcome["result"] = "accepted"
            except Exception as exc:  # noqa: BLE001 - the outcome is what is checked
                outcome["result"] = exc
            finally:
                other.dispose()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive()  # waiting for the first transaction's row lock
        trans.commit()
        first.close()
        thread.join(10)
        assert isinstance(outcome["result"], (RequestChanged, RequestNotAllowed))
        with db.engine.connect() as conn:
            history = hops(conn, raised.number)
        assert [h[1] for h in history] == ["raise", "accept"]
        assert [h[0] for h in history] == [1, 2]
    finally:
        db.dispose()


# --- time -------------------------------------------------------------------------------------------------


def test_weekday_hours():
    friday_8pm = dt.datetime(2026, 11, 27, 20, 0, tzinfo=BEIJING)
    assert add_working_hours(friday_8pm, 8).astimezone(BEIJING) == dt.datetime(2026, 11, 30, 4, 0, tzinfo=BEIJING)
    saturday = dt.datetime(2026, 11, 28, 10, 0, tzinfo=BEIJING)
    assert add_working_hours(saturday, 2).astimezone(BEIJING) == dt.datetime(2026, 11, 30, 2, 0, tzinfo=BEIJING)
    monday = dt.datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING)
    assert add_working_hours(monday, 40).astimezone(BEIJING) == dt.datetime(2026, 11, 25, 1, 0, tzinfo=BEIJING)
    assert working_hours_between(friday_8pm, add_working_hours(friday_8pm, 8)) == pytest.approx(8)
    assert working_hours_between(monday, monday + dt.timedelta(days=7)) == pytest.approx(120)


def test_overdue_stages_escalate_one_level_at_a_time(ready):
    db = ready
    with db.engine.begin() as conn:
        raised = raise_request(conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=T0)
        due = conn.execute(text("SELECT due_at FROM service_request")).scalar()
    # normal priority: 4 weekday hours to forward/accept at 广东
    assert escalate_overdue(db.engine.connect(), now=T0 + dt.timedelta(hours=3)) == []
    with db.engine.begin() as conn:
        first = escalate_overdue(conn, now=T0 + dt.timedelta(hours=5))
        again = escalate_overdue(conn, now=T0 + dt.timedelta(hours=6))  # the same period: nothing new
    assert [(e.number, e.from_unit, e.to_unit, e.stage) for e in first] == [
        (raised.number, "440000", "000000", "route")
    ]
    assert again == []
    with db.engine.begin() as conn:
        assert escalate_overdue(conn, now=T0 + dt.timedelta(hours=20)) == []  # nobody above the group
        history = hops(conn, raised.number)
        assert history[-1][1:] == ("escalate", "440000", "000000")
        note = conn.execute(text("SELECT comment, staff_id FROM request_hop WHERE action = 'escalate'")).one()
        assert "已超时" in note[0] and "集团公司大客户事业部" in note[0] and note[1] is None
        # acting starts the next stage afresh
        act(conn, number=raised.number, action="accept", as_staff="GD1", now=T0 + dt.timedelta(hours=21))
        assert conn.execute(text("SELECT escalations FROM service_request")).scalar() == 0
    assert due is not None


def test_overdue_subtasks_escalate_to_the_units_above_them(ready):
    db = ready
    with db.engine.begin() as conn:
        raised = raise_request(conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=T0)
        act(conn, number=raised.number, action="accept", as_staff="GD1", now=T0)
        act(conn, number=raised.number, action="dispatch", as_staff="GD1", now=T0)
        act(conn, number=raised.number, action="reply", as_staff="GZ1", text="广州段正常", now=T0)
        escalated = escalate_overdue(conn, now=T0 + dt.timedelta(hours=17))  # fault/normal: 16 h to handle
    assert [(e.from_unit, e.to_unit, e.stage) for e in escalated] == [("440300", "440000", "handle")]


def test_a_late_first_sweep_still_escalates_up_to_the_group(ready):
    """Nobody ran the sweep for a day (the app was closed over a weekend): the stage is many periods late,
    more than there are levels above it. It goes to the group, once, instead of nowhere."""
    db = ready
    with db.engine.begin() as conn:
        raised = raise_request(conn, account="C1", type_="fault", units=["440100", "330100"], as_staff="GZ1", now=T0)
        act(conn, number=raised.number, action="forward", as_staff="GD1", now=T0)
        act(conn, number=raised.number, action="accept", as_staff="JT1", now=T0)
        act(conn, number=raised.number, action="dispatch", as_staff="JT1", now=T0)
        late = T0 + dt.timedelta(days=6)  # fault/normal: 16 weekday hours to handle, so ~9 periods late
        first = escalate_overdue(conn, now=late)
        again = escalate_overdue(conn, now=late + dt.timedelta(days=6))
    assert sorted((e.from_unit, e.to_unit, e.stage) for e in first) == [
        ("330100", "000000", "handle"),
        ("440100", "000000", "handle"),
    ]
    assert again == []
    with db.engine.begin() as conn:
        other = raise_request(conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=T0)
        escalated = escalate_overdue(conn, now=T0 + dt.timedelta(days=3))
    assert [(e.number, e.from_unit, e.to_unit) for e in escalated] == [(other.number, "440000", "000000")]


def test_a_handed_back_subtask_left_with_the_coordinator_escalates(ready):
    """Every other subtask is done and one was handed back: the coordinator must reassign it, and if it
    does not, the stage escalates from the coordinator like any other."""
    db = ready
    with db.engine.begin() as conn:
        raised = raise_request(conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=T0)
        n = raised.number
        act(conn, number=n, action="accept", as_staff="GD1", now=T0)
        act(conn, number=n, action="dispatch", as_staff="GD1", now=T0)
        act(conn, number=n, action="reply", as_staff="GZ1", text="广州段正常", now=T0)
        act(conn, number=n, action="return", as_staff="SZ1", text="故障点不在深圳", now=T0)
        assert state(conn, n) == ("processing", "440000", "handle")
        escalated = escalate_overdue(conn, now=T0 + dt.timedelta(hours=17))
    assert [(e.number, e.from_unit, e.to_unit, e.stage) for e in escalated] == [(n, "440000", "000000", "handle")]
