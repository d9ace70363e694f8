"""The route of a service request drawn on the hierarchy (一站式服务, DESIGN §5).

The coordinator sits at the top. Down the left climbs the route as the request took it: the raising unit
at the bottom, each level above it one row higher, joined by solid arrows (上报). Below the coordinator, to
the right, hang the involved units, each at its own level's row, joined by dashed lines (派发 / 回复). Who
must act now is filled in the highlight colour, who acts next has a dashed accent border and says
下一步, units already passed are greyed with a tick. A legend under the chart says which is which.

``route_data`` turns a request's detail (plain data) into :class:`RouteData`, deciding each box's state;
``layout_route`` turns that and a rectangle into boxes, edges and a legend (tests inspect it without
pixels); :class:`RouteChart` paints it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from kam_console.models import UNIT_LEVEL_LABELS
from kam_console.services.catalogues import UnitChoice
from kam_console.services.request_queries import RequestDetail

# Box states
HOLDER = "holder"  # must act now
NEXT = "next"  # acts after the holder
PASSED = "passed"  # has done its part
WAITING = "waiting"  # not reached yet
CANCELLED = "cancelled"  # a subtask handed back, or the whole request withdrawn

# Box roles
ROLE_ROUTE = "route"  # a unit on the way up (the raising unit is the first)
ROLE_COORDINATOR = "coordinator"
ROLE_INVOLVED = "involved"
ROLE_MORE = "more"

# Edge kinds
EDGE_ROUTE = "route"  # 上报
EDGE_DISPATCH = "dispatch"  # 派发 / 回复

LEVEL_DEPTH = {"group": 0, "province": 1, "city": 2, "county": 3}
MAX_INVOLVED_SHOWN = 8

COLOURS = {
    False: {  # light palette
        EDGE_ROUTE: "#1d4ed8",
        EDGE_DISPATCH: "#c2410c",
        "holder_fill": "#fde68a",
        "holder_border": "#b45309",
        "next": "#0f766e",
        "passed_fill": "#eef0f3",
        "tick": "#15803d",
    },
    True: {  # dark palette
        EDGE_ROUTE: "#60a5fa",
        EDGE_DISPATCH: "#fb923c",
        "holder_fill": "#854d0e",
        "holder_border": "#fbbf24",
        "next": "#2dd4bf",
        "passed_fill": "#2b2f36",
        "tick": "#4ade80",
    },
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("RouteChart", text)


# --- data --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteNode:
    """One unit as the chart shows it. ``note`` is the second line (its part and what it has done);
    ``status`` alone is what a narrow box shows."""

    code: str
    name: str  # short name, e.g. 广州
    full_name: str  # e.g. 广州市大客户部
    level: str
    state: str = WAITING
    note: str = ""
    status: str = ""


@dataclass(frozen=True)
class RouteData:
    route: tuple[RouteNode, ...]  # the raising unit first, the coordinator last
    involved: tuple[RouteNode, ...]
    caption: str = ""  # e.g. "当前：广东 受理派发"

    @property
    def coordinator(self) -> RouteNode:
        return self.route[-1]

    def nodes(self) -> list[tuple[str, RouteNode]]:
        """(role, node) of every box the chart draws."""
        roles = [(ROLE_ROUTE, n) for n in self.route[:-1]] + [(ROLE_COORDINATOR, self.route[-1])]
        return roles + [(ROLE_INVOLVED, n) for n in self.involved]

    def holders(self) -> list[tuple[str, str]]:
        """(role, code) of the boxes drawn as 当前处理."""
        return [(role, n.code) for role, n in self.nodes() if n.state == HOLDER]


# What the unit holding a request is waiting to do, as a box's second line says it.
PENDING_LABELS = {
    "forward": "待上报",
    "accept": "待受理",
    "dispatch": "待派发",
    "reply": "待回复",
    "reassign": "待改派",
    "resolve": "待解决",
    "confirm": "待确认",
}


ROUTE_ACTIONS = {"forward", "confirm"}  # a unit on the way up; the raising unit confirms at the end
COORDINATOR_ACTIONS = {"accept", "dispatch", "reassign", "resolve"}


def route_data(detail: RequestDetail, units: Mapping[str, UnitChoice]) -> RouteData:
    """The chart's view of ``detail``: who holds it now, who is next, who is done. ``units`` gives short
    names and levels by code (a unit missing there is drawn with its full name as a city)."""

    def node(code: str, full_name: str, state: str, part: str, status: str) -> RouteNode:
        unit = units.get(code)
        short_name = unit.short_name if unit else full_name
        level = unit.level if unit else "city"
        note = f"{part} · {status}" if status else part
        return RouteNode(code, short_name, full_name, level, state, note, status or part)

    acting = {(n.unit.code, n.action) for n in detail.next}
    holders = {c for c, _ in acting}
    last = len(detail.route) - 1
    closed = detail.state == "closed"
    cancelled = detail.state == "cancelled"

    latest: dict[str, object] = {}
    for sub in detail.subtasks:  # in id order: the last one per unit is its current part
        latest[sub.unit.code] = sub

    # who acts after the holders
    after: set[tuple[str, str]] = set()  # (role, code)
    for code, action in acting:
        if action == "forward":
            at = next((i for i, step in enumerate(detail.route) if step.code == code), last)
            after.add((ROLE_COORDINATOR if at + 1 >= last else ROLE_ROUTE, detail.route[min(at + 1, last)].code))
        elif action in ("accept", "dispatch"):
            after.update((ROLE_INVOLVED, u.code) for u in detail.involved)
        elif action == "reply":
            after.add((ROLE_COORDINATOR, detail.coordinator.code))
        elif action == "resolve":
            after.add((ROLE_ROUTE, detail.route[0].code) if last else (ROLE_COORDINATOR, detail.route[0].code))

    route_nodes = []
    for i, step in enumerate(detail.route):
        role = ROLE_COORDINATOR if i == last else ROLE_ROUTE
        title = _tr("协调单位") if i == last else (_tr("发起单位") if i == 0 else _tr("上报经过"))
        if i == 0 and i == last:
            title = _tr("发起并协调")
        allowed = ROUTE_ACTIONS if i < last else COORDINATOR_ACTIONS | (ROUTE_ACTIONS if last == 0 else set())
        mine = {a for c, a in acting if c == step.code and a in allowed}
        if cancelled:
            state, note = CANCELLED, _tr("已撤销")
        elif closed:
            state, note = PASSED, _tr("已确认关闭") if i == 0 else _tr("已完成")
        elif mine:
            state, note = HOLDER, _tr(PENDING_LABELS.get(sorted(mine)[0], "当前处理"))
        elif (role, step.code) in after:
            state, note = NEXT, _tr("下一步")
        elif i < last and step.passed:
            state, note = PASSED, _tr("已上报")
        elif i == last and detail.state == "resolved":
            state, note = PASSED, _tr("已解决")
        else:
            state, note = WAITING, ""
        route_nodes.append(node(step.code, step.name, state, title, note))

    involved_nodes = []
    for unit in detail.involved:
        sub = latest.get(unit.code)
        if cancelled:
            state, note = CANCELLED, _tr("已撤销")
        elif (unit.code, "reply") in acting:
            state, note = HOLDER, _tr("待回复")
        elif sub is not None and sub.state == "done":
            state, note = PASSED, _tr("已回复")
        elif sub is not None and sub.state == "cancelled":
            state, note = CANCELLED, sub.state_label
        elif (ROLE_INVOLVED, unit.code) in after:
            state, note = NEXT, _tr("下一步")
        else:
            state, note = WAITING, _tr("待派发") if sub is None else sub.state_label
        involved_nodes.append(node(unit.code, unit.name, state, _tr("涉及单位"), note))

    if cancelled:
        caption = _tr("请求已撤销")
    elif closed:
        caption = _tr("请求已关闭")
    else:
        names = "、".join(dict.fromkeys(units[c].short_name if c in units else c for c in sorted(holders)))
        labels = "、".join(dict.fromkeys(n.action_label for n in detail.next))
        caption = _tr("当前：{0}（{1}）").format(names, labels) if names else ""
    return RouteData(tuple(route_nodes), tuple(involved_nodes), caption)


# --- layout ------------------------------------------------------------------------------------------


@dataclass
class Box:
    role: str
    node: RouteNode | None
    rect: QRectF
    lines: list[str]  # as drawn (elided)
    full_lines: list[str]  # for the tooltip

    @property
    def state(self) -> str:
        return self.node.state if self.node is not None else WAITING

    @property
    def code(self) -> str | None:
        return self.node.code if self.node is not None else None


@dataclass
class Edge:
    kind: str
    points: list[QPointF]
    reached: bool  # drawn in colour once the request went that way, grey before
    arrow: bool = True
    label: str = ""
    label_rect: QRectF | None = None


@dataclass
class LegendItem:
    kind: str  # a box state or an edge kind
    sample: QRectF
    text: str
    text_rect: QRectF


@dataclass
class RouteLayout:
    boxes: list[Box] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    legend_rect: QRectF | None = None
    caption_rect: QRectF | None = None
    caption: str = ""
    levels: list[tuple[str, QRectF]] = field(default_factory=list)  # 集团 / 省 / 地市 beside each row, when room

    def boxes_of(self, role: str) -> list[Box]:
        return [b for b in self.boxes if b.role == role]

    def box_at(self, pos: QPointF) -> Box | None:
        return next((b for b in self.boxes if b.rect.contains(pos)), None)

    def highlighted(self) -> list[Box]:
        return [b for b in self.boxes if b.state == HOLDER]


@dataclass(frozen=True)
class _Metrics:
    fm: QFontMetricsF
    bold: QFontMetricsF
    lh: float
    pad: float
    margin: float
    box_h: float
    gap_v: float
    gap_h: float

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
            box_h=2 * lh + 2 * pad,
            gap_v=round(lh * 1.6),
            gap_h=round(lh * 1.2),
        )


def _legend_texts() -> list[tuple[str, str]]:
    return [
        (HOLDER, _tr("当前处理")),
        (NEXT, _tr("下一步")),
        (PASSED, _tr("已完成 ✓")),
        (EDGE_ROUTE, _tr("上报")),
        (EDGE_DISPATCH, _tr("派发")),
    ]


def _legend_rows(k: _Metrics, width: float) -> list[list[tuple[str, str, float]]]:
    """The legend's items, (kind, text, width) in rows that fit ``width``."""
    sample_w = k.lh * 1.4
    spacing = k.lh * 0.8
    rows: list[list[tuple[str, str, float]]] = [[]]
    used = 0.0
    for kind, text in _legend_texts():
        item = (kind, text, sample_w + k.pad + k.fm.horizontalAdvance(text))
        need = item[2] + (spacing if rows[-1] else 0)
        if rows[-1] and used + need > width - 2 * k.pad:
            rows.append([])
            used = 0.0
            need = item[2]
        rows[-1].append(item)
        used += need
    return rows


