"""The unit page in the main window: figures, staff and the full matrix load in the background for the
selected unit, equal the core's figures, and never show a previous selection's data."""

from __future__ import annotations

import datetime as dt

import pytest

from kam_console import analytics
from kam_console.demo import seed_demo
from kam_console.money import format_yuan
from ui.account_table_model import IdRole as AccountIdRole
from ui.main_window import MainWindow
from ui.tasks import BackgroundTasks
from ui.unit_details import load_unit_details


@pytest.fixture
def demo_window(qtbot, sqlite_db):
    seed_demo(sqlite_db, scale="small", seed=2, today=dt.date(2026, 11, 23))
    tasks = BackgroundTasks()
    w = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.loaded, timeout=10_000):
        w.refresh()
    yield w
    tasks.wait_for_workers(5000)


def select_and_wait(qtbot, window, code):
    window.tree_panel.select_code(code)
    qtbot.waitUntil(lambda: window._details_task is not None and window._details_task.done, timeout=10_000)


def test_city_page_shows_engine_figures_and_staff(qtbot, demo_window, sqlite_db):
    select_and_wait(qtbot, demo_window, "440100")
    panel = demo_window.summary_panel
    with sqlite_db.engine.connect() as conn:
        expected = analytics.unit_figures(conn, unit="440100", month=202610)
    assert panel.figures_panel.title.text() == "关键指标（2026年10月）"
    assert panel.figures_panel.tiles["revenue"].value.text() == format_yuan(expected.revenue_fen)
    assert panel.figures_panel.tiles["accounts"].value.text() == f"{expected.accounts:,}"
    assert panel.staff_panel.tree.topLevelItemCount() >= 5
    assert panel.tabs.currentWidget() is panel.staff_panel  # no units below a city
    assert panel.matrix_chart.matrix().company_superior is not None  # the full matrix arrived


def test_a_late_result_for_another_unit_is_dropped(qtbot, demo_window, sqlite_db):
    select_and_wait(qtbot, demo_window, "440000")
    panel = demo_window.summary_panel
    shown = panel.figures_panel.tiles["revenue"].value.text()
    stale = load_unit_details(sqlite_db, "330000")
    panel.show_details(stale)
    assert panel.figures_panel.tiles["revenue"].value.text() == shown
    assert panel.matrix_chart.matrix().unit.code == "440000"


def test_switching_units_clears_the_previous_figures(qtbot, demo_window):
    select_and_wait(qtbot, demo_window, "440000")
    panel = demo_window.summary_panel
    demo_window.tree_panel.select_code("440300")
    # Until 深圳's details arrive (they come through the event loop), nothing of 广东 is shown.
    assert panel.figures_panel.empty.isVisibleTo(panel)
    assert not panel.figures_panel.tiles["revenue"].isVisibleTo(panel)
    qtbot.waitUntil(lambda: demo_window._details_task.done, timeout=10_000)
    assert panel.matrix_chart.matrix().unit.code == "440300"


def test_accounts_tab_lists_the_units_accounts_with_search(qtbot, demo_window, sqlite_db):
    from sqlalchemy import text

    select_and_wait(qtbot, demo_window, "440100")
    panel = demo_window.summary_panel
    accounts = demo_window.accounts_panel
    panel.tabs.setCurrentWidget(accounts)
    with sqlite_db.engine.connect() as conn:
        served = conn.execute(
            text("SELECT COUNT(*) FROM account a JOIN org_unit c ON c.id = a.serving_city_id WHERE c.code = '440100'")
        ).scalar()
        name, initials = conn.execute(
            text(
                "SELECT a.name, a.name_initials FROM account a JOIN org_unit c ON c.id = a.serving_city_id "
                "WHERE c.code = '440100' ORDER BY a.customer_no LIMIT 1"
            )
        ).one()
    qtbot.waitUntil(lambda: accounts.count_label.text() == f"共 {served:,} 个客户", timeout=10_000)
    # pages are read on a worker thread: the first one arrives through the event loop
    qtbot.waitUntil(lambda: accounts.model.rowCount() == min(served, 200), timeout=10_000)
    accounts.search.setText(initials)
    qtbot.waitUntil(lambda: accounts.model.query.search == initials and not accounts.model.is_loading(), timeout=5_000)
    names = [accounts.model.row_at(r).name for r in range(accounts.model.rowCount())]
    assert name in names
    accounts.search.setText("没有这样的客户名称")
    qtbot.waitUntil(lambda: accounts.count_label.text() == "没有符合条件的客户", timeout=5_000)
    assert accounts.model.rowCount() == 0


