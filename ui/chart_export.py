"""Exporting a chart and its data: a print-resolution PNG, a copy on the clipboard, the numbers as CSV and
Excel, and the 「导出」 button that offers all four on a chart's panel.

How a chart becomes a PNG
-------------------------
The chart is drawn as it is laid out on screen, uniformly enlarged: it is painted onto a QImage whose
device-pixel ratio is ``width_px / on-screen width`` (2400 px for an 8-inch-wide figure at 300 dpi). At
that ratio Qt lays glyphs out in logical units and rasterises them at full resolution, so the axis labels,
the title, the legend and any text items keep their places and proportions and come out as crisp large
text, not a scaled-up screen grab. The image is filled white first and the plots' own background is set
to white while painting, whatever the screen theme.

pyqtgraph draws its lines with cosmetic pens, which Qt keeps at their width in *device* pixels at any
scale: a 1-px axis would print as a 0.08 mm hairline. While painting, the cosmetic pens of the axes,
curves, bars and infinite lines are widened by the same ratio (and put back afterwards), so lines keep the
weight they have on screen.

``pyqtgraph.exporters.ImageExporter`` was tried first and not used: it enlarges the scene through the
painter's transform, which items flagged ``ItemIgnoresTransformations`` do not follow — the legend came out
at screen size, a small box in a corner of the 2400-px image — and its cosmetic pens stay 1 px. It also
draws only the scene, not the widgets around a plot.

Data files
----------
:class:`ChartTable` is the plain data behind a chart. CSV is UTF-8 with a BOM (so Excel on a Chinese
Windows opens it correctly), money as plain ``1234.56``, None as an empty cell. XLSX has the title, the
note, a bold header with the panes frozen below it, real numbers with number formats, and fitted columns.
Every file is written to a temporary file in the target folder and moved into place, so a failure leaves
neither a partial file nor the temporary one; failures raise :class:`ExportFailed` (a KamError).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import pyqtgraph as pg
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRectF, QStandardPaths, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPen, QRegion
from PySide6.QtWidgets import QFileDialog, QGraphicsItem, QGraphicsScene, QGraphicsView, QMenu, QToolButton, QWidget

from kam_console.errors import KamError
from ui.settings import EXPORT_DIR, app_settings
from ui.tasks import show_error

#: What can be drawn: a plot item, or any widget (a PlotWidget, a GraphicsLayoutWidget, a chart panel).
Chart = QGraphicsItem | QWidget
Cell = str | int | Decimal | float | dt.date | None

PRINT_WIDTH_PX = 2400  # 8 inches at 300 dpi: a figure across most of an A4 page
PRINT_DPI = 300
CLIPBOARD_SCALE = 2.0  # times the screen's own resolution
INCHES_PER_METRE = 1 / 0.0254
WHITE = QColor("white")
MAX_SHEET_NAME = 31
MAX_FILE_STEM = 120
MAX_COLUMN_WIDTH = 60
_ILLEGAL_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')
_ILLEGAL_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
_WINDOWS_DEVICE_NAMES = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


class ExportFailed(KamError):
    """A chart or its data could not be written (folder missing, file read-only or open elsewhere, …)."""


@dataclass(frozen=True)
class ChartTable:
    """The data behind one chart, as people read it: a title, column headers and rows of cells.

    Cells are ``str``, ``int`` (counts), ``Decimal`` (money in 元, already rounded) or ``None`` (no value).
    Codes and months that look like numbers (客户编号, ``2026-10``) belong in ``str`` cells, so they are
    not formatted as amounts. ``period`` names the month or range the data is for (``2026-10``) and goes
    into default file names.
    """

    title: str
    headers: list[str]
    rows: list[list[Cell]]
    note: str = ""
    period: str = ""


# --- rendering ------------------------------------------------------------------------------------------


def render_chart(chart: Chart, *, scale: float) -> QImage:
    """Draw ``chart`` at ``scale`` times its on-screen size on a white image (see the module docstring)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    if isinstance(chart, QGraphicsItem):
        scene = chart.scene()
        if scene is None:
            raise _not_shown()
        source = chart.sceneBoundingRect()
        width, height = source.width(), source.height()
        views = list(scene.views())
    elif isinstance(chart, QWidget):
        width, height = chart.width(), chart.height()
        views = ([chart] if isinstance(chart, QGraphicsView) else []) + chart.findChildren(QGraphicsView)
    else:
        raise TypeError(f"cannot draw a {type(chart).__name__}")
    if width < 1 or height < 1:
        raise _not_shown()

    image = QImage(max(1, round(width * scale)), max(1, round(height * scale)), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(scale)
    image.fill(WHITE)
    painter = QPainter(image)
    try:
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        with _printing(views, scale, painter):
            if isinstance(chart, QGraphicsItem):
                chart.scene().render(painter, QRectF(0, 0, width, height), source)
            else:
                # Without DrawWindowBackground: the panel's themed background stays out, the white shows.
                # QWidget's render, not QGraphicsView's (which draws the scene alone, without the widgets).
                QWidget.render(chart, painter, QPoint(0, 0), QRegion(), QWidget.RenderFlag.DrawChildren)
    finally:
        painter.end()
    image.setDevicePixelRatio(1.0)  # from here on, a plain image of so many pixels
    return image


def _not_shown() -> ExportFailed:
    return ExportFailed("图表尚未显示，无法导出。", "the chart is not shown yet")


@contextmanager
def _printing(views: list[QGraphicsView], scale: float, painter: QPainter) -> Iterator[None]:
    """White plot backgrounds, lines widened by ``scale`` and pyqtgraph's export mode, undone afterwards."""
    scenes: list[QGraphicsScene] = []
    for view in views:
        if view.scene() is not None and view.scene() not in scenes:
            scenes.append(view.scene())
    backgrounds = [(view, view.backgroundBrush()) for view in views]
    restore: list[Callable[[], None]] = []
    export_items = []
    try:
        for view, _brush in backgrounds:
            view.setBackgroundBrush(WHITE)
            view.resetCachedContent()
        for scene in scenes:
            for item in scene.items():
                restore.extend(_widen_pens(item, scale))
                if hasattr(item, "setExportMode"):
                    # Curves antialias in export mode; the plot's auto-range button stays hidden.
                    item.setExportMode(True, {"antialias": True, "background": WHITE, "painter": painter})
                    export_items.append(item)
        yield
    finally:
        for item in export_items:
            item.setExportMode(False)
        for undo in reversed(restore):
            undo()
        for view, brush in backgrounds:
            view.setBackgroundBrush(brush)
            view.resetCachedContent()


def _wide(pen: object, scale: float) -> QPen | None:
    """``pen`` widened ``scale`` times if it is a visible cosmetic pen (width 0 draws 1 px wide), else None."""
    if pen is None:
        return None
    pen = pg.mkPen(pen)
    if pen.style() == pg.QtCore.Qt.PenStyle.NoPen or not pen.isCosmetic():
        return None
    wide = QPen(pen)
    wide.setWidthF(max(pen.widthF(), 1.0) * scale)
    return wide


def _widen_pens(item: QGraphicsItem, scale: float) -> list[Callable[[], None]]:
    """Widen the cosmetic pens ``item`` draws with; return what puts them back.

    Pens are swapped where the item reads them at paint time (``opts``, the axis' pens), not through the
    setters: those re-fit bounds and auto-ranges, which must not move while the chart is being drawn. Bars
    cache their pens, so an outlined bar chart goes through ``setOpts``. Pens that are not cosmetic are in
    scene units and grow with the image already.
    """
    undo: list[Callable[[], None]] = []

    def put(holder: dict, key: str, value: object, on_change: Callable[[], None]) -> None:
        old = holder.get(key)
        holder[key] = value
        on_change()

        def put_back() -> None:
            holder[key] = old
            on_change()

        undo.append(put_back)

    def swap(holder: dict, key: str, on_change: Callable[[], None], current: object = None) -> None:
        wide = _wide(holder.get(key) if current is None else current, scale)
        if wide is not None:
            put(holder, key, wide, on_change)

    if isinstance(item, pg.PlotDataItem | pg.PlotCurveItem):
        # A PlotDataItem's curve and legend sample read its pens from ``opts``.
        for key in ("pen", "shadowPen"):
            if key in item.opts:
                swap(item.opts, key, item.update)
        if isinstance(item, pg.PlotCurveItem) and "segmentedLineMode" in item.opts:
            # A wide line is drawn as separate segments unless antialiased on screen; antialiased for print,
            # their overlapping ends would show as dots at every data point. One polyline joins cleanly.
            put(item.opts, "segmentedLineMode", "off", item.update)
    elif isinstance(item, pg.AxisItem):
        state = item.__dict__

        def redraw(axis: pg.AxisItem = item) -> None:
            axis.picture = None  # the axis caches its drawing
            axis.update()

        # The axis line, ticks and grid lines; without a pen of its own the axis draws with the default one.
        swap(state, "_pen", redraw, current=item.pen())
        if state.get("_tickPen") is not None:
            swap(state, "_tickPen", redraw)
    elif isinstance(item, pg.InfiniteLine):
        state = item.__dict__
        swap(state, "currentPen", item.update)
    elif isinstance(item, pg.BarGraphItem):
        old_pen, old_pens = item.opts.get("pen"), item.opts.get("pens")
        if old_pens is not None:
            pens = [_wide(pen, scale) or pen for pen in old_pens]
            if any(new is not old for new, old in zip(pens, old_pens, strict=True)):
                item.setOpts(pens=pens)
                undo.append(lambda bars=item, pens=old_pens: bars.setOpts(pens=pens))
        elif (wide := _wide(old_pen, scale)) is not None:
            item.setOpts(pen=wide)
            undo.append(lambda bars=item, pen=old_pen: bars.setOpts(pen=pen))
    return undo


def _with_dpi(image: QImage, dpi: float) -> QImage:
    dots_per_metre = round(dpi * INCHES_PER_METRE)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    return image


def _screen_ratio(chart: Chart) -> float:
    if isinstance(chart, QGraphicsItem):
        views = chart.scene().views() if chart.scene() is not None else []
        return views[0].devicePixelRatioF() if views else 1.0
    return chart.devicePixelRatioF()


# --- images ---------------------------------------------------------------------------------------------


def export_png(chart: Chart, path: str | os.PathLike, *, width_px: int = PRINT_WIDTH_PX, dpi: int = PRINT_DPI) -> Path:
    """Save ``chart`` as a PNG ``width_px`` wide (height in proportion) that says it is ``dpi`` dots per inch.

    ``chart`` is a ``pg.PlotItem``, a ``pg.PlotWidget``, a ``pg.GraphicsLayoutWidget`` or the panel widget
    around a plot. Returns the path written; raises :class:`ExportFailed` if it cannot be written.
    """
    if width_px < 1 or dpi < 1:
        raise ValueError(f"width_px and dpi must be positive, not {width_px} and {dpi}")
    target = Path(path)
    size = chart.sceneBoundingRect().width() if isinstance(chart, QGraphicsItem) else chart.width()
    if size < 1:
        raise _not_shown()
    image = _with_dpi(render_chart(chart, scale=width_px / size), dpi)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ExportFailed("无法生成 PNG 图片。", "cannot encode the PNG image")
    buffer.close()
    with _replacing(target) as out:
        out.write(data.data())
    return target


def copy_image(chart: Chart) -> QImage:
    """Put ``chart`` on the clipboard as an image at twice the screen's resolution; return that image.

    Its dpi is twice the screen's 96 as well, so a document it is pasted into shows it at on-screen size.
    """
    scale = CLIPBOARD_SCALE * _screen_ratio(chart)
    image = _with_dpi(render_chart(chart, scale=scale), 96 * scale)
    QGuiApplication.clipboard().setImage(image)
    return image


# --- data files -----------------------------------------------------------------------------------------


def export_csv(table: ChartTable, path: str | os.PathLike) -> Path:
    """Write the header and rows of ``table`` as CSV (UTF-8 with BOM); returns the path written.

    A data file: the first line is the header, the title and note stay out (the default file name has the
    title). Cells are exactly the table's, with no formatting added.
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_text(value) for value in row])
    target = Path(path)
    with _replacing(target) as out:
        out.write(text.getvalue().encode("utf-8-sig"))
    return target


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # plain digits: no exponent, no thousands separators
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def export_xlsx(table: ChartTable, path: str | os.PathLike) -> Path:
    """Write ``table`` as an Excel workbook with one sheet; returns the path written."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name(table.title)
    sheet.cell(row=1, column=1, value=table.title).font = Font(bold=True, size=14)
    header_row = 2
    if table.note:
        note = sheet.cell(row=2, column=1, value=table.note)
        note.font = Font(italic=True, color="666666")
        header_row = 3
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="EEF2F7")
    rule = Border(bottom=Side(style="thin", color="999999"))
    widths = [_display_width(header) for header in table.headers]
    for column, header in enumerate(table.headers, start=1):
        cell = sheet.cell(row=header_row, column=column, value=header)
        cell.font, cell.fill, cell.border = bold, fill, rule
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for r, row in enumerate(table.rows, start=header_row + 1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=column)
            shown = _set_xlsx_value(cell, value)
            if column > len(widths):
                widths.append(0)
            widths[column - 1] = max(widths[column - 1], _display_width(shown))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width, 4) + 2, MAX_COLUMN_WIDTH)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.print_title_rows = f"{header_row}:{header_row}"  # the header repeats on every printed page
    sheet.page_setup.orientation = "landscape"
    target = Path(path)
    with _replacing(target) as out:
        book.save(out)
    return target


