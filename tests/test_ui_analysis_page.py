"""The ARPU/ARPA analysis page in the main window: figures equal the engine's (and so the CLI's), clicking
bars drills down country → province → city → account, the breadcrumb goes back up, filters and the
metric switch redraw, a previous selection's figures are never shown, exports carry the chart's data."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog

from kam_console import analytics
from kam_console.analytics import Filters
from kam_console.demo import seed_demo
from kam_console.services.analysis import AnalysisRequest, load_analysis
from ui import chart_export
from ui.analysis_page import CompareDialog
from ui.main_window import MainWindow
from ui.tasks import BackgroundTasks
from ui.unit_figures_panel import DOWN_GREEN, UP_RED

LAST = 202610


@pytest.fixture
def window(qtbot, sqlite_db):
    seed_demo(sqlite_db, scale="small", seed=2, today=dt.date(2026, 11, 23))
    tasks = BackgroundTasks()
    w = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.loaded, timeout=10_000):
        w.refresh()
    yield w
    tasks.wait_for_workers(5000)


def shown(qtbot, page, unit: str, **match) -> None:
    """Wait until the page shows ``unit`` (and the request fields in ``match``)."""

    def ready():
        d = page.data
        return d is not None and d.unit.code == unit and all(getattr(d.request, k) == v for k, v in match.items())

    qtbot.waitUntil(ready, timeout=15_000)


def open_analysis(qtbot, window, unit: str = "000000"):
    window.tree_panel.select_code(unit)
    window.action_analysis.trigger()
    page = window.analysis_page
    assert window.pages.currentWidget() is page
    shown(qtbot, page, unit)
    return page


def click_bar(chart, index: int) -> None:
    """A real mouse click on the middle of bar ``index``."""
    value = chart.bars.opts["height"][index]
    scene = chart.plot_item.vb.mapViewToScene(QPointF(index, value / 2))
    view = chart.plot_widget.mapFromScene(scene)
    QTest.mouseClick(chart.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=view)


def test_country_figures_equal_the_engine(qtbot, window, sqlite_db):
    page = open_analysis(qtbot, window)
    with sqlite_db.engine.connect() as conn:
        provinces = analytics.figures_by(conn, unit="000000", month=LAST, by="province")
        country = analytics.unit_figures(conn, unit="000000", month=LAST)
    assert page.breadcrumb.text() == "全国"
    assert page.month.currentData() == LAST and page.month.currentText() == "2026年10月"
    assert page.tiles["revenue"].value.text() == f"{country.revenue:,.2f}"
    assert page.tiles["accounts"].value.text() == f"{country.accounts:,}"
    assert page.tiles["arpu"].value.text() == f"{country.arpu:,.2f}"
    assert "环比" in page.tiles["arpa"].change.text() and "同比" in page.tiles["arpa"].change.text()
    chart = page.children_chart
    assert [c.key for c in chart.categories] == [p.key for p in provinces]
    assert len(chart.categories) == 31 and chart.categories[18].label == "广东"
    assert chart.values == [float(p.arpu) if p.arpu is not None else None for p in provinces]
    assert chart.second_values == [float(p.revenue) for p in provinces]
    assert "广东" in chart.categories[18].tooltip and f"{provinces[18].revenue:,.2f}" in chart.categories[18].tooltip
    assert chart.category_axis.angle == 45  # 31 names do not fit level
    assert not page.trend_chart.is_empty and len(page.trend_chart.labels) == 24
    assert len(page.compare_chart.series) == 6 and page.compare_chart.series[0].name == "全国"
    assert page.top_table.rowCount() == 20
    assert "ARPU（元/线路）" in chart.legend.text() and "收入（万元）" in chart.legend.text()


def test_drill_down_by_clicking_bars_and_back_up_by_the_breadcrumb(qtbot, window, sqlite_db):
    page = open_analysis(qtbot, window)
    chart = page.children_chart
    click_bar(chart, [c.key for c in chart.categories].index("440000"))
    shown(qtbot, page, "440000")
    assert window.tree_panel.selected_code() == "440000"  # one current unit for the whole window
    assert page.data.child_kind == "city" and all(c.key.startswith("44") for c in chart.categories)
    assert '<a href="000000">全国</a>' in page.breadcrumb.text()
    click_bar(chart, [c.key for c in chart.categories].index("440100"))
    shown(qtbot, page, "440100")
    assert page.data.child_kind == "account"
    assert page.breadcrumb.text().count("<a ") == 2
    opened = []
    window.open_account = opened.append  # the page asks the window to open the account
    page.account_requested.disconnect()
    page.account_requested.connect(window.open_account)
    click_bar(chart, 0)
    assert opened == [page.data.account_ids[chart.categories[0].key]]
    page.breadcrumb.linkActivated.emit("440000")  # what clicking 广东 in the breadcrumb does
    shown(qtbot, page, "440000")
    assert window.tree_panel.selected_code() == "440000"


def test_filters_and_month_redraw_with_the_engines_figures(qtbot, window, sqlite_db):
    page = open_analysis(qtbot, window, "440000")
    qtbot.waitUntil(lambda: page.industry.count() > 1, timeout=5_000)
    page.industry.setCurrentIndex(page.industry.findData("FIN"))
    # at once, before the new figures arrive: nothing of the previous selection is on screen
    assert page.data is None and page.children_chart.is_empty and page.tiles["revenue"].value.text() == "…"
    shown(qtbot, page, "440000", filters=Filters(industry="FIN"))
    with sqlite_db.engine.connect() as conn:
        expected = load_analysis(conn, AnalysisRequest(unit="440000", month=LAST, filters=Filters(industry="FIN")))
    assert page.children_chart.second_values == [float(f.revenue) for f in expected.children]
    assert [c.key for c in page.industry_chart.categories] == ["FIN"]
    page.month.setCurrentIndex(page.month.findData(202609))
    shown(qtbot, page, "440000", month=202609)
    with sqlite_db.engine.connect() as conn:
        sept = analytics.unit_figures(conn, unit="440000", month=202609, filters=Filters(industry="FIN"))
    assert page.tiles["revenue"].value.text() == f"{sept.revenue:,.2f}"
    assert "2026年09月" in page.children_card.title.text()
    page.product.setCurrentIndex(page.product.findData("DC"))
    shown(qtbot, page, "440000", filters=Filters(industry="FIN", product="DC"))
    assert "全部产品" in page.top_card.note.text()  # rankings are over all products, and say so


def test_metric_switch_redraws_without_reading_again(qtbot, window):
    page = open_analysis(qtbot, window, "440000")
    data = page.data
    page.metric_arpa.click()
    assert page.data is data  # nothing re-read
    assert page.children_chart.values == [float(f.arpa) if f.arpa is not None else None for f in data.children]
    assert page.compare_chart.series[0].values == [
        float(p.figures.arpa) if p.figures.arpa is not None else None for p in data.compared[0].points
    ]
    assert "ARPA" in page.children_card.title.text()


def test_a_result_for_a_previous_selection_is_dropped(qtbot, window, sqlite_db):
    page = open_analysis(qtbot, window, "440000")
    with sqlite_db.engine.connect() as conn:
        stale = load_analysis(conn, AnalysisRequest(unit="330000"))
    page._on_loaded(page._generation - 1, stale)  # late delivery of an older read
    assert page.data.unit.code == "440000"
    window.tree_panel.select_code("330000")
    with sqlite_db.engine.connect() as conn:
        page._on_loaded(page._generation, load_analysis(conn, AnalysisRequest(unit="440000")))
    assert page.data is None or page.data.unit.code == "330000"  # a result for another request is dropped
    shown(qtbot, page, "330000")


def test_compare_units_are_chosen_up_to_six(qtbot, window, monkeypatch):
    page = open_analysis(qtbot, window, "440000")

    def pick(dialog):
        items = [dialog.list.item(i) for i in range(dialog.list.count())]
        for item in items:
            item.setCheckState(Qt.CheckState.Unchecked)
        for item in items:
            if item.data(Qt.ItemDataRole.UserRole) in ("440100", "440300"):
                item.setCheckState(Qt.CheckState.Checked)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(CompareDialog, "exec", pick)
    page.compare_button.click()
    shown(qtbot, page, "440000", compare=("440100", "440300"))
    assert [s.name for s in page.compare_chart.series] == ["广州", "深圳"]
    colours = {
        c.key: page.children_chart.bars.opts["brushes"][i].color().name()
        for i, c in enumerate(page.children_chart.categories)
    }
    # the compared cities have their line's colour in the drill-down chart too
    assert colours["440100"] == page.compare_chart.series[0].colour
    assert colours["440300"] == page.compare_chart.series[1].colour


def test_compare_dialog_refuses_more_than_six(qtbot):
    from kam_console.services.analysis import UnitRef

    units = [UnitRef(f"44{i:02d}00", f"城市{i}", f"城市{i}", "city") for i in range(1, 9)]
    dialog = CompareDialog(units, [u.code for u in units[:6]])
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert ok.isEnabled()
    dialog.list.item(7).setCheckState(Qt.CheckState.Checked)
    assert not ok.isEnabled() and "请去掉 1 个" in dialog.hint.text()


def test_colour_convention_follows_the_view_menu(qtbot, window):
    page = open_analysis(qtbot, window, "440000")
    tile = page.tiles["revenue"]
    before = tile.change.text()
    window.action_up_red.setChecked(False)
    after = tile.change.text()
    assert before != after
    assert (UP_RED.name() in before) == (DOWN_GREEN.name() in after)
    window.action_up_red.setChecked(True)
    assert tile.change.text() == before


def test_exports_carry_the_charts_data(qtbot, window, tmp_path, monkeypatch):
    page = open_analysis(qtbot, window, "440000")
    table = page.chart_table("children")
    assert table.headers[:3] == ["代码", "名称", "收入（元）"]
    assert [r[0] for r in table.rows] == [f.key for f in page.data.children]
    assert table.period == "2026-10"
    target = tmp_path / "cities.csv"
    monkeypatch.setattr(chart_export, "ask_save_path", lambda *a, **k: str(target))
    menu = page.exports["children"]
    menu.refresh()
    assert menu.csv_action.isEnabled()
    menu.save_csv()
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:2] == ["代码", "名称"] and rows[1][0] == page.data.children[0].key
    png = tmp_path / "cities.png"
    monkeypatch.setattr(chart_export, "ask_save_path", lambda *a, **k: str(png))
    menu.save_png()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    trend = page.chart_table("trend")
    assert len(trend.rows) == 24 and trend.rows[-1][0] == "2026-10"
    assert page.chart_table("top").rows[0][1] == page.data.top[0].customer_no


def test_unit_page_link_opens_the_analysis(qtbot, window):
    window.tree_panel.select_code("440300")
    window.summary_panel.figures_panel.analysis_link.linkActivated.emit("analysis")
    assert window.pages.currentWidget() is window.analysis_page
    shown(qtbot, window.analysis_page, "440300")


def test_empty_database_says_so(qtbot, pg_or_sqlite_empty_window):
    page = pg_or_sqlite_empty_window.analysis_page
    assert page.empty.isVisibleTo(page)
    assert page.children_chart.is_empty


@pytest.fixture
def pg_or_sqlite_empty_window(qtbot, sqlite_db):
    tasks = BackgroundTasks()
    w = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.loaded, timeout=10_000):
        w.refresh()
    w.action_analysis.trigger()
    qtbot.waitUntil(lambda: w.analysis_page.request is not None and not w.analysis_page.status.text(), timeout=10_000)
    yield w
    tasks.wait_for_workers(5000)


def test_a_new_selection_cancels_the_read_in_flight(qtbot, window):
    page = open_analysis(qtbot, window, "440000")
    page.set_unit("330000")
    first = page._task
    page.set_unit("320000")  # before the 浙江 read has finished
    assert first.progress.cancelled
    shown(qtbot, page, "320000")
    assert page.data.unit.code == "320000" and page.breadcrumb.text().endswith("江苏省大客户部")
