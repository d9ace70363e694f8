"""The 行业营销 page and the 行业目录 dialog on a small SQLite data set: the page shows an industry's figures,
specialists and coverage gaps for a unit and follows the unit selected in the tree; the catalogue dialog adds
and retires an industry as the group's head, shows refusals, and is read-only for everyone else."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtTest import QTest
from sqlalchemy import text

from kam_console.importing.importers import import_revenue
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.staff import StaffInput, add_staff, find_identity
from ui.industry_catalogue_dialog import COL_STATUS, IndustryCatalogueDialog, IndustryFormDialog
from ui.industry_page import GAP_COLOUR, IndustryPage
from ui.tasks import BackgroundTasks

WAIT = 10_000
TODAY = dt.date(2026, 11, 23)
STAFF = {
    "JTH": ("集团负责人", "000000", "head", ()),
    "GD1": ("广东金融经理", "440000", "customer_manager", ("FIN",)),
    "GZ1": ("广州金融经理", "440100", "customer_manager", ("FIN",)),
    "SZ1": ("深圳经理", "440300", "customer_manager", ()),
}
ACCOUNTS = {
    "C1": ("广州某银行", "FIN", "city", "440100", "440100", "GZ1"),
    "C2": ("深圳某证券公司", "FIN", "city", "440300", "440300", "SZ1"),
    "C3": ("佛山某农商行", "FIN", "city", "440600", "440600", None),
    "C4": ("广州某物流公司", "TRN", "city", "440100", "440100", "GZ1"),
}
REVENUE = [
    "2026-09,C1,INTERNET,10000.00,2",
    "2026-10,C1,INTERNET,12000.50,3",
    "2026-10,C2,DC,5000.00,1",
    "2026-10,C3,CLOUD,800.00,1",
    "2026-10,C4,INTERNET,7000.00,2",
]


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks(progress_delay_ms=-1)
    yield t
    t.wait_for_workers(5000)


@pytest.fixture
def ready(sqlite_db, tmp_path):
    with sqlite_db.engine.begin() as conn:
        for no, (name, unit, position, industries) in STAFF.items():
            start = "market_manager" if position == "head" else position
            add_staff(conn, employee_no=no, data=StaffInput(name, unit, start, industries))
            if position == "head":
                conn.execute(text("UPDATE staff SET position = 'head' WHERE employee_no = :no"), {"no": no})
        for no, (name, industry, level, owner, city, manager) in ACCOUNTS.items():
            create_account(
                conn,
                customer_no=no,
                data=AccountInput(name, industry, level, owner, city),
                manager=manager,
                today=TODAY,
            )
        path = tmp_path / "revenue.csv"
        path.write_text("month,customer_no,product_code,revenue,billed_lines\n" + "\n".join(REVENUE) + "\n")
        import_revenue(conn, str(path), today=TODAY)
    return sqlite_db


def identity(db, employee_no):
    with db.engine.connect() as conn:
        return find_identity(conn, employee_no=employee_no)


def column(table, col):
    return [table.item(r, col).text() for r in range(table.rowCount())]


def wait_shown(qtbot, page, unit, industry=None):
    qtbot.waitUntil(
        lambda: (
            page.data is not None
            and page.data.unit.code == unit
            and (industry is None or page.data.industry.code == industry)
        ),
        timeout=WAIT,
    )


@pytest.fixture
def page(qtbot, ready, tasks):
    p = IndustryPage(ready, tasks)
    qtbot.addWidget(p)
    p.resize(900, 700)
    p.show()
    return p


def test_the_page_shows_figures_specialists_and_gaps_for_a_province(qtbot, page):
    page.set_unit("440000")
    wait_shown(qtbot, page, "440000", "GOV")  # the first active industry until one is chosen
    assert page.industry.currentData() == "GOV" and page.industry.count() >= 13
    page.industry.setCurrentIndex(page.industry.findData("FIN"))
    wait_shown(qtbot, page, "440000", "FIN")
    assert page.breadcrumb.text().endswith("广东省大客户部 · 金融行业")
    assert page.month.currentText() == "2026年10月"
    assert page.tiles["revenue"].value.text() == "17,800.50"  # C1 + C2 + C3 in October
    assert page.tiles["accounts"].value.text() == "3"
    assert "环比" in page.tiles["revenue"].change.text()
    assert "其中 <b>2</b> 个没有专长人员" in page.summary.text()
    assert not page.region_chart.is_empty and len(page.region_chart.categories) == 21  # 广东's cities
    coverage = page.coverage_card
    assert column(coverage.gap_table, 0) == ["深圳", "佛山"]  # biggest revenue first
    assert coverage.gap_table.item(0, 0).background().color() == GAP_COLOUR
    assert coverage.gap_table.isColumnHidden(1)  # the province column says nothing within one province
    assert not coverage.tabs.isTabVisible(1)  # the province summary is for the country
    assert "省公司大客户部有 1 名金融专长人员" in coverage.note.text()
    assert column(page.specialist_table, 0) == ["广东金融经理", "广州金融经理"]
    assert column(page.specialist_table, 4) == ["0", "1"] and column(page.specialist_table, 5) == ["0", "2"]
    assert column(page.top_table, 1) == ["C1", "C2", "C3"]
    assert page.chart_table("gaps").rows == [
        ["440300", "深圳", "广东", 1, page.data.coverage.gaps[0].revenue],
        ["440600", "佛山", "广东", 1, page.data.coverage.gaps[1].revenue],
    ]


def test_the_page_follows_the_unit_and_asks_for_units_and_accounts(qtbot, page):
    page.set_unit("440000")
    wait_shown(qtbot, page, "440000")
    page.set_industry("FIN")
    wait_shown(qtbot, page, "440000", "FIN")
    page.set_unit("000000")
    wait_shown(qtbot, page, "000000", "FIN")  # the industry stays when the unit changes
    assert len(page.region_chart.categories) == 31
    coverage = page.coverage_card
    assert coverage.tabs.isTabVisible(1) and not coverage.gap_table.isColumnHidden(1)
    assert column(coverage.province_table, 0) == ["广东"]
    with qtbot.waitSignal(page.unit_requested) as asked:
        coverage.gap_table.cellDoubleClicked.emit(0, 0)
    assert asked.args == ["440300"]
    with qtbot.waitSignal(page.unit_requested) as asked:
        page.region_chart.bar_clicked.emit("440000")
    assert asked.args == ["440000"]
    with qtbot.waitSignal(page.account_requested) as opened:
        page.top_table.cellDoubleClicked.emit(0, 2)
    assert opened.args == [page.data.account_ids["C1"]]
    page.set_unit("440100")
    wait_shown(qtbot, page, "440100", "FIN")
    assert page.data.region_kind == "account" and [c.key for c in page.region_chart.categories] == ["C1"]
    assert "本地市有金融专长人员" in page.summary.text()
    page.metric_arpa.click()
    assert page.trend_card.title.text() == "近 24 个月收入与 ARPA"


def test_the_page_on_an_empty_database(qtbot, sqlite_db, tasks):
    page = IndustryPage(sqlite_db, tasks)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.shown, timeout=WAIT):
        page.set_unit("000000")
    assert page.empty.isVisible() and "还没有收入数据" in page.empty.text()
    assert page.tiles["revenue"].value.text() == "—"
    assert page.region_chart.is_empty and page.coverage_card.gap_table.rowCount() == 0
    assert page.chart_table("gaps") is None


def test_a_retired_industry_is_still_shown_and_marked(qtbot, page, ready):
    with ready.engine.begin() as conn:
        conn.execute(text("UPDATE industry SET active = false WHERE code = 'FIN'"))
    page.set_unit("440000")
    wait_shown(qtbot, page, "440000")
    index = page.industry.findData("FIN")
    assert page.industry.itemText(index) == "金融（已停用）"
    page.industry.setCurrentIndex(index)
    wait_shown(qtbot, page, "440000", "FIN")
    assert page.tiles["revenue"].value.text() == "17,800.50" and "该行业已停用" in page.summary.text()


# --- the catalogue dialog -------------------------------------------------------------------------


def open_dialog(qtbot, db, tasks, who):
    dialog = IndustryCatalogueDialog(db, tasks, identity(db, who) if who else None)
    qtbot.addWidget(dialog)
    dialog.load()
    qtbot.waitUntil(lambda: len(dialog.rows) >= 13, timeout=WAIT)
    return dialog


def test_the_head_of_the_group_adds_and_retires_an_industry(qtbot, ready, tasks):
    dialog = open_dialog(qtbot, ready, tasks, "JTH")
    assert dialog.editable and dialog.add_button.isEnabled()
    with qtbot.waitSignal(dialog.changed, timeout=WAIT):
        dialog.add("SPT", "体育")
    qtbot.waitUntil(lambda: dialog.rows[-1].code == "SPT" and dialog.selected_code() == "SPT", timeout=WAIT)
    assert dialog.message.text() == "已新增：体育（SPT）"
    assert dialog.retire_button.isEnabled() and not dialog.restore_button.isEnabled()
    with qtbot.waitSignal(dialog.changed, timeout=WAIT):
        dialog.retire_button.click()
    qtbot.waitUntil(lambda: not dialog.rows[-1].active, timeout=WAIT)
    row = dialog.table.rowCount() - 1
    assert dialog.table.item(row, COL_STATUS).text() == "已停用"
    assert dialog.restore_button.isEnabled() and not dialog.retire_button.isEnabled()
    assert "已停用 0 个" not in dialog.counts.text()
    # a duplicate name and an industry in use are refused in the dialog, nothing changes
    dialog.add("FIN2", "金融")
    qtbot.waitUntil(lambda: "已有名为「金融」的行业" in dialog.message.text(), timeout=WAIT)
    assert dialog.message.styleSheet().startswith("color: #b91c1c")
    dialog.select_code("FIN")
    dialog.delete_clicked()  # in use: refused without asking
    qtbot.waitUntil(lambda: "正在使用，不能删除" in dialog.message.text(), timeout=WAIT)
    assert "请停用它" in dialog.message.text()
    with ready.engine.connect() as conn:
        assert conn.execute(text("SELECT active FROM industry WHERE code = 'SPT'")).scalar() in (0, False)
        assert conn.execute(text("SELECT count(*) FROM industry WHERE code = 'FIN2'")).scalar() == 0


def test_the_catalogue_is_read_only_for_others(qtbot, ready, tasks):
    for who in ("GD1", None):
        dialog = open_dialog(qtbot, ready, tasks, who)
        assert not dialog.editable
        assert all(
            b.isHidden() and not b.isEnabled()
            for b in (dialog.add_button, dialog.rename_button, dialog.retire_button, dialog.delete_button)
        )
        dialog.select_code("FIN")
        assert dialog.run(lambda conn, no: None, "") is None
        assert "只有集团公司大客户事业部的管理员或负责人" in dialog.message.text()
        assert [u.code for u in dialog.rows][:2] == ["GOV", "FIN"] and dialog.rows[1].accounts == 3


def test_the_form_types_codes_in_capitals(qtbot):
    form = IndustryFormDialog()
    qtbot.addWidget(form)
    QTest.keyClicks(form.code_edit, "spt-1")
    assert form.code_edit.text() == "SPT1"  # letters and digits only, in capitals
    renaming = IndustryFormDialog(code="FIN", name="金融")
    qtbot.addWidget(renaming)
    assert renaming.code_edit.isReadOnly() and renaming.values() == ("FIN", "金融")


# --- in the window --------------------------------------------------------------------------------


def test_the_window_has_the_industry_page_on_ctrl_5_and_the_catalogue_in_tools(qtbot, ready, tasks):
    from ui.main_window import MainWindow

    window = MainWindow(ready, tasks)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.refresh()
    assert window.action_industry.shortcut().toString() == "Ctrl+5"
    assert window.pages.tabText(window.pages.indexOf(window.industry_page)) == "行业营销"
    page = window.industry_page
    window.tree_panel.select_code("440000")
    window.action_industry.trigger()
    assert window.pages.currentWidget() is page
    wait_shown(qtbot, page, "440000")
    page.set_industry("FIN")
    wait_shown(qtbot, page, "440000", "FIN")
    page.coverage_card.gap_table.cellDoubleClicked.emit(1, 0)  # 佛山: the tree selects it, the page follows
    assert window.tree_panel.selected_code() == "440600"
    wait_shown(qtbot, page, "440600", "FIN")
    assert [g.code for g in page.data.coverage.gaps] == ["440600"]
    # the catalogue, from 工具, as the group's head: a new industry shows up on the page
    tools = next(a.menu() for a in window.menuBar().actions() if a.text() == "工具(&T)")
    assert window.action_industries in tools.actions() and window.action_industries.text() == "行业目录(&I)…"
    window.identity.set(identity(ready, "JTH"))
    window.action_industries.trigger()
    dialog = window.industry_catalogue.dialog
    qtbot.waitUntil(lambda: dialog is not None and len(dialog.rows) >= 13, timeout=WAIT)
    assert dialog.editable
    dialog.add("SPT", "体育")
    qtbot.waitUntil(lambda: page.industry.findData("SPT") >= 0, timeout=WAIT)
    dialog.close()
