"""Chart export: print-resolution PNGs (size, dpi, scaled text and lines, white background, Chinese glyphs),
the clipboard copy, CSV and Excel data files, refusing unwritable paths without leaving files behind, and
the 「导出」 button on an empty and on a real chart."""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from decimal import Decimal

import pyqtgraph as pg
import pytest
from openpyxl import load_workbook
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kam_console.errors import KamError
from ui import chart_export
from ui.chart_export import (
    ChartTable,
    ExportFailed,
    ExportMenu,
    copy_image,
    default_file_name,
    export_csv,
    export_png,
    export_xlsx,
    safe_file_name,
    sheet_name,
)
from ui.fonts import setup_application_font
from ui.settings import EXPORT_DIR, app_settings

PROVINCES = (
    "北京 天津 河北 山西 内蒙古 辽宁 吉林 黑龙江 上海 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 广西 海南 "
    "重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆"
).split()
ARPU = [Decimal(60 + 17 * ((i * 7) % 13) + i) + Decimal("0.45") for i in range(len(PROVINCES))]
MISSING = "\U0010fffd"  # private use: no font has it, so it is drawn as the "missing glyph" box
WHITE = 0xFFFFFFFF


@pytest.fixture(autouse=True)
def cjk_font(qapp):
    """The application's CJK font, as the app sets it up; the previous font is restored afterwards."""
    font = qapp.font()
    setup_application_font(qapp)
    yield
    qapp.setFont(font)


def make_chart(qtbot, *, bottom_label="省份", size=(800, 400), background="w", line_width=2):
    """A chart panel as the analysis page builds them: a QWidget around a PlotWidget. Text is black, the
    bars blue, a red average line; the axes grey."""
    panel = QWidget()
    plot = pg.PlotWidget(panel, background=background)
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(plot)
    plot.hideButtons()
    plot.setMouseEnabled(x=False, y=False)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen("#888888")
        axis.setTextPen("#000000")
    plot.setLabel("bottom", bottom_label)
    plot.setLabel("left", "ARPU（元）")
    heights = [float(v) for v in ARPU]
    plot.addItem(pg.BarGraphItem(x=list(range(31)), height=heights, width=0.7, brush="#2563eb", pen=None))
    average = sum(heights) / len(heights)
    plot.plot(list(range(31)), [average] * 31, pen=pg.mkPen("#ff0000", width=line_width))
    plot.getAxis("bottom").setTicks([list(enumerate(PROVINCES))])
    plot.setXRange(-0.6, 30.6, padding=0)
    plot.setYRange(0, 320, padding=0)
    panel.resize(*size)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return panel, plot


def pixels(image: QImage):
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    for y in range(image.height()):
        for x in range(image.width()):
            yield x, y, QColor(image.pixel(x, y))


def text_box(image: QImage) -> tuple[int, int]:
    """Width and height of the box around the black (text) pixels."""
    xs, ys = [], []
    for x, y, c in pixels(image):
        if max(c.red(), c.green(), c.blue()) < 90:
            xs.append(x)
            ys.append(y)
    assert xs, "no text drawn"
    return max(xs) - min(xs) + 1, max(ys) - min(ys) + 1


def red_line_width(image: QImage) -> float:
    """The typical thickness, in pixels, of the red line (median over the columns it crosses)."""
    counts: dict[int, int] = {}
    for x, _y, c in pixels(image):
        if c.red() > 180 and c.green() < 100 and c.blue() < 100:
            counts[x] = counts.get(x, 0) + 1
    assert counts, "no red line drawn"
    return statistics.median(counts.values())


def table(**changes) -> ChartTable:
    values = dict(
        title="各省ARPU",
        headers=["省份", "ARPU（元）", "客户数", "备注"],
        rows=[
            ["北京", Decimal("1234.56"), 1200, None],
            ["上海", Decimal("1234567.80"), None, '含,逗号和"引号"'],
            ["黑龙江", Decimal("-0.50"), 0, "=1+1"],
        ],
        note="2026年10月，单位：元",
        period="2026-10",
    )
    values.update(changes)
    return ChartTable(**values)


# --- PNG ------------------------------------------------------------------------------------------------