def _set_xlsx_value(cell, value: Cell) -> str:
    """Store ``value`` in ``cell`` as a real number/date/text; return the text it shows (for the width)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        cell.value = value
        return str(value)
    if isinstance(value, int):
        cell.value = value
        cell.number_format = "#,##0"
        return f"{value:,}"
    if isinstance(value, Decimal | float):
        exponent = value.as_tuple().exponent if isinstance(value, Decimal) else -2
        places = min(max(2, -exponent if isinstance(exponent, int) else 2), 6)  # money: 2; finer ratios: more
        cell.value = float(value)
        cell.number_format = "#,##0." + "0" * places
        return f"{value:,.{places}f}"
    if isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
        return value.isoformat()
    text = str(value)
    cell.value = text
    cell.data_type = "s"  # text starting with "=" stays text, never a formula
    return text


def _display_width(text: object) -> int:
    """Width in Excel's character units: CJK and other wide characters count double."""
    lines = str(text).splitlines() or [""]
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in lines)


def sheet_name(title: str) -> str:
    """An Excel sheet name for ``title``: no ``[]:*?/\\``, no quote at either end, at most 31 characters."""
    name = _ILLEGAL_IN_SHEET_NAMES.sub("_", title).strip().strip("'")[:MAX_SHEET_NAME].strip().strip("'")
    return name or "数据"


