"""Business charts on pyqtgraph for the analysis page: bars by category (with a second series on a right
axis), lines over months, and a histogram — readable in Chinese, exact in their tooltips.

What every chart here does the same way:
- category labels are drawn by ``CategoryAxis``: level when they fit, turned 45° when they don't (31
  provinces or ~20 cities on an ordinary window), long names elided, never overlapping;
- value axes show plain numbers with thousands separators (no SI prefixes — 1.2M means nothing to a
  customer manager); money switches to 万元 when the values are large, and the axis title says so;
- hovering shows the exact figures in a tooltip; clicking a bar emits its key (drill-down);
- no zooming, panning or context menus: these are reports, not instruments;
- a chart without data shows a sentence saying so instead of empty axes.

Colours: ``unit_colour`` gives a unit the same colour wherever it appears (a bar of the drill-down
chart and its line on the comparison chart); ``distinct_colours`` keeps a set of units apart.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QLabel, QStackedLayout, QToolTip, QVBoxLayout, QWidget

# Ten colours that stay apart from each other on white (and from the light-blue plain bars).
PALETTE = (
    "#2563eb",  # blue
    "#ea580c",  # orange
    "#16a34a",  # green
    "#9333ea",  # purple
    "#dc2626",  # red
    "#0891b2",  # cyan
    "#92400e",  # brown
    "#db2777",  # pink
    "#4b5563",  # grey
    "#ca8a04",  # gold
)
BAR_COLOUR = "#5b8def"
SECOND_COLOUR = "#ea580c"
AXIS_PEN = "#888888"
TEXT_COLOUR = "#333333"
WAN = Decimal(10_000)
ELIDE_CHARS = 10  # a category label longer than this is elided (the tooltip has the full name)


def unit_colour(code: str) -> str:
    """The colour of a unit, the same on every chart and in every session."""
    digits = int(code) if code.isdigit() else sum(map(ord, code))
    return PALETTE[(digits // 100 + digits % 100) % len(PALETTE)]


def distinct_colours(codes: Sequence[str]) -> dict[str, str]:
    """Each code its own colour, ``unit_colour`` where that is still free."""
    used: set[str] = set()
    out: dict[str, str] = {}
    for code in codes:
        colour = unit_colour(code)
        if colour in used:
            colour = next((c for c in PALETTE if c not in used), colour)
        used.add(colour)
        out[code] = colour
    return out


def plain_number(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def money_scale(values: Sequence[float]) -> tuple[float, str]:
    """(divisor, unit) for a money axis: 万元 (as Chinese business reports count) once values reach
    100,000 yuan, else 元."""
    biggest = max((abs(v) for v in values), default=0)
    return (10_000.0, "万元") if biggest >= 100_000 else (1.0, "元")


def fit_value_axis(axis: pg.AxisItem, values: Sequence[float], font: QFont) -> None:
    """Give a value axis room for its widest tick label and its title (pyqtgraph widens an axis only
    after a label failed to fit, and then the labels run into the title)."""
    metrics = QFontMetrics(font)
    biggest = max((abs(v) for v in values), default=0) * HEADROOM
    decimals = 0 if biggest >= 10 else 2
    widest = metrics.horizontalAdvance(("-" if min(values, default=0) < 0 else "") + plain_number(biggest, decimals))
    axis.setWidth(int(widest + metrics.height() * 1.6 + 14))


def _style_axis(axis: pg.AxisItem, font: QFont) -> None:
    axis.setTickFont(font)
    axis.setTextPen(pg.mkPen(TEXT_COLOUR))
    axis.setPen(pg.mkPen(AXIS_PEN))
    axis.enableAutoSIPrefix(False)


class NumberAxis(pg.AxisItem):
    """A value axis with thousands separators, optionally divided (万元) — no SI prefixes."""

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self.divisor = 1.0

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's API
        step = spacing / self.divisor if self.divisor else spacing
        decimals = 0 if step >= 1 else min(2, max(0, -math.floor(math.log10(step)) if step > 0 else 0))
        return [plain_number(v * scale / self.divisor, decimals) for v in values]


class CategoryAxis(pg.AxisItem):
    """A bottom axis of named categories at x = 0, 1, 2, …: labels level when they fit, else turned 45°."""

    def __init__(self, **kwargs) -> None:
        self.labels: list[str] = []  # before the base class: its constructor already resizes the axis
        self.angle = 0
        self.step = 1
        super().__init__("bottom", **kwargs)
        self.setStyle(showValues=False, tickLength=4)

    def set_labels(self, labels: Sequence[str]) -> None:
        self.labels = [label if len(label) <= ELIDE_CHARS else label[: ELIDE_CHARS - 1] + "…" for label in labels]
        self.setTicks([[(i, "") for i in range(len(self.labels))], []])
        self._fit()

    def resizeEvent(self, ev=None):  # noqa: N802 - Qt's API
        super().resizeEvent(ev)
        self._fit()

    def _font(self) -> QFont:
        return self.style["tickFont"] or QFont()

    def _fit(self) -> None:
        metrics = QFontMetrics(self._font())
        widest = max((metrics.horizontalAdvance(t) for t in self.labels), default=0)
        n = max(1, len(self.labels))
        slot = self.geometry().width() / n if self.geometry().width() > 0 else 0
        angle = 0 if widest + 6 <= slot or not self.labels else 45
        # Turned labels need a line's height each; when even that is too much, label every step-th
        # category (counted back from the last, so the newest month always has its label).
        self.step = 1 if angle == 0 or slot <= 0 else max(1, math.ceil(metrics.height() * 1.1 / slot))
        if angle:
            needed = widest * math.sin(math.radians(angle)) + metrics.height() + 10
        else:
            needed = metrics.height() + 10
        if angle != self.angle:
            self.prepareGeometryChange()
        self.angle = angle
        if abs(self.height() - needed) > 1:
            self.setHeight(int(needed))
        self.picture = None
        self.update()

    def boundingRect(self):  # noqa: N802 - Qt's API
        # A turned label starts left of its tick: the first ones reach under the left axis.
        rect = super().boundingRect()
        if self.angle and self.labels:
            metrics = QFontMetrics(self._font())
            widest = max(metrics.horizontalAdvance(t) for t in self.labels)
            rect = rect.adjusted(-widest * math.cos(math.radians(self.angle)) - 4, 0, 0, 0)
        return rect

    def drawPicture(self, p: QPainter, axisSpec, tickSpecs, textSpecs):  # noqa: N802 - pyqtgraph's API
        super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
        if not self.labels or self.range[1] == self.range[0]:
            return
        bounds = self.mapRectFromParent(self.geometry())
        scale = bounds.width() / (self.range[1] - self.range[0])
        p.setFont(self._font())
        p.setPen(self.textPen())
        metrics = QFontMetrics(self._font())
        top = bounds.top() + 6
        p.setClipping(False)
        last = len(self.labels) - 1
        for i, text in enumerate(self.labels):
            if (last - i) % self.step:
                continue
            x = (i - self.range[0]) * scale
            if x < bounds.left() - 1 or x > bounds.right() + 1:
                continue
            width = metrics.horizontalAdvance(text)
            if self.angle == 0:
                p.drawText(
                    QRectF(x - width / 2 - 2, top, width + 4, metrics.height()), Qt.AlignmentFlag.AlignCenter, text
                )
                continue
            p.save()
            # The label ends at its tick and runs down to the left; the turned line of text is centred on the
            # tick, so the last label does not reach past the plot's right edge into the next axis.
            p.translate(QPointF(x - metrics.height() * 0.35, top))
            p.rotate(-self.angle)
            p.drawText(QRectF(-width, 0, width, metrics.height()), Qt.AlignmentFlag.AlignRight, text)
            p.restore()


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    tooltip: str = ""  # the exact figures, shown on hover


class ChartBase(QWidget):
    """A plot with a message in its place while it has no data."""

    def __init__(self, empty_text: str, parent: QWidget | None = None, *, axis_items: dict | None = None) -> None:
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(parent=self, axisItems=axis_items or {}, background="w")
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.setMouseEnabled(x=False, y=False)
        self.plot_item.hideButtons()
        self.plot_item.showGrid(x=False, y=True, alpha=0.2)
        self.plot_item.setContentsMargins(4, 8, 8, 4)
        self.font_ = QFont(self.font())
        for name in ("left", "bottom"):
            _style_axis(self.plot_item.getAxis(name), self.font_)
        self.empty_label = QLabel(empty_text, self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: #5b6472; background: white; border: 1px solid #e5e7eb;")
        self.legend = Legend(self)
        self.stack = QStackedLayout()
        self.stack.setContentsMargins(0, 0, 0, 0)
        self.stack.addWidget(self.plot_widget)
        self.stack.addWidget(self.empty_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.legend)
        layout.addLayout(self.stack, 1)
        self.setMinimumHeight(220)

    @property
    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    def show_empty(self, text: str | None = None) -> None:
        if text:
            self.empty_label.setText(text)
        self.legend.clear_entries()
        self.legend.hide()
        self.stack.setCurrentWidget(self.empty_label)

    def show_chart(self) -> None:
        self.legend.show()
        self.stack.setCurrentWidget(self.plot_widget)

    def set_axis_titles(self, left: str, bottom: str = "", right: str = "") -> None:
        style = {"color": TEXT_COLOUR, "font-size": f"{self.font_.pointSizeF():.0f}pt"}
        self.plot_item.setLabel("left", left, **style)
        if bottom:
            self.plot_item.setLabel("bottom", bottom, **style)
        else:
            self.plot_item.getAxis("bottom").setLabel("")
            self.plot_item.getAxis("bottom").showLabel(False)
        if right:
            self.plot_item.setLabel("right", right, **style)

    def _view_x(self, scene_pos) -> float | None:
        vb = self.plot_item.vb
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        return vb.mapSceneToView(scene_pos).x()


HEADROOM = 1.08  # room above the highest bar or point


class Legend(QLabel):
    """The legend as one line of text above the plot, so it never covers a bar or a point."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setStyleSheet(f"background: white; color: {TEXT_COLOUR}; padding: 2px 6px;")
        self.entries: list[tuple[str, str, str]] = []  # (kind, colour, name)

    def clear_entries(self) -> None:
        self.entries = []
        self.setText("")

    def add(self, kind: str, colour: str, name: str) -> None:
        """``kind``: bar | line | dashed."""
        self.entries.append((kind, colour, name))
        marks = {"bar": "■", "line": "━●━", "dashed": "╍●╍"}
        self.setText(
            "&nbsp;&nbsp;&nbsp;".join(
                f"<span style='color:{c}'>{marks[k]}</span>&nbsp;{html.escape(n)}" for k, c, n in self.entries
            )
        )


