"""The matrix-reporting chart of one KA unit: its vertical (KA) line and its horizontal (local company) line.

The unit sits highlighted in the middle. Above it, joined by a solid line, is the upper KA unit (业务管理：
supervision, appraisal, approval of key appointments); below it, also solid, its lower KA units. To its
side, joined by a dashed line of another colour, is its local company (行政管理), with that company's own
superior above it. A legend says which line is which, so the chart reads without a manual.

Layout is separate from painting: ``layout_matrix`` turns a ``UnitMatrix`` and a rectangle into boxes
and edges (device-independent coordinates, text already elided), which tests inspect without pixels and
``MatrixChart.paintEvent`` merely draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from kam_console.models import UNIT_LEVEL_LABELS
from kam_console.services.matrix import UnitMatrix

# Edge kinds: which line of the matrix an edge belongs to (not its direction on screen — the company
# tree is drawn upright but is still the horizontal, administrative line).
VERTICAL = "vertical"
HORIZONTAL = "horizontal"
LINE_STYLES = {VERTICAL: Qt.PenStyle.SolidLine, HORIZONTAL: Qt.PenStyle.DashLine}

ROLE_UNIT = "unit"
ROLE_UPPER = "upper"
ROLE_LOWER = "lower"
ROLE_MORE = "more"
ROLE_COMPANY = "company"
ROLE_COMPANY_SUPERIOR = "company_superior"
ROLE_UPPER_COMPANY = "upper_company"

# More lower units than this become "the first few + … 共 N 个下级单位": a row of 31 boxes is unreadable,
# and the table under the chart lists them all anyway.
MAX_LOWER_SHOWN = 8

# Line colours per palette lightness: blue and orange stay distinct for red-green colour-blind readers,
# and each pair keeps a contrast ratio above 4.5 against its window colour.
LINE_COLOURS = {
    False: {VERTICAL: "#1d4ed8", HORIZONTAL: "#c2410c"},  # light palette
    True: {VERTICAL: "#60a5fa", HORIZONTAL: "#fb923c"},  # dark palette
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("MatrixChart", text)


@dataclass
class Box:
    """A labelled rectangle. ``lines`` are as drawn (elided to fit); ``full_lines`` are for the tooltip."""

    role: str
    rect: QRectF
    lines: list[str]
    full_lines: list[str]
    line_kind: str  # which line this node belongs to: its border takes that line's colour
    code: str | None = None  # a KA unit's code: clicking the box selects that unit
    active: bool = True

    @property
    def clickable(self) -> bool:
        return self.code is not None and self.role in (ROLE_UPPER, ROLE_LOWER)


@dataclass
class Edge:
    """A polyline of one kind; ``label`` (may be empty) is drawn in ``label_rect`` beside it."""

    kind: str
    points: list[QPointF]
    label: str = ""
    label_rect: QRectF | None = None

    @property
    def style(self) -> Qt.PenStyle:
        return LINE_STYLES[self.kind]


@dataclass
class LegendRow:
    kind: str
    sample: tuple[QPointF, QPointF]
    text: str
    text_rect: QRectF


@dataclass
class Note:
    """Muted text where a box might be expected (no lower units, no local company)."""

    text: str
    rect: QRectF


@dataclass
class MatrixLayout:
    boxes: list[Box] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    legend: list[LegendRow] = field(default_factory=list)
    legend_rect: QRectF | None = None
    notes: list[Note] = field(default_factory=list)

    def boxes_of(self, role: str) -> list[Box]:
        return [box for box in self.boxes if box.role == role]

    def box_at(self, pos: QPointF) -> Box | None:
        return next((box for box in self.boxes if box.rect.contains(pos)), None)

    def drawn_lines(self) -> list[tuple[str, Qt.PenStyle]]:
        """(kind, pen style) of every edge, in drawing order."""
        return [(edge.kind, edge.style) for edge in self.edges]


@dataclass(frozen=True)
class _Metrics:
    """Sizes derived from the font, so the chart scales with the user's font and DPI settings."""

    fm: QFontMetricsF
    bold: QFontMetricsF
    lh: float  # line height
    pad: float
    margin: float
    main_h: float  # a two-line box
    small_h: float  # a one-line box
    gap_v: float  # between rows; holds the 业务管理 label
    row_gap: float  # between legend rows

    @classmethod
    def of(cls, font: QFont) -> _Metrics:
        bold_font = QFont(font)
        bold_font.setBold(True)
        fm = QFontMetricsF(font)
        lh = fm.height()
        pad = max(4.0, round(lh * 0.35))
        return cls(
            fm=fm,
            bold=QFontMetricsF(bold_font),
            lh=lh,
            pad=pad,
            margin=max(6.0, round(lh * 0.5)),
            main_h=2 * lh + 2 * pad,
            small_h=lh + 2 * pad,
            gap_v=round(lh * 1.7),
            row_gap=round(lh * 0.3),
        )