# --- writing files --------------------------------------------------------------------------------------


@contextmanager
def _replacing(target: Path) -> Iterator[BinaryIO]:
    """A binary file that becomes ``target`` only once everything was written; nothing is left on failure."""
    _check_writable(target)
    try:
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem[:40]}-", suffix=".part")
    except OSError as exc:
        raise _write_failed(target, exc) from exc
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
        os.chmod(temp_name, mode)  # mkstemp makes the file private; an export is an ordinary file
        os.replace(temp_name, target)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(temp_name)
        if isinstance(exc, OSError):
            raise _write_failed(target, exc) from exc
        raise


def _check_writable(target: Path) -> None:
    if target.is_dir():
        raise ExportFailed(f"无法保存到“{target}”：这是一个文件夹。", f"{target} is a folder")
    if not target.parent.is_dir():
        raise ExportFailed(
            f"无法保存到“{target}”：文件夹“{target.parent}”不存在。", f"folder {target.parent} does not exist"
        )
    # Replacing a read-only file would succeed on Linux and macOS; refuse it everywhere, as Windows does.
    if target.exists() and not target.stat().st_mode & stat.S_IWUSR:
        raise ExportFailed(f"无法保存到“{target}”：文件是只读的。", f"{target} is read-only")


def _write_failed(target: Path, exc: OSError) -> ExportFailed:
    if isinstance(exc, PermissionError):
        reason = "没有写入权限，或文件正被其他程序（如 Excel）打开。"
    elif isinstance(exc, FileNotFoundError):
        reason = "文件夹不存在。"
    else:
        reason = f"{exc.strerror or exc}。"
    return ExportFailed(f"无法保存到“{target}”：{reason}", f"cannot write {target}: {exc}")


