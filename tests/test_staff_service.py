"""A unit's staff grouped by position, with industries and responsible-account counts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from kam_console.demo import seed_demo
from kam_console.errors import NotFound, ValidationError
from kam_console.services.staff import (
    StaffHasAccounts,
    StaffInput,
    add_staff,
    deactivate_staff,
    unit_staff,
    update_staff,
)


@pytest.fixture
def seeded(db):
    seed_demo(db, scale="small", seed=4, today=dt.date(2026, 11, 23))
    return db


def test_city_staff_grouped_with_counts(seeded):
    with seeded.engine.connect() as conn:
        groups = unit_staff(conn, code="440100")
        positions = [g.position for g in groups]
        assert positions[0] == "head"
        assert {"market_manager", "customer_manager", "project_manager", "business_manager"} <= set(positions)
        everyone = [s for g in groups for s in g.staff]
        expected = dict(
            conn.execute(
                text(
                    "SELECT s.employee_no, COUNT(a.id) FROM staff s JOIN org_unit u ON u.id = s.unit_id "
                    "LEFT JOIN account a ON a.manager_id = s.id WHERE u.code = '440100' AND s.active "
                    "GROUP BY s.employee_no"
                )
            ).all()
        )
        assert {s.employee_no: s.accounts for s in everyone} == expected
        managers = next(g for g in groups if g.position == "customer_manager")
        assert managers.label == "客户经理"
        assert all(s.industries for s in managers.staff)  # customer managers specialise
        assert sum(s.accounts for s in managers.staff) > 0


def test_unit_without_staff_and_unknown_unit(db):
    with db.engine.connect() as conn:
        assert unit_staff(conn, code="440100") == []
        with pytest.raises(NotFound):
            unit_staff(conn, code="999999")


def test_inactive_staff_only_on_request(seeded):
    with seeded.engine.begin() as conn:
        emp = conn.execute(
            text(
                "SELECT s.employee_no FROM staff s JOIN org_unit u ON u.id = s.unit_id "
                "WHERE u.code = '440300' AND s.position = 'market_manager' ORDER BY s.employee_no LIMIT 1"
            )
        ).scalar()
        conn.execute(text("UPDATE staff SET active = :f WHERE employee_no = :e"), {"f": False, "e": emp})
    with seeded.engine.connect() as conn:
        active = [s.employee_no for g in unit_staff(conn, code="440300") for s in g.staff]
        everyone = [s for g in unit_staff(conn, code="440300", include_inactive=True) for s in g.staff]
    assert emp not in active
    assert [s.active for s in everyone if s.employee_no == emp] == [False]


def test_every_position_has_a_place_on_the_page():
    from kam_console.models import POSITIONS
    from kam_console.services.staff import POSITION_ORDER

    assert sorted(POSITION_ORDER) == sorted(POSITIONS)


# --- changes ------------------------------------------------------------------------------------



def _snapshot(conn):
    return (
        conn.execute(text("SELECT employee_no, name, unit_id, position, active FROM staff ORDER BY employee_no")).all(),
        conn.execute(text("SELECT id, manager_id FROM account ORDER BY id")).all(),
    )


def test_add_and_edit_staff(db):
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="N001", data=StaffInput("𠮷田 一郎", "440100", "customer_manager", ("FIN", "EDU")))
        update_staff(
            conn,
            employee_no="N001",
            data=StaffInput("𠮷田 一郎", "440300", "project_manager", ("MED",), phone="020-1234"),
        )
    with db.engine.connect() as conn:
        groups = unit_staff(conn, code="440300")
    person = groups[0].staff[0]
    assert (person.name, person.position, person.industries, person.phone) == (
        "𠮷田 一郎",
        "project_manager",
        ("医疗卫生",),
        "020-1234",
    )


@pytest.mark.parametrize(
    "employee_no, data, message",
    [
        ("", StaffInput("张三", "440100", "customer_manager"), "工号"),
        ("N9", StaffInput(" ", "440100", "customer_manager"), "姓名"),
        ("N9", StaffInput("张三", "999999", "customer_manager"), "单位"),
        ("N9", StaffInput("张三", "440100", "astronaut"), "岗位"),
        ("N9", StaffInput("张三", "440100", "head"), "审批"),
        ("N9", StaffInput("张三", "440100", "customer_manager", ("XYZ",)), "行业"),
    ],
)
def test_bad_staff_input_is_refused_and_writes_nothing(db, employee_no, data, message):
    with db.engine.connect() as conn:
        before = _snapshot(conn)
    with pytest.raises(ValidationError) as err:
        with db.engine.begin() as conn:
            add_staff(conn, employee_no=employee_no, data=data)
    assert message in err.value.zh
    with db.engine.connect() as conn:
        assert _snapshot(conn) == before


def test_duplicate_employee_number(db):
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="N002", data=StaffInput("李四", "440100", "market_manager"))
    with pytest.raises(ValidationError, match="已存在"):
        with db.engine.begin() as conn:
            add_staff(conn, employee_no="N002", data=StaffInput("王五", "440100", "market_manager"))


def test_deactivate_requires_hand_over_of_accounts(seeded):
    with seeded.engine.connect() as conn:
        emp, n = conn.execute(
            text(
                "SELECT s.employee_no, COUNT(a.id) FROM staff s JOIN account a ON a.manager_id = s.id "
                "JOIN org_unit u ON u.id = s.unit_id WHERE u.code = '440100' GROUP BY s.employee_no "
                "ORDER BY 2 DESC LIMIT 1"
            )
        ).one()
        other = conn.execute(
            text(
                "SELECT s.employee_no FROM staff s JOIN org_unit u ON u.id = s.unit_id WHERE u.code = '440100' "
                "AND s.position = 'customer_manager' AND s.employee_no <> :e AND s.active ORDER BY 1 LIMIT 1"
            ),
            {"e": emp},
        ).scalar()
        before = _snapshot(conn)
    with pytest.raises(StaffHasAccounts) as err:
        with seeded.engine.begin() as conn:
            deactivate_staff(conn, employee_no=emp)
    assert err.value.accounts == n and "移交" in err.value.zh
    with pytest.raises(ValidationError):
        with seeded.engine.begin() as conn:
            deactivate_staff(conn, employee_no=emp, hand_over_to=emp)
    with seeded.engine.connect() as conn:
        assert _snapshot(conn) == before
    with seeded.engine.begin() as conn:
        moved = deactivate_staff(conn, employee_no=emp, hand_over_to=other, today=dt.date(2026, 11, 23))
    assert moved == n
    with seeded.engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT COUNT(*) FROM account a JOIN staff s ON s.id = a.manager_id WHERE s.employee_no = :e"),
                {"e": emp},
            ).scalar()
            == 0
        )
        assert conn.execute(text("SELECT active FROM staff WHERE employee_no = :e"), {"e": emp}).scalar() in (0, False)
        opened = conn.execute(
            text(
                "SELECT COUNT(*) FROM account_manager_history h JOIN staff s ON s.id = h.staff_id "
                "WHERE s.employee_no = :o AND h.valid_to IS NULL AND h.valid_from = :d"
            ),
            {"o": other, "d": dt.date(2026, 11, 23)},
        ).scalar()
        assert opened == n
