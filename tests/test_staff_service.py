"""A unit's staff grouped by position, with industries and responsible-account counts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from kam_console.demo import seed_demo
from kam_console.errors import NotFound
from kam_console.services.staff import unit_staff


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