def _legend_texts() -> dict[str, str]:
    return {
        VERTICAL: _tr("实线：大客户条线（业务管理、考核、重要任免审批）"),
        HORIZONTAL: _tr("虚线：本地公司（行政管理）"),
    }


def _more_text(total: int) -> str:
    return _tr("… 共 {0} 个下级单位").format(total)


def _elide(fm: QFontMetricsF, text: str, width: float) -> str:
    return fm.elidedText(text, Qt.TextElideMode.ElideRight, max(0.0, width))


def _note(k: _Metrics, text: str, rect: QRectF) -> Note:
    return Note(_elide(k.fm, text, rect.width()), rect)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _make_box(k: _Metrics, role: str, rect: QRectF, lines: list[str], line_kind: str, *, code=None, active=True) -> Box:
    inner = rect.width() - 2 * k.pad
    drawn = [_elide(k.bold if role == ROLE_UNIT and i == 0 else k.fm, text, inner) for i, text in enumerate(lines)]
    return Box(role, rect, drawn, list(lines), line_kind, code, active)


def natural_size(font: QFont) -> tuple[QSize, QSize]:
    """(minimum, preferred) size of the chart for a font, in device-independent pixels."""
    k = _Metrics.of(font)
    rows_h = 2 * k.main_h + 2 * k.gap_v + k.small_h  # upper, unit, lower units

    def height(width: float) -> float:
        return 2 * k.margin + rows_h + 2 * k.pad + _legend_geometry(k, width - 2 * k.margin)[2]

    min_w = k.lh * 20
    pref_w = max(k.lh * 32, _legend_geometry(k, 1e6)[0] + 2 * k.margin)
    minimum = QSize(math.ceil(min_w), math.ceil(height(min_w)))
    return minimum, QSize(math.ceil(pref_w), max(minimum.height(), math.ceil(height(pref_w) + k.lh)))