def _elide(fm: QFontMetricsF, text: str, width: float) -> str:
    return fm.elidedText(text, Qt.TextElideMode.ElideRight, max(0.0, width))


def _depth(node: RouteNode, top: RouteNode) -> int:
    return LEVEL_DEPTH.get(node.level, 2) - LEVEL_DEPTH.get(top.level, 0)


def _rows(data: RouteData) -> int:
    coordinator = data.coordinator
    depths = [len(data.route) - 1] + [max(1, _depth(n, coordinator)) for n in data.involved]
    return max(depths) + 1


def _legend_size(k: _Metrics, width: float = 1e6) -> tuple[float, float]:
    """(natural width, height at ``width``) of the legend."""
    one_row = _legend_rows(k, 1e6)[0]
    natural = sum(w for _, _, w in one_row) + k.lh * 0.8 * (len(one_row) - 1) + 2 * k.pad
    return natural, len(_legend_rows(k, width)) * (k.lh + k.pad) + k.pad


def natural_size(font: QFont, data: RouteData | None = None) -> tuple[QSize, QSize]:
    """(minimum, preferred) size for a font (and a route, if known)."""
    k = _Metrics.of(font)
    rows = _rows(data) if data is not None else 3
    columns = 1 + (min(len(data.involved), MAX_INVOLVED_SHOWN) if data is not None else 2)
    min_w = k.lh * 18
    legend_w, legend_h = _legend_size(k, min_w - 2 * k.margin)  # at the narrowest, the legend may wrap
    height = 2 * k.margin + k.lh + k.pad + rows * k.box_h + (rows - 1) * k.lh + k.pad * 2 + legend_h
    pref_w = max(legend_w + 2 * k.margin, columns * (k.lh * 7 + k.gap_h) + 2 * k.margin)
    pref_h = height + (rows - 1) * (k.gap_v - k.lh) + k.lh
    return QSize(math.ceil(min_w), math.ceil(height)), QSize(math.ceil(pref_w), math.ceil(pref_h))