def test_pending_head_appointment_shows_on_both_units_pages(qtbot, demo_window, sqlite_db):
    from sqlalchemy import text

    from kam_console.services.appointments import propose_head

    with sqlite_db.engine.begin() as conn:
        candidate = conn.execute(
            text(
                "SELECT s.employee_no FROM staff s JOIN org_unit u ON u.id = s.unit_id "
                "WHERE u.code = '440300' AND s.position = 'customer_manager' ORDER BY 1 LIMIT 1"
            )
        ).scalar()
        propose_head(conn, unit="440300", candidate=candidate)
    tabs = demo_window.summary_panel.tabs
    index = tabs.indexOf(demo_window.appointments_panel)
    for code in ("440300", "440000"):
        select_and_wait(qtbot, demo_window, code)
        assert tabs.tabText(index) == "负责人任命（1 项待审批）"
    select_and_wait(qtbot, demo_window, "440100")
    assert tabs.tabText(index) == "负责人任命"


def test_conflicts_tab_lists_unassigned_accounts_of_the_unit(qtbot, demo_window, sqlite_db):
    from sqlalchemy import text

    with sqlite_db.engine.begin() as conn:
        acc = conn.execute(
            text(
                "SELECT a.id FROM account a JOIN org_unit o ON o.id = a.owner_unit_id WHERE o.code = '440100' "
                "AND a.status <> 'churned' AND a.manager_id IS NOT NULL ORDER BY a.id LIMIT 1"
            )
        ).scalar()
        conn.execute(text("UPDATE account SET manager_id = NULL WHERE id = :a"), {"a": acc})
        conn.execute(
            text("UPDATE account_manager_history SET valid_to = :d WHERE account_id = :a AND valid_to IS NULL"),
            {"a": acc, "d": "2026-11-01"},
        )
    select_and_wait(qtbot, demo_window, "440100")
    panel = demo_window.conflicts_panel
    demo_window.summary_panel.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=10_000)
    from PySide6.QtCore import Qt

    ids = {panel.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(panel.table.rowCount())}
    assert acc in ids
    assert "客户经理负责制" in panel.summary.text()


def test_double_clicking_an_account_opens_its_page(qtbot, demo_window):
    select_and_wait(qtbot, demo_window, "440100")
    accounts = demo_window.accounts_panel
    demo_window.summary_panel.tabs.setCurrentWidget(accounts)
    qtbot.waitUntil(lambda: accounts.model.rowCount() > 0, timeout=10_000)
    index = accounts.model.index(0, 1)
    page = demo_window.open_account(index.data(AccountIdRole))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        pass
    assert page.windowTitle() == f"客户：{accounts.model.row_at(0).name}"