class _RightAxis:
    """A second value axis on the right with its own view box, x linked to the plot's."""

    def __init__(self, plot_item: pg.PlotItem, font: QFont) -> None:
        self.axis = NumberAxis("right")
        _style_axis(self.axis, font)
        plot_item.layout.removeItem(plot_item.getAxis("right"))
        plot_item.getAxis("right").hide()
        plot_item.axes["right"]["item"] = self.axis
        plot_item.layout.addItem(self.axis, 2, 2)
        self.view = pg.ViewBox(enableMenu=False)
        self.view.setMouseEnabled(x=False, y=False)
        plot_item.scene().addItem(self.view)
        self.view.setZValue(10)  # above the plot (and its bars), a top-level item like it
        self.axis.linkToView(self.view)
        self.view.setXLink(plot_item.vb)
        self.plot_item = plot_item
        plot_item.vb.sigResized.connect(self._sync)
        self.items: list = []

    def _sync(self) -> None:
        self.view.setGeometry(self.plot_item.vb.sceneBoundingRect())
        self.view.linkedViewChanged(self.plot_item.vb, self.view.XAxis)

    def clear(self) -> None:
        for item in self.items:
            self.view.removeItem(item)
        self.items = []

    def add(self, item) -> None:
        self.view.addItem(item)
        self.items.append(item)