def layout_route(data: RouteData, rect: QRectF, font: QFont) -> RouteLayout:
    """Boxes, edges and legend of ``data`` in ``rect`` (logical pixels) for ``font``."""
    k = _Metrics.of(font)
    out = RouteLayout(caption=data.caption)
    content = rect.adjusted(k.margin, k.margin, -k.margin, -k.margin)
    if content.width() <= 0 or content.height() <= 0 or not data.route:
        return out
    if data.caption:
        out.caption_rect = QRectF(content.left(), content.top(), content.width(), k.lh)
        out.caption = _elide(k.bold, data.caption, content.width())
        content.setTop(content.top() + k.lh + k.pad)
    chart = _layout_legend(k, content, out)

    coordinator = data.coordinator
    climbing = list(data.route[:-1])  # raising first
    involved = list(data.involved)
    # As many involved units as fit (at the narrowest boxes) and the chart's cap allow; the rest are one box.
    min_bw = k.lh * 4
    fit = max(2, int((chart.width() + k.pad) // (min_bw + k.pad)) - (1 if climbing else 0))
    shown = min(MAX_INVOLVED_SHOWN, fit)
    more = 0
    if len(involved) > shown:
        more = len(involved) - (shown - 1)
        involved = involved[: shown - 1]
    rows = _rows(data)
    # Columns: the route on the left (when the request climbed at all), then one per involved unit.
    columns = (1 if climbing else 0) + len(involved) + (1 if more else 0)
    columns = max(columns, 1)

    def natural_w(node: RouteNode) -> float:
        return max(k.bold.horizontalAdvance(node.name), k.fm.horizontalAdvance(node.note)) + 3 * k.pad

    wanted = [natural_w(n) for n in (*data.route, *involved)]
    bw = max(k.lh * 6, min(k.lh * 11, max(wanted) + k.lh))
    gap_h = k.gap_h * (2 if climbing else 1)  # the route stands apart from the dispatched units
    room = chart.width()
    if columns * bw + (columns - 1) * gap_h > room:
        bw = max(min_bw, (room - (columns - 1) * gap_h) / columns)
        gap_h = max(k.pad, min(gap_h, (room - columns * bw) / max(1, columns - 1)))
    elif columns > 1:  # spare width: spread the columns a little, not without bound
        gap_h = min(max(gap_h, k.lh * 3), (room - columns * bw) / (columns - 1))
    total_w = columns * bw + (columns - 1) * gap_h
    x0 = chart.left() + max(0.0, (chart.width() - total_w) / 2)
    gap_v = k.gap_v
    if rows > 1:  # spread the levels over the height there is: up to a point, and closer when short
        gap_v = max(k.lh * 0.8, min(k.lh * 3.5, (chart.height() - rows * k.box_h) / (rows - 1)))
    total_h = rows * k.box_h + (rows - 1) * gap_v
    y0 = chart.top() + max(0.0, (chart.height() - total_h) / 2)

    def row_y(row: int) -> float:
        return y0 + row * (k.box_h + gap_v)

    top_depth = LEVEL_DEPTH.get(coordinator.level, 0)
    depth_level = {depth: level for level, depth in LEVEL_DEPTH.items()}
    for row in range(rows):
        level = depth_level.get(top_depth + row)
        if level is None:
            continue
        label = _tr(UNIT_LEVEL_LABELS[level])
        width = k.fm.horizontalAdvance(label) + k.pad
        if x0 - chart.left() >= width + k.pad:  # only where it does not crowd the boxes
            out.levels.append((label, QRectF(chart.left(), row_y(row), width, k.box_h)))

    def make(role: str, node: RouteNode | None, r: QRectF, lines: list[str], full: list[str]) -> Box:
        inner = r.width() - 2 * k.pad
        if node is not None and len(lines) > 1 and k.fm.horizontalAdvance(lines[1]) > inner:
            lines = [lines[0], node.status]  # narrow: what it is doing matters more than its part
        drawn = [_elide(k.bold if i == 0 else k.fm, t, inner) for i, t in enumerate(lines)]
        box = Box(role, node, r, drawn, full)
        out.boxes.append(box)
        return box

    # The coordinator: above the involved units (centred over them), or alone in the middle.
    inv_x0 = x0 + ((bw + gap_h) if climbing else 0)
    inv_cols = len(involved) + (1 if more else 0)
    if inv_cols:
        inv_w = inv_cols * bw + (inv_cols - 1) * gap_h
        coord_x = inv_x0 + (inv_w - bw) / 2
    else:
        coord_x = x0 + (total_w - bw) / 2
    if climbing:
        coord_x = max(coord_x, x0 + bw + gap_h / 2)  # never over the route column: the arrow comes in from the left
    coord_rect = QRectF(coord_x, row_y(0), bw, k.box_h)
    make(
        ROLE_COORDINATOR,
        coordinator,
        coord_rect,
        [coordinator.name, coordinator.note],
        [coordinator.full_name, coordinator.note, _tr("协调单位：汇总派发、解决")],
    )

    # The climb: the raising unit at its row at the bottom of the column, each level one row up.
    previous: Box | None = None
    for index, node in enumerate(climbing):
        row = len(data.route) - 1 - index
        r = QRectF(x0, row_y(row), bw, k.box_h)
        box = make(ROLE_ROUTE, node, r, [node.name, node.note], [node.full_name, node.note])
        if previous is not None:
            reached = previous.state == PASSED
            out.edges.append(
                Edge(
                    EDGE_ROUTE,
                    [QPointF(previous.rect.center().x(), previous.rect.top()), QPointF(r.center().x(), r.bottom())],
                    reached,
                )
            )
        previous = box
    if previous is not None:
        # from the top of the route column up and across into the coordinator's left side
        top = QPointF(previous.rect.center().x(), previous.rect.top())
        mid_y = coord_rect.center().y()
        reached = previous.state == PASSED
        label_w = k.fm.horizontalAdvance(_tr("上报")) + 2 * k.pad
        label = QRectF(top.x() + k.pad, (top.y() + mid_y) / 2 - k.lh / 2, label_w, k.lh)
        out.edges.append(
            Edge(
                EDGE_ROUTE,
                [top, QPointF(top.x(), mid_y), QPointF(coord_rect.left(), mid_y)],
                reached,
                label=_tr("上报"),
                label_rect=label,
            )
        )

    # The involved units: each in its own column, at its level's row (at least one row down).
    x = inv_x0
    bus_y = coord_rect.bottom() + gap_v / 2
    start = QPointF(coord_rect.center().x(), coord_rect.bottom())
    dispatched = False
    for node in involved:
        row = max(1, _depth(node, coordinator))
        r = QRectF(x, row_y(row), bw, k.box_h)
        box = make(ROLE_INVOLVED, node, r, [node.name, node.note], [node.full_name, node.note])
        reached = node.state in (HOLDER, PASSED, CANCELLED)
        dispatched = dispatched or reached
        out.edges.append(
            Edge(
                EDGE_DISPATCH,
                [start, QPointF(start.x(), bus_y), QPointF(r.center().x(), bus_y), QPointF(r.center().x(), r.top())],
                reached,
            )
        )
        x += bw + gap_h
    if more:
        rest = data.involved[len(involved) :]
        r = QRectF(x, row_y(1), bw, k.box_h)
        text = _tr("另 {0} 个").format(more)
        names = "、".join(n.name for n in rest[:30]) + ("…" if len(rest) > 30 else "")
        make(ROLE_MORE, None, r, [text, ""], [_tr("另有 {0} 个涉及单位：{1}").format(more, names)])
        out.edges.append(
            Edge(
                EDGE_DISPATCH,
                [start, QPointF(start.x(), bus_y), QPointF(r.center().x(), bus_y), QPointF(r.center().x(), r.top())],
                dispatched,
            )
        )
    return out


def _layout_legend(k: _Metrics, content: QRectF, out: RouteLayout) -> QRectF:
    """One row of samples at the bottom (wrapping onto a second row when narrow); returns the rest."""
    sample_w = k.lh * 1.4
    spacing = k.lh * 0.8
    rows = _legend_rows(k, content.width())
    row_h = k.lh + k.pad
    height = len(rows) * row_h + k.pad
    width = min(content.width(), max(sum(i[2] for i in r) + spacing * (len(r) - 1) for r in rows) + 2 * k.pad)
    rect = QRectF(content.left() + (content.width() - width) / 2, content.bottom() - height, width, height)
    out.legend_rect = rect
    y = rect.top() + k.pad / 2
    for row in rows:
        x = rect.left() + k.pad
        for kind, text, w in row:
            sample = QRectF(x, y + k.lh * 0.15, sample_w, k.lh * 0.7)
            text_rect = QRectF(x + sample_w + k.pad, y, w - sample_w - k.pad + 1, k.lh)
            out.legend.append(LegendItem(kind, sample, text, text_rect))
            x += w + spacing
        y += row_h
    return QRectF(content.left(), content.top(), content.width(), rect.top() - k.pad - content.top())


# --- painting ----------------------------------------------------------------------------------------


def colour(name: str, palette: QPalette) -> QColor:
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor(COLOURS[dark][name])


class RouteChart(QWidget):
    """Draws one request's route (``set_route``); hover shows each unit's full name and part."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: RouteData | None = None
        self._layout: RouteLayout | None = None
        self.setObjectName("routeChart")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName(self.tr("请求流转路径图"))

    def route(self) -> RouteData | None:
        return self._data

    def set_route(self, data: RouteData | None) -> None:
        self._data = data
        self._layout = None
        self.setAccessibleDescription(self._describe(data))
        self.updateGeometry()
        self.update()

    def _describe(self, data: RouteData | None) -> str:
        if data is None:
            return self.tr("未选择请求")
        up = " → ".join(n.name for n in data.route)
        holders = "、".join(n.name for _, n in data.nodes() if n.state == HOLDER) or self.tr("无")
        return self.tr("上报路径 {0}；涉及 {1}；当前处理 {2}").format(
            up, "、".join(n.name for n in data.involved), holders
        )

    def current_layout(self) -> RouteLayout:
        if self._layout is None:
            if self._data is None:
                self._layout = RouteLayout()
            else:
                self._layout = layout_route(self._data, QRectF(self.rect()), self.font())
        return self._layout

    def minimumSizeHint(self) -> QSize:
        return natural_size(self.font(), self._data)[0]

    def sizeHint(self) -> QSize:
        return natural_size(self.font(), self._data)[1]

    def resizeEvent(self, event) -> None:
        self._layout = None
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._layout = None
            self.updateGeometry()
        super().changeEvent(event)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        if self._data is None:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, self.tr("未选择请求"))
            return
        layout = self.current_layout()
        if layout.caption_rect is not None:
            bold = QFont(self.font())
            bold.setBold(True)
            painter.setFont(bold)
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
            align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(layout.caption_rect, align, layout.caption)
            painter.setFont(self.font())
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        for label, rect in layout.levels:
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        for edge in layout.edges:
            self._paint_edge(painter, palette, edge)
        for box in layout.boxes:
            self._paint_box(painter, palette, box)
        self._paint_legend(painter, palette, layout)
        painter.end()

    def _edge_pen(self, kind: str, palette: QPalette, reached: bool) -> QPen:
        c = colour(kind, palette) if reached else palette.color(QPalette.ColorRole.Mid)
        pen = QPen(c, 2.0 if reached else 1.5)
        if kind == EDGE_DISPATCH:
            pen.setStyle(Qt.PenStyle.DashLine)
            pen.setDashPattern([4.0, 3.0])
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen

    def _paint_edge(self, painter: QPainter, palette: QPalette, edge: Edge) -> None:
        pen = self._edge_pen(edge.kind, palette, edge.reached)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath(edge.points[0])
        for point in edge.points[1:]:
            path.lineTo(point)
        painter.drawPath(path)
        if edge.arrow and len(edge.points) >= 2:
            self._arrow_head(painter, pen.color(), edge.points[-2], edge.points[-1])
        if edge.label and edge.label_rect is not None:
            painter.setPen(pen.color())
            painter.drawText(edge.label_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, edge.label)

    @staticmethod
    def _arrow_head(painter: QPainter, c: QColor, a: QPointF, b: QPointF) -> None:
        dx, dy = b.x() - a.x(), b.y() - a.y()
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        size = 7.0
        left = QPointF(b.x() - ux * size - uy * size * 0.55, b.y() - uy * size + ux * size * 0.55)
        right = QPointF(b.x() - ux * size + uy * size * 0.55, b.y() - uy * size - ux * size * 0.55)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c)
        painter.drawPolygon(QPolygonF([b, left, right]))
        painter.restore()

    def _box_style(self, palette: QPalette, state: str) -> tuple[QColor, QPen, QColor, QColor, bool]:
        """(fill, border pen, text colour, note colour, bold name) of a state."""
        text = palette.color(QPalette.ColorRole.Text)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        base = palette.color(QPalette.ColorRole.Base)
        if state == HOLDER:
            return colour("holder_fill", palette), QPen(colour("holder_border", palette), 2.5), text, text, True
        if state == NEXT:
            pen = QPen(colour("next", palette), 2.0)
            pen.setStyle(Qt.PenStyle.DashLine)
            return base, pen, text, colour("next", palette), False
        if state == PASSED:
            return colour("passed_fill", palette), QPen(palette.color(QPalette.ColorRole.Mid), 1.0), muted, muted, False
        if state == CANCELLED:
            pen = QPen(palette.color(QPalette.ColorRole.Mid), 1.0)
            pen.setStyle(Qt.PenStyle.DotLine)
            return base, pen, muted, muted, False
        return base, QPen(palette.color(QPalette.ColorRole.Dark), 1.2), text, muted, False

    def _paint_box(self, painter: QPainter, palette: QPalette, box: Box) -> None:
        fill, pen, text, note, bold = self._box_style(palette, box.state)
        if box.role == ROLE_MORE:
            pen.setStyle(Qt.PenStyle.DotLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(box.rect.adjusted(1, 1, -1, -1), 4, 4)
        k = _Metrics.of(self.font())
        inner = QRectF(box.rect.left() + k.pad, box.rect.top() + k.pad, box.rect.width() - 2 * k.pad, k.lh)
        for i, line in enumerate(box.lines):
            f = QFont(self.font())
            f.setBold(i == 0 and (bold or box.role == ROLE_COORDINATOR))
            f.setStrikeOut(i == 0 and box.state == CANCELLED)
            painter.setFont(f)
            painter.setPen(text if i == 0 else note)
            painter.drawText(inner, Qt.AlignmentFlag.AlignCenter, line)
            inner.translate(0, k.lh)
        painter.setFont(self.font())
        if box.state == PASSED:  # a tick in the corner, readable without colour
            painter.setPen(colour("tick", palette))
            tick = QRectF(box.rect.right() - k.lh - 2, box.rect.top() + 1, k.lh, k.lh)
            painter.drawText(tick, Qt.AlignmentFlag.AlignCenter, "✓")

    def _paint_legend(self, painter: QPainter, palette: QPalette, layout: RouteLayout) -> None:
        if layout.legend_rect is None:
            return
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1.0))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(layout.legend_rect.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        for item in layout.legend:
            if item.kind in (EDGE_ROUTE, EDGE_DISPATCH):
                pen = self._edge_pen(item.kind, palette, True)
                painter.setPen(pen)
                y = item.sample.center().y()
                a, b = QPointF(item.sample.left(), y), QPointF(item.sample.right(), y)
                painter.drawLine(a, b)
                self._arrow_head(painter, pen.color(), a, b)
            else:
                fill, pen, _text, _note, _bold = self._box_style(palette, item.kind)
                painter.setPen(pen)
                painter.setBrush(fill)
                painter.drawRoundedRect(item.sample.adjusted(1, 1, -1, -1), 3, 3)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawText(item.text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, item.text)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            box = self.current_layout().box_at(QPointF(event.pos()))
            if box is None:
                QToolTip.hideText()
                event.ignore()
                return True
            QToolTip.showText(event.globalPos(), "\n".join(t for t in box.full_lines if t), self)
            return True
        return super().event(event)
