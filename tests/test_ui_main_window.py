"""The main window on a migrated SQLite database: tree, search, summary, status bar, menus, saved layout."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QMessageBox

from ui import settings as S
from ui.main_window import MainWindow
from ui.org_tree_model import COL_NAME, CodeRole
from ui.tasks import BackgroundTasks


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks()
    yield t
    t.wait_for_workers(5000)


@pytest.fixture
def window(qtbot, sqlite_db, tasks):
    w = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.loaded, timeout=10_000):
        w.refresh()
    return w


def _visible_codes(proxy, parent=None):
    parent = parent or QModelIndex()
    out = []
    for row in range(proxy.rowCount(parent)):
        index = proxy.index(row, COL_NAME, parent)
        out.append(index.data(CodeRole))
        out.extend(_visible_codes(proxy, index))
    return out


def test_window_basics(window, sqlite_db):
    assert window.windowTitle() == "大客户管理控制台"
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["文件(&F)", "视图(&V)", "工具(&T)", "帮助(&H)"]
    assert window.action_quit.shortcut().toString() == "Ctrl+Q"
    assert window.action_refresh.shortcut().toString() == "F5"
    assert window.status_db.text() == sqlite_db.description
    assert "嵌入式数据库" in window.status_db.text()
    assert not window.status_demo.isVisible()  # reference data only, no demo seed
    left, right = window.splitter.sizes()
    assert left >= 240 and right > left  # the tree is not cramped, the summary gets the rest


def test_tree_loads_and_group_is_selected_first(window):
    panel = window.tree_panel
    assert panel.model.rowCount() == 1
    assert panel.model.rowCount(panel.model.index(0, 0)) == 31
    assert panel.view.isExpanded(panel.proxy.index(0, 0))  # provinces visible at a glance
    assert panel.selected_code() == "000000"
    assert window.summary_panel.fields["name"].text() == "集团公司大客户事业部"
    assert window.summary_panel.fields["parent"].text() == "无（最高层级）"
    assert "31" in window.summary_panel.fields["children"].text()
    assert "337" in window.summary_panel.fields["children"].text()


def test_search_shows_province_and_city(window, qtbot):
    panel = window.tree_panel
    panel.search.setText("广州")  # (QTest.keyClicks aborts on non-Latin-1 text)
    assert _visible_codes(panel.proxy) == ["000000", "440000", "440100"]
    city = panel.proxy.mapFromSource(panel.model.index_for_code("440100"))
    assert city.data() == "广州"
    assert panel.view.isExpanded(city.parent())  # 广东 opened to show the match
    assert city.parent().data() == "广东"
    panel.search.setText("没有这个单位")
    assert panel.no_match.isVisible()
    panel.search.clear()
    assert not panel.no_match.isVisible()
    assert len(_visible_codes(panel.proxy)) == 369


def test_selecting_a_unit_fills_summary_and_status(window, qtbot):
    panel = window.tree_panel
    panel.search.setText("广州")
    city = panel.proxy.mapFromSource(panel.model.index_for_code("440100"))
    panel.view.setCurrentIndex(city)
    fields = window.summary_panel.fields
    assert fields["name"].text() == "广州市大客户部"
    assert fields["code"].text() == "440100"
    assert fields["level"].text() == "地市"
    assert fields["parent"].text() == "广东省大客户部（440000）"
    assert fields["company"].text() == "广州分公司"
    assert fields["children"].text() == "无"
    assert window.summary_panel.title.text() == "广州市大客户部"
    assert window.status_unit.text() == "当前单位：广州市大客户部（440100）"
    # Clearing the search keeps the unit selected and revealed.
    panel.search.clear()
    assert panel.selected_code() == "440100"
    assert panel.view.currentIndex().data(CodeRole) == "440100"

    panel.select_code("440000")
    assert fields["level"].text() == "省"
    assert fields["parent"].text() == "集团公司大客户事业部（000000）"
    assert fields["company"].text() == "广东省公司"
    assert fields["children"].text().startswith("直属 21 个")
    assert window.summary_panel.children_table.rowCount() == 21


def test_double_click_subordinate_selects_it(window, qtbot):
    window.tree_panel.select_code("440000")
    table = window.summary_panel.children_table
    row = next(r for r in range(table.rowCount()) if table.item(r, 1).text() == "440300")
    table.cellDoubleClicked.emit(row, 0)
    assert window.tree_panel.selected_code() == "440300"
    assert window.summary_panel.fields["name"].text() == "深圳市大客户部"


def test_refresh_keeps_selection(window, qtbot):
    window.tree_panel.select_code("440100")
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.action_refresh.trigger()
    assert window.tree_panel.selected_code() == "440100"
    assert window.summary_panel.fields["code"].text() == "440100"


def test_layout_and_last_unit_are_remembered(window, qtbot, sqlite_db, tasks):
    window.splitter.setSizes([420, 780])
    window.tree_panel.select_code("440100")
    saved = window.splitter.sizes()
    window.close()
    settings = S.app_settings()
    assert not S.MAIN_GEOMETRY.get(settings).isEmpty()
    assert S.LAST_UNIT.get(settings) == "440100"

    again = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(again)
    again.show()
    with qtbot.waitSignal(again.loaded, timeout=10_000):
        again.refresh()
    assert again.splitter.sizes() == saved
    assert again.tree_panel.selected_code() == "440100"


def test_organisation_block_can_be_hidden_and_stays_hidden(window, qtbot, sqlite_db, tasks):
    window.tree_panel.select_code("440100")
    panel = window.summary_panel
    assert panel.overview_visible() and panel.overview_toggle.text().startswith("收起")
    tabs_before = panel.tabs.height()
    panel.overview_toggle.click()
    assert not panel.overview_visible() and panel.overview_toggle.text().startswith("展开")
    qtbot.waitUntil(lambda: panel.tabs.height() > tabs_before + 100, timeout=2_000)  # the list gets the room
    window.close()

    again = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(again)
    again.show()
    with qtbot.waitSignal(again.loaded, timeout=10_000):
        again.refresh()
    assert not again.summary_panel.overview_visible()
    again.summary_panel.overview_toggle.click()
    assert again.summary_panel.overview_visible()


def test_about_dialog(window, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.action_about.trigger()
    assert shown and "大客户管理控制台" in shown[0] and "Apache" in shown[0]


def test_lost_connection_shows_a_banner_and_retry_recovers(qtbot, sqlite_db, tasks, monkeypatch):
    from kam_console.errors import DatabaseUnavailable
    from ui import main_window

    real = main_window.load_window_data
    calls = {"n": 0}

    def flaky(db, *args):
        calls["n"] += 1
        if calls["n"] == 1:
            raise DatabaseUnavailable("无法连接数据库服务器：测试", "unreachable")
        return real(db, *args)

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append(text))
    monkeypatch.setattr(main_window, "load_window_data", flaky)
    w = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(w)
    w.show()
    task = w.refresh()
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert shown == []  # no blocking dialog for a connection problem
    assert w.banner.isVisible() and "无法连接数据库服务器：测试" in w.banner.message.text()
    assert w.summary_panel.stack.currentIndex() == 0  # the placeholder, no stale data
    with qtbot.waitSignal(w.loaded, timeout=10_000):
        w.banner.button.click()
    assert not w.banner.isVisible()
    assert w.tree_panel.model.rowCount() == 1


def test_other_load_failures_show_an_error_dialog(qtbot, sqlite_db, tasks, monkeypatch):
    from ui import main_window

    def broken(db, *args):
        raise RuntimeError("意外错误")

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append(text))
    monkeypatch.setattr(main_window, "load_window_data", broken)
    w = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(w)
    task = w.refresh()
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert shown and "意外错误" in shown[0]
    assert not w.banner.isVisible()
