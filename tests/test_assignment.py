"""Manager candidates for an account and bulk assignment from a unit's queue of unassigned accounts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from kam_console.errors import NotFound, ValidationError
from kam_console.services.account_edit import AccountInput, create_account, load_account, reassign_manager
from kam_console.services.assignment import (
    account_manager_candidates,
    assign_managers,
    candidates_for_accounts,
    manager_candidates,
)
from kam_console.services.staff import StaffInput, add_staff

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def ready(db):
    """广州 with three customer managers (one a transport specialist), a market manager, a 深圳 manager; three
    unassigned 广州 accounts and one 深圳 account."""
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="G1", data=StaffInput("王一", "440100", "customer_manager"))
        add_staff(conn, employee_no="G2", data=StaffInput("李二", "440100", "customer_manager", industries=("TRN",)))
        add_staff(conn, employee_no="G3", data=StaffInput("张三", "440100", "customer_manager"))
        add_staff(conn, employee_no="GM", data=StaffInput("赵市场", "440100", "market_manager"))
        add_staff(conn, employee_no="S1", data=StaffInput("深经理", "440300", "customer_manager"))
        ids = {}
        for no, city in (("A1", "440100"), ("A2", "440100"), ("A3", "440100"), ("B1", "440300")):
            ids[no] = create_account(
                conn, customer_no=no, data=AccountInput(f"客户{no}", "TRN", "city", city, city), today=TODAY
            )
        create_account(
            conn,
            customer_no="A9",
            data=AccountInput("客户A9", "FIN", "city", "440100", "440100"),
            manager="G1",
            today=TODAY,
        )
    return db, ids


def managers(conn) -> dict[str, str | None]:
    return dict(
        conn.execute(
            text("SELECT a.customer_no, s.employee_no FROM account a LEFT JOIN staff s ON s.id = a.manager_id")
        ).all()
    )


def test_candidates_are_the_units_customer_managers_specialists_and_least_loaded_first(ready):
    db, ids = ready
    with db.engine.connect() as conn:
        got = account_manager_candidates(conn, account_id=ids["A1"])
        assert [c.employee_no for c in got] == ["G2", "G3", "G1"]  # G2 knows transport; G1 already has A9
        assert got[0].fits_industry and not got[1].fits_industry
        assert got[2].accounts == 1 and "负责 1 个客户" in got[2].label
        assert got[0].industries == ("交通物流",) and "交通物流" in got[0].label  # the specialty is shown
        assert all(c.eligible for c in got)
        # the market manager and the other city's manager are not offered
        assert {"GM", "S1"}.isdisjoint(c.employee_no for c in got)
        with pytest.raises(NotFound):
            manager_candidates(conn, units=["999999"])


def test_current_manager_who_left_is_listed_as_not_eligible(ready):
    db, ids = ready
    with db.engine.begin() as conn:
        a9 = conn.execute(text("SELECT id FROM account WHERE customer_no = 'A9'")).scalar()
        conn.execute(text("UPDATE staff SET active = :f WHERE employee_no = 'G1'"), {"f": False})
    with db.engine.connect() as conn:
        got = account_manager_candidates(conn, account_id=a9)
    assert [(c.employee_no, c.eligible) for c in got][-1] == ("G1", False)
    assert [c.employee_no for c in got if c.eligible] == ["G2", "G3"]


def test_bulk_assignment_writes_managers_and_history(ready):
    db, ids = ready
    with db.engine.begin() as conn:
        result = assign_managers(
            conn, accounts=[(ids["A1"], None), (ids["A2"], None)], manager="G3", note="新客户分配", today=TODAY
        )
    assert (result.assigned, result.skipped) == (2, ())
    with db.engine.connect() as conn:
        assert managers(conn) == {"A1": "G3", "A2": "G3", "A3": None, "B1": None, "A9": "G1"}
        history = conn.execute(
            text(
                "SELECT a.customer_no, s.employee_no, h.valid_from, h.valid_to, h.note FROM account_manager_history h"
                " JOIN account a ON a.id = h.account_id JOIN staff s ON s.id = h.staff_id"
                " WHERE a.customer_no IN ('A1', 'A2') ORDER BY a.customer_no"
            )
        ).all()
        assert [tuple(r)[:2] + (str(r[2]), r[3], r[4]) for r in history] == [
            ("A1", "G3", "2026-11-23", None, "新客户分配"),
            ("A2", "G3", "2026-11-23", None, "新客户分配"),
        ]
        assert load_account(conn, account_id=ids["A1"]).version == 2  # an open account page sees it is stale


def test_bulk_assignment_never_overwrites_a_change_made_meanwhile(ready):
    db, ids = ready
    with db.engine.begin() as conn:
        state = load_account(conn, account_id=ids["A1"])
        reassign_manager(conn, loaded=state, manager="G1", today=TODAY)  # someone else, in another window
    with db.engine.begin() as conn:
        result = assign_managers(
            conn, accounts=[(ids["A1"], None), (ids["A2"], None), (ids["B1"], None)], manager="G2", today=TODAY
        )
    assert result.assigned == 1
    reasons = {s.customer_no: s.reason for s in result.skipped}
    assert "他人" in reasons["A1"] and "归属单位或服务地市" in reasons["B1"]
    with db.engine.connect() as conn:
        assert managers(conn) == {"A1": "G1", "A2": "G2", "A3": None, "B1": None, "A9": "G1"}


@pytest.mark.parametrize(
    "who, message",
    [("NOBODY", "没有工号为 NOBODY"), ("GM", "不是客户经理"), ("OLD", "已停用")],
)
def test_bulk_assignment_to_someone_who_cannot_be_responsible_changes_nothing(ready, who, message):
    db, ids = ready
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="OLD", data=StaffInput("老员工", "440100", "customer_manager"))
        conn.execute(text("UPDATE staff SET active = :f WHERE employee_no = 'OLD'"), {"f": False})
        before = managers(conn)
    with pytest.raises(ValidationError) as err:
        with db.engine.begin() as conn:
            assign_managers(conn, accounts=[(ids["A1"], None)], manager=who, today=TODAY)
    assert message in err.value.zh
    with db.engine.connect() as conn:
        assert managers(conn) == before
        assert conn.execute(text("SELECT count(*) FROM account_manager_history")).scalar() == 1  # A9's only


def test_candidates_for_several_accounts_cover_each_accounts_city(ready):
    db, ids = ready
    with db.engine.connect() as conn:
        got = candidates_for_accounts(conn, account_ids=[ids["A1"], ids["B1"]])
        assert {c.employee_no for c in got} == {"G1", "G2", "G3", "S1"}
        assert got[0].employee_no == "G2"  # both are transport accounts: the specialist first
        with pytest.raises(NotFound):
            candidates_for_accounts(conn, account_ids=[10**9])


def test_the_pickers_columns_use_the_staff_tabs_terms(ready, qtbot):
    """The picker names a manager's industries 专长行业, as the staff tab and the staff dialogs do."""
    from ui.assign_dialog import COL_INDUSTRIES, AssignManagersDialog

    db, ids = ready
    with db.engine.connect() as conn:
        candidates = candidates_for_accounts(conn, account_ids=[ids["A1"]])
    dialog = AssignManagersDialog(candidates, 1)
    qtbot.addWidget(dialog)
    table = dialog.table
    assert table.horizontalHeaderItem(COL_INDUSTRIES).text() == "专长行业"
    specialist = next(row for row, c in enumerate(dialog.candidates) if c.fits_industry)
    assert table.item(specialist, COL_INDUSTRIES).toolTip() == "专长行业包括这些客户所在的行业"
    texts = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    texts += [table.item(r, c).toolTip() for r in range(table.rowCount()) for c in range(table.columnCount())]
    assert not any("擅长" in text for text in texts)
