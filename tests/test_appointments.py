"""Head appointments: proposed by the unit, decided by the upper KA unit only (matrix rule)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from kam_console.errors import NotFound, ValidationError
from kam_console.services.appointments import (
    decide_head,
    pending_appointments,
    propose_head,
    withdraw_head,
)
from kam_console.services.staff import StaffInput, add_staff


@pytest.fixture
def people(db):
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="H001", data=StaffInput("老负责人", "440100", "customer_manager"))
        add_staff(conn, employee_no="C001", data=StaffInput("候选人", "440100", "customer_manager"))
        add_staff(conn, employee_no="C002", data=StaffInput("深圳候选", "440300", "market_manager"))
        conn.execute(text("UPDATE staff SET position = 'head' WHERE employee_no = 'H001'"))
    return db


def position(conn, emp):
    return tuple(
        conn.execute(
            text("SELECT s.position, u.code FROM staff s JOIN org_unit u ON u.id = s.unit_id WHERE s.employee_no = :e"),
            {"e": emp},
        ).one()
    )


def test_proposal_is_visible_on_both_pages_and_approved_by_the_province(people):
    with people.engine.begin() as conn:
        aid = propose_head(
            conn, unit="440100", candidate="C001", previous_head_position="project_manager", note="工作需要"
        )
    with people.engine.connect() as conn:
        for unit in ("440100", "440000"):
            rows = pending_appointments(conn, unit=unit)
            assert [(r.id, r.candidate_name, r.previous_head_name, r.status_label) for r in rows] == [
                (aid, "候选人", "老负责人", "待审批")
            ]
        assert pending_appointments(conn, unit="000000") == []
    with people.engine.begin() as conn:
        row = decide_head(conn, appointment_id=aid, approve=True, deciding_unit="440000", note="同意")
    assert row.status == "approved" and row.decision_note == "同意"
    with people.engine.connect() as conn:
        assert position(conn, "C001") == ("head", "440100")
        assert position(conn, "H001") == ("project_manager", "440100")
        assert pending_appointments(conn, unit="440100") == []


def test_candidate_from_another_city_moves_on_approval(people):
    with people.engine.begin() as conn:
        aid = propose_head(conn, unit="440100", candidate="C002")
        decide_head(conn, appointment_id=aid, approve=True, deciding_unit="440000")
        assert position(conn, "C002") == ("head", "440100")


def snapshot(conn):
    return (
        conn.execute(text("SELECT id, status, decision_note FROM head_appointment ORDER BY id")).all(),
        conn.execute(text("SELECT employee_no, position, unit_id FROM staff ORDER BY employee_no")).all(),
    )


def refused(db, fn, message, **kw):
    with db.engine.connect() as conn:
        before = snapshot(conn)
    with pytest.raises((ValidationError, NotFound)) as err:
        with db.engine.begin() as conn:
            fn(conn, **kw)
    assert message in err.value.zh
    with db.engine.connect() as conn:
        assert snapshot(conn) == before


def test_only_the_upper_unit_decides_and_only_once(people):
    with people.engine.begin() as conn:
        aid = propose_head(conn, unit="440100", candidate="C001")
    refused(
        people,
        decide_head,
        "只有上级大客户部门（广东省大客户部）",
        appointment_id=aid,
        approve=True,
        deciding_unit="440100",
    )
    refused(people, decide_head, "只有上级大客户部门", appointment_id=aid, approve=True, deciding_unit="000000")
    refused(people, decide_head, "只有上级大客户部门", appointment_id=aid, approve=True, deciding_unit="330000")
    with people.engine.begin() as conn:
        decide_head(conn, appointment_id=aid, approve=False, deciding_unit="440000", note="人选再议")
        assert position(conn, "C001") == ("customer_manager", "440100")
    refused(people, decide_head, "已驳回", appointment_id=aid, approve=True, deciding_unit="440000")
    refused(people, decide_head, "没有编号", appointment_id=9999, approve=True, deciding_unit="440000")


def test_one_pending_appointment_per_unit_and_withdrawal(people):
    with people.engine.begin() as conn:
        aid = propose_head(conn, unit="440100", candidate="C001")
    refused(people, propose_head, "已有一项待审批", unit="440100", candidate="C002")
    with people.engine.begin() as conn:
        withdraw_head(conn, appointment_id=aid, note="另有安排")
        propose_head(conn, unit="440100", candidate="C002")
    refused(people, withdraw_head, "只有待审批", appointment_id=aid)


def test_bad_proposals(people):
    refused(people, propose_head, "集团公司任命", unit="000000", candidate="C001")
    refused(people, propose_head, "没有工号", unit="440100", candidate="X999")
    refused(people, propose_head, "没有代码", unit="999999", candidate="C001")
    refused(people, propose_head, "已是本单位负责人", unit="440100", candidate="H001")
    refused(people, propose_head, "岗位无效", unit="440100", candidate="C001", previous_head_position="head")
    with people.engine.begin() as conn:
        conn.execute(text("UPDATE staff SET active = :f WHERE employee_no = 'C002'"), {"f": False})
    refused(people, propose_head, "已停用", unit="440100", candidate="C002")


def test_demo_reseed_clears_appointments(db):
    import datetime as dt

    from kam_console.demo import seed_demo

    seed_demo(db, scale="small", seed=1, today=dt.date(2026, 11, 23))
    with db.engine.begin() as conn:
        candidate = conn.execute(text(
            "SELECT s.employee_no FROM staff s JOIN org_unit u ON u.id = s.unit_id "
            "WHERE u.code = '440100' AND s.position = 'customer_manager' ORDER BY 1 LIMIT 1")).scalar()
        propose_head(conn, unit="440100", candidate=candidate)
    seed_demo(db, scale="small", seed=1, today=dt.date(2026, 11, 23))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM head_appointment")).scalar() == 0
