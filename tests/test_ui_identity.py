"""Who works at this desk: picked from the selected unit's staff or by employee number, remembered, shown in
the status bar; an unknown or deactivated employee is refused in the dialog."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QDialog
from sqlalchemy import text

from kam_console.demo import seed_demo
from ui import settings as S
from ui.identity import IdentityDialog
from ui.main_window import MainWindow
from ui.tasks import BackgroundTasks


@pytest.fixture
def window(qtbot, sqlite_db):
    seed_demo(sqlite_db, scale="small", seed=2, today=dt.date(2026, 11, 23))
    tasks = BackgroundTasks()
    w = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.loaded, timeout=10_000):
        w.refresh()
    w.tree_panel.select_code("440100")
    qtbot.waitUntil(lambda: w._unit_staff[0] == "440100", timeout=10_000)
    yield w
    tasks.wait_for_workers(5000)


def test_choosing_an_identity_is_shown_and_remembered(qtbot, window, sqlite_db, monkeypatch):
    with sqlite_db.engine.connect() as conn:
        no, name = conn.execute(
            text(
                "SELECT s.employee_no, s.name FROM staff s JOIN org_unit u ON u.id = s.unit_id"
                " WHERE u.code = '440100' AND s.position = 'customer_manager' AND s.active ORDER BY 1 LIMIT 1"
            )
        ).one()
    seen = {}

    def pick(dialog):
        seen["offered"] = [dialog.combo.itemData(i) for i in range(dialog.combo.count())]
        dialog.combo.setCurrentIndex(dialog.combo.findData(no))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(IdentityDialog, "exec", pick)
    assert "未选择" in window.status_identity.text()
    with qtbot.waitSignal(window.identity.changed, timeout=10_000):
        window.action_identity.trigger()
    assert no in seen["offered"]
    assert window.identity.identity.employee_no == no and window.identity.identity.unit_code == "440100"
    assert name in window.status_identity.text() and "广州" in window.status_identity.text()
    assert S.CURRENT_STAFF.get(window.settings) == no
    window.close()
    again = MainWindow(sqlite_db, window.tasks)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.identity.changed, timeout=10_000):
        pass
    assert again.identity.identity.employee_no == no


def test_unknown_or_deactivated_employee_is_refused_in_the_dialog(qtbot, window, sqlite_db, monkeypatch):
    with sqlite_db.engine.begin() as conn:
        gone = conn.execute(text("SELECT employee_no FROM staff ORDER BY 1 LIMIT 1")).scalar()
        conn.execute(text("UPDATE staff SET active = :f WHERE employee_no = :n"), {"f": False, "n": gone})
    errors = []
    answers = ["NOBODY", gone]

    def typed(dialog):
        errors.append(dialog.field.error.text())
        if not answers:
            return QDialog.DialogCode.Rejected
        dialog.combo.setEditText(answers.pop(0))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(IdentityDialog, "exec", typed)
    window.action_identity.trigger()
    qtbot.waitUntil(lambda: len(errors) == 3, timeout=10_000)
    assert errors[0] == "" and "没有工号为 NOBODY" in errors[1] and "已停用" in errors[2]
    assert window.identity.identity is None