def layout_matrix(matrix: UnitMatrix, rect: QRectF, font: QFont) -> MatrixLayout:
    """Boxes, edges, legend and notes of ``matrix`` laid out in ``rect`` (logical pixels) for ``font``."""
    k = _Metrics.of(font)
    out = MatrixLayout()
    content = rect.adjusted(k.margin, k.margin, -k.margin, -k.margin)
    if content.width() <= 0 or content.height() <= 0:
        return out
    chart = _layout_legend(k, content, out)

    unit, upper, company = matrix.unit, matrix.upper, matrix.company
    # The upper KA unit's own local company closes the square (both lines meet one level up); the
    # company's superior takes that place when known, as it is the unit's company's chain.
    top_company = matrix.company_superior or matrix.upper_company if company is not None else None
    top_role = ROLE_COMPANY_SUPERIOR if matrix.company_superior is not None else ROLE_UPPER_COMPANY
    texts = {
        ROLE_UNIT: [unit.name, _tr("本单位 · {0}").format(unit.code)],
        ROLE_UPPER: [upper.name, _tr("上级大客户单位")] if upper else None,
        ROLE_COMPANY: [company.name, _tr("本地公司")] if company else None,
        # Notes stand in the columns where a box is missing; the columns are sized to hold them too.
        "no_upper": [_tr("无上级（最高层级）")] if upper is None else None,
        "no_company": [_tr("未登记本地公司")] if company is None else None,
        top_role: (
            [top_company.name, _tr("上级公司") if top_role == ROLE_COMPANY_SUPERIOR else _tr("上级单位的本地公司")]
            if top_company
            else None
        ),
    }

    def natural_w(role: str) -> float:
        lines = texts.get(role) or []
        widths = [(k.bold if role == ROLE_UNIT and i == 0 else k.fm).horizontalAdvance(t) for i, t in enumerate(lines)]
        return max(widths, default=0.0) + 3 * k.pad

    # Two columns: the KA line on the left, the company line on the right, the pair centred. The gap
    # between them holds the 行政管理 label on the dashed line.
    label_w = k.fm.horizontalAdvance(_tr("行政管理")) + 2 * k.pad
    gap_h = max(k.lh * 2.5, label_w + k.lh)
    bw = _clamp(max(natural_w(ROLE_UNIT), natural_w(ROLE_UPPER), natural_w("no_upper")), k.lh * 7, k.lh * 13)
    cw = _clamp(max(natural_w(ROLE_COMPANY), natural_w(top_role), natural_w("no_company")), k.lh * 6, k.lh * 10)
    room = content.width() - gap_h
    if bw + cw > room:  # narrow: shrink both columns alike and let the names elide
        scale = max(room, k.lh * 8) / (bw + cw)
        bw, cw = bw * scale, cw * scale
    x_ka = content.left() + max(0.0, (content.width() - (bw + gap_h + cw)) / 2)
    x_co = x_ka + bw + gap_h
    cx_ka, cx_co = x_ka + bw / 2, x_co + cw / 2

    # Three rows always (the group's empty top row says why it is empty), so the unit stays in one place.
    rows_h = 2 * (k.main_h + k.gap_v) + k.small_h
    y = chart.top() + max(0.0, (chart.height() - rows_h) / 2)

    upper_box = top_box = None
    if upper is not None:
        upper_box = _make_box(
            k, ROLE_UPPER, QRectF(x_ka, y, bw, k.main_h), texts[ROLE_UPPER], VERTICAL, code=upper.code
        )
        upper_box.full_lines = [upper.name, _tr("上级大客户单位（业务管理）· 代码 {0}").format(upper.code)]
        upper_box.active = upper.active
        out.boxes.append(upper_box)
    else:
        out.notes.append(_note(k, texts["no_upper"][0], QRectF(x_ka, y, bw, k.main_h)))
    if top_company is not None:
        top_box = _make_box(k, top_role, QRectF(x_co, y, cw, k.main_h), texts[top_role], HORIZONTAL)
        out.boxes.append(top_box)
    y += k.main_h + k.gap_v

    unit_box = _make_box(k, ROLE_UNIT, QRectF(x_ka, y, bw, k.main_h), texts[ROLE_UNIT], VERTICAL, code=unit.code)
    level = UNIT_LEVEL_LABELS.get(unit.level, unit.level)
    unit_box.full_lines = [unit.name, _tr("本单位 · {0}级 · 代码 {1}").format(level, unit.code)]
    unit_box.active = unit.active
    out.boxes.append(unit_box)
    mid_y = unit_box.rect.center().y()
    if company is not None:
        company_box = _make_box(k, ROLE_COMPANY, QRectF(x_co, y, cw, k.main_h), texts[ROLE_COMPANY], HORIZONTAL)
        if company.level_label:
            company_box.full_lines = [company.name, _tr("本地公司（{0}，行政管理）").format(company.level_label)]
        out.boxes.append(company_box)
        start, end = QPointF(unit_box.rect.right(), mid_y), QPointF(company_box.rect.left(), mid_y)
        label_rect = QRectF(start.x() + (gap_h - label_w) / 2, mid_y - k.lh - 2, label_w, k.lh)
        out.edges.append(Edge(HORIZONTAL, [start, end], _tr("行政管理"), label_rect))
        if top_box is not None and top_box.role == ROLE_COMPANY_SUPERIOR:
            out.edges.append(
                Edge(HORIZONTAL, [QPointF(cx_co, company_box.rect.top()), QPointF(cx_co, top_box.rect.bottom())])
            )
    else:
        out.notes.append(_note(k, texts["no_company"][0], QRectF(x_co, y, cw, k.main_h)))

    if upper_box is not None:
        start, end = QPointF(cx_ka, upper_box.rect.bottom()), QPointF(cx_ka, unit_box.rect.top())
        label_rect = QRectF(cx_ka + k.pad, (start.y() + end.y() - k.lh) / 2, label_w, k.lh)
        out.edges.append(Edge(VERTICAL, [start, end], _tr("业务管理"), label_rect))
        if top_box is not None and (top_box.role == ROLE_UPPER_COMPANY or matrix.superiors_share_company):
            y_top = upper_box.rect.center().y()
            out.edges.append(
                Edge(HORIZONTAL, [QPointF(upper_box.rect.right(), y_top), QPointF(top_box.rect.left(), y_top)])
            )

    _layout_lower(k, matrix, content, unit_box, out)
    return out


