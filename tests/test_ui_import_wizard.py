"""The import wizard on a migrated SQLite database: file page validation, preview (encoding, suggested
mapping, first rows) read off the GUI thread, blocked Next on an unmapped column, the import with its
in-page progress, the rejection table and its CSV export, and the main window's menu entries."""

from __future__ import annotations

import csv
import threading

import pytest
from openpyxl import Workbook
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QWizard
from sqlalchemy import func, select

from kam_console.errors import NotFound
from kam_console.importing import ImportIssue, import_accounts, import_revenue, import_staff
from kam_console.models import Account, MonthlyRevenue, Staff
from kam_console.services.org import list_org_units
from ui import import_preview_page, import_run_page
from ui.import_issues import COL_COLUMN, COL_LINE, COL_REASON, COL_VALUE, IssueTableModel, SortRole
from ui.import_preview_page import STATE_FAILED, STATE_LOADING, STATE_READY
from ui.import_run_page import STATE_DONE, STATE_REJECTED
from ui.import_run_page import STATE_FAILED as RUN_FAILED
from ui.import_wizard import PAGE_FILE, PAGE_PREVIEW, PAGE_RUN, ImportWizard
from ui.main_window import MainWindow
from ui.tasks import BackgroundTasks

STAFF = """employee_no,name,unit_code,position,industry_codes
E1,王建国,440100,customer_manager,FIN;EDU
E2,李秀英,440300,customer_manager,GOV
"""
ACCOUNTS = (
    "customer_no,name,industry_code,level,owner_unit_code,serving_city_code,parent_customer_no,manager_employee_no\n"
    """C1,广州农村商业银行,FIN,city,440100,440100,,E1
C2,深圳市公安局,GOV,city,440300,440300,,E2
"""
)
REVENUE_GBK = """账期,客户编号,产品,收入（元）,计费线路数,备注
2025-08,C1,INTERNET,12345.67,3,大客户
2025-08,C1,VOICE,-20.5,0,
2025-08,C2,DC,88000,2,
2025-09,C1,INTERNET,12000,3,
2025-09,C2,DC,1,1,
"""
BAD_REVENUE = """账期,客户编号,产品,收入（元）,计费线路数
2025-08,C1,INTERNET,12.345,3
2025-13,C9,TELEGRAM,abc,-1
2025-08,C2,DC,100,2
"""


def write(tmp_path, name: str, content: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return str(path)


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks()
    yield t
    t.wait_for_workers(10_000)


@pytest.fixture
def units(sqlite_db):
    with sqlite_db.session() as session:
        return {u.code: u.name for u in list_org_units(session)}


@pytest.fixture
def make_wizard(qtbot, sqlite_db, tasks, units, tmp_path):
    def make(kind: str, path: str = "", **kw) -> ImportWizard:
        kw.setdefault("units", units)
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        wizard = ImportWizard(sqlite_db, tasks, kind=kind, settings=settings, **kw)
        qtbot.addWidget(wizard)
        wizard.show()
        if path:
            wizard.file_page.path_edit.setText(path)
        return wizard

    return make


@pytest.fixture
def customers(sqlite_db, tmp_path):
    """Staff and accounts loaded through the core, for the revenue tests."""
    with sqlite_db.engine.begin() as conn:
        import_staff(conn, write(tmp_path, "s.csv", STAFF))
        import_accounts(conn, write(tmp_path, "a.csv", ACCOUNTS))
    return sqlite_db


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def button(wizard: QWizard, which: QWizard.WizardButton):
    return wizard.button(which)


def to_preview(qtbot, wizard: ImportWizard) -> None:
    assert button(wizard, QWizard.WizardButton.NextButton).isEnabled()
    wizard.next()
    assert wizard.currentId() == PAGE_PREVIEW
    qtbot.waitUntil(lambda: wizard.preview_page.state != STATE_LOADING, timeout=10_000)


def run(qtbot, wizard: ImportWizard) -> None:
    assert wizard.preview_page.isComplete()
    wizard.next()
    assert wizard.currentId() == PAGE_RUN
    qtbot.waitUntil(lambda: not wizard.run_page.running, timeout=20_000)


# --- page 1 ---------------------------------------------------------------------------------------


def test_file_page_validates_file_and_scope(make_wizard, tmp_path):
    wizard = make_wizard("revenue")
    page = wizard.file_page
    next_button = button(wizard, QWizard.WizardButton.NextButton)
    assert wizard.windowTitle() == "导入数据"
    assert page.kind_buttons["revenue"].isChecked() and page.scope_box.isVisible()
    assert not next_button.isEnabled()  # no file yet

    page.path_edit.setText(str(tmp_path / "没有这个文件.csv"))
    assert not next_button.isEnabled()
    assert page.file_error.isVisible() and "找不到" in page.file_error.text()

    path = write(tmp_path, "r.csv", REVENUE_GBK, "gbk")
    page.path_edit.setText(f'"{path}"')  # as pasted from Windows Explorer's "复制文件地址"
    assert next_button.isEnabled() and not page.file_error.isVisible()
    assert not page.sheet_combo.isVisible()  # CSV: no sheet

    page.scope_check.setChecked(True)
    assert not next_button.isEnabled()  # a scope needs a unit
    page.scope_edit.setText("999999")
    assert not next_button.isEnabled() and page.scope_name.text() == "没有这个单位代码"
    page.scope_edit.setText("440000 广东省大客户部")  # as picked from the completer
    assert next_button.isEnabled() and page.scope_name.text() == "广东省大客户部"
    assert page.scope() == "440000"

    page.set_kind("staff")
    assert not page.scope_box.isVisible() and page.scope() is None
    assert "员工编号" in page.kind_hint.text()

    page.path_edit.setText(str(tmp_path / "book.xlsx"))
    assert page.sheet_combo.isVisible()
    assert not page.demo_note.isVisible()
    assert make_wizard("accounts", demo=True).file_page.demo_note.isVisible()


def test_browse_uses_file_dialog(make_wizard, tmp_path, monkeypatch):
    path = write(tmp_path, "staff.csv", STAFF)
    seen = {}

    def fake(parent, title, start, filters):
        seen.update(title=title, filters=filters)
        return path, ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake)
    wizard = make_wizard("staff")
    wizard.file_page.browse_button.click()
    assert wizard.file_page.path() == path
    assert seen["title"] == "选择员工文件" and "*.xlsx" in seen["filters"] and "*.csv" in seen["filters"]


