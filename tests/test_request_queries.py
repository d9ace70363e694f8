"""Reading service requests: one request in full at every step, a unit's inbox in each view with its
filters and order, the badge counts against an independent count, and the SLA editor rule."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict

import pytest
from sqlalchemy import event, insert, text

from kam_console.errors import NotFound, ValidationError
from kam_console.models import RequestSubtask, ServiceRequest
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.request_queries import (
    VIEWS,
    inbox_counts,
    list_requests,
    request_detail,
    route_preview,
    sla_rule_hours,
    sla_rules,
)
from kam_console.services.service_requests import act, escalate_overdue, raise_request
from kam_console.services.sla import BEIJING, as_utc, sla_editor_id
from kam_console.services.staff import StaffInput, add_staff

# Monday 2026-11-23 09:00 Beijing time
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING).astimezone(dt.UTC)
H = dt.timedelta(hours=1)
STAFF = {
    "GZ1": ("广州经理", "440100"),
    "SZ1": ("深圳经理", "440300"),
    "FS1": ("佛山经理", "440600"),
    "GD1": ("广东协调", "440000"),
    "HZ1": ("杭州经理", "330100"),
    "ZJ1": ("浙江协调", "330000"),
    "JT1": ("集团协调", "000000"),
}
UNITS = sorted({unit for _, unit in STAFF.values()})


@pytest.fixture
def ready(db):
    with db.engine.begin() as conn:
        for no, (name, unit) in STAFF.items():
            add_staff(conn, employee_no=no, data=StaffInput(name, unit, "customer_manager"))
        create_account(conn, customer_no="C1", data=AccountInput("广州某物流公司", "TRN", "city", "440100", "440100"))
        create_account(conn, customer_no="C2", data=AccountInput("杭州某银行", "FIN", "city", "330100", "330100"))
    return db


def _run(conn, number, steps):
    for action, who, at, note in steps:
        act(conn, number=number, action=action, as_staff=who, text=note, now=at)


@pytest.fixture
def scene(ready):
    """Eight requests, one in each situation an inbox must tell apart."""
    n = {}
    with ready.engine.begin() as conn:

        def raise_(key, account, type_, units, who, **kw):
            n[key] = raise_request(conn, account=account, type_=type_, units=units, as_staff=who, now=T0, **kw).number

        # A: climbing, at 广东 (it forwards next)
        raise_("A", "C1", "new_circuit", ["440100", "330100"], "GZ1")
        # B: subtasks out; 深圳 replied, 广州's is open
        raise_("B", "C1", "fault", ["440100", "440300"], "GZ1")
        _run(conn, n["B"], [("accept", "GD1", T0 + H, None), ("dispatch", "GD1", T0 + H, None)])
        _run(conn, n["B"], [("reply", "SZ1", T0 + 2 * H, "深圳段正常")])
        # C: same city, accepted, to be dispatched by 广州
        raise_("C", "C1", "fault", ["440100"], "GZ1")
        _run(conn, n["C"], [("accept", "GZ1", T0 + H, None)])
        # D: raised by 杭州 for 杭州 and 广州, forwarded by 浙江, waiting for the group to accept
        raise_("D", "C2", "complaint", ["330100", "440100"], "HZ1")
        _run(conn, n["D"], [("forward", "ZJ1", T0 + H, None)])
        # E: resolved, back with 广州 to confirm
        raise_("E", "C1", "change", ["440100", "440300"], "GZ1", priority="high")
        _run(
            conn,
            n["E"],
            [
                ("accept", "GD1", T0 + 2 * H, None),
                ("dispatch", "GD1", T0 + 2 * H, None),
                ("reply", "SZ1", T0 + 2 * H, "深圳已变更"),
                ("reply", "GZ1", T0 + 2 * H, "广州已变更"),
                ("resolve", "GD1", T0 + 2 * H, "变更完成"),
            ],
        )
        # F: closed
        raise_("F", "C1", "consultation", ["440100"], "GZ1")
        _run(
            conn,
            n["F"],
            [
                ("accept", "GZ1", T0 + H, None),
                ("dispatch", "GZ1", T0 + H, None),
                ("reply", "GZ1", T0 + H, "已答复"),
                ("resolve", "GZ1", T0 + H, "已答复客户"),
                ("confirm", "GZ1", T0 + 3 * H, None),
            ],
        )
        # G: cancelled while climbing
        raise_("G", "C1", "billing", ["440100", "440300"], "GZ1")
        _run(conn, n["G"], [("cancel", "GZ1", T0 + 4 * H, "客户撤回")])
        # H: 广州 replied, 深圳 handed its subtask back: the coordinator must reassign it
        raise_("H", "C1", "fault", ["440100", "440300"], "GZ1")
        _run(
            conn,
            n["H"],
            [
                ("accept", "GD1", T0 + H, None),
                ("dispatch", "GD1", T0 + H, None),
                ("reply", "GZ1", T0 + 2 * H, "广州段正常"),
                ("return", "SZ1", T0 + 2 * H, "故障点不在深圳"),
            ],
        )
    return n


def detail(db, number, now):
    with db.engine.connect() as conn:
        return request_detail(conn, number=number, now=now)


def nxt(d):
    return [(s.unit.code, s.action) for s in d.next]


def route_marks(d):
    return [(s.code, s.passed, s.current) for s in d.route]


# --- one request ---------------------------------------------------------------------------------------


def test_detail_at_every_step_of_a_request_across_two_provinces(ready):
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
    number = raised.number
    d = detail(db, number, T0)
    assert (d.number, d.account.customer_no, d.account.name) == (number, "C1", "广州某物流公司")
    assert (d.type, d.type_label, d.priority, d.priority_label) == ("new_circuit", "新开电路", "high", "紧急")
    assert (d.state, d.state_label, d.stage, d.stage_label) == ("routing", "逐级上报中", "route", "逐级上报")
    assert d.title == "新开电路：广州某物流公司" and d.description == "广州至杭州 2M 数字电路"
    assert (d.raising_unit.code, d.raised_by.employee_no, d.raised_by.name) == ("440100", "GZ1", "广州经理")
    assert d.coordinator.code == "000000" and d.coordinator.name == "集团公司大客户事业部"
    assert d.holder.code == "440000"
    assert route_marks(d) == [("440100", True, False), ("440000", False, True), ("000000", False, False)]
    assert nxt(d) == [("440000", "forward")] and d.next[0].action_label == "上报"
    assert [u.code for u in d.involved] == ["330100", "440100"]
    assert d.raised_at == T0 and d.raised_at.tzinfo is not None
    # high priority: 2 weekday hours to forward
    assert d.due_at == T0 + 2 * H and not d.overdue and d.overdue_hours == 0.0
    assert [(a.reference, a.added_by.employee_no) for a in d.attachments] == [("\\\\share\\需求单.pdf", "GZ1")]
    first = d.hops[0]
    assert (first.seq, first.action, first.action_label) == (1, "raise", "发起")
    assert (first.from_unit.code, first.to_unit.code, first.staff.employee_no) == ("440100", "440000", "GZ1")
    assert first.at == T0 and first.comment == "广州至杭州 2M 数字电路"
    assert d.is_open and d.subtasks == () and d.escalations == ()

    steps = [
        ("forward", "GD1", None, "routing", "000000", [("440100", True, False), ("440000", True, False)], "accept"),
        ("accept", "JT1", None, "coordinating", "000000", None, "dispatch"),
        ("dispatch", "JT1", "请两端确认资源", "processing", "000000", None, "reply"),
        ("reply", "HZ1", "杭州端资源已确认", "processing", "000000", None, "reply"),
        ("reply", "GZ1", "广州端资源已确认", "processing", "000000", None, "resolve"),
        ("resolve", "JT1", "电路已开通", "resolved", "440100", None, "confirm"),
        ("confirm", "GZ1", "客户确认", "closed", "440100", None, None),
    ]
    expected_next = {
        "forward": [("000000", "accept")],
        "accept": [("000000", "dispatch")],
        "dispatch": [("330100", "reply"), ("440100", "reply")],
        "reply": None,
        "resolve": [("440100", "confirm")],
        "confirm": [],
    }
    for i, (action, who, note, state, holder, marks, _) in enumerate(steps, 1):
        at = T0 + i * H
        with db.engine.begin() as conn:
            act(conn, number=number, action=action, as_staff=who, text=note, now=at)
        d = detail(db, number, at)
        assert (d.state, d.holder.code) == (state, holder), action
        if marks:
            assert route_marks(d)[:2] == marks
            assert route_marks(d)[2] == ("000000", False, True)
        if state != "routing":
            assert all(s.passed and not s.current for s in d.route)
        if expected_next.get(action) is not None:
            assert nxt(d) == expected_next[action], action
        assert d.hops[-1].action == action and d.hops[-1].staff.employee_no == who
        assert d.hops[-1].at == at
        if action == "reply" and who == "HZ1":
            assert nxt(d) == [("440100", "reply")]  # only the unit still holding an open subtask
            assert [(s.unit.code, s.state, s.state_label) for s in d.subtasks] == [
                ("330100", "done", "已回复"),
                ("440100", "open", "处理中"),
            ]
            assert d.subtasks[0].reply == "杭州端资源已确认" and d.subtasks[0].done_at == at
        if action == "reply" and who == "GZ1":
            assert nxt(d) == [("000000", "resolve")] and d.stage == "resolve"
    assert d.due_at is None and not d.overdue and d.closed_at == T0 + 7 * H and not d.is_open
    assert [h.action for h in d.hops] == [
        "raise",
        "forward",
        "accept",
        "dispatch",
        "dispatch",
        "reply",
        "reply",
        "resolve",
        "confirm",
    ]
    dispatches = [h for h in d.hops if h.action == "dispatch"]
    assert {h.subtask_id for h in dispatches} == {s.id for s in d.subtasks}
    assert d.hops[2].to_unit is None  # accepting goes nowhere


def test_same_city_route_return_and_reassign(ready):
    db = ready
    with db.engine.begin() as conn:
        same = raise_request(conn, account="C1", type_="fault", units=["440100"], as_staff="GZ1", now=T0).number
        two = raise_request(conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=T0)
    d = detail(db, same, T0)
    assert route_marks(d) == [("440100", False, True)] and nxt(d) == [("440100", "accept")]
    with db.engine.begin() as conn:
        act(conn, number=same, action="accept", as_staff="GZ1", now=T0)
    assert route_marks(detail(db, same, T0)) == [("440100", True, False)]

    n = two.number
    with db.engine.begin() as conn:
        act(conn, number=n, action="return", as_staff="GD1", text="请补充故障时间", now=T0 + H)
    d = detail(db, n, T0 + H)
    assert d.holder.code == "440100" and nxt(d) == [("440100", "forward")]
    assert route_marks(d) == [("440100", False, True), ("440000", False, False)]
    with db.engine.begin() as conn:
        _run(
            conn,
            n,
            [
                ("forward", "GZ1", T0 + 2 * H, "已补充"),
                ("accept", "GD1", T0 + 2 * H, None),
                ("dispatch", "GD1", T0 + 2 * H, None),
                ("reply", "GZ1", T0 + 3 * H, "广州段正常"),
                ("return", "SZ1", T0 + 3 * H, "故障点不在深圳"),
            ],
        )
    d = detail(db, n, T0 + 3 * H)
    assert (d.state, d.stage) == ("processing", "handle")
    assert nxt(d) == [("440000", "reassign")]  # the handed-back subtask waits for the coordinator
    assert [(s.unit.code, s.state_label) for s in d.subtasks] == [("440100", "已回复"), ("440300", "已退回")]
    with db.engine.begin() as conn:
        act(
            conn,
            number=n,
            action="reassign",
            as_staff="GD1",
            unit="440300",
            to_unit="440600",
            text="在佛山",
            now=T0 + 4 * H,
        )
    d = detail(db, n, T0 + 4 * H)
    assert nxt(d) == [("440600", "reply")]
    assert [u.code for u in d.involved] == ["440100", "440300", "440600"]
    assert d.subtasks[-1].unit.code == "440600" and d.subtasks[-1].state == "open"
    # the new subtask's deadline is counted from the reassignment, and the request shows it
    assert d.due_at == d.subtasks[-1].due_at > d.subtasks[0].due_at


def test_deadlines_overdue_hours_and_escalations(scene, ready):
    db = ready
    b = scene["B"]
    before = detail(db, b, T0 + 3 * H)
    # fault/normal: 16 weekday hours to handle from the dispatch at T0+1h
    assert before.due_at == T0 + 17 * H and not before.overdue
    assert before.next[0].due_at == T0 + 17 * H and before.next[0].subtask_id == before.subtasks[0].id
    late = detail(db, b, T0 + 20 * H)
    assert late.overdue and late.overdue_hours == 3.0 and late.next[0].overdue
    assert [(s.unit.code, s.overdue, s.overdue_hours) for s in late.subtasks] == [
        ("440100", True, 3.0),
        ("440300", False, 0.0),
    ]
    with db.engine.begin() as conn:
        first = escalate_overdue(conn, now=T0 + 5 * H)  # A waited at 广东 past its 4 weekday hours
        second = escalate_overdue(conn, now=T0 + 20 * H)  # and B's subtask at 广州 past its 16
    assert (scene["A"], "440000", "000000", "route") in {(e.number, e.from_unit, e.to_unit, e.stage) for e in first}
    assert (b, "440100", "440000", "handle") in {(e.number, e.from_unit, e.to_unit, e.stage) for e in second}
    d = detail(db, b, T0 + 20 * H)
    assert len(d.escalations) == 1 and d.escalation_level == 0  # the subtask was escalated, not the stage
    hop = d.escalations[0]
    assert hop.staff.employee_no is None and hop.staff.name == "系统" and "已超时" in hop.comment
    assert (hop.from_unit.code, hop.to_unit.code, hop.action_label) == ("440100", "440000", "超时升级")
    assert hop.subtask_id == d.subtasks[0].id and d.subtasks[0].escalations == 1
    a = detail(db, scene["A"], T0 + 20 * H)
    assert a.overdue and a.overdue_hours == 16.0 and a.escalation_level == 1
    assert [(h.from_unit.code, h.to_unit.code, h.at) for h in a.escalations] == [("440000", "000000", T0 + 5 * H)]
    # ended requests have no deadline left to miss
    f = detail(db, scene["F"], T0 + 100 * H)
    assert f.due_at is None and not f.overdue and f.next == ()


def test_unknown_request_is_named(ready):
    with ready.engine.connect() as conn:
        with pytest.raises(NotFound) as err:
            request_detail(conn, number="SR000", now=T0)
    assert "SR000" in err.value.zh


def test_route_preview_names_units_and_creates_nothing(ready):
    with ready.engine.connect() as conn:
        preview = route_preview(conn, raising="440100", units=["440100", "330100"])
        assert preview.as_dict() == {"coordinator": "000000", "route": ["440100", "440000", "000000"]}
        assert [u.name for u in preview.route] == ["广州市大客户部", "广东省大客户部", "集团公司大客户事业部"]
        assert [u.code for u in preview.units] == ["440100", "330100"]
        with pytest.raises(ValidationError) as err:
            route_preview(conn, raising="440100", units=["440000"])
        assert "省级单位" in err.value.zh
        assert conn.execute(text("SELECT COUNT(*) FROM service_request")).scalar() == 0


# --- a unit's inbox ------------------------------------------------------------------------------------


def listed(db, unit, now=T0 + 3 * H, **kw):
    with db.engine.connect() as conn:
        return list_requests(conn, unit=unit, now=now, **kw)


def keys(scene, rows):
    back = {v: k for k, v in scene.items()}
    return [back[r.number] for r in rows]


@pytest.mark.parametrize(
    "unit, view, expected",
    [
        ("440100", "todo", {"B", "C", "E"}),
        ("440000", "todo", {"A", "H"}),
        ("000000", "todo", {"D"}),
        ("440300", "todo", set()),
        ("440100", "raised", {"A", "B", "C", "E", "F", "G", "H"}),
        ("330100", "raised", {"D"}),
        ("440100", "involved", {"A", "B", "C", "D", "E", "F", "G", "H"}),
        ("440300", "involved", {"B", "E", "G", "H"}),
        ("440000", "involved", {"A", "B", "E", "G", "H"}),
        ("000000", "involved", {"A", "D"}),
        ("330000", "involved", {"D"}),
        ("440300", "all", {"B", "E", "G", "H"}),
        ("000000", "all", {"A", "D"}),
        ("440000", "below", {"A", "B", "C", "E", "H"}),
        ("000000", "below", {"A", "B", "C", "D", "E", "H"}),
        ("330000", "below", set()),
        ("440100", "below", {"B", "C", "E"}),
    ],
)
def test_views(scene, ready, unit, view, expected):
    assert set(keys(scene, listed(ready, unit, view=view))) == expected


def test_todo_is_exactly_who_is_next(scene, ready):
    now = T0 + 3 * H
    for number in scene.values():
        d = detail(ready, number, now)
        acting = {s.unit.code for s in d.next}
        for unit in UNITS:
            in_todo = number in {r.number for r in listed(ready, unit, now=now, view="todo")}
            assert in_todo == (unit in acting), (number, unit)


def test_filters_and_order(scene, ready):
    db = ready
    # 广州's work: C due T0+9h (coordinate, 8 h from T0+1h), E T0+10h (confirm, 8 h from T0+2h), B T0+17h
    rows = listed(db, "440100", now=T0 + 9.5 * H)
    assert keys(scene, rows) == ["C", "E", "B"]
    assert [(r.overdue, r.overdue_hours) for r in rows] == [(True, 0.5), (False, 0.0), (False, 0.0)]
    assert [r.due_at for r in rows] == [T0 + 9 * H, T0 + 10 * H, T0 + 17 * H]
    b = rows[2]
    assert (b.state, b.state_label, b.stage_label, b.holder, b.holder_name) == (
        "processing",
        "处理中",
        "处理",
        "440000",
        "广东省大客户部",
    )
    assert (b.account, b.customer_no, b.type_label, b.priority_label) == ("广州某物流公司", "C1", "障碍", "普通")
    assert (b.raising_unit, b.raising_unit_name, b.raised_at, b.coordinator) == (
        "440100",
        "广州市大客户部",
        T0,
        "440000",
    )
    assert keys(scene, listed(db, "440100", now=T0 + 9.5 * H, overdue=True)) == ["C"]
    # raised: open ones by deadline, then the ended ones newest first (G cancelled at T0+4h, F closed at T0+3h)
    raised = listed(db, "440100", view="raised", now=T0 + 9.5 * H)
    assert keys(scene, raised)[-2:] == ["G", "F"] and raised[-1].due_at is None and not raised[-1].overdue
    assert keys(scene, raised)[:3] == ["A", "C", "E"]  # A was due at T0+4h
    assert keys(scene, listed(db, "440100", view="raised", state="closed")) == ["F"]
    assert set(keys(scene, listed(db, "440100", view="all", type_="fault"))) == {"B", "C", "H"}
    assert set(keys(scene, listed(db, "440100", view="all", employee_no="SZ1"))) == {"B", "E", "H"}
    assert keys(scene, listed(db, "000000", view="involved", employee_no="HZ1")) == ["D"]
    assert len(listed(db, "440100", view="raised", limit=2)) == 2


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"view": "mine"}, "未知的视图：mine（可选 todo（待我处理）、raised（我发起的）"),
        ({"state": "open"}, "未知的状态：open（可选 routing（逐级上报中）"),
        ({"type_": "repair"}, "未知的请求类型：repair（可选 new_circuit（新开电路）"),
        ({"limit": 0}, "条数上限"),
    ],
)
def test_bad_filters_name_the_options(ready, kw, message):
    with pytest.raises(ValidationError) as err:
        listed(ready, "440100", **kw)
    assert message in err.value.zh


def test_unknown_unit_or_employee(ready):
    with pytest.raises(NotFound, match="999999"):
        listed(ready, "999999")
    with pytest.raises(NotFound, match="NOBODY"):
        listed(ready, "440100", employee_no="NOBODY")
    with ready.engine.connect() as conn:
        with pytest.raises(NotFound, match="999999"):
            inbox_counts(conn, now=T0, units=["440100", "999999"])


# --- badge counts ----------------------------------------------------------------------------------------


def independent_counts(conn, now):
    """Who must act, counted the long way round: read the rows, decide in Python."""
    units = dict(conn.execute(text("SELECT id, code FROM org_unit")).all())
    open_subtasks = defaultdict(list)
    for request_id, unit_id, due in conn.execute(
        text("SELECT request_id, unit_id, due_at FROM request_subtask WHERE state = 'open'")
    ):
        open_subtasks[request_id].append((unit_id, _when(due)))
    pending = {}  # (request, unit) -> (state, earliest due)
    for rid, state, stage, holder, due in conn.execute(
        text("SELECT id, state, stage, holder_unit_id, due_at FROM service_request")
    ):
        if state in ("closed", "cancelled"):
            continue
        if state == "processing" and stage == "handle" and open_subtasks[rid]:
            for unit_id, sub_due in open_subtasks[rid]:
                key = (rid, unit_id)
                pending[key] = (state, min(sub_due, pending[key][1]) if key in pending else sub_due)
        else:
            pending[(rid, holder)] = (state, _when(due))
    counts = {}
    for (_, unit_id), (state, due) in pending.items():
        entry = counts.setdefault(units[unit_id], [0, 0, defaultdict(int)])
        entry[0] += 1
        entry[1] += due < now
        entry[2][state] += 1
    return {code: (todo, late, dict(by)) for code, (todo, late, by) in counts.items()}


def _when(value):
    """A timestamp read by plain SQL: SQLite gives text, PostgreSQL an aware datetime."""
    return as_utc(dt.datetime.fromisoformat(value) if isinstance(value, str) else value)


def as_tuples(counts):
    return {code: (c.todo, c.overdue, c.by_state) for code, c in counts.items()}


@pytest.mark.parametrize("hours", [0, 5, 9.5, 20, 200])
def test_inbox_counts_equal_an_independent_count(scene, ready, hours):
    now = T0 + hours * H
    with ready.engine.connect() as conn:
        counts = inbox_counts(conn, now=now)
        assert as_tuples(counts) == independent_counts(conn, now)
        for code, c in counts.items():
            assert c.unit == code
            assert c.todo == len(list_requests(conn, unit=code, now=now))
            assert c.overdue == len(list_requests(conn, unit=code, now=now, overdue=True))
            assert sum(c.by_state.values()) == c.todo
    assert as_tuples(counts)["440100"][0] == 3


def test_inbox_counts_for_named_units_include_zeros(scene, ready):
    with ready.engine.connect() as conn:
        counts = inbox_counts(conn, now=T0 + 3 * H, units=["440300", "440100", "000000"])
    assert list(counts) == ["000000", "440100", "440300"]
    assert (counts["440300"].todo, counts["440300"].overdue, counts["440300"].by_state) == (0, 0, {})
    assert counts["440100"].by_state == {"coordinating": 1, "processing": 1, "resolved": 1}
    assert counts["000000"].by_state == {"routing": 1}


def test_thousands_of_requests_are_counted_in_one_query(ready):
    """20,000 requests written straight into the tables in every state, then counted: the same answer as
    the long way round, in at most two statements and well under a second; every inbox view of a busy unit
    answers fast too (on PostgreSQL, with a plan cheap enough not to be JIT-compiled)."""
    db = ready
    rng = random.Random(11)
    with db.engine.begin() as conn:
        cities = [r[0] for r in conn.execute(text("SELECT id FROM org_unit WHERE level = 'city'"))]
        units = [r[0] for r in conn.execute(text("SELECT id FROM org_unit"))]
        account = conn.execute(text("SELECT id FROM account WHERE customer_no = 'C1'")).scalar()
        staff = conn.execute(text("SELECT id FROM staff WHERE employee_no = 'GZ1'")).scalar()
        requests, subtasks = [], []
        states = [
            ("routing", "route"),
            ("coordinating", "coordinate"),
            ("processing", "handle"),
            ("processing", "resolve"),
            ("resolved", "confirm"),
            ("closed", "confirm"),
            ("cancelled", "route"),
        ]
        for i in range(1, 20_001):
            state, stage = rng.choice(states)
            due = T0 + dt.timedelta(hours=rng.randint(-200, 200))
            requests.append(
                dict(
                    id=10_000 + i,
                    number=f"SRBULK{i:06d}",
                    account_id=account,
                    type="fault",
                    priority="normal",
                    title="批量",
                    raising_unit_id=rng.choice(cities),
                    raised_by_id=staff,
                    coordinator_unit_id=rng.choice(units),
                    holder_unit_id=rng.choice(units),
                    state=state,
                    stage=stage,
                    stage_started_at=T0 - 300 * H,
                    due_at=due,
                    raised_at=T0 - 300 * H,
                )
            )
            if stage == "handle":
                for _ in range(rng.randint(1, 3)):
                    subtasks.append(
                        dict(
                            request_id=10_000 + i,
                            unit_id=rng.choice(cities[:30]),
                            kind="障碍处理",
                            state=rng.choice(["open", "open", "done", "cancelled"]),
                            dispatched_at=T0 - 300 * H,
                            due_at=T0 + dt.timedelta(hours=rng.randint(-200, 200)),
                        )
                    )
        conn.execute(insert(ServiceRequest), requests)
        conn.execute(insert(RequestSubtask), subtasks)
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))  # plan with the statistics a live server has
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):  # not SQLite's explicit BEGIN
            statements.append(statement)

    with db.engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", count)
        started = time.perf_counter()
        counts = inbox_counts(conn, now=T0)
        elapsed = time.perf_counter() - started
        event.remove(conn, "before_cursor_execute", count)
        assert len(statements) == 1
        assert as_tuples(counts) == independent_counts(conn, T0)
        assert sum(c.todo for c in counts.values()) > 10_000
        assert elapsed < 2.0
        statements.clear()
        event.listen(conn, "before_cursor_execute", count)
        named = inbox_counts(conn, now=T0, units=list(counts)[:50])
        event.remove(conn, "before_cursor_execute", count)
        assert len(statements) == 2
        assert as_tuples(named) == {k: v for k, v in as_tuples(counts).items() if k in named}
        # a busy inbox lists the same requests the counts say, in deadline order
        busiest = max(counts.values(), key=lambda c: c.todo)
        rows = list_requests(conn, unit=busiest.unit, now=T0)
        assert len(rows) == busiest.todo and sum(r.overdue for r in rows) == busiest.overdue
        deadlines = [r.due_at for r in rows]
        assert deadlines == sorted(deadlines)
        for unit in ("000000", "440000", "440100"):
            for view in VIEWS:
                started = time.perf_counter()
                list_requests(conn, unit=unit, now=T0, view=view)
                assert time.perf_counter() - started < 0.5, (unit, view)


# --- the SLA table -----------------------------------------------------------------------------------------


def test_sla_rules_and_who_may_change_them(ready):
    db = ready
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="ADM", data=StaffInput("集团管理员", "000000", "admin"))
        add_staff(conn, employee_no="GDADM", data=StaffInput("广东管理员", "440000", "admin"))
        add_staff(conn, employee_no="BOSS", data=StaffInput("集团负责人", "000000", "analyst"))
        conn.execute(text("UPDATE staff SET position = 'head' WHERE employee_no = 'BOSS'"))
        rules = sla_rules(conn)
        assert len(rules) == 6 * 4 * 5
        first = rules[0]
        assert (first.type, first.priority, first.stage, first.hours) == ("new_circuit", "urgent", "route", 1)
        assert (first.type_label, first.priority_label, first.stage_label) == ("新开电路", "特急", "逐级上报")
        assert sla_rule_hours(conn, type_="fault", priority="normal", stage="handle") == 16
        assert sla_rule_hours(conn, type_="repair", priority="normal", stage="handle") is None
        assert sla_editor_id(conn, employee_no="ADM") > 0
        assert sla_editor_id(conn, employee_no="BOSS") > 0
        for who in ("GDADM", "JT1"):
            with pytest.raises(ValidationError) as err:
                sla_editor_id(conn, employee_no=who)
            assert "只有集团公司大客户事业部的管理员或负责人可以修改时限规则" in err.value.zh
        with pytest.raises(NotFound):
            sla_editor_id(conn, employee_no="NOBODY")


def test_every_view_is_listed():
    assert VIEWS == ("todo", "raised", "involved", "all", "below")