# --- file names -----------------------------------------------------------------------------------------


def safe_file_name(text: str) -> str:
    """``text`` usable as a file name on Windows, macOS and Linux (no ``<>:"/\\|?*``, no device names)."""
    name = _ILLEGAL_IN_FILE_NAMES.sub("_", text).strip().rstrip(". ")[:MAX_FILE_STEM].rstrip(". ")
    if name.split(".")[0].upper() in _WINDOWS_DEVICE_NAMES:
        name = f"_{name}"
    return name or "图表"


def default_file_name(table: ChartTable, suffix: str, *, today: dt.date | None = None) -> str:
    """``各省ARPU_2026-10.png``: the title, then the table's period (else today's date), then ``suffix``."""
    when = table.period or (today or dt.date.today()).isoformat()
    return safe_file_name(f"{table.title}_{when}") + suffix


def ask_save_path(parent: QWidget | None, title: str, default_name: str, filter: str) -> str | None:
    """Ask where to save, starting in the folder used last; None if the user cancelled. Tests replace it."""
    folder = EXPORT_DIR.get(app_settings())
    if not folder or not Path(folder).is_dir():
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
    path, _selected = QFileDialog.getSaveFileName(parent, title, str(Path(folder) / default_name), filter)
    return path or None


# --- the button -----------------------------------------------------------------------------------------


