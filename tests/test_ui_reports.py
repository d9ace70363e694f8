"""The 月报 page on a real database with a fixed clock: the status board of a province, a city's report edited,
saved, submitted, returned with a reason, revised and approved through the buttons, older versions kept,
refusals shown without changing anything, printing to PDF and to a printer, and the narrative editor."""

from __future__ import annotations

import datetime as dt

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import QMimeData, QSettings, Qt
from PySide6.QtGui import QColor, QTextCursor
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from kam_console.importing.importers import import_revenue
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.monthly_reports import (
    approve_report,
    report_document,
    save_narratives,
    start_report,
    submit_report,
)
from kam_console.services.sla import BEIJING
from kam_console.services.staff import StaffInput, add_staff, find_identity
from ui import report_print
from ui.identity import IdentityHolder
from ui.narrative_editor import NarrativeEditor
from ui.report_panel import STATUS_COLOURS, DecisionDialog, money, pct
from ui.reports_page import COL_OVERDUE, COL_STATUS, COL_UNIT, CodeRole, ReportsPage
from ui.tasks import BackgroundTasks

OCT = 202610
# Monday 2026-11-23 10:00 Beijing time: the cities' deadline (11-05) passed 18 days ago
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING)
WAIT = 10_000
STAFF = {
    "GZ1": ("广州经理", "440100", "customer_manager"),
    "SZ1": ("深圳经理", "440300", "customer_manager"),
    "FS1": ("佛山经理", "440600", "customer_manager"),
    "ZH1": ("珠海经理", "440400", "customer_manager"),
    "GDH": ("广东负责人", "440000", "head"),
    "GD1": ("广东分析员", "440000", "analyst"),
}
ACCOUNTS = {
    "C1": ("广州某物流公司", "TRN", "city", "440100", "440100"),
    "C2": ("广州某银行分行", "FIN", "city", "440100", "440100"),
    "C3": ("深圳某科技公司", "NET", "city", "440300", "440300"),
    "C5": ("佛山某制造公司", "TRN", "city", "440600", "440600"),
}
REVENUE = [
    "2026-09,C1,INTERNET,10000.00,2",
    "2026-09,C3,DC,5000.00,1",
    "2026-10,C1,INTERNET,12000.50,3",
    "2026-10,C2,VOICE,3000.25,5",
    "2026-10,C3,DC,5000.00,1",
    "2026-10,C5,CLOUD,8000.00,2",
]