def test_new_account_from_the_accounts_tab(qtbot, demo_window, sqlite_db, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from ui.account_edit_dialog import AccountEditDialog

    def fill(dialog):
        dialog.customer_no_edit.setText("NEW0001")
        dialog.name_edit.setText("广州新开客户有限公司")
        dialog.industry_combo.setCurrentIndex(dialog.industry_combo.findData("NET"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(AccountEditDialog, "exec", fill)
    select_and_wait(qtbot, demo_window, "440100")
    accounts = demo_window.accounts_panel
    demo_window.summary_panel.tabs.setCurrentWidget(accounts)
    opened = []
    monkeypatch.setattr(demo_window, "open_account", lambda account_id: opened.append(account_id))
    with qtbot.waitSignal(demo_window.account_editor.saved, timeout=10_000):
        accounts.new_button.click()
    assert opened
    from sqlalchemy import text

    with sqlite_db.engine.connect() as conn:
        row = conn.execute(text("SELECT name FROM account WHERE id = :i"), {"i": opened[0]}).scalar()
    assert row == "广州新开客户有限公司"


def _accounts_tab(qtbot, window, code):
    select_and_wait(qtbot, window, code)
    accounts = window.accounts_panel
    window.summary_panel.tabs.setCurrentWidget(accounts)
    qtbot.waitUntil(
        lambda: accounts.count_label.text().startswith("共") and not accounts.model.is_loading(), timeout=10_000
    )
    return accounts


def test_unassigned_queue_is_counted_and_worked_off_by_assigning_several_accounts(
    qtbot, demo_window, sqlite_db, monkeypatch
):
    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtWidgets import QDialog
    from sqlalchemy import text

    from ui.assign_dialog import AssignManagersDialog

    with sqlite_db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE account SET manager_id = NULL WHERE id IN (SELECT a.id FROM account a JOIN org_unit o"
                " ON o.id = a.owner_unit_id WHERE o.code = '440100' AND a.status <> 'churned'"
                " ORDER BY a.customer_no LIMIT 3)"
            )
        )
        # 广州 owns its accounts and has no units below it: its queue is its own accounts awaiting a manager
        queue = conn.execute(
            text(
                "SELECT COUNT(*) FROM account a JOIN org_unit o ON o.id = a.owner_unit_id"
                " WHERE o.code = '440100' AND a.manager_id IS NULL AND a.status <> 'churned'"
            )
        ).scalar()
        manager = conn.execute(
            text(
                "SELECT s.employee_no FROM staff s JOIN org_unit u ON u.id = s.unit_id WHERE u.code = '440100'"
                " AND s.position = 'customer_manager' AND s.active ORDER BY 1 LIMIT 1"
            )
        ).scalar()
    accounts = _accounts_tab(qtbot, demo_window, "440100")
    assert accounts.queue_button.isVisibleTo(accounts) and accounts.queue_button.text() == f"待分配：{queue} 个"
    accounts.queue_button.click()  # opens the queue: only unassigned accounts
    assert accounts.unassigned.isChecked() and not accounts.manager.isEnabled()
    assert accounts.scope.currentText() == "本单位及下级单位归属的客户"
    qtbot.waitUntil(lambda: accounts.model.rowCount() == queue and not accounts.model.is_loading(), timeout=10_000)
    assert all(accounts.model.row_at(r).manager is None for r in range(queue))
    assert not accounts.assign_button.isEnabled()  # nothing selected yet
    selection = accounts.view.selectionModel()
    for row in (0, 1):
        selection.select(
            accounts.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    assert accounts.assign_button.isEnabled()
    chosen = [accounts.model.row_at(r).customer_no for r in (0, 1)]
    seen = {}

    def pick(dialog):
        seen["offered"] = [c.employee_no for c in dialog.candidates]
        seen["intro"] = dialog.findChildren(type(accounts.count_label))[0].text()
        dialog.choose(manager)
        dialog.note_edit.setText("新客户分配")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(AssignManagersDialog, "exec", pick)
    with qtbot.waitSignal(accounts.assigner.assigned, timeout=10_000) as blocker:
        accounts.assign_button.click()
    assert blocker.args[0].assigned == 2 and not blocker.args[0].skipped
    assert manager in seen["offered"] and "2 个客户" in seen["intro"]
    with sqlite_db.engine.connect() as conn:
        got = dict(
            conn.execute(
                text(
                    "SELECT a.customer_no, s.employee_no FROM account a JOIN staff s ON s.id = a.manager_id"
                    " WHERE a.customer_no IN (:a, :b)"
                ),
                {"a": chosen[0], "b": chosen[1]},
            ).all()
        )
    assert got == {chosen[0]: manager, chosen[1]: manager}
    # the list reloads: the queue is shorter by the two accounts handed over
    qtbot.waitUntil(lambda: accounts.model.rowCount() == queue - 2 and not accounts.model.is_loading(), timeout=10_000)


def test_industry_and_manager_filters_narrow_the_list(qtbot, demo_window, sqlite_db):
    from sqlalchemy import text

    accounts = _accounts_tab(qtbot, demo_window, "440100")
    qtbot.waitUntil(lambda: accounts.industry.count() > 1 and accounts.manager.count() > 1, timeout=10_000)
    with sqlite_db.engine.connect() as conn:
        industry, expected = conn.execute(
            text(
                "SELECT i.code, COUNT(*) FROM account a JOIN org_unit c ON c.id = a.serving_city_id JOIN industry i"
                " ON i.id = a.industry_id WHERE c.code = '440100' GROUP BY i.code ORDER BY 2 DESC LIMIT 1"
            )
        ).one()
    accounts.industry.setCurrentIndex(accounts.industry.findData(industry))
    qtbot.waitUntil(lambda: accounts.count_label.text() == f"共 {expected:,} 个客户", timeout=10_000)
    qtbot.waitUntil(lambda: not accounts.model.is_loading() and accounts.model.rowCount() > 0, timeout=10_000)
    assert {accounts.model.row_at(r).industry_code for r in range(accounts.model.rowCount())} == {industry}
    accounts.industry.setCurrentIndex(0)
    manager = accounts.manager.itemData(1)
    with sqlite_db.engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT COUNT(*) FROM account a JOIN org_unit c ON c.id = a.serving_city_id JOIN staff s"
                " ON s.id = a.manager_id WHERE c.code = '440100' AND s.employee_no = :m"
            ),
            {"m": manager},
        ).scalar()
    assert expected > 0
    accounts.manager.setCurrentIndex(1)
    qtbot.waitUntil(lambda: accounts.count_label.text() == f"共 {expected:,} 个客户", timeout=10_000)
    qtbot.waitUntil(lambda: accounts.model.rowCount() == expected and not accounts.model.is_loading(), timeout=10_000)
    assert {accounts.model.row_at(r).manager_no for r in range(expected)} == {manager}


def test_accounts_open_in_customer_number_order_and_headers_sort_in_the_database(qtbot, demo_window, sqlite_db):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from sqlalchemy import text

    from ui.account_table_model import COL_CUSTOMER_NO, COL_OWNER_UNIT

    accounts = _accounts_tab(qtbot, demo_window, "440100")
    with sqlite_db.engine.connect() as conn:
        numbers = list(
            conn.execute(
                text(
                    "SELECT a.customer_no FROM account a JOIN org_unit c ON c.id = a.serving_city_id"
                    " WHERE c.code = '440100' ORDER BY a.customer_no"
                )
            ).scalars()
        )
    header = accounts.view.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        COL_CUSTOMER_NO,
        Qt.SortOrder.AscendingOrder,
    )
    assert not accounts.model.query.descending
    shown = [accounts.model.row_at(r).customer_no for r in range(accounts.model.rowCount())]
    assert shown == numbers[: len(shown)] and len(shown) == min(len(numbers), 200)

    def click(column):
        at = QPoint(header.sectionViewportPosition(column) + 10, header.height() // 2)
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=at)

    click(COL_CUSTOMER_NO)  # the second order: read again from the database, newest numbers first
    assert accounts.model.query.descending
    qtbot.waitUntil(lambda: accounts.model.rowCount() > 0 and not accounts.model.is_loading(), timeout=10_000)
    shown = [accounts.model.row_at(r).customer_no for r in range(accounts.model.rowCount())]
    assert shown == numbers[::-1][: len(shown)]
    click(COL_OWNER_UNIT)  # not sortable: the list and its sort mark stay as they are
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        COL_CUSTOMER_NO,
        Qt.SortOrder.DescendingOrder,
    )
    assert accounts.model.query.descending and accounts.model.query.sort == "customer_no"