def _legend_geometry(k: _Metrics, available: float) -> tuple[float, list[tuple[str, str, float]], float]:
    """(width, [(kind, text, text height)], height) of the legend in ``available`` width.

    The legend is what makes the chart readable, so a narrow chart wraps its text rather than eliding it
    (Chinese breaks between any two characters)."""
    texts = _legend_texts()
    chrome = k.lh * 2 + 4.5 * k.pad  # sample line, paddings
    width = min(available, chrome + max(k.fm.horizontalAdvance(t) for t in texts.values()) + 1)
    text_w = max(1.0, width - chrome)
    rows = []
    for kind in (VERTICAL, HORIZONTAL):
        bounds = k.fm.boundingRect(QRectF(0, 0, text_w, 1e6), Qt.TextFlag.TextWordWrap, texts[kind])
        rows.append((kind, texts[kind], max(k.lh, bounds.height())))
    height = 2 * k.pad + sum(h for _, _, h in rows) + k.row_gap * (len(rows) - 1)
    return width, rows, height


def _layout_legend(k: _Metrics, content: QRectF, out: MatrixLayout) -> QRectF:
    """Place the legend at the bottom; return what is left for the chart."""
    width, rows, height = _legend_geometry(k, content.width())
    rect = QRectF(content.left() + (content.width() - width) / 2, content.bottom() - height, width, height)
    out.legend_rect = rect
    x0 = rect.left() + k.pad * 1.5
    sample_end = x0 + k.lh * 2
    y = rect.top() + k.pad
    for kind, text, text_h in rows:
        line_y = y + k.lh / 2  # beside the first line of a wrapped text
        text_rect = QRectF(sample_end + k.pad, y, rect.right() - k.pad * 2 - sample_end, text_h)
        out.legend.append(LegendRow(kind, (QPointF(x0, line_y), QPointF(sample_end, line_y)), text, text_rect))
        y += text_h + k.row_gap
    return QRectF(content.left(), content.top(), content.width(), rect.top() - k.pad * 2 - content.top())


