"""The SLA table: everyone may look, only the group's admin or head may change it; changes are saved
together and later stages use them; a refused save writes nothing."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractItemView, QDialog
from sqlalchemy import text

from kam_console.services.sla import sla_hours
from kam_console.services.staff import StaffInput, add_staff, find_identity
from ui.sla_dialog import SlaDialog, SlaEditor
from ui.tasks import BackgroundTasks


@pytest.fixture
def ready(db, qapp):
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="ADM", data=StaffInput("集团管理员", "000000", "admin"))
        add_staff(conn, employee_no="GZ1", data=StaffInput("广州经理", "440100", "customer_manager"))
        adm = find_identity(conn, employee_no="ADM")
        gz = find_identity(conn, employee_no="GZ1")
    tasks = BackgroundTasks()
    yield db, tasks, adm, gz
    tasks.wait_for_workers(5000)


def test_the_admin_changes_hours_and_they_are_saved_together(qtbot, ready, monkeypatch):
    db, tasks, adm, _gz = ready
    seen = {}

    def edit(dialog):
        seen["editable"] = dialog.save_button is not None
        seen["rows"] = dialog.table.rowCount()
        dialog.set_hours("fault", "urgent", "handle", 3)
        dialog.set_hours("new_circuit", "normal", "handle", 96)
        seen["changes"] = dialog.changes()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SlaDialog, "exec", edit)
    editor = SlaEditor(db, tasks)
    with qtbot.waitSignal(editor.saved, timeout=10_000) as blocker:
        editor.open(adm)
    assert blocker.args == [2] and seen["editable"] and seen["rows"] == 24
    with db.engine.connect() as conn:
        assert sla_hours(conn, type_="fault", priority="urgent", stage="handle") == 3
        assert sla_hours(conn, type_="new_circuit", priority="normal", stage="handle") == 96
        who = conn.execute(text("SELECT s.employee_no FROM sla_rule r JOIN staff s ON s.id = r.updated_by_id")).all()
    assert {r[0] for r in who} == {"ADM"}


def test_others_see_the_table_read_only(qtbot, ready, monkeypatch):
    db, tasks, _adm, gz = ready
    seen = {}

    def look(dialog):
        seen["editable"] = dialog.save_button is not None
        seen["trigger"] = dialog.table.editTriggers()
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(SlaDialog, "exec", look)
    SlaEditor(db, tasks).open(gz)
    qtbot.waitUntil(lambda: "editable" in seen, timeout=10_000)
    assert seen["editable"] is False
    assert seen["trigger"] == QAbstractItemView.EditTrigger.NoEditTriggers


def test_a_save_by_someone_not_allowed_is_refused_and_writes_nothing(ready):
    from kam_console.errors import ValidationError
    from kam_console.models import utcnow
    from kam_console.services.sla import set_sla_table

    db, _tasks, _adm, _gz = ready
    with pytest.raises(ValidationError) as err:
        with db.engine.begin() as conn:
            set_sla_table(conn, changes={("fault", "urgent", "handle"): 1}, employee_no="GZ1", now=utcnow())
    assert "只有集团公司大客户事业部的管理员或负责人" in err.value.zh
    with pytest.raises(ValidationError):
        with db.engine.begin() as conn:
            set_sla_table(conn, changes={("fault", "urgent", "handle"): 0}, employee_no="ADM", now=utcnow())
    with db.engine.connect() as conn:
        assert sla_hours(conn, type_="fault", priority="urgent", stage="handle") == 4