# --- preview and mapping --------------------------------------------------------------------------


def test_revenue_preview_shows_gbk_and_mapping_then_imports(qtbot, make_wizard, customers, tmp_path, monkeypatch):
    threads = []
    original = import_preview_page.read_preview

    def recording(*args):
        threads.append(threading.get_ident())
        return original(*args)

    monkeypatch.setattr(import_preview_page, "read_preview", recording)
    wizard = make_wizard("revenue", write(tmp_path, "revenue.csv", REVENUE_GBK, "gbk"))
    to_preview(qtbot, wizard)
    page = wizard.preview_page
    assert threads and threads[0] != threading.get_ident()  # read off the GUI thread
    assert page.state == STATE_READY
    assert page.encoding_value.text() == "GBK"
    assert page.rows_value.text() == "5 行"
    assert page.columns() == {
        "month": "账期",
        "customer_no": "客户编号",
        "product_code": "产品",
        "revenue": "收入（元）",
        "billed_lines": "计费线路数",
    }
    assert page.labels["month"].text() == "月份（YYYY-MM）"
    assert page.labels["revenue"].text() == "收入（元，最多两位小数）"
    assert page.table.rowCount() == 5 and page.table.columnCount() == 6
    assert page.table.item(0, 0).text() == "2025-08" and page.table.item(0, 5).text() == "大客户"
    assert page.table.header_text(0) == "账期\n→ 月份"
    assert page.table.header_text(5) == "备注\n（不导入）"
    assert "备注" in page.mapping_message.text() and "不会导入" in page.mapping_message.text()
    assert page.isComplete() and button(wizard, QWizard.WizardButton.NextButton).text() == "开始导入(&I)"

    with qtbot.waitSignal(wizard.imported, timeout=20_000) as imported:
        run(qtbot, wizard)
    assert imported.args == ["revenue"]
    result = wizard.run_page
    assert result.state == STATE_DONE
    assert result.status.text().startswith("导入完成（GBK）：5 行，新增 5")
    assert result.bar.value() == result.bar.maximum()
    assert not button(wizard, QWizard.WizardButton.BackButton).isEnabled()  # no way back after success
    finish = button(wizard, QWizard.WizardButton.FinishButton)
    assert finish.isEnabled() and finish.text() == "完成"
    with customers.session() as session:
        per_month = select(MonthlyRevenue.month, func.sum(MonthlyRevenue.revenue_fen)).group_by(MonthlyRevenue.month)
        rows = session.execute(per_month).all()
    assert sorted(map(tuple, rows)) == [(202508, 1234567 - 2050 + 8800000), (202509, 1200000 + 100)]