def test_queue_is_the_units_unassigned_conflicts_and_the_list_shows_exactly_it(qtbot, demo_window, sqlite_db):
    """The 待分配 count, the rows the queue shows and the 责任冲突 tab's unassigned accounts are the same, for a
    city, a province and the group — even with unassigned churned accounts and, in 广州, unassigned accounts
    served there but owned by 广东 or the group (which 广东 and the group answer for, not 广州)."""
    from sqlalchemy import text

    from kam_console.services.responsibility import manager_conflicts

    with sqlite_db.engine.begin() as conn:
        for owner_level, churned in (("province", False), ("group", False), ("city", True)):
            acc = conn.execute(
                text(
                    "SELECT a.id FROM account a JOIN org_unit o ON o.id = a.owner_unit_id JOIN org_unit c"
                    " ON c.id = a.serving_city_id WHERE c.code = '440100' AND o.level = :level"
                    " AND (a.status = 'churned') = :churned AND a.manager_id IS NOT NULL ORDER BY a.id LIMIT 1"
                ),
                {"level": owner_level, "churned": churned},
            ).scalar()
            assert acc is not None, (owner_level, churned)
            conn.execute(text("UPDATE account SET manager_id = NULL WHERE id = :a"), {"a": acc})
            conn.execute(
                text("UPDATE account_manager_history SET valid_to = :d WHERE account_id = :a AND valid_to IS NULL"),
                {"a": acc, "d": "2026-11-01"},
            )

    def check(code: str) -> None:
        with sqlite_db.engine.connect() as conn:
            unassigned = {
                c.account_id for c in manager_conflicts(conn, unit=code, limit=None) if c.kind == "unassigned"
            }
        assert unassigned, code
        queue = len(unassigned)
        accounts = _accounts_tab(qtbot, demo_window, code)
        # filters of the user's own, which the queue sets aside
        accounts.status.setCurrentIndex(accounts.status.findData("dormant"))
        accounts.search.setText("公司")
        qtbot.waitUntil(
            lambda: accounts.model.query.search == "公司" and accounts.count_label.text().startswith(("共", "没有")),
            timeout=10_000,
        )
        qtbot.waitUntil(lambda: accounts.queue_button.text() == f"待分配：{queue:,} 个", timeout=10_000)
        assert accounts.queue_button.isVisibleTo(accounts)
        accounts.queue_button.click()
        assert accounts.scope.currentText() == "本单位及下级单位归属的客户" and accounts.unassigned.isChecked()
        assert accounts.search.text() == "" and accounts.status.currentData() is None
        qtbot.waitUntil(
            lambda: accounts.count_label.text() == f"共 {queue:,} 个客户" and not accounts.model.is_loading(),
            timeout=10_000,
        )
        accounts.model.fetch_all()
        assert {accounts.model.row_at(r).id for r in range(accounts.model.rowCount())} == unassigned, code
        assert not accounts.queue_button.isVisibleTo(accounts)  # the list is the queue
        accounts.unassigned.setChecked(False)  # back to a list of everything for the next unit
        accounts.scope.setCurrentIndex(0)

    for code in ("440100", "440000", "000000"):
        check(code)


