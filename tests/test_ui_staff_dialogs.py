"""Adding, editing and deactivating staff from the unit page: the dialogs' validation, and the changes
run through StaffActions in the background (with the hand-over of accounts). Never blocks on a dialog."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox
from sqlalchemy import text

from kam_console.services.staff import StaffInput, StaffRow, add_staff, unit_staff
from ui.staff_dialogs import DeactivateDialog, StaffActions, StaffDialog
from ui.tasks import BackgroundTasks

INDUSTRIES = [("GOV", "政府"), ("FIN", "金融"), ("EDU", "教育")]


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks()
    yield t
    t.wait_for_workers(5000)


@pytest.fixture
def errors(monkeypatch):
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, msg, *a, **k: shown.append((title, msg)))
    return shown


def row(i=1, position="customer_manager", industries=("金融",), accounts=0, active=True):
    return StaffRow(i, f"E{i}", f"员工{i}", position, industries, accounts, active, "13800000000", "a@b.cn")


def groups_of(db, unit):
    with db.engine.connect() as conn:
        return unit_staff(conn, code=unit)


def everyone(db, unit, include_inactive=False):
    with db.engine.connect() as conn:
        return {
            p.employee_no: p for g in unit_staff(conn, code=unit, include_inactive=include_inactive) for p in g.staff
        }


def make_actions(qtbot, db, tasks, unit="440100"):
    parent = QDialog()  # any widget will do as the dialogs' parent
    qtbot.addWidget(parent)
    actions = StaffActions(db, tasks, parent)
    qtbot.waitUntil(lambda: bool(actions.industries), timeout=5000)
    actions.set_unit(unit, groups_of(db, unit))
    return actions


def drive(monkeypatch, cls, fill):
    """Replace ``cls.exec`` by ``fill(dialog)`` then Accepted; returns the dialogs it was given."""
    seen = []

    def fake_exec(dialog):
        seen.append(dialog)
        fill(dialog)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(cls, "exec", fake_exec)
    return seen


def check(dialog: StaffDialog, *codes: str) -> None:
    for i in range(dialog.industry_list.count()):
        item = dialog.industry_list.item(i)
        state = Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole + 1) in codes else Qt.CheckState.Unchecked
        item.setCheckState(state)


# --- dialogs --------------------------------------------------------------------------------------


def test_add_dialog_validation(qtbot):
    dialog = StaffDialog("440100", INDUSTRIES)
    qtbot.addWidget(dialog)
    dialog.show()
    positions = [dialog.position_combo.itemData(i) for i in range(dialog.position_combo.count())]
    assert "head" not in positions and "customer_manager" in positions
    assert not dialog.ok_button.isEnabled()
    assert not dialog.fields["name"].error.isVisible()  # untouched fields are not scolded
    dialog.employee_no_edit.setText("N001")
    dialog.name_edit.setText("李雷")
    assert dialog.ok_button.isEnabled()
    dialog.name_edit.setText("   ")  # empty name blocks OK, with a message next to the field
    assert not dialog.ok_button.isEnabled()
    assert dialog.fields["name"].error.isVisible() and "姓名" in dialog.fields["name"].error.text()
    dialog.name_edit.setText("李雷")
    dialog.email_edit.setText("not-an-email")
    assert not dialog.ok_button.isEnabled()
    assert dialog.fields["email"].error.isVisible() and "邮箱" in dialog.fields["email"].error.text()
    dialog.email_edit.setText("lilei@example.com")
    assert dialog.ok_button.isEnabled() and not dialog.fields["email"].error.isVisible()
    dialog.accept()  # valid: accepted
    assert dialog.result() == QDialog.DialogCode.Accepted
    check(dialog, "FIN", "EDU")
    dialog.position_combo.setCurrentIndex(dialog.position_combo.findData("project_manager"))
    assert dialog.data() == (
        "N001",
        StaffInput("李雷", "440100", "project_manager", ("FIN", "EDU"), None, "lilei@example.com"),
    )


def test_invalid_dialog_is_not_accepted(qtbot):
    dialog = StaffDialog("440100", INDUSTRIES)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.fields["employee_no"].error.isVisible() and dialog.fields["name"].error.isVisible()


def test_edit_dialog_prefills_and_locks_employee_no(qtbot):
    dialog = StaffDialog("440100", INDUSTRIES, row(7, industries=("金融", "教育")))
    qtbot.addWidget(dialog)
    assert dialog.employee_no_edit.isReadOnly() and dialog.employee_no_edit.text() == "E7"
    assert dialog.ok_button.isEnabled()
    assert dialog.data()[1] == StaffInput(
        "员工7", "440100", "customer_manager", ("FIN", "EDU"), "13800000000", "a@b.cn"
    )


def test_edit_dialog_for_a_head_shows_head_read_only(qtbot):
    dialog = StaffDialog("440100", INDUSTRIES, row(1, position="head"))
    qtbot.addWidget(dialog)
    assert dialog.position_combo.count() == 1 and dialog.position_combo.currentText() == "负责人"
    assert not dialog.position_combo.isEnabled()
    assert dialog.data()[1].position == "head"


def test_deactivate_dialog(qtbot):
    person = row(1, accounts=12)
    colleagues = [row(2, position="project_manager"), row(3), row(4, active=False)]
    dialog = DeactivateDialog(person, 12, colleagues)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "12" in dialog.message.text()
    assert [dialog.colleague_combo.itemData(i) for i in range(dialog.colleague_combo.count())] == ["E2", "E3"]
    assert dialog.hand_over_to() == "E3"  # a customer manager by default
    confirm = DeactivateDialog(person, 0, colleagues)
    qtbot.addWidget(confirm)
    confirm.show()
    assert not confirm.colleague_combo.isVisible() and confirm.hand_over_to() is None
    nobody = DeactivateDialog(person, 3, [])
    qtbot.addWidget(nobody)
    nobody.show()
    assert nobody.no_colleagues.isVisible()
    assert not nobody.buttons.button(nobody.buttons.StandardButton.Ok).isEnabled()


# --- actions --------------------------------------------------------------------------------------


def test_add_and_edit_through_actions(qtbot, sqlite_db, tasks, monkeypatch, errors):
    actions = make_actions(qtbot, sqlite_db, tasks)
    assert "FIN" in [c for c, _ in actions.industries]

    def fill_add(dialog):
        dialog.employee_no_edit.setText("N100")
        dialog.name_edit.setText("韩梅梅")
        dialog.position_combo.setCurrentIndex(dialog.position_combo.findData("customer_manager"))
        check(dialog, "FIN", "EDU")
        dialog.phone_edit.setText("020-12345678")

    drive(monkeypatch, StaffDialog, fill_add)
    with qtbot.waitSignal(actions.changed, timeout=5000):
        actions.add()
    qtbot.waitUntil(tasks.is_idle)
    assert errors == []
    added = everyone(sqlite_db, "440100")["N100"]
    assert (added.name, added.position, added.phone) == ("韩梅梅", "customer_manager", "020-12345678")
    names = dict(actions.industries)
    assert added.industries == (names["FIN"], names["EDU"])

    actions.set_unit("440100", groups_of(sqlite_db, "440100"))

    def fill_edit(dialog):
        assert dialog.employee_no_edit.isReadOnly() and dialog.name_edit.text() == "韩梅梅"
        dialog.position_combo.setCurrentIndex(dialog.position_combo.findData("market_manager"))
        check(dialog, "GOV")

    drive(monkeypatch, StaffDialog, fill_edit)
    with qtbot.waitSignal(actions.changed, timeout=5000):
        actions.edit(added.id)
    qtbot.waitUntil(tasks.is_idle)
    assert errors == []
    edited = everyone(sqlite_db, "440100")["N100"]
    assert (edited.position, edited.industries) == ("market_manager", (names["GOV"],))


def test_add_error_is_shown(qtbot, sqlite_db, tasks, monkeypatch, errors):
    with sqlite_db.engine.begin() as conn:
        add_staff(conn, employee_no="D001", data=StaffInput("已有", "440100", "analyst"))
    actions = make_actions(qtbot, sqlite_db, tasks)

    def fill(dialog):
        dialog.employee_no_edit.setText("D001")
        dialog.name_edit.setText("重复")

    drive(monkeypatch, StaffDialog, fill)
    actions.add()
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert errors[0][0] == "新增员工失败" and "D001" in errors[0][1]


@pytest.fixture
def seeded(sqlite_db):
    from kam_console.demo import seed_demo

    seed_demo(sqlite_db, scale="small", seed=1, today=dt.date(2026, 11, 23))
    return sqlite_db


def manager_with_accounts(db):
    groups = groups_of(db, "440100")
    people = [p for g in groups for p in g.staff]
    leaving = next(p for p in people if p.position == "customer_manager" and p.accounts > 0)
    taker = next(p for p in people if p.position == "customer_manager" and p.id != leaving.id)
    return groups, leaving, taker


def account_managers(db, staff_id):
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM account WHERE manager_id = :s"), {"s": staff_id}).scalar_one()


def test_deactivate_hands_accounts_over(qtbot, seeded, tasks, monkeypatch, errors):
    groups, leaving, taker = manager_with_accounts(seeded)
    before = account_managers(seeded, taker.id)
    actions = make_actions(qtbot, seeded, tasks)
    seen = drive(
        monkeypatch,
        DeactivateDialog,
        lambda d: d.colleague_combo.setCurrentIndex(d.colleague_combo.findData(taker.employee_no)),
    )
    with qtbot.waitSignal(actions.changed, timeout=10000):
        actions.deactivate(leaving.id)
    qtbot.waitUntil(tasks.is_idle)
    assert errors == []
    assert len(seen) == 1 and seen[0].accounts == leaving.accounts
    assert account_managers(seeded, leaving.id) == 0
    assert account_managers(seeded, taker.id) == before + leaving.accounts
    assert leaving.employee_no not in everyone(seeded, "440100")
    assert not everyone(seeded, "440100", include_inactive=True)[leaving.employee_no].active


def test_deactivate_with_stale_count_asks_for_a_colleague_and_retries(qtbot, seeded, tasks, monkeypatch, errors):
    groups, leaving, taker = manager_with_accounts(seeded)
    stale = [
        dataclasses.replace(g, staff=[dataclasses.replace(p, accounts=0) if p.id == leaving.id else p for p in g.staff])
        for g in groups
    ]
    actions = make_actions(qtbot, seeded, tasks)
    actions.set_unit("440100", stale)
    seen = drive(
        monkeypatch,
        DeactivateDialog,
        lambda d: d.colleague_combo.setCurrentIndex(d.colleague_combo.findData(taker.employee_no)),
    )
    with qtbot.waitSignal(actions.changed, timeout=10000):
        actions.deactivate(leaving.id)
    qtbot.waitUntil(tasks.is_idle)
    assert errors == []
    assert [d.accounts for d in seen] == [0, leaving.accounts]  # a plain confirmation, then the hand-over
    assert account_managers(seeded, leaving.id) == 0


def test_deactivate_without_accounts_is_a_confirmation(qtbot, sqlite_db, tasks, monkeypatch, errors):
    with sqlite_db.engine.begin() as conn:
        add_staff(conn, employee_no="Q001", data=StaffInput("离职者", "440100", "analyst"))
    actions = make_actions(qtbot, sqlite_db, tasks)
    person = everyone(sqlite_db, "440100")["Q001"]
    monkeypatch.setattr(DeactivateDialog, "exec", lambda d: QDialog.DialogCode.Rejected)
    actions.deactivate(person.id)  # cancelled: nothing happens
    qtbot.waitUntil(tasks.is_idle)
    assert "Q001" in everyone(sqlite_db, "440100")
    drive(monkeypatch, DeactivateDialog, lambda d: None)
    with qtbot.waitSignal(actions.changed, timeout=5000):
        actions.deactivate(person.id)
    qtbot.waitUntil(tasks.is_idle)
    assert errors == [] and "Q001" not in everyone(sqlite_db, "440100")


def test_add_dialog_names_the_unit_and_starts_as_customer_manager(qtbot, sqlite_db, tasks):
    from kam_console.demo import seed_demo

    seed_demo(sqlite_db, scale="small", seed=1, today=dt.date(2026, 11, 23))
    actions = make_actions(qtbot, sqlite_db, tasks, "440100")
    dialog = actions.make_staff_dialog()
    qtbot.addWidget(dialog)
    assert dialog.unit_label.text() == "广州市大客户部（440100）"
    assert dialog.position_combo.currentData() == "customer_manager"
    example = dialog.employee_no_edit.placeholderText().removeprefix("例如：")
    assert example == "E44002039"
    # The example looks like the unit's real employee numbers: E, the province's two digits, six digits.
    numbers = list(everyone(sqlite_db, "440100"))
    assert numbers and all(re.fullmatch(r"E44\d{6}", no) for no in numbers)
    assert re.fullmatch(r"E44\d{6}", example) and len(example) == len(numbers[0])
    # Editing keeps the person's own position.
    market = row(5, position="market_manager")
    edit = StaffDialog("440100", INDUSTRIES, market, unit_name="广州市大客户部")
    qtbot.addWidget(edit)
    assert edit.position_combo.currentData() == "market_manager"
    assert edit.unit_label.text() == "广州市大客户部（440100）"