def test_unmapped_or_shared_column_blocks_next(qtbot, make_wizard, tmp_path):
    content = "日期,客户编号,产品代码,金额,线路\n2025-09,C1,DC,1,1\n"
    wizard = make_wizard("revenue", write(tmp_path, "r.csv", content, "gbk"))
    to_preview(qtbot, wizard)
    page = wizard.preview_page
    next_button = button(wizard, QWizard.WizardButton.NextButton)
    assert page.columns() == {"customer_no": "客户编号", "product_code": "产品代码", "revenue": "金额"}
    assert not page.isComplete() and not next_button.isEnabled()
    assert page.combos["month"].property("problem") is True
    assert page.labels["billed_lines"].property("problem") is True
    assert page.combos["revenue"].property("problem") is False
    assert "月份、计费线路数" in page.mapping_message.text()

    combo = page.combos["month"]
    combo.setCurrentIndex(combo.findData("日期"))
    assert not next_button.isEnabled()  # billed_lines is still missing
    lines = page.combos["billed_lines"]
    lines.setCurrentIndex(lines.findData("日期"))  # the same file column twice
    assert not next_button.isEnabled()
    assert "选了同一列“日期”" in page.mapping_message.text()
    assert combo.property("problem") is True and lines.property("problem") is True
    lines.setCurrentIndex(lines.findData("线路"))
    assert page.isComplete() and next_button.isEnabled()
    assert combo.property("problem") is False
    assert page.table.header_text(0) == "日期\n→ 月份"


