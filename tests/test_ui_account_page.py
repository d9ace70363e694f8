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
