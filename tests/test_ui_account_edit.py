"""Editing an account from the UI: saves, field errors next to the field (the form stays open), a save over
someone else's newer change lists it and writes nothing, and reassigning the responsible manager."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QDialog, QMessageBox
from sqlalchemy import text

from kam_console.services.account_edit import AccountInput, create_account, load_account, update_account
from kam_console.services.staff import StaffInput, add_staff
from ui.account_edit_dialog import AccountEditDialog, AccountEditor, ReassignDialog
from ui.tasks import BackgroundTasks

GOOD = AccountInput("广州𠮷祥物流有限公司", "TRN", "city", "440100", "440100", address="天河区")


@pytest.fixture
def ready(db):
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="M1", data=StaffInput("王经理", "440100", "customer_manager"))
        add_staff(conn, employee_no="M2", data=StaffInput("李经理", "440100", "customer_manager"))
        account_id = create_account(conn, customer_no="N100", data=GOOD, manager="M1", today=dt.date(2026, 1, 5))
    tasks = BackgroundTasks()
    yield db, tasks, account_id
    tasks.wait_for_workers(5000)


def state(db, account_id):
    with db.engine.connect() as conn:
        return load_account(conn, account_id=account_id)


def script(monkeypatch, cls, steps):
    """Replace ``cls.exec`` with the given steps, one per opening; each step gets the dialog and returns
    the dialog code. Returns the list of dialogs opened."""
    opened = []
    steps = list(steps)

    def fake_exec(dialog):
        opened.append(dialog)
        return steps.pop(0)(dialog) if steps else QDialog.DialogCode.Rejected

    monkeypatch.setattr(cls, "exec", fake_exec)
    return opened


def messages(monkeypatch):
    shown = []
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda _p, title, body, *a, **k: shown.append((title, body)))
    return shown


def rename(name):
    def step(dialog):
        dialog.name_edit.setText(name)
        return QDialog.DialogCode.Accepted

    return step


def test_editing_saves(qtbot, ready, monkeypatch):
    db, tasks, account_id = ready
    shown = messages(monkeypatch)
    seen = {}

    def step(dialog):
        seen["read_only"] = dialog.customer_no_edit.isReadOnly()
        seen["customer_no"] = dialog.customer_no_edit.text()
        return rename("广州新名称有限公司")(dialog)

    opened = script(monkeypatch, AccountEditDialog, [step])
    editor = AccountEditor(db, tasks)
    with qtbot.waitSignal(editor.saved, timeout=10_000) as blocker:
        editor.edit(account_id)
    assert blocker.args == [account_id]
    assert len(opened) == 1 and seen == {"read_only": True, "customer_no": "N100"}
    now = state(db, account_id)
    assert now.data == replace(GOOD, name="广州新名称有限公司")
    assert now.version == 2
    assert shown == []


def test_bad_field_keeps_the_form_with_the_message_next_to_it(qtbot, ready, monkeypatch):
    db, tasks, account_id = ready
    seen = {}

    def bad_city(dialog):
        dialog.city_edit.setText("330100")  # outside the owner unit's area
        return QDialog.DialogCode.Accepted

    def second(dialog):
        field = dialog.fields["serving_city"]
        seen["error"] = field.error.text()
        seen["visible"] = not field.error.isHidden()
        seen["value"] = dialog.city_edit.text()
        seen["name_error_hidden"] = dialog.fields["name"].error.isHidden()
        return QDialog.DialogCode.Rejected

    opened = script(monkeypatch, AccountEditDialog, [bad_city, second])
    editor = AccountEditor(db, tasks)
    editor.edit(account_id)
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=10_000)
    assert seen == {"error": "不在归属单位的辖区内", "visible": True, "value": "330100", "name_error_hidden": True}
    assert state(db, account_id).version == 1


def test_save_over_someone_elses_change_lists_it_and_writes_nothing(qtbot, ready, monkeypatch):
    db, tasks, account_id = ready
    shown = messages(monkeypatch)

    def meanwhile(dialog):
        # Another window saves a new address after this form was loaded.
        with db.engine.begin() as conn:
            update_account(conn, loaded=load_account(conn, account_id=account_id), data=replace(GOOD, address="越秀区"))
        dialog.name_edit.setText("我的新名称")
        return QDialog.DialogCode.Accepted

    reopened = {}

    def fresh(dialog):
        reopened.update(address=dialog.address_edit.text(), name=dialog.name_edit.text())
        return QDialog.DialogCode.Rejected

    opened = script(monkeypatch, AccountEditDialog, [meanwhile, fresh])
    editor = AccountEditor(db, tasks)
    editor.edit(account_id)
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=10_000)  # reloaded afresh after the message
    assert len(shown) == 1
    title, body = shown[0]
    assert "地址：天河区 → 越秀区" in body
    assert "没有保存" in body
    now = state(db, account_id)
    assert now.data == replace(GOOD, address="越秀区") and now.version == 2
    assert reopened == {"address": "越秀区", "name": GOOD.name}


def test_reassign_updates_manager_and_history(qtbot, ready, monkeypatch):
    db, tasks, account_id = ready

    def choose(dialog):
        assert dialog.manager() == "M1"  # the current manager is preselected
        dialog.set_manager("M2")
        dialog.note_edit.setText("调岗")
        return QDialog.DialogCode.Accepted

    opened = script(monkeypatch, ReassignDialog, [choose])
    editor = AccountEditor(db, tasks)
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.reassign(account_id, [("M1", "王经理（M1）"), ("M2", "李经理（M2）")])
    assert len(opened) == 1
    assert state(db, account_id).manager == "M2"
    with db.engine.connect() as conn:
        history = conn.execute(
            text(
                "SELECT s.employee_no, h.valid_to IS NULL, h.note FROM account_manager_history h"
                " JOIN staff s ON s.id = h.staff_id WHERE h.account_id = :a ORDER BY h.id"
            ),
            {"a": account_id},
        ).all()
    assert [tuple(r) for r in history] == [("M1", 0, "新建客户"), ("M2", 1, "调岗")]


def test_reassign_unknown_employee_number_shows_message_in_the_dialog(qtbot, ready, monkeypatch):
    db, tasks, account_id = ready
    seen = {}

    def typed(dialog):
        dialog.manager_combo.setEditText("NOBODY")
        return QDialog.DialogCode.Accepted

    def second(dialog):
        seen["error"] = dialog.manager_field.error.text()
        return QDialog.DialogCode.Rejected

    opened = script(monkeypatch, ReassignDialog, [typed, second])
    AccountEditor(db, tasks).reassign(account_id)
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=10_000)
    assert "NOBODY" in seen["error"]
    assert state(db, account_id).manager == "M1"


def test_create_prefills_the_city_and_saves(qtbot, ready, monkeypatch):
    db, tasks, _ = ready

    def fill(dialog):
        assert dialog.owner_edit.text() == dialog.city_edit.text() == "440100"
        dialog.customer_no_edit.setText("N200")
        dialog.name_edit.setText("新客户")
        dialog.industry_combo.setCurrentIndex(dialog.industry_combo.findData("TRN"))
        return QDialog.DialogCode.Accepted

    script(monkeypatch, AccountEditDialog, [fill])
    editor = AccountEditor(db, tasks)
    with qtbot.waitSignal(editor.saved, timeout=10_000) as blocker:
        editor.create("440100")
    created = state(db, blocker.args[0])
    assert (created.customer_no, created.data.name, created.data.serving_city) == ("N200", "新客户", "440100")


def test_reassign_offers_the_units_customer_managers_with_their_load(qtbot, ready, monkeypatch):
    db, tasks, account_id = ready
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="X9", data=StaffInput("外市经理", "440300", "customer_manager"))
        add_staff(conn, employee_no="MK", data=StaffInput("市场经理", "440100", "market_manager"))
    seen = {}

    def look(dialog):
        combo = dialog.manager_combo
        seen["offered"] = [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]
        seen["current"] = dialog.manager()
        dialog.set_manager("M2")
        return QDialog.DialogCode.Accepted

    script(monkeypatch, ReassignDialog, [look])
    editor = AccountEditor(db, tasks)
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.reassign(account_id)
    offered = seen["offered"]
    assert [no for no, _ in offered] == [None, "M2", "M1"]  # 暂不指定, the least loaded first
    assert offered[1][1] == "李经理（M2，广州） · 负责 0 个客户"
    assert offered[2][1] == "王经理（M1，广州） · 负责 1 个客户"
    assert seen["current"] == "M1"
    assert state(db, account_id).manager == "M2"


def test_units_are_picked_by_name_at_the_level_the_account_needs(qtbot, ready, monkeypatch):
    from PySide6.QtTest import QTest

    db, tasks, _ = ready
    seen = {}

    def pick(dialog):
        owner, city = dialog.owner_edit, dialog.city_edit
        # Created from 广州's page: a city account of 广州, shown by name.
        seen["start"] = (dialog.level_combo.currentData(), owner.currentText(), city.currentText(), owner.text())
        seen["city_owners"] = {owner.itemText(i) for i in range(owner.count())}
        seen["gz_cities"] = [city.itemText(i) for i in range(city.count())]
        dialog.level_combo.setCurrentIndex(dialog.level_combo.findData("provincial"))
        seen["province_owners"] = [owner.itemData(i) for i in range(owner.count())]
        owner.lineEdit().clear()
        dialog.show()
        QTest.keyClicks(owner.lineEdit(), "gd")  # pinyin initials of 广东
        seen["typed_gd"] = owner.matches()
        owner.completer().popup().hide()
        owner.setCurrentIndex(owner.findData("440000"))
        seen["gd_cities"] = [city.itemData(i) for i in range(city.count())]
        city.setEditText("深圳")  # a name typed in full, not picked from the list
        seen["city"] = city.text()
        dialog.customer_no_edit.setText("N300")
        dialog.name_edit.setText("广东新客户有限公司")
        dialog.industry_combo.setCurrentIndex(dialog.industry_combo.findData("TRN"))
        return QDialog.DialogCode.Accepted

    script(monkeypatch, AccountEditDialog, [pick])
    editor = AccountEditor(db, tasks)
    with qtbot.waitSignal(editor.saved, timeout=10_000) as blocker:
        editor.create("440100")
    assert seen["start"] == ("city", "广州（440100）", "广州（440100）", "440100")
    assert "广州（440100）" in seen["city_owners"] and "深圳（440300）" in seen["city_owners"]
    assert not any(label.endswith("（440000）") or label.endswith("（000000）") for label in seen["city_owners"])
    assert seen["gz_cities"] == ["广州（440100）"]  # a city account of 广州 is served in 广州
    assert "440000" in seen["province_owners"] and all(c.endswith("0000") for c in seen["province_owners"])
    assert "000000" not in seen["province_owners"]
    assert seen["typed_gd"] == ["广东（440000）"]
    assert "440100" in seen["gd_cities"] and "440300" in seen["gd_cities"]
    assert all(c.startswith("44") for c in seen["gd_cities"])  # only 广东's cities
    assert seen["city"] == "440300"
    created = state(db, blocker.args[0])
    assert (created.data.level, created.data.owner_unit, created.data.serving_city) == (
        "provincial",
        "440000",
        "440300",
    )


def test_picking_from_the_completion_list_chooses_the_unit(qtbot):
    from kam_console.services.catalogues import UnitChoice

    units = [
        UnitChoice("440100", "广州市大客户部", "广州", "city", "000000/440000/440100", True, "gz"),
        UnitChoice("360700", "赣州市大客户部", "赣州", "city", "000000/360000/360700", True, "gz"),
        UnitChoice("440300", "深圳市大客户部", "深圳", "city", "000000/440000/440300", True, "sz"),
    ]
    dialog = AccountEditDialog([("TRN", "交通物流")], units=units)
    qtbot.addWidget(dialog)
    dialog.level_combo.setCurrentIndex(dialog.level_combo.findData("city"))
    dialog.show()
    city = dialog.city_edit
    from PySide6.QtTest import QTest

    QTest.keyClicks(city.lineEdit(), "gz")
    assert city.matches() == ["广州（440100）", "赣州（360700）"]
    completer = city.completer()
    completer.activated[QModelIndex].emit(completer.completionModel().index(1, 0))
    assert (city.currentText(), city.text()) == ("赣州（360700）", "360700")
    city.setEditText("4403")  # part of a code names no unit: passed on for the save to report
    assert city.text() == "4403"
    city.setText("440300")
    assert city.currentText() == "深圳（440300）"


def test_read_only_customer_number_looks_read_only(qtbot, ready):
    from PySide6.QtGui import QPalette

    db, _, account_id = ready
    dialog = AccountEditDialog([("TRN", "交通物流")], state(db, account_id))
    qtbot.addWidget(dialog)
    edit = dialog.customer_no_edit
    assert edit.isReadOnly() and not edit.hasFrame()
    palette = edit.palette()
    assert palette.color(QPalette.ColorRole.Base) == palette.color(QPalette.ColorRole.Window)
    assert dialog.owner_edit.text() == "440100" and dialog.city_edit.text() == "440100"
    new = AccountEditDialog([("TRN", "交通物流")])
    qtbot.addWidget(new)
    assert not new.customer_no_edit.isReadOnly() and new.customer_no_edit.hasFrame()
