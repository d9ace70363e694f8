"""督办 panel: the board of a province shows its cities' overdue and nearly-due work, an urge from the province
is recorded and appears in the urge history; someone without an identity is asked to choose one."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.service_requests import act, raise_request
from kam_console.services.staff import StaffInput, add_staff, find_identity
from ui.supervision_panel import SupervisionPanel
from ui.tasks import BackgroundTasks


@pytest.fixture
def ready(db, qapp):
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    with db.engine.begin() as conn:
        for no, unit in (("GZ1", "440100"), ("SZ1", "440300"), ("GD1", "440000")):
            add_staff(conn, employee_no=no, data=StaffInput(f"员工{no}", unit, "customer_manager"))
        create_account(conn, customer_no="C1", data=AccountInput("广州某公司", "TRN", "city", "440100", "440100"))
        raised = raise_request(
            conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=long_ago
        )
        act(conn, number=raised.number, action="accept", as_staff="GD1", now=long_ago)
        act(conn, number=raised.number, action="dispatch", as_staff="GD1", now=long_ago)
        gd = find_identity(conn, employee_no="GD1")
    tasks = BackgroundTasks()
    yield db, tasks, raised.number, gd
    tasks.wait_for_workers(5000)


def test_board_urge_and_history(qtbot, ready, monkeypatch):
    db, tasks, number, gd = ready
    panel = SupervisionPanel(db, tasks, lambda: gd)
    qtbot.addWidget(panel)
    panel.set_unit("440000")
    qtbot.waitUntil(lambda: panel.board is not None, timeout=10_000)
    rows = {(panel.table.item(r, 0).text(), panel.table.item(r, 4).text()) for r in range(panel.table.rowCount())}
    assert rows == {(number, "广州市大客户部"), (number, "深圳市大客户部")}  # both subtasks are overdue
    assert all("已超时" in panel.table.item(r, 7).text() for r in range(panel.table.rowCount()))
    assert "2 项待办已超时" in panel.summary.text()
    panel.table.selectRow(0)
    monkeypatch.setattr(SupervisionPanel, "ask_comment", lambda self, n: ("客户催得紧，请今天处理", True))
    panel.urge_button.click()
    qtbot.waitUntil(lambda: panel.history.rowCount() >= 2, timeout=10_000)
    with db.engine.connect() as conn:
        urges = conn.execute(text("SELECT COUNT(*), MAX(comment) FROM request_hop WHERE action = 'urge'")).one()
    assert tuple(urges) == (2, "客户催得紧，请今天处理")  # both units holding the request are urged
    assert panel.history.item(0, 3).text() == "客户催得紧，请今天处理"
    assert {panel.table.item(r, 9).text() for r in range(panel.table.rowCount())} == {"1"}


def test_a_city_board_shows_only_its_own_work_and_urging_needs_an_identity(qtbot, ready, monkeypatch):
    db, tasks, number, _gd = ready
    panel = SupervisionPanel(db, tasks, lambda: None)
    qtbot.addWidget(panel)
    panel.set_unit("440100")
    qtbot.waitUntil(lambda: panel.board is not None, timeout=10_000)
    assert panel.table.rowCount() == 1 and panel.table.item(0, 4).text() == "广州市大客户部"
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: shown.append(a[2]))
    panel.table.selectRow(0)
    panel.urge_button.click()
    assert shown and "切换当前身份" in shown[0]
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM request_hop WHERE action = 'urge'")).scalar() == 0


def test_the_unit_page_has_the_board_and_the_tools_menu_opens_the_sla_table(qtbot, ready, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from ui.main_window import MainWindow
    from ui.sla_dialog import SlaDialog

    db, tasks, number, _gd = ready
    window = MainWindow(db, tasks)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.refresh()
    window.tree_panel.select_code("440000")
    window.summary_panel.tabs.setCurrentWidget(window.supervision_panel)
    panel = window.supervision_panel
    qtbot.waitUntil(lambda: panel.board is not None and panel.board.unit_code == "440000", timeout=10_000)
    assert panel.table.rowCount() == 2
    panel.table.cellDoubleClicked.emit(0, 0)
    assert window.request_desk.windows and number in window.request_desk.windows[-1].windowTitle()
    seen = []
    monkeypatch.setattr(
        SlaDialog, "exec", lambda dialog: seen.append(dialog.table.rowCount()) or QDialog.DialogCode.Rejected
    )
    window.action_sla.trigger()
    qtbot.waitUntil(lambda: seen == [24], timeout=10_000)