class ExportMenu(QToolButton):
    """「导出」 with 保存图片（PNG）… / 导出数据（CSV）… / 导出数据（Excel）… / 复制图片.

    ``plot_getter()`` returns what to draw (see :func:`render_chart`); ``table_getter()`` returns the
    chart's :class:`ChartTable`, or None while the chart is empty — then every action is disabled and says
    暂无数据. The actions' state is brought up to date each time the menu opens; call :meth:`refresh` after
    the chart changed to update the button's tooltip too.

    Exports run on the GUI thread: drawing a chart has to, and a chart's table is a few hundred rows at most.
    """

    #: A file was written (its path).
    saved = Signal(str)
    #: The chart was put on the clipboard.
    copied = Signal()

    def __init__(
        self,
        plot_getter: Callable[[], Chart | None],
        table_getter: Callable[[], ChartTable | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._plot_getter = plot_getter
        self._table_getter = table_getter
        self.setObjectName("exportButton")
        self.setText(self.tr("导出"))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        self.png_action = menu.addAction(self.tr("保存图片（PNG）…"))
        self.png_action.triggered.connect(self.save_png)
        self.csv_action = menu.addAction(self.tr("导出数据（CSV）…"))
        self.csv_action.triggered.connect(self.save_csv)
        self.xlsx_action = menu.addAction(self.tr("导出数据（Excel）…"))
        self.xlsx_action.triggered.connect(self.save_xlsx)
        menu.addSeparator()
        self.copy_action = menu.addAction(self.tr("复制图片"))
        self.copy_action.triggered.connect(self.copy)
        menu.aboutToShow.connect(self.refresh)
        self.setMenu(menu)
        self.refresh()

    def refresh(self) -> None:
        table = self._table()
        has_plot = table is not None and self._plot_getter() is not None
        empty = self.tr("暂无数据")
        for action, enabled in (
            (self.png_action, has_plot),
            (self.copy_action, has_plot),
            (self.csv_action, table is not None),
            (self.xlsx_action, table is not None),
        ):
            action.setEnabled(enabled)
            action.setToolTip("" if enabled else empty)
        self.setToolTip(self.tr("将图表保存为图片，或导出图表数据") if table is not None else empty)

    def _table(self) -> ChartTable | None:
        table = self._table_getter()
        return table if table is not None and table.rows else None

    def save_png(self) -> Path | None:
        plot = self._plot_getter()
        if plot is None:
            return None
        return self._save(self.tr("保存图片"), ".png", self.tr("PNG 图片 (*.png)"), lambda t, p: export_png(plot, p))

    def save_csv(self) -> Path | None:
        return self._save(self.tr("导出数据"), ".csv", self.tr("CSV 文件 (*.csv)"), export_csv)

    def save_xlsx(self) -> Path | None:
        return self._save(self.tr("导出数据"), ".xlsx", self.tr("Excel 工作簿 (*.xlsx)"), export_xlsx)

    def copy(self) -> QImage | None:
        plot = self._plot_getter()
        if plot is None or self._table() is None:
            return None
        try:
            image = copy_image(plot)
        except KamError as exc:
            show_error(self.window(), exc, self.tr("复制图片失败"))
            return None
        self.copied.emit()
        return image

    def _save(
        self, title: str, suffix: str, file_filter: str, write: Callable[[ChartTable, Path], Path]
    ) -> Path | None:
        table = self._table()
        if table is None:
            return None
        chosen = ask_save_path(self.window(), title, default_file_name(table, suffix), file_filter)
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() != suffix:  # some platform dialogs do not add the filter's suffix
            path = path.with_name(path.name + suffix)
        try:
            written = write(table, path)
        except KamError as exc:
            show_error(self.window(), exc, self.tr("导出失败"))
            return None
        EXPORT_DIR.set(app_settings(), str(written.parent))
        self.saved.emit(str(written))
        return written