def _layout_lower(k: _Metrics, matrix: UnitMatrix, content: QRectF, unit_box: Box, out: MatrixLayout) -> None:
    """The lower KA units as a row of small boxes on a bus below the unit; too many collapse into 共 N 个."""
    lower = matrix.lower
    top = unit_box.rect.bottom() + k.gap_v
    cx = unit_box.rect.center().x()
    if not lower:
        width = unit_box.rect.width()
        out.notes.append(_note(k, _tr("无下级大客户单位"), QRectF(cx - width / 2, top, width, k.small_h)))
        return
    sw = _clamp(max(k.fm.horizontalAdvance(u.short_name) for u in lower), k.lh * 3, k.lh * 6) + 3 * k.pad
    spacing = k.pad * 1.5
    width = content.width()
    shown, more_w = list(lower), 0.0
    fit_all = int((width + spacing) // (sw + spacing))
    if len(lower) > min(MAX_LOWER_SHOWN, fit_all):
        more_w = k.fm.horizontalAdvance(_more_text(len(lower))) + 3 * k.pad
        count = int((width - more_w) // (sw + spacing))
        shown = lower[: max(0, min(count, MAX_LOWER_SHOWN - 1, len(lower) - 1))]
    row_w = len(shown) * (sw + spacing) + (more_w if more_w else -spacing)
    x = _clamp(cx - row_w / 2, content.left(), max(content.left(), content.right() - row_w))
    bus_y = unit_box.rect.bottom() + k.gap_v / 2
    start = QPointF(cx, unit_box.rect.bottom())

    def join(box: Box) -> None:
        bx = box.rect.center().x()
        out.edges.append(Edge(VERTICAL, [start, QPointF(cx, bus_y), QPointF(bx, bus_y), QPointF(bx, box.rect.top())]))

    for u in shown:
        box = _make_box(k, ROLE_LOWER, QRectF(x, top, sw, k.small_h), [u.short_name], VERTICAL, code=u.code)
        box.full_lines = [u.name, _tr("代码 {0}").format(u.code)]
        box.active = u.active
        out.boxes.append(box)
        join(box)
        x += sw + spacing
    if more_w:
        rest = lower[len(shown) :]
        box = _make_box(k, ROLE_MORE, QRectF(x, top, more_w, k.small_h), [_more_text(len(lower))], VERTICAL)
        names = "、".join(u.short_name for u in rest[:40]) + ("…" if len(rest) > 40 else "")
        box.full_lines = [_tr("另有 {0} 个未画出：{1}").format(len(rest), names), _tr("完整列表见下方“下级单位”表格")]
        out.boxes.append(box)
        join(box)


def line_colour(kind: str, palette: QPalette) -> QColor:
    """The colour of a line kind on this palette (light or dark)."""
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor(LINE_COLOURS[dark][kind])


def line_pen(kind: str, palette: QPalette, width: float = 2.0) -> QPen:
    pen = QPen(line_colour(kind, palette), width)
    pen.setStyle(LINE_STYLES[kind])
    if kind == HORIZONTAL:
        pen.setDashPattern([4.0, 3.0])  # in pen widths: long enough dashes to read as dashes when small
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    return pen


class MatrixChart(QWidget):
    """Draws the matrix of one unit (``set_matrix``); clicking the upper or a lower unit emits its code."""

    unit_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._matrix: UnitMatrix | None = None
        self._layout: MatrixLayout | None = None
        self.setObjectName("matrixChart")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName(self.tr("矩阵管理关系图"))

    # --- data --------------------------------------------------------------------------------

    def matrix(self) -> UnitMatrix | None:
        return self._matrix

    def set_matrix(self, matrix: UnitMatrix | None) -> None:
        self._matrix = matrix
        self._layout = None
        self.setAccessibleDescription(self._describe(matrix))
        self.updateGeometry()
        self.update()

    def _describe(self, matrix: UnitMatrix | None) -> str:
        if matrix is None:
            return self.tr("未选择单位")
        upper = matrix.upper.name if matrix.upper else self.tr("无（最高层级）")
        company = matrix.company.name if matrix.company else self.tr("未登记")
        return self.tr("{0}：上级大客户单位 {1}；本地公司 {2}；下级单位 {3} 个").format(
            matrix.unit.name, upper, company, len(matrix.lower)
        )

    def current_layout(self) -> MatrixLayout:
        """The layout for the current size and font (empty without a matrix)."""
        if self._layout is None:
            if self._matrix is None:
                self._layout = MatrixLayout()
            else:
                self._layout = layout_matrix(self._matrix, QRectF(self.rect()), self.font())
        return self._layout

    # --- size --------------------------------------------------------------------------------

    def minimumSizeHint(self) -> QSize:
        return natural_size(self.font())[0]

    def sizeHint(self) -> QSize:
        return natural_size(self.font())[1]

    def resizeEvent(self, event) -> None:
        self._layout = None
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._layout = None
            self.updateGeometry()
        super().changeEvent(event)

    # --- painting ----------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        if self._matrix is None:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, self.tr("未选择单位"))
            return
        layout = self.current_layout()
        for edge in layout.edges:
            self._paint_edge(painter, palette, edge)
        for box in layout.boxes:
            self._paint_box(painter, palette, box)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        painter.setPen(muted)
        for note in layout.notes:
            painter.drawText(note.rect, Qt.AlignmentFlag.AlignCenter, note.text)
        self._paint_legend(painter, palette, layout)
        painter.end()

    def _paint_edge(self, painter: QPainter, palette: QPalette, edge: Edge) -> None:
        painter.setPen(line_pen(edge.kind, palette))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath(edge.points[0])
        for point in edge.points[1:]:
            path.lineTo(point)
        painter.drawPath(path)
        if edge.label and edge.label_rect is not None:
            painter.setPen(line_colour(edge.kind, palette))
            painter.drawText(edge.label_rect, Qt.AlignmentFlag.AlignCenter, edge.label)

    def _paint_box(self, painter: QPainter, palette: QPalette, box: Box) -> None:
        highlighted = box.role == ROLE_UNIT
        border = line_colour(box.line_kind, palette)
        fill = palette.color(QPalette.ColorRole.Highlight if highlighted else QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.HighlightedText if highlighted else QPalette.ColorRole.Text)
        muted = text if highlighted else palette.color(QPalette.ColorRole.PlaceholderText)
        if not box.active:
            text = muted = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        pen = QPen(border, 2.0 if highlighted else 1.5)
        if box.role == ROLE_MORE:
            pen.setStyle(Qt.PenStyle.DotLine)  # stands for several boxes, not one unit
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(box.rect.adjusted(0.75, 0.75, -0.75, -0.75), 4, 4)

        font = self.font()
        k = _Metrics.of(font)
        inner_w = box.rect.width() - 2 * k.pad
        # One line sits in the middle of its box; two lines stack from the top padding.
        y = box.rect.center().y() - k.lh / 2 if len(box.lines) == 1 else box.rect.top() + k.pad
        for i, line in enumerate(box.lines):
            line_font = QFont(font)
            line_font.setBold(highlighted and i == 0)
            painter.setFont(line_font)
            painter.setPen(text if i == 0 else muted)
            painter.drawText(QRectF(box.rect.left() + k.pad, y, inner_w, k.lh), Qt.AlignmentFlag.AlignCenter, line)
            y += k.lh
        painter.setFont(font)

    def _paint_legend(self, painter: QPainter, palette: QPalette, layout: MatrixLayout) -> None:
        if layout.legend_rect is None:
            return
        frame = QPen(palette.color(QPalette.ColorRole.Mid), 1.0)
        painter.setPen(frame)
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(layout.legend_rect.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        for row in layout.legend:
            painter.setPen(line_pen(row.kind, palette))
            painter.drawLine(*row.sample)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawText(row.text_rect, Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, row.text)

    # --- interaction -------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            box = self.current_layout().box_at(QPointF(event.pos()))
            if box is None:
                QToolTip.hideText()
                event.ignore()
                return True
            lines = list(box.full_lines)
            if box.clickable:
                lines.append(self.tr("（单击查看该单位）"))
            QToolTip.showText(event.globalPos(), "\n".join(lines), self)
            return True
        return super().event(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        box = self.current_layout().box_at(event.position())
        if box is not None and box.clickable:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.unsetCursor()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            box = self.current_layout().box_at(event.position())
            if box is not None and box.clickable and box.code:
                self.unit_activated.emit(box.code)
                return
        super().mouseReleaseEvent(event)
