"""The unit page's 负责人任命 panel: propose on the city's page, decide on the province's page (matrix rule),
withdraw, the group unit, the empty state, and errors shown instead of swallowed. Never blocks on a dialog."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox
from sqlalchemy import text

from kam_console.services.appointments import pending_appointments, propose_head
from kam_console.services.staff import StaffInput, add_staff, unit_staff
from ui.appointments_panel import COL_PREVIOUS, AppointmentsPanel, ProposeHeadDialog
from ui.tasks import BackgroundTasks


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks()
    yield t
    t.wait_for_workers(5000)


@pytest.fixture
def people(sqlite_db):
    with sqlite_db.engine.begin() as conn:
        add_staff(conn, employee_no="H001", data=StaffInput("老负责人", "440100", "customer_manager"))
        add_staff(conn, employee_no="C001", data=StaffInput("候选人", "440100", "customer_manager"))
        add_staff(conn, employee_no="C002", data=StaffInput("另一位", "440100", "project_manager"))
        conn.execute(text("UPDATE staff SET position = 'head' WHERE employee_no = 'H001'"))
    return sqlite_db


@pytest.fixture
def errors(monkeypatch):
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, msg, *a, **k: shown.append((title, msg)))
    return shown


@pytest.fixture
def answer(monkeypatch):
    """What QInputDialog.getText answers (text, ok); records the prompts it was asked."""
    state = {"reply": ("", True), "asked": []}

    def fake(parent, title, label, *args, **kwargs):
        state["asked"].append(title)
        return state["reply"]

    monkeypatch.setattr(QInputDialog, "getText", fake)
    return state


def load(db, unit):
    with db.engine.connect() as conn:
        return unit_staff(conn, code=unit), pending_appointments(conn, unit=unit)


def make_panel(qtbot, db, tasks, unit, level):
    panel = AppointmentsPanel(db, tasks)
    qtbot.addWidget(panel)
    panel.resize(900, 260)
    panel.show()
    staff, rows = load(db, unit)
    panel.set_unit(unit, level, staff, rows)
    return panel


def drive_propose_dialog(monkeypatch, candidate, position, note, seen=None):
    def fake_exec(dialog: ProposeHeadDialog) -> int:
        if seen is not None:
            seen.append([dialog.candidate_combo.itemData(i) for i in range(dialog.candidate_combo.count())])
            seen.append(dialog.previous_head_position())
        dialog.candidate_combo.setCurrentIndex(dialog.candidate_combo.findData(candidate))
        dialog.position_combo.setCurrentIndex(dialog.position_combo.findData(position))
        dialog.note_edit.setText(note)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ProposeHeadDialog, "exec", fake_exec)


def position(db, emp):
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT position FROM staff WHERE employee_no = :e"), {"e": emp}).scalar_one()


def test_city_proposes_a_head(qtbot, people, tasks, monkeypatch, errors):
    panel = make_panel(qtbot, people, tasks, "440100", "city")
    assert panel.empty.isVisible() and not panel.table.isVisible()
    assert panel.propose_button.isEnabled()
    seen: list = []
    drive_propose_dialog(monkeypatch, "C001", "project_manager", "工作需要", seen)
    with qtbot.waitSignal(panel.changed, timeout=5000):
        panel.propose_button.click()
    qtbot.waitUntil(tasks.is_idle)
    assert seen == [["C001", "C002"], "market_manager"]  # the current head is no candidate; default 市场经理
    assert errors == []
    with people.engine.connect() as conn:
        rows = pending_appointments(conn, unit="440100")
    assert [(r.candidate_no, r.previous_head_name, r.previous_head_position, r.note) for r in rows] == [
        ("C001", "老负责人", "project_manager", "工作需要")
    ]


def test_both_pages_show_it_and_only_the_province_approves(qtbot, people, tasks, answer, errors):
    with people.engine.begin() as conn:
        propose_head(conn, unit="440100", candidate="C001", note="工作需要")

    city = make_panel(qtbot, people, tasks, "440100", "city")
    assert city.table.rowCount() == 1 and not city.empty.isVisible()
    assert city.table.item(0, COL_PREVIOUS).text() == "老负责人 → 市场经理"
    assert not city.approve_button.isEnabled() and not city.reject_button.isEnabled()
    assert "广东" in city.approve_button.toolTip()
    assert city.withdraw_button.isEnabled()

    province = make_panel(qtbot, people, tasks, "440000", "province")
    assert province.table.rowCount() == 1
    assert province.approve_button.isEnabled() and province.reject_button.isEnabled()
    assert not province.withdraw_button.isEnabled()

    answer["reply"] = ("同意", True)
    with qtbot.waitSignal(province.changed, timeout=5000):
        province.approve_button.click()
    qtbot.waitUntil(tasks.is_idle)
    assert errors == []
    assert answer["asked"] == ["批准任命"]
    assert position(people, "C001") == "head"
    assert position(people, "H001") == "market_manager"
    with people.engine.connect() as conn:
        assert pending_appointments(conn, unit="440000") == []


def test_reject_and_withdraw(qtbot, people, tasks, answer, errors):
    with people.engine.begin() as conn:
        propose_head(conn, unit="440100", candidate="C001")
    province = make_panel(qtbot, people, tasks, "440000", "province")
    with qtbot.waitSignal(province.changed, timeout=5000):
        province.reject_button.click()
    qtbot.waitUntil(tasks.is_idle)
    assert position(people, "C001") == "customer_manager" and position(people, "H001") == "head"

    with people.engine.begin() as conn:
        propose_head(conn, unit="440100", candidate="C002")
    city = make_panel(qtbot, people, tasks, "440100", "city")
    answer["reply"] = ("", False)  # cancelled: nothing happens
    city.withdraw_button.click()
    qtbot.waitUntil(tasks.is_idle)
    with people.engine.connect() as conn:
        assert len(pending_appointments(conn, unit="440100")) == 1
    answer["reply"] = ("写错了", True)
    with qtbot.waitSignal(city.changed, timeout=5000):
        city.withdraw_button.click()
    qtbot.waitUntil(tasks.is_idle)
    assert errors == []
    with people.engine.connect() as conn:
        assert pending_appointments(conn, unit="440100") == []
        assert conn.execute(text("SELECT status FROM head_appointment ORDER BY id")).scalars().all() == [
            "rejected",
            "withdrawn",
        ]


def test_a_refused_proposal_shows_the_error(qtbot, people, tasks, monkeypatch, errors):
    with people.engine.begin() as conn:
        propose_head(conn, unit="440100", candidate="C001")
    panel = make_panel(qtbot, people, tasks, "440100", "city")
    drive_propose_dialog(monkeypatch, "C002", "analyst", "")
    emitted = []
    panel.changed.connect(lambda: emitted.append(True))
    panel.propose_button.click()
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    qtbot.waitUntil(tasks.is_idle)
    assert emitted == []
    assert errors[0][0] == "提议负责人失败" and "已有一项待审批" in errors[0][1]
    assert panel.propose_button.isEnabled()  # usable again after the failure


def test_group_unit_cannot_propose_and_empty_state(qtbot, people, tasks):
    panel = make_panel(qtbot, people, tasks, "000000", "group")
    assert not panel.propose_button.isEnabled()
    assert "集团公司" in panel.propose_button.toolTip()
    assert panel.empty.isVisible() and panel.empty.text() == "暂无待审批的负责人任命"
    assert not panel.table.isVisible()
    assert not panel.approve_button.isEnabled() and not panel.withdraw_button.isEnabled()


def test_dialog_without_candidates_cannot_be_submitted(qtbot):
    dialog = ProposeHeadDialog("广州市大客户部", [])
    qtbot.addWidget(dialog)
    assert dialog.candidate() is None
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    assert dialog.previous_head_position() == "market_manager"


def _luminance(colour) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())


def test_empty_state_stays_compact_at_the_top_and_the_explanation_is_readable(qtbot, people, tasks):
    from PySide6.QtGui import QPalette

    panel = make_panel(qtbot, people, tasks, "440100", "city")
    panel.resize(900, 600)  # far taller than the empty state needs
    qtbot.waitUntil(lambda: panel.height() == 600)
    line = panel.fontMetrics().height()
    assert panel.empty.isVisible() and not panel.table.isVisible()
    # title, explanation, 暂无… and the buttons follow each other without gaps
    for upper, lower in (
        (panel.title, panel.explain),
        (panel.explain, panel.empty),
        (panel.empty, panel.propose_button),
    ):
        assert lower.geometry().top() - upper.geometry().bottom() < line, (upper, lower)
    assert panel.propose_button.geometry().bottom() < 300
    # With an appointment pending, the table takes the height and the buttons sit below it.
    with people.engine.begin() as conn:
        propose_head(conn, unit="440100", candidate="C001")
    staff, rows = load(people, "440100")
    panel.set_unit("440100", "city", staff, rows)
    qtbot.waitUntil(lambda: panel.table.isVisible())
    qtbot.waitUntil(lambda: panel.propose_button.geometry().bottom() > 500)
    assert panel.table.height() > 300
    # The explanation is drawn in a colour that reads well on the window (WCAG AA: contrast ≥ 4.5).
    image = panel.explain.grab().toImage()
    background = panel.palette().color(QPalette.ColorRole.Window)
    darkest = min(
        (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())),
        key=_luminance,
    )
    ratio = (_luminance(background) + 0.05) / (_luminance(darkest) + 0.05)
    assert ratio >= 4.5, (darkest.name(), background.name())