def test_png_has_print_width_dpi_and_content(qtbot, tmp_path):
    panel, _plot = make_chart(qtbot, size=(800, 400))
    path = export_png(panel, tmp_path / "chart.png")
    assert path == tmp_path / "chart.png"
    image = QImage(str(path))
    assert (image.width(), image.height()) == (2400, 1200)
    assert round(image.dotsPerMeterX() * 0.0254) == 300 and round(image.dotsPerMeterY() * 0.0254) == 300
    colours = [c.rgb() for _x, _y, c in pixels(image.scaled(600, 300))]
    ink = sum(1 for rgb in colours if rgb != WHITE)
    assert ink > len(colours) * 0.1  # not blank
    assert any(QColor(rgb).blue() > 200 and QColor(rgb).red() < 80 for rgb in colours)  # the bars
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_png_enlarges_text_and_lines_with_the_chart(qtbot, tmp_path):
    panel, _plot = make_chart(qtbot, size=(800, 400), line_width=2)
    screen = panel.grab().toImage()
    image = QImage(str(export_png(panel, tmp_path / "chart.png", width_px=2400)))
    # The same layout, three times larger: the text is 3× wider and taller, not a 2400-px layout of small text.
    screen_w, screen_h = text_box(screen)
    print_w, print_h = text_box(image)
    assert print_w / screen_w == pytest.approx(3, rel=0.05)
    assert print_h / screen_h == pytest.approx(3, rel=0.05)
    # Lines keep their weight: the 2-px line is about 6 px wide, not a 2-px hairline.
    assert red_line_width(screen) == 2
    assert red_line_width(image) >= 5
    # The chart on screen is as it was: pens and background are put back.
    assert panel.grab().toImage() == screen


