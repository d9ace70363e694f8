"""The account page: loads the account in the background and shows its branches, services, history and
revenue chart; an account without revenue shows the empty state; double-clicking a branch opens it."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from kam_console.demo import seed_demo
from ui.account_page import AccountPage
from ui.tasks import BackgroundTasks


@pytest.fixture
def demo(db):
    seed_demo(db, scale="small", seed=1, today=dt.date(2026, 11, 23))
    tasks = BackgroundTasks()
    yield db, tasks
    tasks.wait_for_workers(5000)


def make_page(qtbot, db, tasks, account_id) -> AccountPage:
    page = AccountPage(db, tasks, account_id)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.detail is not None, timeout=10_000)
    return page


def head_account(db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT a.id FROM account a JOIN account b ON b.parent_id = a.id WHERE a.level = 'national'"
                " GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT 1"
            )
        ).scalar_one()


def test_national_head_account_page(qtbot, demo):
    db, tasks = demo
    account_id = head_account(db)
    page = make_page(qtbot, db, tasks, account_id)
    with db.engine.connect() as conn:
        children = conn.execute(text("SELECT count(*) FROM account WHERE parent_id = :i"), {"i": account_id}).scalar()
        services = conn.execute(text("SELECT count(*) FROM service WHERE account_id = :i"), {"i": account_id}).scalar()
        name = conn.execute(text("SELECT name FROM account WHERE id = :i"), {"i": account_id}).scalar()
    assert page.windowTitle() == f"客户：{name}"
    assert not page.isModal()
    assert page.branches_table.rowCount() == children >= 2
    assert page.services_table.rowCount() == services > 0
    assert page.history_table.rowCount() == len(page.detail.manager_history) > 0
    assert len(page.chart.bar_heights) == 24
    assert page.chart.bars is not None and page.chart.plot.isVisible()
    assert not page.chart.empty.isVisible()
    assert "全国性" in page.meta_label.text()


def test_account_without_revenue_shows_empty_state(qtbot, demo):
    db, tasks = demo
    with db.engine.connect() as conn:
        account_id = conn.execute(
            text(
                "SELECT a.id FROM account a WHERE NOT EXISTS"
                " (SELECT 1 FROM monthly_revenue m WHERE m.account_id = a.id) ORDER BY a.id LIMIT 1"
            )
        ).scalar_one()
    page = make_page(qtbot, db, tasks, account_id)
    assert page.chart.empty.isVisible()
    assert not page.chart.plot.isVisible()
    assert page.chart.bar_heights == [0] * 24


def test_double_clicking_a_branch_opens_it(qtbot, demo):
    db, tasks = demo
    page = make_page(qtbot, db, tasks, head_account(db))
    page.tabs.setCurrentWidget(page.hierarchy_tab)
    table = page.branches_table
    branch_id = page.detail.branches[1].id
    qtbot.waitUntil(table.isVisible)
    rect = table.visualRect(table.model().index(1, 1))
    with qtbot.waitSignal(page.open_account, timeout=2000) as blocker:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [branch_id]
    assert len(page.opened_pages) == 1
    child = page.opened_pages[0]
    qtbot.waitUntil(lambda: child.detail is not None, timeout=10_000)
    assert child.detail.parent is not None and child.detail.parent.id == page.account_id
    assert "上级客户" in child.parent_label.text()
    child.close()


def test_head_account_page_shows_the_customers_total_and_each_branchs_revenue(qtbot, demo):
    from kam_console.money import format_yuan

    db, tasks = demo
    account_id = head_account(db)
    page = make_page(qtbot, db, tasks, account_id)
    with db.engine.connect() as conn:
        newest = conn.execute(text("SELECT max(month) FROM monthly_revenue")).scalar_one()
        total = conn.execute(
            text(
                "SELECT coalesce(sum(m.revenue_fen), 0) FROM monthly_revenue m JOIN account a ON a.id = m.account_id"
                " WHERE m.month = :m AND (a.id = :h OR a.parent_id = :h)"
            ),
            {"m": newest, "h": account_id},
        ).scalar_one()
        per_branch = dict(
            conn.execute(
                text(
                    "SELECT a.customer_no, coalesce(sum(m.revenue_fen), 0) FROM account a LEFT JOIN monthly_revenue m"
                    " ON m.account_id = a.id AND m.month = :m WHERE a.parent_id = :h GROUP BY a.customer_no"
                ),
                {"m": newest, "h": account_id},
            ).all()
        )
        city = conn.execute(
            text("SELECT c.short_name FROM account a JOIN org_unit c ON c.id = a.serving_city_id WHERE a.id = :i"),
            {"i": account_id},
        ).scalar_one()
    month = f"{newest // 100}年{newest % 100:02d}月"
    label = page.group_total_label
    assert label.isVisible()
    assert label.text() == f"集团合计（本部及 {len(per_branch)} 个分支机构，{month}）：{format_yuan(total)} 元"
    assert page.chart_box.title().startswith("本户收入（元，不含分支机构）")
    assert page.city_value.text() == city
    table = page.branches_table
    assert table.horizontalHeaderItem(5).text() == f"{month}收入（元）"
    shown = {table.item(r, 0).text(): table.item(r, 5).text() for r in range(table.rowCount())}
    assert shown == {no: format_yuan(fen) if fen else shown[no] for no, fen in per_branch.items()}
    assert all(text_ in ("—", format_yuan(0)) for no, text_ in shown.items() if not per_branch[no])


def test_branch_page_hierarchy_stays_at_the_top_and_has_no_total(qtbot, demo):
    db, tasks = demo
    head = make_page(qtbot, db, tasks, head_account(db))
    page = make_page(qtbot, db, tasks, head.detail.branches[0].id)
    page.resize(1000, 720)
    page.tabs.setCurrentWidget(page.hierarchy_tab)
    qtbot.waitUntil(page.parent_label.isVisible)
    assert page.hierarchy_tab.height() > 200
    line = page.fontMetrics().height()
    assert not page.branches_table.isVisible()
    assert page.branches_label.geometry().top() - page.parent_label.geometry().bottom() < line
    assert page.branches_label.geometry().bottom() < 4 * line + 20
    assert not page.group_total_label.isVisible()
    assert page.chart_box.title().startswith("月收入（元）")


def test_revenue_chart_labels_the_zero_tick(qtbot):
    from PySide6.QtGui import QImage, QPainter

    from kam_console.services.account_detail import RevenuePoint
    from ui.account_page import RevenueChart

    chart = RevenueChart()
    qtbot.addWidget(chart)
    chart.resize(560, 260)
    chart.show()
    chart.set_points([RevenuePoint(202401 + i, 20_000_000 + i * 100_000, 1) for i in range(12)])
    qtbot.waitUntil(chart.plot.isVisible)
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = chart.plot.getAxis("left").generateDrawSpecs(painter)
    finally:
        painter.end()
    labels = [t[2] for t in texts]
    assert "0" in labels and "200,000" in labels