class Clock:
    """The page's clock: starts at NOW, moved by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, minutes: float = 10) -> None:
        self.now += dt.timedelta(minutes=minutes)


def make_staff(conn, no, name, unit, position):
    # heads are appointed through the upper unit's approval; the tests set them directly
    add_staff(conn, employee_no=no, data=StaffInput(name, unit, "market_manager" if position == "head" else position))
    if position == "head":
        conn.execute(text("UPDATE staff SET position = 'head' WHERE employee_no = :no"), {"no": no})


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks()
    yield t
    t.wait_for_workers(5000)


@pytest.fixture
def ready(sqlite_db, tmp_path):
    with sqlite_db.engine.begin() as conn:
        for no, (name, unit, position) in STAFF.items():
            make_staff(conn, no, name, unit, position)
        for no, (name, industry, level, owner, city) in ACCOUNTS.items():
            create_account(conn, customer_no=no, data=AccountInput(name, industry, level, owner, city))
        path = tmp_path / "rev.csv"
        path.write_text("month,customer_no,product_code,revenue,billed_lines\n" + "".join(f"{r}\n" for r in REVENUE))
        import_revenue(conn, str(path), today=dt.date(2026, 11, 23))
    return sqlite_db


@pytest.fixture
def page(qtbot, ready, tasks, tmp_path):
    holder = IdentityHolder(ready, tasks, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    p = ReportsPage(ready, tasks, holder)
    p.clock = Clock()
    qtbot.addWidget(p)
    p.resize(1000, 760)
    p.show()
    return p


def be(page, employee_no: str | None) -> None:
    """Switch the current identity (the report reloads for them)."""
    if employee_no is None:
        page.identity_holder.set(None)
        return
    with page.db.engine.connect() as conn:
        page.identity_holder.set(find_identity(conn, employee_no=employee_no))


def wait_report(qtbot, page, unit: str, status: str | None = None) -> None:
    panel = page.panel

    def shown() -> bool:
        data = panel.data
        return (
            data is not None
            and data.unit == unit
            and (status is None or data.document.status == status)
            and not panel._busy
            and (panel._task is None or panel._task.done)
        )

    qtbot.waitUntil(shown, timeout=WAIT)


def open_unit(qtbot, page, unit: str, status: str | None = None) -> None:
    page.set_unit(unit)
    qtbot.waitUntil(lambda: page.page_data is not None and page.page_data.unit == unit, timeout=WAIT)
    wait_report(qtbot, page, unit, status)


def db_report(db, unit: str) -> tuple | None:
    with db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT r.version, r.status, r.market_text, r.issues_text, r.plan_text, r.row_version "
                "FROM monthly_report r JOIN org_unit u ON u.id = r.unit_id "
                "WHERE u.code = :unit ORDER BY r.version DESC LIMIT 1"
            ),
            {"unit": unit},
        ).first()


def db_state(db) -> list:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM monthly_report ORDER BY id"))] + [
            tuple(e) for e in conn.execute(text("SELECT * FROM monthly_report_event ORDER BY id"))
        ]


@pytest.fixture
def boxes(monkeypatch):
    """Message boxes answered without showing them: a question is accepted unless its title is in
    ``boxes.decline``; warnings are recorded."""

    class Boxes:
        def __init__(self) -> None:
            self.asked: list[tuple[str, str]] = []
            self.warned: list[tuple[str, str]] = []
            self.decline: set[str] = set()

    seen = Boxes()

    def exec_(box: QMessageBox) -> int:
        seen.asked.append((box.windowTitle(), box.text()))
        wanted = (
            QMessageBox.ButtonRole.RejectRole
            if box.windowTitle() in seen.decline
            else QMessageBox.ButtonRole.AcceptRole
        )
        for button in box.buttons():
            if box.buttonRole(button) == wanted:
                button.click()
                break
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    monkeypatch.setattr(
        QMessageBox, "warning", lambda _parent, title, message, *a, **k: seen.warned.append((title, message))
    )
    return seen


# --- the board -------------------------------------------------------------------------------------------------


def test_the_board_of_a_province(qtbot, page, ready):
    with ready.engine.begin() as conn:
        start_report(conn, unit="440100", month=OCT, by="GZ1", now=NOW - dt.timedelta(days=20))
        on_time = dt.datetime(2026, 11, 4, 9, 0, tzinfo=BEIJING)
        start_report(conn, unit="440300", month=OCT, by="SZ1", now=on_time)
        submit_report(conn, unit="440300", month=OCT, by="SZ1", now=on_time)
        approve_report(conn, unit="440300", month=OCT, by="GDH", now=on_time + dt.timedelta(days=1))
        start_report(conn, unit="440600", month=OCT, by="FS1", now=NOW - dt.timedelta(hours=2))
        submit_report(conn, unit="440600", month=OCT, by="FS1", now=NOW - dt.timedelta(hours=1))
    be(page, "GDH")
    open_unit(qtbot, page, "440000")
    assert page.board_box.isVisible()
    assert page.months_listed() == ["2026-10", "2026-09"]  # ended months with revenue, newest first
    assert page.month_combo.currentText() == "2026年10月"
    assert len(page.board_codes()) == 21
    assert page.summary.text().endswith(
        "21 个地市：已审批 1 · 已提交 1 · 已退回 0 · 草稿 1 · 未开始 18；<b style='color:#c62828'>逾期 19</b>"
    )
    assert "本单位月报：未开始，" in page.own.text() and "截止 2026-11-10（已逾期 13 天）" in page.own.text()

    def row(code: str) -> dict:
        r = page.board_codes().index(code)
        cell = page.proxy.index
        return {
            "status": cell(r, COL_STATUS).data(),
            "colour": cell(r, COL_STATUS).data(Qt.ItemDataRole.ForegroundRole),
            "overdue": cell(r, COL_OVERDUE).data(),
            "overdue_colour": cell(r, COL_OVERDUE).data(Qt.ItemDataRole.ForegroundRole),
        }

    assert row("440100")["status"] == "草稿" and row("440100")["colour"] == QColor(STATUS_COLOURS["draft"])
    assert row("440100")["overdue"] == "逾期 18 天" and row("440100")["overdue_colour"] == QColor("#c62828")
    assert row("440300")["status"] == "已审批" and row("440300")["colour"] == QColor(STATUS_COLOURS["approved"])
    assert row("440300")["overdue"] == ""
    assert row("440600")["status"] == "已提交" and row("440600")["colour"] == QColor(STATUS_COLOURS["submitted"])
    assert row("440600")["overdue"] == "逾期提交"
    assert row("440200") == {
        "status": "未开始",
        "colour": row("440200")["colour"],
        "overdue": "逾期 18 天",
        "overdue_colour": QColor("#c62828"),
    }
    # sortable: by status, approved first when descending
    page.table.sortByColumn(COL_STATUS, Qt.SortOrder.DescendingOrder)
    assert page.board_codes()[:2] == ["440300", "440600"]
    page.table.sortByColumn(COL_UNIT, Qt.SortOrder.AscendingOrder)
    assert page.board_codes()[0] == "440100"
    # Enter (or a double-click) opens a unit
    page.table.setFocus()
    page.table.setCurrentIndex(page.proxy.index(page.board_codes().index("440600"), COL_UNIT))
    with qtbot.waitSignal(page.unit_requested, timeout=WAIT) as opened:
        QTest.keyClick(page.table, Qt.Key.Key_Return)
    assert opened.args == ["440600"]
    # a city has no board, its own report fills the page
    open_unit(qtbot, page, "440600", "submitted")
    assert not page.board_box.isVisible()
    assert page.panel.buttons["approve"].isVisible() and page.panel.buttons["return"].isVisible()


def test_an_empty_database_and_a_unit_that_does_not_report(qtbot, sqlite_db, tasks, tmp_path):
    holder = IdentityHolder(sqlite_db, tasks, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    page = ReportsPage(sqlite_db, tasks, holder, clock=lambda: NOW)
    qtbot.addWidget(page)
    page.show()
    page.set_unit("440000")
    qtbot.waitUntil(lambda: page.page_data is not None, timeout=WAIT)
    assert page.month_combo.count() == 0 and not page.month_combo.isEnabled()
    assert "还没有可以编制月报的月份" in page.panel.message.text()
    assert not page.board_box.isVisible()


# --- the lifecycle through the buttons ----------------------------------------------------------------------


def type_into(editor: NarrativeEditor, text_: str) -> None:
    editor.edit.setFocus()
    editor.edit.textCursor().insertText(text_)


def test_edit_save_submit_return_revise_approve(qtbot, page, ready, boxes, monkeypatch):
    clock = page.clock
    be(page, "GZ1")
    open_unit(qtbot, page, "440100", "none")
    panel = page.panel
    assert not page.board_box.isVisible()
    assert panel.buttons["start"].isVisible() and panel.buttons["save"].isVisible()
    assert not panel.is_read_only()
    assert panel.chip.text() == "未编制"
    # the figures are computed now: money with thousands separators
    key = panel.figures.tables["key"]
    assert [key.item(r, 0).text() for r in range(key.rowCount())][0] == "收入（元）"
    assert key.item(0, 1).text() == "15,000.75"
    assert (key.item(0, 2).text(), key.item(0, 3).text()) == ("+50.0%", "—")  # 10,000.00 in September

    market, plan = panel.editors["market"], panel.editors["plan"]
    type_into(market, "竞争加剧")
    market.edit.selectAll()
    market.actions_by_name["bold"].trigger()
    cursor = market.edit.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    market.edit.setTextCursor(cursor)
    market.actions_by_name["bold"].trigger()  # what follows is not bold
    market.edit.textCursor().insertText("：友商降价 10%。")
    type_into(plan, "走访重点客户")
    plan.actions_by_name["bullets"].trigger()
    plan.edit.textCursor().insertBlock()
    plan.edit.textCursor().insertText("推进专线")
    assert panel.has_unsaved()
    clock.advance()
    QTest.keySequence(plan.edit, "Ctrl+S")
    qtbot.waitUntil(lambda: db_report(ready, "440100") is not None, timeout=WAIT)
    wait_report(qtbot, page, "440100", "draft")
    version, status, market_text, issues_text, plan_text, _rv = db_report(ready, "440100")
    assert (version, status) == (1, "draft")
    assert market_text == "**竞争加剧**：友商降价 10%。"
    assert plan_text == "- 走访重点客户\n- 推进专线"
    assert issues_text == ""
    assert not panel.has_unsaved()
    assert panel.editors["plan"].markdown() == "- 走访重点客户\n- 推进专线"

    # submit: confirmed, the figures freeze and the report opens read-only
    clock.advance()
    panel.buttons["submit"].click()
    wait_report(qtbot, page, "440100", "submitted")
    assert boxes.asked[-1][0] == "提交月报" and "冻结" in boxes.asked[-1][1]
    assert db_report(ready, "440100")[:2] == (1, "submitted")
    assert panel.is_read_only()
    assert not panel.buttons["save"].isVisible() and not panel.buttons["submit"].isVisible()
    assert panel.chip.text() == "已提交"
    assert "月报已提交" in panel.hint.text()
    assert panel.editors["market"].markdown() == "**竞争加剧**：友商降价 10%。"

    # the province's head returns it with a reason
    be(page, "GDH")
    wait_report(qtbot, page, "440100", "submitted")
    assert panel.buttons["approve"].isVisible() and panel.buttons["return"].isVisible()
    reasons = iter(["请补充竞争对手的报价信息"])
    monkeypatch.setattr(panel, "ask_decision", lambda kind: next(reasons) if kind == "return" else None)
    clock.advance()
    panel.buttons["return"].click()
    wait_report(qtbot, page, "440100", "returned")
    assert db_report(ready, "440100")[:2] == (1, "returned")
    assert panel.returned_banner.isVisible()
    assert "已退回：请补充竞争对手的报价信息" in panel.returned_banner.text()
    assert "广东负责人" in panel.returned_banner.text()

    # the city revises: version 2, a draft carrying the narratives over
    be(page, "GZ1")
    wait_report(qtbot, page, "440100", "returned")
    assert panel.buttons["revise"].isVisible() and panel.is_read_only()
    clock.advance()
    panel.buttons["revise"].click()
    wait_report(qtbot, page, "440100", "draft")
    assert db_report(ready, "440100")[:2] == (2, "draft")
    assert panel.data.shown.version == 2 and not panel.is_read_only()
    assert panel.editors["plan"].markdown() == "- 走访重点客户\n- 推进专线"
    type_into(panel.editors["issues"], "专线交付周期偏长")
    clock.advance()
    panel.buttons["submit"].click()  # unsaved text is saved with the submission
    wait_report(qtbot, page, "440100", "submitted")
    assert db_report(ready, "440100")[:4] == (2, "submitted", "**竞争加剧**：友商降价 10%。", "专线交付周期偏长")

    # the head approves with a comment
    be(page, "GDH")
    wait_report(qtbot, page, "440100", "submitted")
    monkeypatch.setattr(panel, "ask_decision", lambda kind: "同意" if kind == "approve" else None)
    clock.advance()
    panel.buttons["approve"].click()
    wait_report(qtbot, page, "440100", "approved")
    assert db_report(ready, "440100")[:2] == (2, "approved")
    assert panel.chip.text() == "已审批"
    assert "审核人 广东负责人" in panel.meta.text()
    assert panel.versions_listed() == ["第 2 版 · 已审批（最新）", "第 1 版 · 已退回"]
    events = [panel.events.item(r, 2).text() for r in range(panel.events.rowCount())]
    assert events == ["审批通过", "提交", "保存", "修订（新版本）", "退回", "提交", "开始编制"]  # newest first
    assert panel.events.item(0, 5).text() == "同意"

    # an older version is kept, read-only, with its return reason
    panel.show_version(1)
    qtbot.waitUntil(lambda: panel.data.shown.version == 1, timeout=WAIT)
    assert panel.is_read_only() and panel.returned_banner.isVisible()
    assert "只读；最新为第 2 版" in panel.hint.text()
    assert not any(b.isVisible() for b in panel.buttons.values())


def test_switching_units_guards_unsaved_edits(qtbot, page, ready, boxes):
    be(page, "GZ1")
    open_unit(qtbot, page, "440100", "none")
    type_into(page.panel.editors["market"], "未保存的文字")
    boxes.decline.add("未保存的修改")
    page.set_unit("440300")  # stay: the page keeps Guangzhou and the text
    assert page.unit == "440100"
    assert page.panel.editors["market"].markdown() == "未保存的文字"
    assert boxes.asked[-1][0] == "未保存的修改"
    boxes.decline.clear()  # now save on the way out
    page.set_unit("440300")
    qtbot.waitUntil(lambda: db_report(ready, "440100") is not None, timeout=WAIT)
    wait_report(qtbot, page, "440300")
    assert db_report(ready, "440100")[2] == "未保存的文字"
    assert page.unit == "440300"


# --- refusals ------------------------------------------------------------------------------------------------


def test_a_stale_submission_is_refused_and_changes_nothing(qtbot, page, ready, boxes):
    with ready.engine.begin() as conn:
        start_report(conn, unit="440100", month=OCT, by="GZ1", now=NOW)
    be(page, "GZ1")
    open_unit(qtbot, page, "440100", "draft")
    with ready.engine.begin() as conn:  # someone else saves meanwhile
        save_narratives(conn, unit="440100", month=OCT, by="GZ1", narratives={"plan": "别人的计划"}, now=NOW)
    before = db_state(ready)
    boxes.decline.add("月报已被修改")
    page.panel.buttons["submit"].click()
    qtbot.waitUntil(lambda: any(title == "月报已被修改" for title, _ in boxes.asked), timeout=WAIT)
    wait_report(qtbot, page, "440100", "draft")
    message = next(m for title, m in boxes.asked if title == "月报已被修改")
    assert "刚被别人修改过" in message
    assert db_state(ready) == before
    # reloading shows the other person's text
    boxes.decline.clear()
    page.panel.buttons["submit"].click()
    qtbot.waitUntil(lambda: sum(title == "月报已被修改" for title, _ in boxes.asked) == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: page.panel.editors["plan"].markdown() == "别人的计划", timeout=WAIT)
    assert db_state(ready) == before


def test_a_unit_without_revenue_cannot_start_and_is_told_why(qtbot, page, ready, boxes):
    be(page, "ZH1")
    page.set_unit("440400")
    panel = page.panel
    qtbot.waitUntil(lambda: "没有收入数据" in panel.message.text(), timeout=WAIT)
    assert panel.message.isVisible() and not panel.content.isVisible()
    assert "珠海" in panel.message.text()
    before = db_state(ready)
    panel.start()  # straight to the core: refused with its message
    qtbot.waitUntil(lambda: bool(boxes.warned), timeout=WAIT)
    assert boxes.warned[0][0] == "无法开始编制"
    assert "珠海" in boxes.warned[0][1] and "没有收入数据" in boxes.warned[0][1]
    assert db_state(ready) == before


def test_without_an_identity_everything_is_read_only(qtbot, page, ready):
    open_unit(qtbot, page, "440100", "none")
    assert page.panel.is_read_only()
    assert not any(b.isVisible() for b in page.panel.buttons.values())
    assert "选择当前身份" in page.panel.hint.text()


def test_the_live_figures_banner_of_a_frozen_report(qtbot, page, ready, tmp_path):
    with ready.engine.begin() as conn:
        start_report(conn, unit="440100", month=OCT, by="GZ1", now=NOW)
        submit_report(conn, unit="440100", month=OCT, by="GZ1", now=NOW)
        path = tmp_path / "fix.csv"
        path.write_text("month,customer_no,product_code,revenue,billed_lines\n2026-10,C1,INTERNET,13000.50,3\n")
        import_revenue(conn, str(path), scope="440100", today=dt.date(2026, 11, 23))
    be(page, "GZ1")
    open_unit(qtbot, page, "440100", "submitted")
    banner = page.panel.differs_banner
    assert banner.isVisible()
    assert "提交后数据有变动" in banner.text() and "提交时 15,000.75" in banner.text()
    assert page.panel.figures.tables["key"].item(0, 1).text() == "15,000.75"  # still the frozen figure


# --- printing ------------------------------------------------------------------------------------------------


def test_print_to_pdf_page_images_and_a_printer(qtbot, page, ready, tmp_path):
    with ready.engine.begin() as conn:
        save_narratives(
            conn,
            unit="440100",
            month=OCT,
            by="GZ1",
            narratives={"market": "**竞争**加剧", "plan": "- 走访\n- 推进"},
            now=NOW,
        )
    be(page, "GZ1")
    open_unit(qtbot, page, "440100", "draft")
    assert report_print.report_file_name(page.panel.data.document) == "广州市大客户部_2026-10_月报_v1.pdf"
    target = tmp_path / "out" / "月报"
    target.parent.mkdir()
    with qtbot.waitSignal(page.panel.printing.saved, timeout=30_000) as saved:
        assert page.panel.printing.save_as(target)
    written = tmp_path / "out" / "月报.pdf"
    assert saved.args == [str(written)]
    pdf = written.read_bytes()
    assert pdf[:4] == b"%PDF"

    pages = report_print.page_count(pdf)
    images = report_print.page_images(pdf, dpi=72)
    assert len(images) == pages >= 1
    for image in images:
        assert not image.isNull()
        assert image.height() / image.width() == pytest.approx(297 / 210, rel=0.01)  # A4 portrait

    printer = report_print.setup_a4(QPrinter(QPrinter.PrinterMode.HighResolution))
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    printer.setResolution(100)
    assert report_print.paint_pdf(pdf, printer) == pages
    document = pdfium.PdfDocument(printed.read_bytes())
    try:
        assert len(document) == pages
        width, height = document[0].get_size()
        assert height / width == pytest.approx(297 / 210, rel=0.01)
    finally:
        document.close()


def test_save_as_asks_for_a_file_name_and_open_uses_the_desktop(qtbot, page, ready, tmp_path, monkeypatch):
    with ready.engine.begin() as conn:
        start_report(conn, unit="440100", month=OCT, by="GZ1", now=NOW)
    be(page, "GZ1")
    open_unit(qtbot, page, "440100", "draft")
    asked = []

    def ask(_parent, _title, name, _filter):
        asked.append(name)
        return str(tmp_path / name)

    monkeypatch.setattr(report_print, "ask_save_path", ask)
    with qtbot.waitSignal(page.panel.printing.saved, timeout=30_000):
        page.panel.printing.action_save.trigger()
    assert asked == ["广州市大客户部_2026-10_月报_v1.pdf"]
    assert (tmp_path / asked[0]).read_bytes()[:4] == b"%PDF"
    opened = []
    monkeypatch.setattr(report_print.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    with qtbot.waitSignal(page.panel.printing.opened, timeout=30_000):
        page.panel.printing.action_open.trigger()
    assert opened and opened[0].endswith("广州市大客户部_2026-10_月报_v1.pdf")


def test_the_print_preview_draws_every_page(qtbot, page, ready):
    be(page, "GZ1")
    open_unit(qtbot, page, "440100", "none")
    with qtbot.waitSignal(page.panel.printing.preview_shown, timeout=30_000) as shown:
        page.panel.printing.action_preview.trigger()
    dialog = shown.args[0]
    assert dialog.isVisible()
    assert dialog.windowTitle() == "打印预览 · 广州市大客户部 2026年10月 经营月报"
    dialog.close()


def test_a_document_without_a_report_prints_as_not_started(ready):
    with ready.engine.connect() as conn:
        doc = report_document(conn, unit="440300", month=OCT, now=NOW)
    assert report_print.report_file_name(doc) == "深圳市大客户部_2026-10_月报_未编制.pdf"
    pdf = report_print.render_pdf_bytes(doc)
    assert pdf[:4] == b"%PDF" and report_print.page_count(pdf) >= 1
    assert report_print.paint_pages([], QPrinter()) == 0


# --- the narrative editor and the decision dialog ------------------------------------------------------


def test_the_narrative_editor_writes_markdown_and_pastes_plain_text(qtbot):
    editor = NarrativeEditor("issues", "重点问题", limit=20)
    qtbot.addWidget(editor)
    editor.show()
    editor.set_markdown("### 小标题\n\n1. 一\n2. 二")
    assert not editor.is_modified()
    assert editor.markdown() == "### 小标题\n\n1.  一\n2.  二"
    editor.edit.moveCursor(QTextCursor.MoveOperation.End)
    editor.edit.textCursor().insertBlock()
    editor.toggle_numbers()  # leave the list
    html = QMimeData()
    html.setHtml("<b style='color:red'>红色粗体</b>")
    html.setText("红色粗体")
    editor.edit.insertFromMimeData(html)
    assert editor.is_modified()
    assert editor.markdown().endswith("\n\n红色粗体")  # no formatting came with the paste
    editor.edit.moveCursor(QTextCursor.MoveOperation.End)
    editor.toggle_heading()
    assert editor.markdown().endswith("### 红色粗体")
    editor.toggle_heading()
    editor.toggle_italic()
    editor.edit.textCursor().insertText("斜")
    assert editor.markdown().endswith("红色粗体*斜*")
    editor.update_count()
    assert editor.over_limit() and editor.count.text() == f"{editor.length()} / 20 字"
    editor.set_read_only(True)
    assert editor.edit.isReadOnly() and not editor.toolbar.isVisible()


def test_returning_needs_a_reason(qtbot):
    dialog = DecisionDialog("return", "广州市大客户部 2026年10月 经营月报（第 1 版）")
    qtbot.addWidget(dialog)
    assert not dialog.ok.isEnabled()
    dialog.text.setPlainText("   ")
    assert not dialog.ok.isEnabled()
    dialog.text.setPlainText("请补充")
    assert dialog.ok.isEnabled() and dialog.value() == "请补充"
    approve = DecisionDialog("approve", "x")
    qtbot.addWidget(approve)
    assert approve.ok.isEnabled() and approve.ok.text() == "审批通过"


def test_money_and_percent_formats():
    assert money("1234567.5") == "1,234,567.50" and money(None) == "—"
    assert pct("5.0") == "+5.0%" and pct("-3.25") == "-3.2%" and pct(None) == "—"


# --- in the window -------------------------------------------------------------------------------------------


def test_the_window_has_the_reports_page_on_ctrl_4(qtbot, ready, tasks, boxes):
    from ui.main_window import MainWindow

    window = MainWindow(ready, tasks)
    window.request_desk.clock = lambda: NOW
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.refresh()
    assert window.action_reports.shortcut().toString() == "Ctrl+4"
    assert window.pages.tabText(window.pages.indexOf(window.reports_page)) == "月报"
    window.tree_panel.select_code("440000")
    window.action_reports.trigger()
    page = window.reports_page
    assert window.pages.currentWidget() is page
    qtbot.waitUntil(lambda: page.page_data is not None and page.page_data.unit == "440000", timeout=WAIT)
    assert page.board_box.isVisible() and len(page.board_codes()) == 21
    row = page.board_codes().index("440100")
    page.table.doubleClicked.emit(page.proxy.index(row, COL_UNIT))
    assert window.tree_panel.selected_code() == "440100"
    qtbot.waitUntil(lambda: page.page_data is not None and page.page_data.unit == "440100", timeout=WAIT)
    wait_report(qtbot, page, "440100")
    assert page.heading.text() == "月报 · 广州市大客户部"
    assert page.panel.data.document.unit_code == "440100"
    assert page.proxy.index(0, 0).data(CodeRole) is None  # a city has no board
    # unsaved text: closing asks first; staying keeps the window open
    with ready.engine.connect() as conn:
        window.identity.set(find_identity(conn, employee_no="GZ1"))
    wait_report(qtbot, page, "440100")
    qtbot.waitUntil(lambda: not page.panel.is_read_only(), timeout=WAIT)
    type_into(page.panel.editors["market"], "草稿文字")
    boxes.decline.add("未保存的修改")
    window.close()
    assert window.isVisible() and boxes.asked[-1][0] == "未保存的修改"
    # selecting another unit and staying puts the tree back
    window.tree_panel.select_code("440300")
    qtbot.waitUntil(lambda: window.tree_panel.selected_code() == "440100", timeout=WAIT)
    assert page.panel.editors["market"].markdown() == "草稿文字"
    # switching identity asks too: staying keeps the identity and the text
    chosen = []
    window.identity.choose = lambda *args: chosen.append(args)
    window.choose_identity()
    assert chosen == [] and boxes.asked[-1][0] == "未保存的修改"
    assert page.panel.editors["market"].markdown() == "草稿文字"
    boxes.decline.clear()  # saving first, as the person who wrote it, then choosing
    window.choose_identity()
    qtbot.waitUntil(lambda: len(chosen) == 1, timeout=WAIT)
    assert db_report(ready, "440100")[2] == "草稿文字"