class BarChart(ChartBase):
    """Bars by category on the left axis, an optional second series (a line with dots) on the right axis.
    Clicking a bar emits ``bar_clicked(key)``."""

    bar_clicked = Signal(str)

    def __init__(self, empty_text: str, parent: QWidget | None = None) -> None:
        self.category_axis = CategoryAxis()
        self.left_axis = NumberAxis("left")
        super().__init__(empty_text, parent, axis_items={"bottom": self.category_axis, "left": self.left_axis})
        _style_axis(self.left_axis, self.font_)
        self.category_axis.setTickFont(self.font_)
        self.right = _RightAxis(self.plot_item, self.font_)
        self.categories: list[Category] = []
        self.values: list[float | None] = []
        self.second_values: list[float | None] = []
        self.bars: pg.BarGraphItem | None = None
        self.clickable = True
        self.plot_widget.scene().sigMouseMoved.connect(self._hover)
        self.plot_widget.scene().sigMouseClicked.connect(self._click)

    def set_data(
        self,
        categories: Sequence[Category],
        values: Sequence[float | None],
        *,
        name: str,
        axis_title: str,
        divisor: float = 1.0,
        colours: Sequence[str] | None = None,
        second: Sequence[float | None] | None = None,
        second_name: str = "",
        second_title: str = "",
        second_divisor: float = 1.0,
        clickable: bool = True,
        bar_width: float = 0.62,
    ) -> None:
        """``values`` (and ``second``) in their natural unit (元, 线路 …); ``divisor`` scales the axis
        (10,000 for 万元). A value of None (undefined, e.g. ARPU without lines) draws no bar."""
        self.categories = list(categories)
        self.values = list(values)
        self.second_values = list(second or [])
        self.clickable = clickable
        self.plot_item.clear()
        self.right.clear()
        self.legend.clear_entries()
        if not self.categories or not any(v for v in self.values if v is not None):
            self.show_empty()
            return
        self.show_chart()
        n = len(self.categories)
        heights = [0.0 if v is None else v / divisor for v in self.values]
        brushes = [pg.mkBrush(c) for c in (colours or [BAR_COLOUR] * n)]
        self.bars = pg.BarGraphItem(x=list(range(n)), height=heights, width=bar_width, brushes=brushes, pen=None)
        self.plot_item.addItem(self.bars)
        self.legend.add("bar", BAR_COLOUR, name)
        self.left_axis.divisor = 1.0
        fit_value_axis(self.left_axis, heights, self.font_)
        self.category_axis.set_labels([c.label for c in self.categories])
        self.set_axis_titles(axis_title, right=second_title if second else "")
        self.plot_item.setXRange(-0.6, n - 0.4, padding=0)
        top = max(heights) if heights else 1
        bottom = min(0.0, min(heights))
        self.plot_item.setYRange(bottom, top * HEADROOM if top > 0 else 1, padding=0)
        axis = self.plot_item.getAxis("right")
        if second:
            axis.show()
            xs = [i for i, v in enumerate(self.second_values) if v is not None]
            ys = [self.second_values[i] / second_divisor for i in xs]
            fit_value_axis(axis, ys, self.font_)
            line = pg.PlotDataItem(
                xs,
                ys,
                pen=pg.mkPen(SECOND_COLOUR, width=2),
                symbol="o",
                symbolSize=7,
                symbolBrush=SECOND_COLOUR,
                symbolPen=pg.mkPen("w"),
            )
            self.right.add(line)
            self.legend.add("line", SECOND_COLOUR, second_name)
            hi = max(ys, default=1)
            lo = min(0.0, min(ys, default=0))
            self.right.view.setYRange(lo, hi * HEADROOM if hi > 0 else 1, padding=0)
            self.right._sync()
        else:
            axis.hide()

    def index_at(self, x: float | None) -> int | None:
        if x is None:
            return None
        i = round(x)
        if 0 <= i < len(self.categories) and abs(x - i) <= 0.35:
            return i
        return None

    def _hover(self, pos) -> None:
        if self.is_empty or not self.isVisible():
            return
        i = self.index_at(self._view_x(pos))
        if i is None:
            QToolTip.hideText()
            return
        c = self.categories[i]
        view = self.plot_widget.mapFromScene(pos)
        QToolTip.showText(self.plot_widget.mapToGlobal(view), c.tooltip or c.label, self.plot_widget)

    def _click(self, event) -> None:
        if self.is_empty or not self.clickable or event.button() != Qt.MouseButton.LeftButton:
            return
        i = self.index_at(self._view_x(event.scenePos()))
        if i is not None:
            self.bar_clicked.emit(self.categories[i].key)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per x label, None where undefined
    colour: str
    right: bool = False  # drawn against the right axis
    dashed: bool = False