def test_unreadable_file_is_explained_on_the_preview_page(qtbot, make_wizard, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes("月份,客户编号\n2025-09,".encode() + "\ufffd".encode())
    wizard = make_wizard("revenue", str(path))
    to_preview(qtbot, wizard)
    page = wizard.preview_page
    assert page.state == STATE_FAILED
    assert "无法读取这个文件" in page.failed_label.text() and "乱码" in page.failed_label.text()
    assert not button(wizard, QWizard.WizardButton.NextButton).isEnabled()
    wizard.back()
    assert wizard.currentId() == PAGE_FILE


def test_xlsx_sheet_is_shown_and_can_be_chosen(qtbot, make_wizard, customers, tmp_path):
    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本工作簿含收入数据"])
    sheet = book.create_sheet("收入")
    sheet.append(["月份", "客户编号", "产品代码", "收入(元)", "计费线路数"])
    sheet.append(["2025-09", "C1", "DC", 1234.5, 2])
    path = tmp_path / "revenue.xlsx"
    book.save(path)

    wizard = make_wizard("revenue", str(path))
    to_preview(qtbot, wizard)
    page = wizard.preview_page
    assert page.encoding_value.text() == "XLSX 工作表 说明"  # the first sheet, as used
    assert not page.isComplete() and "其他工作表" in page.mapping_message.text()
    assert wizard.file_page.sheet_combo.currentText() == "说明"

    wizard.back()
    wizard.file_page.sheet_combo.setCurrentText("没有这张表")
    to_preview(qtbot, wizard)
    assert page.state == STATE_FAILED and "说明, 收入" in page.failed_label.text()

    wizard.back()
    wizard.file_page.sheet_combo.setCurrentText("收入")
    to_preview(qtbot, wizard)
    assert page.encoding_value.text() == "XLSX 工作表 收入"
    assert page.columns()["revenue"] == "收入(元)"
    run(qtbot, wizard)
    assert wizard.run_page.state == STATE_DONE
    assert count(customers, MonthlyRevenue) == 1


# --- import outcomes ------------------------------------------------------------------------------


def test_bad_file_shows_every_problem_and_writes_nothing(qtbot, make_wizard, customers, tmp_path, monkeypatch):
    emitted = []
    wizard = make_wizard("revenue", write(tmp_path, "bad.csv", BAD_REVENUE, "gbk"))
    wizard.imported.connect(emitted.append)
    to_preview(qtbot, wizard)
    run(qtbot, wizard)
    page = wizard.run_page
    assert page.state == STATE_REJECTED
    assert "导入被拒绝，数据库未作任何改动" in page.status.text() and "6 处问题" in page.status.text()
    model = page.issues_model
    assert page.issues_view.isVisibleTo(wizard)
    assert model.rowCount() == 6
    rows = [tuple(model.index(r, c).data() for c in range(4)) for r in range(6)]
    # In file order, columns named by the file's own headers.
    assert rows[0] == ("2", "收入（元）", "12.345", "金额最多两位小数")
    assert [r[:2] for r in rows[1:]] == [
        ("3", "账期"),
        ("3", "客户编号"),
        ("3", "产品"),
        ("3", "收入（元）"),
        ("3", "计费线路数"),
    ]
    assert count(customers, MonthlyRevenue) == 0
    assert emitted == []
    assert button(wizard, QWizard.WizardButton.BackButton).isEnabled()
    assert button(wizard, QWizard.WizardButton.FinishButton).text() == "关闭"

    # Sortable by clicking a header.
    page.issues_view.sortByColumn(COL_REASON, Qt.SortOrder.AscendingOrder)
    reasons = [model.index(r, COL_REASON).data() for r in range(6)]
    assert reasons == sorted(reasons)

    # Export: UTF-8 with BOM, every problem.
    target = tmp_path / "问题清单"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    page.export_button.click()
    saved = tmp_path / "问题清单.csv"
    assert saved.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(saved, encoding="utf-8-sig", newline="") as fh:
        exported = list(csv.reader(fh))
    assert exported[0] == ["行", "列", "值", "原因"]
    assert len(exported) == 7
    assert ["2", "收入（元）", "12.345", "金额最多两位小数"] in exported
    assert str(saved) in page.export_note.text()

    # Fix the file, go back and import again.
    write(
        tmp_path, "bad.csv", BAD_REVENUE.replace("12.345", "12.34").replace("2025-13,C9,TELEGRAM,abc,-1\n", ""), "gbk"
    )
    wizard.back()
    assert wizard.currentId() == PAGE_PREVIEW
    run(qtbot, wizard)
    assert page.state == STATE_DONE and emitted == ["revenue"]
    assert count(customers, MonthlyRevenue) == 2


def test_scope_replaces_the_whole_subtree(qtbot, make_wizard, customers, tmp_path):
    with customers.engine.begin() as conn:
        import_revenue(
            conn,
            write(
                tmp_path,
                "first.csv",
                "month,customer_no,product_code,revenue,billed_lines\n2025-08,C1,DC,10,1\n2025-08,C2,DC,20,1\n",
            ),
        )
    # Only Guangzhou (C1) in the new file; declared complete for 广东 (440000), so Shenzhen's C2 goes.
    wizard = make_wizard(
        "revenue", write(tmp_path, "gd.csv", "账期,客户编号,产品,收入（元）,计费线路数\n2025-08,C1,DC,11,1\n")
    )
    wizard.file_page.scope_check.setChecked(True)
    wizard.file_page.scope_edit.setText("440000")
    to_preview(qtbot, wizard)
    run(qtbot, wizard)
    assert wizard.run_page.state == STATE_DONE
    assert "替换掉原有 2 行" in wizard.run_page.status.text()
    assert count(customers, MonthlyRevenue) == 1


def test_other_errors_show_their_chinese_message(qtbot, make_wizard, customers, tmp_path):
    # Without the tree's units the wizard cannot check the scope; the importer's NotFound is shown.
    wizard = make_wizard("revenue", write(tmp_path, "r.csv", REVENUE_GBK, "gbk"), units={})
    wizard.file_page.scope_check.setChecked(True)
    wizard.file_page.scope_edit.setText("999999")
    to_preview(qtbot, wizard)
    run(qtbot, wizard)
    page = wizard.run_page
    assert page.state == RUN_FAILED
    assert page.status.text() == "指定为完整数据范围的单位不存在：999999"
    assert not page.issues_panel.isVisibleTo(wizard)
    assert count(customers, MonthlyRevenue) == 0


def test_progress_shows_in_page_and_window_stays_open(qtbot, make_wizard, tmp_path, monkeypatch):
    release = threading.Event()

    def slow_import(db, *, progress, **kw):
        progress(5000, 20000, "检查收入…")
        assert release.wait(10)
        raise NotFound("测试：没有这个客户", "test")

    monkeypatch.setattr(import_run_page, "run_import", slow_import)
    wizard = make_wizard("staff", write(tmp_path, "staff.csv", STAFF))
    to_preview(qtbot, wizard)
    wizard.next()
    page = wizard.run_page
    try:
        qtbot.waitUntil(lambda: page.bar.value() == 5000, timeout=5000)
        assert page.bar.maximum() == 20000
        assert page.step.text() == "检查收入…（5,000 / 20,000）"
        assert page.running
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.FinishButton):
            assert not button(wizard, which).isEnabled()
        wizard.reject()  # Esc / the close button
        assert wizard.isVisible()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not page.running, timeout=5000)
    assert page.status.text() == "测试：没有这个客户"
    assert button(wizard, QWizard.WizardButton.BackButton).isEnabled()
    wizard.reject()
    assert not wizard.isVisible()