def test_png_background_is_white_whatever_the_theme(qtbot, tmp_path):
    panel, plot = make_chart(qtbot, background="k")
    image = QImage(str(export_png(panel, tmp_path / "dark.png", width_px=800)))
    for x, y in ((0, 0), (image.width() - 1, 0), (image.width() // 2, image.height() // 3)):
        assert image.pixel(x, y) == WHITE, (x, y)
    assert plot.backgroundBrush().color() == QColor("black")  # the screen keeps its theme


def test_png_draws_chinese_glyphs_not_boxes(qtbot, tmp_path):
    def export(label: str) -> QImage:
        panel, _plot = make_chart(qtbot, bottom_label=label)
        return QImage(str(export_png(panel, tmp_path / "label.png", width_px=1200)))

    real, other, boxes = export("省份收入"), export("客户数量"), export(MISSING * 4)
    # Boxes for missing glyphs all look alike: real glyphs must differ from them and from each other.
    assert real != boxes
    assert real != other
    assert boxes == export(MISSING * 4)  # the comparison is deterministic


def test_png_of_a_plot_item(qtbot, tmp_path):
    _panel, plot = make_chart(qtbot, size=(600, 300))
    image = QImage(str(export_png(plot.getPlotItem(), tmp_path / "item.png", width_px=1200)))
    assert image.width() == 1200
    assert image.height() == pytest.approx(1200 * plot.getPlotItem().height() / plot.getPlotItem().width(), abs=1)
    assert sum(1 for _x, _y, c in pixels(image.scaled(300, 150)) if c.rgb() != WHITE) > 300


def test_a_chart_that_is_not_shown_is_refused(tmp_path):
    with pytest.raises(ExportFailed, match="尚未显示"):
        export_png(pg.PlotItem(), tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


# --- clipboard ------------------------------------------------------------------------------------------


def test_copy_image_puts_a_double_size_image_on_the_clipboard(qtbot):
    panel, _plot = make_chart(qtbot, size=(500, 250))
    QGuiApplication.clipboard().clear()
    image = copy_image(panel)
    ratio = panel.devicePixelRatioF()
    assert (image.width(), image.height()) == (round(1000 * ratio), round(500 * ratio))
    on_clipboard = QGuiApplication.clipboard().image()
    assert not on_clipboard.isNull()
    assert (on_clipboard.width(), on_clipboard.height()) == (image.width(), image.height())
    assert any(c.rgb() != WHITE for _x, _y, c in pixels(on_clipboard.scaled(100, 50)))


# --- CSV ------------------------------------------------------------------------------------------------


def test_csv_has_a_bom_and_plain_numbers(tmp_path):
    path = export_csv(table(), tmp_path / "data.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["省份", "ARPU（元）", "客户数", "备注"],
        ["北京", "1234.56", "1200", ""],
        ["上海", "1234567.80", "", '含,逗号和"引号"'],
        ["黑龙江", "-0.50", "0", "=1+1"],
    ]
    assert list(tmp_path.iterdir()) == [path]


def test_csv_decimal_without_exponent(tmp_path):
    path = export_csv(table(rows=[["x", Decimal("1E+3"), 5, Decimal("0.0000001")]]), tmp_path / "d.csv")
    assert path.read_text(encoding="utf-8-sig").splitlines()[1] == "x,1000,5,0.0000001"


# --- XLSX -----------------------------------------------------------------------------------------------


def test_xlsx_has_title_note_header_numbers_and_frozen_panes(tmp_path):
    path = export_xlsx(table(), tmp_path / "data.xlsx")
    sheet = load_workbook(path).active
    assert sheet.title == "各省ARPU"
    assert sheet["A1"].value == "各省ARPU" and sheet["A1"].font.bold
    assert sheet["A2"].value == "2026年10月，单位：元"
    assert [c.value for c in sheet[3]] == ["省份", "ARPU（元）", "客户数", "备注"]
    assert all(c.font.bold for c in sheet[3])
    assert sheet.freeze_panes == "A4"
    money, count = sheet["B4"], sheet["C4"]
    assert money.value == pytest.approx(1234.56) and isinstance(money.value, float)
    assert money.number_format == "#,##0.00"
    assert count.value == 1200 and isinstance(count.value, int) and count.number_format == "#,##0"
    assert sheet["D4"].value is None and sheet["C5"].value is None
    assert sheet["B5"].value == pytest.approx(1234567.8)
    assert sheet["D6"].value == "=1+1" and sheet["D6"].data_type == "s"  # text, never a formula
    assert sheet.max_row == 6
    assert list(tmp_path.iterdir()) == [path]


def test_xlsx_without_note_and_fitted_columns(tmp_path):
    data = table(
        note="",
        headers=["名称", "code"],
        rows=[["中国移动通信集团", "ABCDEFGH"], ["x", "y"]],
    )
    sheet = load_workbook(export_xlsx(data, tmp_path / "w.xlsx")).active
    assert [c.value for c in sheet[2]] == ["名称", "code"]
    assert sheet.freeze_panes == "A3"
    chinese, latin = sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width
    assert chinese >= 16  # eight CJK characters count as sixteen
    assert latin >= 8
    assert chinese > latin


def test_sheet_names_follow_excel_rules():
    name = sheet_name("收入/成本[2026]:*?\\对比——全国各省分公司重点客户月度收入与成本明细表")
    assert len(name) <= 31
    assert not set("[]:*?/\\") & set(name)
    assert name.startswith("收入_成本_2026_")
    assert sheet_name("'引号'") == "引号"
    assert sheet_name("[]") == "__"
    assert sheet_name("") == "数据"


# --- unwritable paths -----------------------------------------------------------------------------------


@pytest.fixture(params=["png", "csv", "xlsx"])
def exporter(request, qtbot):
    if request.param == "png":
        panel, _plot = make_chart(qtbot, size=(300, 150))
        return "png", lambda path: export_png(panel, path, width_px=600)
    write = export_csv if request.param == "csv" else export_xlsx
    return request.param, lambda path: write(table(), path)


def test_missing_folder_is_refused(exporter, tmp_path):
    suffix, write = exporter
    with pytest.raises(KamError, match="不存在") as caught:
        write(tmp_path / "no such folder" / f"x.{suffix}")
    assert "无法保存" in caught.value.zh
    assert not list(tmp_path.iterdir())


def test_read_only_file_is_refused_and_kept(exporter, tmp_path):
    suffix, write = exporter
    target = tmp_path / f"old.{suffix}"
    target.write_bytes(b"old")
    target.chmod(0o444)
    try:
        with pytest.raises(KamError, match="只读"):
            write(target)
        assert target.read_bytes() == b"old"
        assert list(tmp_path.iterdir()) == [target]
    finally:
        target.chmod(0o644)


def test_file_locked_by_another_program_leaves_nothing_behind(exporter, tmp_path, monkeypatch):
    suffix, write = exporter
    target = tmp_path / f"open.{suffix}"
    target.write_bytes(b"old")

    def locked(src, dst):
        raise PermissionError(13, "The process cannot access the file because it is being used by another process")

    monkeypatch.setattr(chart_export.os, "replace", locked)
    with pytest.raises(ExportFailed, match="其他程序") as caught:
        write(target)
    assert isinstance(caught.value, KamError)
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]  # the temporary file is gone


def test_a_folder_is_not_a_file(exporter, tmp_path):
    _suffix, write = exporter
    with pytest.raises(ExportFailed, match="文件夹"):
        write(tmp_path)


def test_new_file_is_an_ordinary_readable_file(tmp_path):
    path = export_csv(table(), tmp_path / "d.csv")
    assert path.stat().st_mode & 0o644 == 0o644


# --- file names -----------------------------------------------------------------------------------------


def test_default_file_names():
    assert default_file_name(table(), ".png") == "各省ARPU_2026-10.png"
    assert default_file_name(table(period=""), ".csv", today=dt.date(2026, 11, 3)) == "各省ARPU_2026-11-03.csv"
    assert (
        default_file_name(table(title='收入:成本/对比? <"前十">|*'), ".xlsx") == "收入_成本_对比_ _前十__2026-10.xlsx"
    )
    assert safe_file_name("CON") == "_CON"
    assert safe_file_name("aux.txt") == "_aux.txt"
    assert safe_file_name("报表. ") == "报表"
    assert safe_file_name("a///b") == "a_b"
    assert safe_file_name("") == "图表"


def test_ask_save_path_starts_in_the_remembered_folder(qtbot, tmp_path, monkeypatch):
    seen = {}

    def dialog(parent, title, start, file_filter):
        seen.update(title=title, start=start, filter=file_filter)
        return "", ""

    monkeypatch.setattr(chart_export.QFileDialog, "getSaveFileName", dialog)
    EXPORT_DIR.set(app_settings(), str(tmp_path))
    assert chart_export.ask_save_path(None, "保存图片", "各省ARPU_2026-10.png", "PNG 图片 (*.png)") is None
    assert seen == {"title": "保存图片", "start": str(tmp_path / "各省ARPU_2026-10.png"), "filter": "PNG 图片 (*.png)"}


# --- the 导出 button ------------------------------------------------------------------------------------


def test_export_menu_is_disabled_for_an_empty_chart(qtbot):
    panel, plot = make_chart(qtbot)
    current = {"table": None}
    menu = ExportMenu(lambda: plot, lambda: current["table"], panel)
    actions = [menu.png_action, menu.csv_action, menu.xlsx_action, menu.copy_action]
    assert menu.text() == "导出"
    assert [a.text() for a in menu.menu().actions() if not a.isSeparator()] == [
        "保存图片（PNG）…",
        "导出数据（CSV）…",
        "导出数据（Excel）…",
        "复制图片",
    ]
    assert not any(a.isEnabled() for a in actions)
    assert all(a.toolTip() == "暂无数据" for a in actions)
    assert menu.toolTip() == "暂无数据"

    current["table"] = table(rows=[])  # no rows is empty too
    menu.refresh()
    assert not any(a.isEnabled() for a in actions)

    current["table"] = table()
    menu.menu().aboutToShow.emit()  # opening the menu brings it up to date
    assert all(a.isEnabled() for a in actions)
    assert menu.toolTip() != "暂无数据"


def test_export_menu_without_a_plot_still_exports_data(qtbot):
    menu = ExportMenu(lambda: None, table)
    qtbot.addWidget(menu)
    assert not menu.png_action.isEnabled() and not menu.copy_action.isEnabled()
    assert menu.csv_action.isEnabled() and menu.xlsx_action.isEnabled()


def test_export_menu_writes_files_and_copies(qtbot, tmp_path, monkeypatch):
    panel, plot = make_chart(qtbot, size=(600, 300))
    menu = ExportMenu(lambda: panel, table, panel)
    asked = []

    def ask(parent, title, default_name, file_filter):
        asked.append((title, default_name, file_filter))
        return str(tmp_path / "各省")  # without a suffix, as some platform dialogs return it

    monkeypatch.setattr(chart_export, "ask_save_path", ask)
    monkeypatch.setattr(chart_export, "show_error", lambda *args: pytest.fail(f"unexpected error: {args}"))
    with qtbot.waitSignal(menu.saved) as saved:
        menu.png_action.trigger()
    assert saved.args == [str(tmp_path / "各省.png")]
    assert QImage(str(tmp_path / "各省.png")).width() == 2400
    menu.csv_action.trigger()
    menu.xlsx_action.trigger()
    assert (tmp_path / "各省.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_workbook(tmp_path / "各省.xlsx").active["A1"].value == "各省ARPU"
    assert [a[1] for a in asked] == ["各省ARPU_2026-10.png", "各省ARPU_2026-10.csv", "各省ARPU_2026-10.xlsx"]
    assert asked[0][2] == "PNG 图片 (*.png)" and asked[2][2] == "Excel 工作簿 (*.xlsx)"
    assert EXPORT_DIR.get(app_settings()) == str(tmp_path)

    QGuiApplication.clipboard().clear()
    with qtbot.waitSignal(menu.copied):
        menu.copy_action.trigger()
    assert QGuiApplication.clipboard().image().width() == round(1200 * panel.devicePixelRatioF())


def test_export_menu_cancel_and_errors(qtbot, tmp_path, monkeypatch):
    panel, _plot = make_chart(qtbot, size=(300, 150))
    menu = ExportMenu(lambda: panel, table, panel)
    errors = []
    monkeypatch.setattr(chart_export, "show_error", lambda parent, exc, title: errors.append((exc, title)))

    monkeypatch.setattr(chart_export, "ask_save_path", lambda *args: None)
    assert menu.save_csv() is None and menu.save_png() is None
    assert not errors and not list(tmp_path.iterdir())

    monkeypatch.setattr(chart_export, "ask_save_path", lambda *args: str(tmp_path / "gone" / "x.xlsx"))
    assert menu.save_xlsx() is None
    assert len(errors) == 1 and isinstance(errors[0][0], ExportFailed) and "不存在" in errors[0][0].zh
    assert errors[0][1] == "导出失败"
    assert not list(tmp_path.iterdir())
    assert EXPORT_DIR.get(app_settings()) == ""  # a failed export is not remembered