class LineChart(ChartBase):
    """Lines over labelled x positions (months), up to two value axes, a legend and exact tooltips."""

    def __init__(self, empty_text: str, parent: QWidget | None = None) -> None:
        self.category_axis = CategoryAxis()
        self.left_axis = NumberAxis("left")
        super().__init__(empty_text, parent, axis_items={"bottom": self.category_axis, "left": self.left_axis})
        _style_axis(self.left_axis, self.font_)
        self.category_axis.setTickFont(self.font_)
        self.right = _RightAxis(self.plot_item, self.font_)
        self.labels: list[str] = []
        self.series: list[Series] = []
        self.tooltips: list[str] = []
        self.plot_widget.scene().sigMouseMoved.connect(self._hover)

    def set_data(
        self,
        labels: Sequence[str],
        series: Sequence[Series],
        *,
        axis_title: str,
        right_title: str = "",
        divisor: float = 1.0,
        right_divisor: float = 1.0,
        tooltips: Sequence[str] | None = None,
        axis_labels: Sequence[str] | None = None,
    ) -> None:
        self.labels = list(labels)
        self.series = list(series)
        self.tooltips = list(tooltips or [])
        self.plot_item.clear()
        self.right.clear()
        self.legend.clear_entries()
        if not self.labels or not any(v for s in self.series for v in s.values if v):
            self.show_empty()
            return
        self.show_chart()
        self.category_axis.set_labels(list(axis_labels or labels))
        has_right = any(s.right for s in self.series)
        self.set_axis_titles(axis_title, right=right_title if has_right else "")
        self.plot_item.getAxis("right").setVisible(has_right)
        left_values: list[float] = []
        right_values: list[float] = []
        for s in self.series:
            xs = [i for i, v in enumerate(s.values) if v is not None]
            d = right_divisor if s.right else divisor
            ys = [s.values[i] / d for i in xs]
            pen = pg.mkPen(s.colour, width=2, style=Qt.PenStyle.DashLine if s.dashed else Qt.PenStyle.SolidLine)
            item = pg.PlotDataItem(xs, ys, pen=pen, symbol="o", symbolSize=5, symbolBrush=s.colour, symbolPen=None)
            if s.right:
                self.right.add(item)
                right_values += ys
            else:
                self.plot_item.addItem(item)
                left_values += ys
            self.legend.add("dashed" if s.dashed else "line", s.colour, s.name)
        n = len(self.labels)
        self.plot_item.setXRange(-0.5, n - 0.5, padding=0)
        fit_value_axis(self.left_axis, left_values, self.font_)
        if has_right:
            fit_value_axis(self.plot_item.getAxis("right"), right_values, self.font_)
        self._range(self.plot_item.vb, left_values)
        if has_right:
            self._range(self.right.view, right_values)
            self.right._sync()

    @staticmethod
    def _range(view: pg.ViewBox, values: list[float]) -> None:
        if not values:
            view.setYRange(0, 1, padding=0)
            return
        lo, hi = min(values), max(values)
        lo = min(0.0, lo) if lo >= 0 and lo < hi * 0.5 else lo - (hi - lo) * 0.1
        view.setYRange(lo, hi + (hi - lo) * (HEADROOM - 1) * 1.6 if hi > lo else hi + 1, padding=0)

    def _hover(self, pos) -> None:
        if self.is_empty or not self.isVisible():
            return
        x = self._view_x(pos)
        if x is None:
            QToolTip.hideText()
            return
        i = round(x)
        if not 0 <= i < len(self.labels):
            return
        text = self.tooltips[i] if i < len(self.tooltips) else self.labels[i]
        view = self.plot_widget.mapFromScene(pos)
        QToolTip.showText(self.plot_widget.mapToGlobal(view), text, self.plot_widget)


def yuan(value: Decimal | float | None, decimals: int = 2) -> str:
    """Money for tooltips and labels: 1,234,567.89 元; — when undefined."""
    if value is None:
        return "—"
    return f"{value:,.{decimals}f} 元"