# --- the issues model, without a window -----------------------------------------------------------


def test_issue_model_sorts_and_labels(qapp):
    model = IssueTableModel()
    issues = [
        ImportIssue(0, "", "", "文件是空的"),
        ImportIssue(12, "revenue", "abc", "金额不是数字"),
        ImportIssue(3, "month", "2025-13", "月份格式应为 YYYY-MM"),
        ImportIssue(3, "customer_no", "C9", "没有这个客户编号"),
        ImportIssue(1, "month,revenue", "", "缺少列"),
    ]
    model.set_issues(issues, {"month": "账期", "customer_no": "客户编号", "revenue": "收入（元）"})
    assert model.rowCount() == 5 and model.columnCount() == 4
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == ["行", "列", "值", "原因"]
    model.sort(COL_LINE)
    assert [model.index(r, COL_LINE).data() for r in range(5)] == ["整个文件", "1", "3", "3", "12"]
    assert [model.index(r, COL_COLUMN).data() for r in range(5)] == [
        "",
        "账期, 收入（元）",
        "账期",
        "客户编号",
        "收入（元）",
    ]
    assert model.index(2, COL_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == "月份（YYYY-MM）"
    assert model.index(4, COL_LINE).data(SortRole) == 12
    model.sort(COL_LINE, Qt.SortOrder.DescendingOrder)
    assert model.index(0, COL_VALUE).data() == "abc"
    assert model.issues()[0].line == 12


def test_issue_model_empty(qapp):
    model = IssueTableModel()
    model.set_issues([])
    model.sort(COL_REASON)
    assert model.rowCount() == 0 and model.issues() == []


# --- the main window ------------------------------------------------------------------------------


def test_main_window_menu_opens_wizard_and_refreshes_after_import(qtbot, sqlite_db, tasks, tmp_path, monkeypatch):
    window = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.refresh()
    menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["导入员工(&S)…", "导入客户(&C)…", "导入月收入(&M)…", "切换当前身份(&U)…", "退出(&X)"]
    assert window.import_actions["revenue"].shortcut().toString() == "Ctrl+I"

    window.import_actions["staff"].trigger()
    wizard = window.import_wizard
    assert wizard is not None and wizard.isVisible() and wizard.windowModality() != Qt.WindowModality.NonModal
    assert wizard.file_page.kind_buttons["staff"].isChecked()
    assert "440100" in wizard.file_page.units  # the tree the window already has
    wizard.file_page.path_edit.setText(write(tmp_path, "staff.csv", STAFF))
    to_preview(qtbot, wizard)
    assert wizard.preview_page.labels["name"].text() == "姓名"
    assert wizard.preview_page.labels["industry_codes"].text() == "专长行业（行业代码，多个用 ; 分隔，可空）"
    with qtbot.waitSignal(window.loaded, timeout=20_000):  # the window refreshes after the import
        run(qtbot, wizard)
    assert count(sqlite_db, Staff) == 2
    wizard.accept()

    window.import_actions["accounts"].trigger()
    wizard = window.import_wizard
    assert wizard.file_page.kind_buttons["accounts"].isChecked()
    wizard.file_page.path_edit.setText(write(tmp_path, "accounts.csv", ACCOUNTS, "utf-8-sig"))
    to_preview(qtbot, wizard)
    assert wizard.preview_page.encoding_value.text() == "UTF-8（带 BOM）"
    with qtbot.waitSignal(window.loaded, timeout=20_000):
        run(qtbot, wizard)
    assert count(sqlite_db, Account) == 2
    wizard.accept()


def test_closing_while_the_preview_loads_is_safe(qtbot, make_wizard, tasks, tmp_path, monkeypatch):
    release = threading.Event()
    original = import_preview_page.read_preview

    def slow(*args):
        assert release.wait(10)
        return original(*args)

    monkeypatch.setattr(import_preview_page, "read_preview", slow)
    wizard = make_wizard("staff", write(tmp_path, "staff.csv", STAFF))
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.next()
    assert wizard.preview_page.state == STATE_LOADING and not wizard.preview_page.isComplete()
    wizard.reject()
    with qtbot.waitSignal(wizard.destroyed, timeout=5000):
        pass
    release.set()
    qtbot.waitUntil(tasks.is_idle, timeout=5000)  # the late result is dropped without touching the page
