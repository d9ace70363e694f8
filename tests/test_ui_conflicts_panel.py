"""The 责任冲突 tab: the service's order on display (until the user sorts), the true number of conflicts
beyond the shown ones, full texts as tooltips and compact rows that fit the page."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

import ui.conflicts_panel as conflicts_panel
from kam_console.demo import seed_demo
from kam_console.services.responsibility import KINDS, Conflict, ConflictReport, manager_conflicts
from ui.conflicts_panel import ConflictsPanel
from ui.tasks import BackgroundTasks

DETAIL = "请在归属单位指定一名负责客户经理"


def conflict(i: int, customer_no: str, branch: bool, kind: str = "unassigned") -> Conflict:
    return Conflict(i, customer_no, f"客户{i}有限公司", kind, KINDS[kind], "广州", "广州", None, DETAIL, branch)


def report(rows: list[Conflict], total: int | None = None) -> ConflictReport:
    by_kind = dict.fromkeys(KINDS, 0)
    by_kind["unassigned"] = total if total is not None else len(rows)
    return ConflictReport(rows, by_kind["unassigned"], by_kind)


@pytest.fixture
def panel(qtbot):
    p = ConflictsPanel(None, None)
    qtbot.addWidget(p)
    p._code = "440100"
    return p


def column(panel: ConflictsPanel, col: int) -> list[str]:
    return [panel.table.item(r, col).text() for r in range(panel.table.rowCount())]


def test_rows_keep_the_services_order_until_a_header_is_clicked(qtbot, panel):
    # Branches first, then by customer number: as the service sends them.
    rows = [
        conflict(1, "KA02", True),
        conflict(2, "KA09", True),
        conflict(3, "KA01", False),
        conflict(4, "KA05", False),
    ]
    panel.resize(900, 400)
    panel.show()
    panel._show(("440100", report(rows)))
    assert column(panel, 0) == ["KA02", "KA09", "KA01", "KA05"]
    header = panel.table.horizontalHeader()
    assert header.sortIndicatorSection() == -1  # no sort mark that would claim another order
    assert panel.table.isSortingEnabled()
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(header.sectionViewportPosition(0) + 5, 5))
    assert header.sortIndicatorSection() == 0
    assert column(panel, 0) == ["KA01", "KA02", "KA05", "KA09"]
    # The next unit's list comes in the service's order again.
    panel._show(("440100", report(rows)))
    assert column(panel, 0) == ["KA02", "KA09", "KA01", "KA05"]


def test_summary_gives_the_true_total_when_only_the_first_are_shown(panel):
    rows = [conflict(i, f"KA{i:05d}", False) for i in range(1000)]
    panel._show(("440100", report(rows, total=1367)))
    text = panel.summary.text()
    assert "有 1,367 个客户不符合客户经理负责制" in text
    assert "未指定负责客户经理 1,367" in text
    assert "共 1,367 项，显示前 1,000 项" in text
    assert panel.table.rowCount() == 1000
    panel._show(("440100", report(rows[:3])))
    assert "有 3 个客户" in panel.summary.text() and "显示前" not in panel.summary.text()
    panel._show(("440100", report([])))
    assert panel.summary.text() == "本单位及下级单位归属的客户都有且只有一名在岗的负责客户经理。"


def test_every_cell_has_its_full_text_as_tooltip_and_rows_fit_the_page(qtbot, panel):
    long_name = "广州市天河区某某某某某某某某某某某某某某某某信息科技股份有限公司"
    rows = [
        Conflict(
            1,
            "KA4416000037433",
            long_name,
            "manager_elsewhere",
            KINDS["manager_elsewhere"],
            "广东",
            "广州",
            "王小明",
            "王小明 属于 深圳，客户归属 广东、服务地市 广州",
            False,
        ),
        conflict(2, "KA4416000037216", False),
    ]
    panel.resize(800, 400)  # the room the tab has in a 1280 px wide window
    panel.show()
    panel._show(("440100", report(rows)))
    qtbot.waitUntil(lambda: panel.table.viewport().width() > 0)
    table = panel.table
    for r in range(table.rowCount()):
        for c in range(table.columnCount()):
            item = table.item(r, c)
            assert item.toolTip() == item.text() and item.text()
    assert table.verticalHeader().defaultSectionSize() == panel.fontMetrics().height() + 8
    assert table.rowHeight(0) == panel.fontMetrics().height() + 8
    assert table.horizontalHeader().stretchLastSection()
    assert table.horizontalScrollBar().maximum() == 0  # no sideways scrolling: 说明 takes what is left
    assert table.columnWidth(6) >= 8 * panel.fontMetrics().horizontalAdvance("中")


def test_panel_reads_the_report_in_the_background(qtbot, sqlite_db, monkeypatch):
    seed_demo(sqlite_db, scale="small", seed=3, today=dt.date(2026, 11, 23))
    with sqlite_db.engine.connect() as conn:
        everything = manager_conflicts(conn, unit="000000", limit=None)
    assert len(everything) > 5
    monkeypatch.setattr(conflicts_panel, "LIMIT", 5)
    tasks = BackgroundTasks()
    p = ConflictsPanel(sqlite_db, tasks)
    qtbot.addWidget(p)
    p.set_unit("000000")
    qtbot.waitUntil(lambda: p.table.rowCount() == 5, timeout=10_000)
    assert f"共 {len(everything):,} 项，显示前 5 项" in p.summary.text()
    assert column(p, 0) == [c.customer_no for c in everything[:5]]
    ids = [p.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(5)]
    assert ids == [c.account_id for c in everything[:5]]
    tasks.wait_for_workers(5000)
