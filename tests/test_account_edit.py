"""Creating and editing accounts: field-level validation, optimistic saves, manager reassignment."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import text

from kam_console.errors import NotFound
from kam_console.services.account_edit import (
    AccountInput,
    AccountInvalid,
    StaleAccount,
    create_account,
    load_account,
    reassign_manager,
    update_account,
)
from kam_console.services.staff import StaffInput, add_staff

TODAY = dt.date(2026, 11, 23)
GOOD = AccountInput("广州𠮷祥物流有限公司", "TRN", "city", "440100", "440100", address="天河区")


@pytest.fixture
def ready(db):
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="M1", data=StaffInput("王经理", "440100", "customer_manager"))
        add_staff(conn, employee_no="M2", data=StaffInput("李经理", "440100", "customer_manager"))
    return db


def dump(conn):
    return conn.execute(text("SELECT * FROM account ORDER BY id")).all(), conn.execute(
        text("SELECT * FROM account_manager_history ORDER BY id")
    ).all()


def test_create_and_load(ready):
    with ready.engine.begin() as conn:
        acc = create_account(conn, customer_no="N100", data=GOOD, manager="M1", today=TODAY)
        state = load_account(conn, account_id=acc)
    assert state.data == replace(GOOD, status="active")
    assert (state.customer_no, state.version, state.manager) == ("N100", 1, "M1")


@pytest.mark.parametrize(
    "data, field",
    [
        (replace(GOOD, name="  "), "name"),
        (replace(GOOD, industry="XYZ"), "industry"),
        (replace(GOOD, level="galaxy"), "level"),
        (replace(GOOD, owner_unit="440000"), "owner_unit"),  # a city account owned by a province
        (replace(GOOD, serving_city="440000"), "serving_city"),
        (replace(GOOD, serving_city="330100"), "serving_city"),  # outside 广州's area
        (replace(GOOD, parent="NOPE"), "parent"),
        (replace(GOOD, status="asleep"), "status"),
    ],
)
def test_each_bad_field_is_named_and_nothing_is_written(ready, data, field):
    with ready.engine.connect() as conn:
        before = dump(conn)
    with pytest.raises(AccountInvalid) as err:
        with ready.engine.begin() as conn:
            create_account(conn, customer_no="N101", data=data)
    assert field in err.value.errors
    with ready.engine.connect() as conn:
        assert dump(conn) == before


def test_duplicate_customer_number_and_inactive_manager(ready):
    with ready.engine.begin() as conn:
        create_account(conn, customer_no="N102", data=GOOD)
        conn.execute(text("UPDATE staff SET active = :f WHERE employee_no = 'M2'"), {"f": False})
    with pytest.raises(AccountInvalid) as err:
        with ready.engine.begin() as conn:
            create_account(conn, customer_no="N102", data=GOOD)
    assert "customer_no" in err.value.errors
    with pytest.raises(AccountInvalid) as err:
        with ready.engine.begin() as conn:
            create_account(conn, customer_no="N103", data=GOOD, manager="M2")
    assert "已停用" in err.value.errors["manager"]


def test_two_windows_editing_the_same_account(ready):
    with ready.engine.begin() as conn:
        acc = create_account(conn, customer_no="N104", data=GOOD, manager="M1", today=TODAY)
    with ready.engine.connect() as conn:
        first = load_account(conn, account_id=acc)
        second = load_account(conn, account_id=acc)
    with ready.engine.begin() as conn:
        assert update_account(conn, loaded=first, data=replace(first.data, address="越秀区", status="dormant")) == 2
    with ready.engine.connect() as conn:
        before = dump(conn)
    with pytest.raises(StaleAccount) as err:
        with ready.engine.begin() as conn:
            update_account(conn, loaded=second, data=replace(second.data, name="另一个名字"))
    assert set(err.value.changed) == {"address", "status"}
    assert err.value.changed["address"] == ("天河区", "越秀区")
    assert "地址" in err.value.zh and "没有保存" in err.value.zh
    with ready.engine.connect() as conn:
        assert dump(conn) == before  # the second save overwrote nothing


def test_reassigning_keeps_a_dated_history_and_is_optimistic_too(ready):
    with ready.engine.begin() as conn:
        acc = create_account(conn, customer_no="N105", data=GOOD, manager="M1", today=dt.date(2026, 1, 5))
        state = load_account(conn, account_id=acc)
        reassign_manager(conn, loaded=state, manager="M2", today=TODAY)
        rows = conn.execute(
            text(
                "SELECT s.employee_no, h.valid_from, h.valid_to FROM account_manager_history h "
                "JOIN staff s ON s.id = h.staff_id WHERE h.account_id = :a ORDER BY h.id"
            ),
            {"a": acc},
        ).all()
    assert [(r[0], str(r[1]), str(r[2]) if r[2] else None) for r in rows] == [
        ("M1", "2026-01-05", "2026-11-23"),
        ("M2", "2026-11-23", None),
    ]
    with pytest.raises(StaleAccount) as err:
        with ready.engine.begin() as conn:
            reassign_manager(conn, loaded=state, manager=None)  # `state` is the old version
    assert err.value.changed == {"manager": ("M1", "M2")}


def test_parent_cycle_and_unknown_account(ready):
    with ready.engine.begin() as conn:
        head = create_account(conn, customer_no="N106", data=GOOD)
        create_account(conn, customer_no="N107", data=replace(GOOD, parent="N106"))
        loaded = load_account(conn, account_id=head)
    with pytest.raises(AccountInvalid) as err:
        with ready.engine.begin() as conn:
            update_account(conn, loaded=loaded, data=replace(loaded.data, parent="N107"))
    assert "parent" in err.value.errors
    with ready.engine.connect() as conn:
        with pytest.raises(NotFound):
            load_account(conn, account_id=99999)