@pytest.fixture
def app_font(qapp, monkeypatch):
    """The application font as the app sets it up (the bundled Chinese font here), for measuring widths; the
    old font is restored afterwards. Ask for it before ``demo_window``."""
    from ui.fonts import ENV_UI_FONT, setup_application_font

    font = qapp.font()
    monkeypatch.setenv(ENV_UI_FONT, "bundled")
    setup_application_font(qapp)
    yield
    qapp.setFont(font)


def test_every_column_fits_its_content_and_the_revenue_column_is_on_screen(qtbot, app_font, demo_window):
    from PySide6.QtCore import Qt

    from ui.account_table_model import COL_NAME, COL_REVENUE

    typical = [  # what each column typically holds, in column order
        "KA4403000001201",
        "中国石化销售股份有限公司广东石油分公司",  # a national account's branch
        "地市级",
        "医疗卫生",
        "乌鲁木齐",
        "乌鲁木齐",
        "欧阳明哲",
        "在网",
        "12,345,678.90",
    ]
    demo_window.resize(1280, 800)
    accounts = _accounts_tab(qtbot, demo_window, "440100")
    view, header = accounts.view, accounts.view.horizontalHeader()
    qtbot.waitUntil(lambda: view.viewport().width() > 0 and view.isVisible(), timeout=5_000)
    metrics = view.fontMetrics()
    for column, sample in enumerate(typical):
        assert view.columnWidth(column) >= metrics.horizontalAdvance(sample) + 8, (column, view.columnWidth(column))
        title = accounts.model.headerData(column, Qt.Orientation.Horizontal)
        assert view.columnWidth(column) >= header.fontMetrics().horizontalAdvance(title), column
    assert accounts.model.headerData(COL_REVENUE, Qt.Orientation.Horizontal) == "2026-10收入（元）"
    # at the default window size the whole table, the revenue column included, is on screen
    assert header.sectionViewportPosition(COL_REVENUE) + header.sectionSize(COL_REVENUE) <= view.viewport().width()
    assert header.sectionViewportPosition(COL_REVENUE) >= 0 and not view.horizontalScrollBar().isVisible()
    # a name too long for its column keeps its full text in the tooltip
    longest = max(range(accounts.model.rowCount()), key=lambda r: len(accounts.model.row_at(r).name))
    index = accounts.model.index(longest, COL_NAME)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == accounts.model.row_at(longest).name
